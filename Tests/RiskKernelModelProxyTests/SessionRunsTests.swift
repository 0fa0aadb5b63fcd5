import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@Suite("Session runs")
struct SessionRunsTests {
    func store() throws -> SQLiteStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rk-sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try SQLiteStore(path: folder.appendingPathComponent("db.sqlite").path)
    }

    @Test func keys() {
        #expect(SessionRuns.isValidKey("agent-7"))
        #expect(SessionRuns.isValidKey("team.alice@laptop:1"))
        #expect(!SessionRuns.isValidKey(""))
        #expect(!SessionRuns.isValidKey("a/b"))
        #expect(!SessionRuns.isValidKey("a b"))
        #expect(!SessionRuns.isValidKey(String(repeating: "a", count: 129)))
        #expect(SessionRuns.runId(key: "agent-7") == SessionRuns.runId(key: "agent-7"))
        #expect(SessionRuns.runId(key: "agent-7") != SessionRuns.runId(key: "agent-8"))
    }

    @Test func theFirstUserCreatesItWithItsBudgetAndEveryOtherFindsIt() async throws {
        let store = try store()
        let budget = Budget(dollars: Money(dollars: "0.50"))
        let first = try await SessionRuns.open(key: "agent-7", policyRef: "tiny", budget: budget, in: store)
        let again = try await SessionRuns.open(key: "agent-7", policyRef: "other", budget: .unlimited, in: store)
        #expect(first.id == again.id)
        #expect(again.budget == budget && again.policyRef == "tiny" && again.name == "agent-7")
        #expect(again.metadata["session"] == "agent-7")
        await #expect(throws: StoreError.self) { try await SessionRuns.open(key: "a b", policyRef: nil, budget: .unlimited, in: store) }
    }

    @Test func racingUsersMakeOneRun() async throws {
        let store = try store()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try await SessionRuns.open(key: "race", policyRef: nil, budget: .unlimited, in: store).id }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await store.listRuns(status: nil, limit: 100).count == 1)
    }
}
