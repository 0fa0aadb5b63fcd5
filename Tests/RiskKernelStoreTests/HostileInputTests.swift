import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Text chosen by an attacker (run names, metadata, tool names, fact keys, reasons) is stored and
/// read back verbatim and never changes the SQL: every statement binds its values.
@Suite("Store conformance: hostile text")
struct HostileInputTests {
    static let hostile = [
        "'); DROP TABLE runs; --", "\" OR 1=1 --", "x' UNION SELECT id, id, id FROM runs --", "$.a\") , (\"b", "a'b\"c`d", "%' OR '%'='",
        "Robert'); DELETE FROM ledger_entries; --", "\\'; SELECT pg_sleep(5); --", "$1", "?", ":name",
    ]

    @Test("hostile names, metadata, tools, facts and reasons round-trip; grouping by a metadata key binds it", arguments: StoreBackend.allCases)
    func roundTrip(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        var runs: [RunRecord] = []
        for (index, text) in Self.hostile.enumerated() {
            let run = try await store.createRun(NewRun(name: text, metadata: ["team": text, text: "value", "a.b": "dotted-\(index)"]))
            _ = try await store.recordModelCall(runId: run.id, modelCall(10, 0, micros: Int64(index + 1), provider: text, model: text))
            let (_, approval) = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: text, tool: text, sideEffect: text, arguments: [text: .string(text)], decision: .needsApproval(rule: text)),
                approvalExpiresAt: nil)
            _ = try await store.resolveApproval(id: try #require(approval).id, status: .denied, decidedBy: text, reason: text)
            _ = try await store.putFact(namespace: text, key: text, value: .string(text), runId: run.id)
            runs.append(run)
        }
        for (run, text) in zip(runs, Self.hostile) {
            let stored = try #require(try await store.run(id: run.id))
            #expect(stored.name == text)
            #expect(stored.metadata["team"] == text)
            #expect(stored.metadata[text] == "value")
            let call = try #require(try await store.toolCalls(runId: run.id).first)
            #expect(call.tool == text)
            #expect(call.requestId == text)
            #expect(try await store.fact(namespace: text, key: text)?.value == .string(text))
            let approval = try #require(try await store.listApprovals(status: .denied, runId: run.id).first)
            #expect(approval.decidedBy == text)
            #expect(approval.reason == text)
        }
        // Every run is still there: nothing was dropped or deleted.
        #expect(try await store.listRuns(status: nil, limit: 1000).count == Self.hostile.count)

        let byTeam = try await store.summarize(by: .metadata("team"), since: nil, until: nil)
        #expect(Set(byTeam.groups.map(\.key)) == Set(Self.hostile))
        #expect(byTeam.total.calls == Self.hostile.count)
        let byName = try await store.summarize(by: .name, since: nil, until: nil)
        #expect(Set(byName.groups.map(\.key)) == Set(Self.hostile))
        let byProvider = try await store.summarize(by: .provider, since: nil, until: nil)
        #expect(Set(byProvider.groups.map(\.key)) == Set(Self.hostile))
        // A key with a dot is one key, not a path.
        let dotted = try await store.summarize(by: .metadata("a.b"), since: nil, until: nil)
        #expect(dotted.groups.count == Self.hostile.count)
        #expect(dotted.groups.allSatisfy { $0.key.hasPrefix("dotted-") })
        // Hostile keys never reach SQL: the store refuses them with a clear error, and changes nothing.
        for key in Self.hostile {
            await #expect(throws: StoreError.self) { _ = try await store.summarize(by: .metadata(key), since: nil, until: nil) }
        }
        #expect(try await store.listRuns(status: nil, limit: 1000).count == Self.hostile.count)
        #expect(try await store.summarize(by: .model, since: nil, until: nil).total.calls == Self.hostile.count)
    }

    @Test("a model call's counts are bounded, so no total can overflow into a negative spend", arguments: StoreBackend.allCases)
    func boundedCounts(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(name: "bounded", budget: Budget(tokens: 1000)))
        for call in [
            modelCall(Int64.max, 0), modelCall(0, Int64.max), modelCall(-1, 0), modelCall(SpendLimits.maxTokensPerCall + 1, 0),
            modelCall(1, 1, micros: -1), modelCall(1, 1, micros: Int64.max),
        ] {
            await #expect(throws: StoreError.self) { _ = try await store.recordModelCall(runId: run.id, call) }
        }
        let spent = try await store.recordModelCall(runId: run.id, modelCall(SpendLimits.maxTokensPerCall, SpendLimits.maxTokensPerCall))
        #expect(spent.halted)
        let stored = try #require(try await store.run(id: run.id))
        #expect(stored.usage.totalTokens == 2 * SpendLimits.maxTokensPerCall)
        #expect(try await store.ledger(runId: run.id).count == 1)
    }
}
