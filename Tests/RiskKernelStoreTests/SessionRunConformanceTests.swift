import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Sessions on every backend: one run per key, made by the first user, found by every other.
@Suite("Session runs")
struct SessionRunConformanceTests {
    @Test func keys() {
        #expect(SessionRuns.isValidKey("agent-7"))
        #expect(SessionRuns.isValidKey("team.alice@laptop:1"))
        #expect(!SessionRuns.isValidKey(""))
        #expect(!SessionRuns.isValidKey("a/b"))
        #expect(!SessionRuns.isValidKey("a b"))
        #expect(!SessionRuns.isValidKey("é"))
        #expect(!SessionRuns.isValidKey(String(repeating: "a", count: 129)))
        #expect(SessionRuns.runId(key: "agent-7") == SessionRuns.runId(key: "agent-7"))
        #expect(SessionRuns.runId(key: "agent-7") != SessionRuns.runId(key: "agent-8"))
        #expect(SessionRuns.runId(key: "agent-7").hasPrefix("run_") && SessionRuns.runId(key: "agent-7").count == 16)
    }

    @Test(arguments: StoreBackend.allCases)
    func theFirstUserCreatesItWithItsBudgetAndEveryOtherFindsIt(_ backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let budget = Budget(dollars: Money(dollars: "0.50"))
        let first = try await SessionRuns.open(key: "agent-7", policyRef: "tiny", budget: budget, in: store)
        let again = try await SessionRuns.open(key: "agent-7", policyRef: "other", budget: .unlimited, in: store)
        #expect(first.id == again.id)
        #expect(again.budget == budget && again.policyRef == "tiny" && again.name == "agent-7")
        #expect(again.metadata["session"] == "agent-7")
        await #expect(throws: StoreError.self) { try await SessionRuns.open(key: "a b", policyRef: nil, budget: .unlimited, in: store) }
    }

    @Test(arguments: StoreBackend.allCases)
    func racingUsersMakeOneRun(_ backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try await SessionRuns.open(key: "race", policyRef: nil, budget: .unlimited, in: store).id }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await store.listRuns(status: nil, limit: 100).count == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func modelSpendOfTheSessionStopsItsChildren(_ backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let session = try await SessionRuns.open(key: "agent", policyRef: nil, budget: Budget(dollars: Money(dollars: "0.01")), in: store)
        let gateway = try await store.createRun(NewRun(parentRunId: session.id, metadata: [SessionRuns.metadataKey: "agent"]))
        #expect(try await store.governanceState(runId: gateway.id).stopReason == nil)
        let spend = try await store.recordModelCall(runId: session.id, NewModelCall(
            provider: "openai", model: "m", promptTokens: 1, completionTokens: 1, cachedPromptTokens: 0,
            dollars: Money(dollars: "0.02")!, priced: true, responseId: nil))
        #expect(spend.halted)
        let reason = try #require(try await store.governanceState(runId: gateway.id).stopReason)
        #expect(reason.contains("dollar budget"))
    }
}
