import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// The behaviour every Store must have, run against each backend.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("policies: upsert keeps createdAt, list, delete", arguments: StoreBackend.allCases)
    func policies(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let first = try await store.upsertPolicy(.named("dev"))
        try await Task.sleep(for: .milliseconds(5))
        let second = try await store.upsertPolicy(.named("dev", budget: Budget(tokens: 5)))
        #expect(second.createdAt == first.createdAt)
        #expect(second.updatedAt > first.updatedAt)
        #expect(try second.policy().budget.tokens == 5)
        _ = try await store.upsertPolicy(.named("prod"))
        #expect(try await store.listPolicies().map(\.name) == ["prod", "dev"])
        #expect(try await store.deletePolicy(named: "dev"))
        #expect(try await store.deletePolicy(named: "dev") == false)
        #expect(try await store.policy(named: "dev") == nil)
    }

    @Test("runs: create, get, list newest first, filter by status, children", arguments: StoreBackend.allCases)
    func runs(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let parent = try await store.createRun(NewRun(name: "parent", policyRef: "dev", budget: Budget(tokens: 100), metadata: ["team": "a"]))
        try await Task.sleep(for: .milliseconds(3))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: parent.id))
        #expect(parent.status == .running)
        #expect(parent.metadata == ["team": "a"])
        #expect(parent.budget.tokens == 100)
        #expect(try await store.listRuns(status: nil, limit: 10).map(\.id) == [child.id, parent.id])
        #expect(try await store.childRuns(of: parent.id).map(\.id) == [child.id])
        let closed = try await store.setRunStatus(id: child.id, status: .completed, reason: nil)
        #expect(closed.endedAt != nil)
        #expect(try await store.listRuns(status: .running, limit: 10).map(\.id) == [parent.id])
        await #expect(throws: StoreError.notFound("parent run nope")) {
            _ = try await store.createRun(NewRun(parentRunId: "nope"))
        }
    }

    @Test("model calls: usage, steps and a halt when the budget is crossed", arguments: StoreBackend.allCases)
    func spend(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(budget: Budget(tokens: 1000, dollars: Money(micros: 10_000_000))))
        let first = try await store.recordModelCall(runId: run.id, modelCall(400, 100, micros: 1_500))
        #expect(!first.halted)
        #expect(first.entry.step == 1)
        #expect(first.run.usage.totalTokens == 500)
        #expect(first.run.usage.dollars == Money(micros: 1_500))
        let second = try await store.recordModelCall(runId: run.id, modelCall(400, 200))
        #expect(second.halted)
        #expect(second.haltReason?.contains("token budget exhausted") == true)
        #expect(second.run.status == .halted)
        #expect(try await store.steps(runId: run.id).map(\.index) == [1, 2])
        #expect(try await store.ledger(runId: run.id).count == 2)
        let state = try await store.governanceState(runId: run.id)
        #expect(state.haltReason != nil)
        await #expect(throws: StoreError.self) { _ = try await store.recordModelCall(runId: run.id, modelCall(-1, 0)) }
    }

    @Test("a parent's budget caps its whole tree, three levels deep, with concurrent children", arguments: StoreBackend.allCases)
    func treeRollUp(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let root = try await store.createRun(NewRun(name: "root", budget: Budget(tokens: 1_000)))
        let middle = try await store.createRun(NewRun(name: "middle", parentRunId: root.id))
        let leaves = [
            try await store.createRun(NewRun(name: "leaf-a", parentRunId: middle.id)),
            try await store.createRun(NewRun(name: "leaf-b", parentRunId: middle.id)),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for leaf in leaves {
                group.addTask {
                    for _ in 0..<30 { _ = try await store.recordModelCall(runId: leaf.id, modelCall(10, 10)) }
                }
            }
            try await group.waitForAll()
        }
        let rootAfter = try #require(try await store.run(id: root.id))
        let middleAfter = try #require(try await store.run(id: middle.id))
        #expect(rootAfter.treeUsage.totalTokens == 1_200)
        #expect(middleAfter.treeUsage.totalTokens == 1_200)
        #expect(rootAfter.usage.totalTokens == 0)
        #expect(rootAfter.status == .halted)
        // The call that crossed 1000 halted the root; the leaves see it as an ancestor's halt.
        let leafState = try await store.governanceState(runId: leaves[0].id)
        #expect(leafState.haltReason?.contains("ancestor run \(root.id)") == true)
        #expect(leafState.budgets.map(\.runId) == [leaves[0].id, middle.id, root.id])
    }

    @Test("concurrent spenders against one budget: every spend is recorded and the halt is exact", arguments: StoreBackend.allCases)
    func concurrentSpend(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(budget: Budget(tokens: 100)))
        let results = try await withThrowingTaskGroup(of: [SpendResult].self) { group in
            for _ in 0..<4 {
                group.addTask { try await (0..<10).asyncMap { _ in try await store.recordModelCall(runId: run.id, modelCall(5, 0)) } }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let after = try #require(try await store.run(id: run.id))
        #expect(after.usage.totalTokens == 200)
        #expect(after.usage.loops == 40)
        // Exactly the spends from the 20th on see the halt: the check happens in the same transaction.
        #expect(results.filter(\.halted).count == 21)
    }

    @Test("tool calls: decided before forwarding, completed after", arguments: StoreBackend.allCases)
    func toolCalls(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let (allowed, none) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "read", sideEffect: "read", arguments: ["path": "a"], decision: .allow),
            approvalExpiresAt: nil)
        #expect(none == nil)
        #expect(allowed.status == .forwarded)
        try await store.completeToolCall(
            id: allowed.id, outcome: ToolCallOutcome(status: .succeeded, result: ["content": []], resultDigest: "d", resultBytes: 14, isError: false, durationMs: 2.5))
        let done = try #require(try await store.toolCall(id: allowed.id))
        #expect(done.status == .succeeded)
        #expect(done.durationMs == 2.5)
        #expect(done.result == ["content": []])
        let (refused, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "2", tool: "rm", sideEffect: "write", arguments: [:], decision: .deny(rule: "allowlist", reason: "no")),
            approvalExpiresAt: nil)
        #expect(refused.status == .refused)
        #expect(refused.reason == "no")
        #expect(try await store.toolCalls(runId: run.id).map(\.id) == [allowed.id, refused.id])
        #expect(try await store.run(id: run.id)?.usage.toolCalls == 2)
    }

    @Test("approvals: resolved only while pending; a waiter sees the decision", arguments: StoreBackend.allCases)
    func approvals(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let (call, maybeApproval) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "7", tool: "commit", sideEffect: "vcs.write", arguments: ["m": "x"], decision: .needsApproval(rule: "tool=commit")),
            approvalExpiresAt: Date().addingTimeInterval(60))
        let approval = try #require(maybeApproval)
        #expect(call.status == .awaitingApproval)
        #expect(approval.status == .pending)
        #expect(approval.rule == "tool=commit")
        #expect(try await store.listApprovals(status: .pending, runId: nil).map(\.id) == [approval.id])

        let waiter = Task { try await store.waitForDecision(approvalId: approval.id, until: Date().addingTimeInterval(10)) }
        try await Task.sleep(for: .milliseconds(30))
        let decided = try await store.resolveApproval(id: approval.id, status: .approved, decidedBy: "alice", reason: "ok")
        let seen = try await waiter.value
        #expect(seen.status == .approved)
        #expect(seen.decidedBy == "alice")
        #expect(decided.decidedAt != nil)
        await #expect(throws: StoreError.notPending(id: approval.id, status: "approved")) {
            _ = try await store.resolveApproval(id: approval.id, status: .denied, decidedBy: "bob", reason: "late")
        }
        await #expect(throws: StoreError.notFound("approval missing")) {
            _ = try await store.resolveApproval(id: "missing", status: .denied, decidedBy: nil, reason: nil)
        }
        let timedOut = try await store.waitForDecision(approvalId: approval.id, until: Date())
        #expect(timedOut.status == .approved)
    }

    @Test("a wait for a decision ends at its deadline", arguments: StoreBackend.allCases)
    func approvalDeadline(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let (_, approval) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "tool=t")),
            approvalExpiresAt: nil)
        let record = try await store.waitForDecision(approvalId: try #require(approval).id, until: Date().addingTimeInterval(0.05))
        #expect(record.status == .pending)
    }

    @Test("facts: put replaces by namespace and key", arguments: StoreBackend.allCases)
    func facts(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        _ = try await store.putFact(namespace: "memory", key: "goal", value: "ship", runId: nil)
        _ = try await store.putFact(namespace: "memory", key: "goal", value: ["text": "ship it"], runId: nil)
        _ = try await store.putFact(namespace: "other", key: "k", value: 1, runId: nil)
        #expect(try await store.fact(namespace: "memory", key: "goal")?.value == ["text": "ship it"])
        #expect(try await store.listFacts(namespace: "memory").count == 1)
        #expect(try await store.listFacts(namespace: nil).count == 2)
        #expect(try await store.fact(namespace: "memory", key: "none") == nil)
    }

    @Test("checkpoints: mark a journal sequence, latest first, limited per run", arguments: StoreBackend.allCases)
    func checkpoints(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let first = try await store.createCheckpoint(runId: run.id, name: "a", payload: ["step": 1])
        _ = try await store.recordModelCall(runId: run.id, modelCall(1, 1))
        let second = try await store.createCheckpoint(runId: run.id, name: "b", payload: ["step": 2])
        #expect(second.sequence > first.sequence)
        #expect(try await store.latestCheckpoint(runId: run.id)?.name == "b")
        #expect(try await store.listCheckpoints(runId: run.id).map(\.name) == ["b", "a"])
        let events = try await store.events(runId: run.id)
        #expect(events.first { $0.sequence == second.sequence }?.kind == "checkpoint.created")
    }

    @Test("summaries group the ledger by provider, model, day, name and a metadata key", arguments: StoreBackend.allCases)
    func summaries(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let a = try await store.createRun(NewRun(name: "alpha", metadata: ["team": "red"]))
        let b = try await store.createRun(NewRun(name: "beta", metadata: ["team": "blue"]))
        _ = try await store.recordModelCall(runId: a.id, modelCall(10, 5, micros: 100, provider: "openai", model: "gpt-4o"))
        _ = try await store.recordModelCall(runId: a.id, modelCall(20, 5, micros: 200, provider: "anthropic", model: "claude"))
        _ = try await store.recordModelCall(runId: b.id, modelCall(30, 5, micros: 300, provider: "anthropic", model: "claude"))

        let byProvider = try await store.summarize(by: .provider, since: nil, until: nil)
        #expect(byProvider.groups.map(\.key) == ["anthropic", "openai"])
        #expect(byProvider.groups[0].calls == 2)
        #expect(byProvider.groups[0].promptTokens == 50)
        #expect(byProvider.total.dollars == Money(micros: 600))
        #expect(byProvider.total.calls == 3)

        let byTeam = try await store.summarize(by: .metadata("team"), since: nil, until: nil)
        #expect(Dictionary(uniqueKeysWithValues: byTeam.groups.map { ($0.key, $0.dollars.micros) }) == ["red": 300, "blue": 300])
        let byName = try await store.summarize(by: .name, since: nil, until: nil)
        #expect(Set(byName.groups.map(\.key)) == ["alpha", "beta"])
        let byDay = try await store.summarize(by: .day, since: nil, until: nil)
        #expect(byDay.groups.count == 1)
        #expect(byDay.groups[0].key.count == 10)
        let future = try await store.summarize(by: .model, since: Date().addingTimeInterval(3600), until: nil)
        #expect(future.groups.isEmpty)
        #expect(future.total.calls == 0)
        let past = try await store.summarize(by: .model, since: nil, until: Date().addingTimeInterval(-3600))
        #expect(past.groups.isEmpty)
    }

    @Test("metadata keys are validated, never spliced into SQL")
    func metadataKeys() {
        #expect(SummaryGrouping("metadata.team") == .metadata("team"))
        #expect(SummaryGrouping("metadata.a') OR 1=1 --") == nil)
        #expect(SummaryGrouping("metadata.") == nil)
        #expect(SummaryGrouping("bogus") == nil)
    }

    @Test("every write appends to the run's hash chain", arguments: StoreBackend.allCases)
    func chain(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun(name: "chained"))
        _ = try await store.recordModelCall(runId: run.id, modelCall(1, 1))
        let (call, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "read", arguments: ["secret": "x"], decision: .allow), approvalExpiresAt: nil)
        _ = try await store.completeToolCall(id: call.id, outcome: ToolCallOutcome(status: .succeeded, isError: false, durationMs: 1))
        _ = try await store.setRunStatus(id: run.id, status: .completed, reason: nil)
        let events = try await store.events(runId: run.id)
        #expect(events.map(\.kind) == ["run.started", "model.recorded", "tool.decided", "tool.completed", "run.status"])
        var previous = EventChain.genesisHash
        for (index, event) in events.enumerated() {
            #expect(event.sequence == Int64(index + 1))
            #expect(event.previousHash == previous)
            #expect(event.hash == EventChain.hash(previousHash: event.previousHash, body: event.body))
            previous = event.hash
        }
        // Events hold digests of arguments, not the arguments.
        #expect(!CanonicalJSON.string(events[2].body).contains("secret"))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
