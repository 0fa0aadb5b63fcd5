import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// What a `tool.decided` event says about the arguments, and how arguments and payloads are stored,
/// on each backend.
@Suite("Store conformance: argument digests and stored numbers")
struct ArgumentDigestConformanceTests {
    static let digestOfNull = EventChain.hexDigest(Array("null".utf8))

    @Test("an un-rewritten call's forwardedArgumentsDigest is its argumentsDigest; a rewritten call's is the rewritten arguments'",
          arguments: StoreBackend.allCases)
    func forwardedDigest(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(name: "r"))
        let plain: JSONValue = ["path": "/srv/a", "count": 3]
        for decision in [Decision.allow, .needsApproval(rule: "tool=t"), .deny(rule: "allowlist", reason: "no")] {
            _ = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: plain, decision: decision),
                approvalExpiresAt: nil)
        }
        // JSON null where a caller meant "not rewritten" is taken as absent.
        _ = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: plain, forwardedArguments: .null, decision: .allow),
            approvalExpiresAt: nil)
        _ = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "2", tool: "t", sideEffect: "write", arguments: ["dry_run": false],
                        forwardedArguments: ["dry_run": true], decision: .allow),
            approvalExpiresAt: nil)
        let decided = try await store.events(runId: run.id).filter { $0.kind == "tool.decided" }.compactMap { $0.body["data"] }
        #expect(decided.count == 5)
        for data in decided.prefix(4) {
            #expect(data["argumentsDigest"] == .string(EventChain.digest(of: plain)))
            #expect(data["forwardedArgumentsDigest"] == data["argumentsDigest"])
        }
        #expect(decided[4]["argumentsDigest"] == .string(EventChain.digest(of: ["dry_run": false])))
        #expect(decided[4]["forwardedArgumentsDigest"] == .string(EventChain.digest(of: ["dry_run": true])))
        #expect(!decided.contains { $0["forwardedArgumentsDigest"] == .string(Self.digestOfNull) || $0["argumentsDigest"] == .string(Self.digestOfNull) })
    }

    @Test("numbers are stored as written and read back so; digests are over the numbers' values, as before",
          arguments: StoreBackend.allCases)
    func exactNumbers(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(name: "r"))
        let arguments = try JSONParser.parse(#"{"big":18446744073709551615,"price":1.10,"hundred":1e2,"plain":1.5}"#)
        let (call, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: arguments, decision: .needsApproval(rule: "tool=t")),
            approvalExpiresAt: nil)
        #expect(try await store.toolCalls(runId: run.id).first?.arguments == arguments)
        #expect(try await store.listApprovals(status: .pending, runId: run.id).first?.arguments == arguments)
        _ = try await store.putFact(namespace: "n", key: "k", value: arguments, runId: run.id)
        #expect(try await store.fact(namespace: "n", key: "k")?.value == arguments)
        _ = try await store.createCheckpoint(runId: run.id, name: "c", payload: arguments)
        #expect(try await store.latestCheckpoint(runId: run.id)?.payload == arguments)

        // The digests in the events are those of the numbers as doubles: what they were before the
        // numbers kept their text, so digests of older records and of equal values still match.
        let asDoubles: JSONValue = ["big": .double(18_446_744_073_709_551_615), "price": .double(1.1), "hundred": .integer(100), "plain": .double(1.5)]
        let events = try await store.events(runId: run.id)
        #expect(events.first { $0.kind == "tool.decided" }?.body["data"]?["argumentsDigest"] == .string(EventChain.digest(of: asDoubles)))
        #expect(events.first { $0.kind == "fact.put" }?.body["data"]?["valueDigest"] == .string(EventChain.digest(of: asDoubles)))
        #expect(events.first { $0.kind == "checkpoint.created" }?.body["data"]?["payloadDigest"] == .string(EventChain.digest(of: asDoubles)))
        #expect(call.id.hasPrefix("call"))
    }
}
