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
                forwardedArguments: ["path": "/srv/data/a", "text": "b"], decision: .allow)
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

/// The group commits the gateway makes: many decisions or outcomes in one transaction.
@Suite("Store conformance: group commits")
struct GroupCommitConformanceTests {
    @Test("decisions in one group see those before them, and one that fails fails alone", arguments: StoreBackend.allCases)
    func decisionsInOneGroup(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let runId = run.id
        func request(_ index: Int, runId: String) -> DecisionRequest<Int64> {
            DecisionRequest(runId: runId, recentSince: Date().addingTimeInterval(-60), approvalExpiresAt: nil) { inputs in
                let call = NewToolCall(runId: runId, requestId: "\(index)", tool: "search", sideEffect: "read", arguments: ["n": .integer(Int64(index))], decision: .allow)
                return (call, Int64(inputs.recentCalls?.count ?? -1))
            }
        }
        let results = await store.decideToolCalls([request(0, runId: runId), request(1, runId: "run_missing"), request(2, runId: runId), request(3, runId: runId)])
        #expect(results.count == 4)
        #expect(try results[0].get().verdict == 0)
        #expect(throws: StoreError.notFound("run run_missing")) { try results[1].get() }
        // The third and fourth saw the calls recorded before them in the same transaction.
        #expect(try results[2].get().verdict == 1)
        #expect(try results[3].get().verdict == 2)
        #expect(try await store.toolCalls(runId: runId).map(\.requestId) == ["0", "2", "3"])
        #expect(try await store.run(id: runId)?.usage.toolCalls == 3)
        let decidedEvents = try await store.events(runId: runId).filter { $0.kind == "tool.decided" }.count
        #expect(decidedEvents == 3)
    }

    @Test("outcomes in one group, with an unknown call failing alone", arguments: StoreBackend.allCases)
    func outcomesInOneGroup(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        var ids: [String] = []
        for index in 0..<3 {
            let (call, _) = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "\(index)", tool: "search", sideEffect: "read", arguments: [:], decision: .allow),
                approvalExpiresAt: nil)
            ids.append(call.id)
        }
        let outcome = ToolCallOutcome(status: .succeeded, result: ["content": []], resultDigest: "d", resultBytes: 14, isError: false, durationMs: 1)
        let results = await store.completeToolCalls(
            [ToolCallCompletion(id: ids[0], outcome: outcome), ToolCallCompletion(id: "call_missing", outcome: outcome), ToolCallCompletion(id: ids[2], outcome: outcome)])
        #expect(results.count == 3)
        #expect((try? results[0].get()) != nil)
        #expect(throws: StoreError.notFound("tool call call_missing")) { try results[1].get() }
        #expect((try? results[2].get()) != nil)
        #expect(try await store.toolCalls(runId: run.id).map(\.status) == [.succeeded, .forwarded, .succeeded])
        #expect(try await store.events(runId: run.id).filter { $0.kind == "tool.completed" }.count == 2)
    }
}
