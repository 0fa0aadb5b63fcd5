import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// `decideToolCall`: the state read, the decision made and the call written in one transaction.
@Suite("Store conformance: deciding and recording a tool call in one transaction")
struct DecideToolCallConformanceTests {
    @Test("returns what it wrote, as a later read returns it", arguments: StoreBackend.allCases)
    func returnsWhatItWrote(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(budget: Budget(loops: 5)))
        let runId = run.id
        let decided = try await store.decideToolCall(runId: runId, recentSince: nil, approvalExpiresAt: nil) { inputs in
            let call = NewToolCall(
                runId: runId, requestId: "7", tool: "write_file", sideEffect: "write", arguments: ["path": "a", "text": "b"],
                forwardedArguments: ["path": "/work/a", "text": "b"], decision: .allow)
            return (call, inputs.state.budgets.map(\.runId))
        }
        #expect(decided.verdict == [runId])
        let written = try #require(decided.call)
        #expect(decided.approval == nil)
        #expect(try await store.toolCall(id: written.id) == written)
        #expect(written.status == .forwarded)
        #expect(try await store.run(id: runId)?.usage.toolCalls == 1)
        #expect(try await store.events(runId: runId).last?.kind == "tool.decided")

        let held = try await store.decideToolCall(runId: runId, recentSince: nil, approvalExpiresAt: Date().addingTimeInterval(60)) { _ in
            (NewToolCall(runId: runId, requestId: "8", tool: "deploy", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "deploys")), ())
        }
        let approval = try #require(held.approval)
        #expect(held.call?.approvalId == approval.id)
        #expect(try await store.toolCall(id: try #require(held.call).id) == held.call)
        #expect(try await store.approval(id: approval.id) == approval)
    }

    @Test("decides from the state as it stands, and a nil call writes nothing", arguments: StoreBackend.allCases)
    func decidesFromState(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let runId = run.id
        _ = try await store.setRunStatus(id: runId, status: .halted, reason: "over budget")
        let eventsBefore = try await store.events(runId: runId).count
        let decided = try await store.decideToolCall(runId: runId, recentSince: nil, approvalExpiresAt: nil) { inputs in
            (nil as NewToolCall?, inputs.state.haltReason)
        }
        #expect(decided.verdict == "over budget")
        #expect(decided.call == nil)
        #expect(try await store.toolCalls(runId: runId).isEmpty)
        #expect(try await store.events(runId: runId).count == eventsBefore)
    }

    @Test("reads the run tree's recent calls only when asked", arguments: StoreBackend.allCases)
    func readsRecentCalls(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let parent = try await store.createRun(NewRun())
        let child = try await store.createRun(NewRun(parentRunId: parent.id))
        for (index, runId) in [parent.id, child.id, child.id].enumerated() {
            _ = try await store.beginToolCall(
                NewToolCall(runId: runId, requestId: "\(index)", tool: "search", sideEffect: "read", arguments: [:], decision: .allow),
                approvalExpiresAt: nil)
        }
        let childId = child.id
        let unasked = try await store.decideToolCall(runId: childId, recentSince: nil, approvalExpiresAt: nil) { inputs in
            (nil as NewToolCall?, inputs.recentCalls?.count)
        }
        #expect(unasked.verdict == nil)
        let asked = try await store.decideToolCall(runId: childId, recentSince: Date().addingTimeInterval(-60), approvalExpiresAt: nil) { inputs in
            (nil as NewToolCall?, inputs.recentCalls?.map(\.tool))
        }
        #expect(asked.verdict == ["search", "search", "search"])
    }

    @Test("an unknown run is refused before deciding", arguments: StoreBackend.allCases)
    func unknownRun(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        await #expect(throws: StoreError.notFound("run run_missing")) {
            _ = try await store.decideToolCall(runId: "run_missing", recentSince: nil, approvalExpiresAt: nil) { _ in (nil as NewToolCall?, ()) }
        }
    }
}
