import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// A budget decision reads totals that `riskkernel audit verify` would accept: a run's totals or
/// status edited in the database (lowered spend, a halted run set running, a chain edited with
/// them) make the decision fail with ``StoreError/tampered(runId:detail:)`` instead of letting a
/// call through on them, on both stores.
@Suite("Store conformance: budget decisions read totals the chain gives")
struct BudgetTotalsConformanceTests {
    typealias Tamperable = RecordCoverageConformanceTests.Tamperable

    /// A parent with a 1000-token budget and a child that spent 700 + 200 of it.
    struct Tree {
        var parent: String
        var child: String
    }

    static func spend(_ store: any Store) async throws -> Tree {
        let parent = try await store.createRun(NewRun(name: "parent", budget: Budget(tokens: 1000)))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: parent.id))
        _ = try await store.recordModelCall(runId: child.id, modelCall(700, 200))
        return Tree(parent: parent.id, child: child.id)
    }

    /// Decides a call of `runId` as the gateway does: refused when a budget in force is used up
    /// or the run is halted; returns why it was refused, `nil` when it was let through.
    static func decide(_ store: any Store, runId: String) async throws -> String? {
        try await store.decideToolCalls([request(runId: runId)])[0].get().verdict
    }

    /// The decision of one call of `runId`, as a gateway asks the store for it.
    static func request(runId: String) -> DecisionRequest<String?> {
        DecisionRequest(runId: runId, recentSince: nil, approvalExpiresAt: nil) { inputs in
            let reason = inputs.state.stopReason
            let decision: Decision = reason.map { .deny(rule: "budget", reason: $0) } ?? .allow
            return (NewToolCall(runId: runId, requestId: UUID().uuidString, tool: "search", sideEffect: "read", arguments: [:], decision: decision), reason)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Spend past the budget first, so that the run tree is halted.
        var overspend: Bool
        var sql: @Sendable (Tree) -> String
        /// The run the refusal names.
        var names: @Sendable (Tree) -> String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a run's spend lowered with its tree's", overspend: false,
             sql: { "UPDATE runs SET prompt_tokens = prompt_tokens - 600, tree_prompt_tokens = tree_prompt_tokens - 600 WHERE id = '\($0.child)'" },
             names: \.child),
        Case(name: "an ancestor's tree spend lowered", overspend: false,
             sql: { "UPDATE runs SET tree_prompt_tokens = tree_prompt_tokens - 600 WHERE id = '\($0.parent)'" }, names: \.parent),
        Case(name: "a halted run set running, its spend lowered", overspend: true,
             sql: {
                 "UPDATE runs SET status = 'running', halt_reason = NULL, tree_prompt_tokens = 0, prompt_tokens = 0, tree_completion_tokens = 0 "
                     + "WHERE id = '\($0.parent)'"
             },
             names: \.parent),
        Case(name: "a spend's event edited with the row", overspend: false,
             sql: {
                 "UPDATE events SET body = replace(body, '\"promptTokens\":700', '\"promptTokens\":7') WHERE run_id = '\($0.child)'; "
                     + "UPDATE runs SET prompt_tokens = 7, tree_prompt_tokens = 7 WHERE id = '\($0.child)'; "
                     + "UPDATE runs SET tree_prompt_tokens = 7 WHERE id = '\($0.parent)'"
             },
             names: \.child),
    ]

    @Test("an edited total or status is refused, not decided on", arguments: StoreBackend.allCases, cases)
    func tamperedTotalsAreRefused(backend: StoreBackend, tampering: Case) async throws {
        let target = try Tamperable.make(backend)
        let store = target.store
        let tree = try await Self.spend(store)
        // Decided on the true totals first, so that what the chain gives is known to the store.
        #expect(try await Self.decide(store, runId: tree.child) == nil)
        if tampering.overspend {
            _ = try await store.recordModelCall(runId: tree.child, modelCall(100, 50))
            #expect(try await Self.decide(store, runId: tree.child) != nil, "over its budget, the tree refuses calls")
        }
        try target.execute(tampering.sql(tree))
        let named = tampering.names(tree)
        for runId in [tree.child, tree.parent] {
            await #expect("\(tampering.name): a call of \(runId)") {
                _ = try await Self.decide(store, runId: runId)
            } throws: { error in
                guard case .tampered(let runId, _) = error as? StoreError else { return false }
                return runId == named && "\(error)".contains("disagrees with its hash chain")
            }
        }
        // Nor is the state the LLM proxy checks before it forwards a model call.
        await #expect(throws: StoreError.self) { _ = try await store.governanceState(runId: tree.child) }
        // Another store on the same database (another gateway) does not trust them either.
        let fresh = try target.reopen()
        await #expect(throws: StoreError.self) { _ = try await Self.decide(fresh, runId: tree.child) }
    }

    /// The check the LLM proxy makes before it forwards a call, made first: on SQLite it skips the
    /// totals' check while no other connection committed, and the edit is another connection's.
    @Test("the LLM proxy's check, having passed on the true totals, refuses edited ones", arguments: StoreBackend.allCases, cases)
    func tamperedTotalsFailTheProxysCheck(backend: StoreBackend, tampering: Case) async throws {
        let target = try Tamperable.make(backend)
        let store = target.store
        let tree = try await Self.spend(store)
        #expect(try await store.governanceState(runId: tree.child).stopReason == nil)
        if tampering.overspend {
            _ = try await store.recordModelCall(runId: tree.child, modelCall(100, 50))
            #expect(try await store.governanceState(runId: tree.child).stopReason != nil, "over its budget, the session is refused")
        }
        // Checked again with nothing changed: still passes, from what the store remembers.
        _ = try await store.governanceState(runId: tree.child)
        try target.execute(tampering.sql(tree))
        let named = tampering.names(tree)
        await #expect("\(tampering.name)") {
            _ = try await store.governanceState(runId: tree.child)
        } throws: { error in
            guard case .tampered(let runId, _) = error as? StoreError else { return false }
            return runId == named
        }
    }

    @Test("totals written by other stores of the database are followed", arguments: StoreBackend.allCases)
    func followsOtherWriters(backend: StoreBackend) async throws {
        let target = try Tamperable.make(backend)
        let tree = try await Self.spend(target.store)
        let other = try target.reopen()
        #expect(try await Self.decide(target.store, runId: tree.child) == nil)
        _ = try await other.recordModelCall(runId: tree.child, modelCall(40, 10))
        _ = try await other.recordToolSpend(runId: tree.parent, callId: "call_1", tool: "search", dollars: Money(micros: 5))
        #expect(try await Self.decide(other, runId: tree.parent) == nil)
        #expect(try await Self.decide(target.store, runId: tree.child) == nil)
        _ = try await other.recordModelCall(runId: tree.child, modelCall(40, 10))
        let refused = try await Self.decide(target.store, runId: tree.child)
        #expect(refused?.contains("token") == true, "1000 tokens spent: \(refused ?? "let through")")
    }
}
