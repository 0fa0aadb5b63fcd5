import Foundation
import GRDB
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore
import SeededRandom
import Testing

/// Arguments too long for the call's own row are kept in `tool_call_arguments`, written once, so
/// that recording the outcome does not rewrite them. Wherever they are kept, a call reads back as
/// it was written, by every read, before and after its outcome, and its chain still covers them.
@Suite("Store conformance: arguments kept aside")
struct ArgumentsAsideConformanceTests {
    /// The longest arguments text kept in the call's row (`ToolCallRows.inlineLimit`).
    static let inlineLimit = 1024

    /// Arguments whose canonical text is `length` UTF-8 bytes or one more, with a multi-byte
    /// character or an escape in some, so that a count of characters would not do.
    static func arguments(length: Int, using random: inout SeededRandom) -> JSONValue {
        let frame = #"{"text":""}"#.utf8.count
        let filler = random.pick(["a", "é", "\n", "😀"])
        let unit = CanonicalJSON.string(.string(filler), numbers: .asWritten).utf8.count - 2
        let count = max(0, (length - frame) / unit)
        return ["text": .string(String(repeating: filler, count: count) + String(repeating: "b", count: max(0, length - frame - count * unit)))]
    }

    @Test("every read gives back the arguments and forwarded arguments, on either side of the limit, before and after the outcome",
          arguments: StoreBackend.allCases)
    func readsAgree(backend: StoreBackend) async throws {
        var random = SeededRandom(seed: 0xA51DE)
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(name: "r"))
        var written: [(id: String, arguments: JSONValue, forwarded: JSONValue?)] = []
        let inlineLimit = Self.inlineLimit
        let lengths = [2, 100, inlineLimit - 1, inlineLimit, inlineLimit + 1, inlineLimit + 2, 4_096, 70_000]
        for round in 0..<24 {
            let length = round < lengths.count ? lengths[round] : random.int(inlineLimit - 40...inlineLimit + 40)
            let arguments = Self.arguments(length: length, using: &random)
            let forwarded: JSONValue? = random.chance(0.5)
                ? Self.arguments(length: random.pick([10, inlineLimit, inlineLimit + 1, 3_000]), using: &random) : nil
            let decision = random.pick([Decision.allow, .needsApproval(rule: "tool=t"), .deny(rule: "allowlist", reason: "no")])
            let (call, _) = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "\(round)", tool: "t", sideEffect: "write", arguments: arguments,
                            forwardedArguments: forwarded, decision: decision),
                approvalExpiresAt: nil)
            let asWritten = call.arguments == arguments && call.forwardedArguments == forwarded
            #expect(asWritten, "the call as written, arguments of \(length) bytes")
            written.append((call.id, arguments, forwarded))
        }
        func check(_ moment: String) async throws {
            let all = try await store.toolCalls(runId: run.id)
            let bundle = try await store.provenanceRecords(runIds: [run.id])
            #expect(all.map(\.id) == written.map(\.id), "\(moment): in order")
            #expect(bundle.toolCalls == all, "\(moment): the provenance records read the same calls")
            for (index, call) in written.enumerated() {
                let one = try #require(try await store.toolCall(id: call.id))
                for read in [one, all[index]] {
                    // Compared first, so that a failure names the call rather than printing its arguments.
                    let sameArguments = read.arguments == call.arguments, sameForwarded = read.forwardedArguments == call.forwarded
                    #expect(sameArguments, "\(moment): arguments of call \(index)")
                    #expect(sameForwarded, "\(moment): forwarded arguments of call \(index)")
                }
            }
            #expect(RecordVerifier.verify(bundle) == [], "\(moment): the chain covers what was read")
        }
        try await check("decided")
        let result: JSONValue = ["content": [["type": "text", "text": .string(String(repeating: "r", count: 5_000))]]]
        let bytes = CanonicalJSON.encode(result, rule: .current)
        for call in try await store.toolCalls(runId: run.id) where call.status == .forwarded {
            try await store.completeToolCall(id: call.id, outcome: ToolCallOutcome(
                status: .succeeded, result: result, resultDigest: EventChain.hexDigest(bytes), resultBytes: Int64(bytes.count), isError: false, durationMs: 1))
        }
        try await check("completed")
    }

    @Test("SQLite: long arguments are written to tool_call_arguments and the call's row keeps none; short ones stay in the row")
    func sqliteLayout() async throws {
        let path = TemporaryFiles.newDirectory() + "/store.sqlite"
        let store = try SQLiteStore(path: path)
        let run = try await store.createRun(NewRun(name: "r"))
        var random = SeededRandom(seed: 7)
        let short = Self.arguments(length: Self.inlineLimit, using: &random)
        let long = Self.arguments(length: Self.inlineLimit + 1, using: &random)
        let (kept, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: short, decision: .allow), approvalExpiresAt: nil)
        let (aside, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "2", tool: "t", sideEffect: "write", arguments: short, forwardedArguments: long, decision: .allow),
            approvalExpiresAt: nil)
        let queue = try DatabaseQueue(path: path)
        try await queue.read { db in
            let inRow = try Row.fetchOne(db, sql: "SELECT arguments, forwarded_arguments FROM tool_calls WHERE id = ?", arguments: [kept.id])
            #expect(inRow?["arguments"] == CanonicalJSON.string(short, numbers: .asWritten))
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tool_call_arguments WHERE call_id = ?", arguments: [kept.id]) == 0)
            let emptied = try Row.fetchOne(db, sql: "SELECT arguments, forwarded_arguments FROM tool_calls WHERE id = ?", arguments: [aside.id])
            #expect(emptied?["arguments"] == "")
            #expect((emptied?["forwarded_arguments"] as String?) == nil)
            let apart = try Row.fetchOne(db, sql: "SELECT arguments, forwarded_arguments FROM tool_call_arguments WHERE call_id = ?", arguments: [aside.id])
            #expect(apart?["arguments"] == CanonicalJSON.string(short, numbers: .asWritten))
            #expect(apart?["forwarded_arguments"] == CanonicalJSON.string(long, numbers: .asWritten))
        }
    }
}
