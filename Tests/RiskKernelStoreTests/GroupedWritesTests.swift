import Foundation
import RiskKernelCore
@testable import RiskKernelStore
import Testing

/// A group writer whose groups are held until the test lets them finish.
private final class HeldGroups: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [(items: [Int], done: @Sendable (Result<[Result<String, any Error>], any Error>) -> Void)] = []

    func write(_ items: [Int], _ done: @escaping @Sendable (Result<[Result<String, any Error>], any Error>) -> Void) {
        lock.lock()
        groups.append((items, done))
        lock.unlock()
    }

    var sizes: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return groups.map(\.items.count)
    }

    /// Finishes group `index`: odd items fail, even ones are written as "written N".
    func finish(_ index: Int) {
        lock.lock()
        let group = groups[index]
        lock.unlock()
        group.done(.success(group.items.map { $0 % 2 == 1 ? .failure(StoreError.invalidArgument("odd \($0)")) : .success("written \($0)") }))
    }

    func waitForGroups(_ count: Int) async throws {
        for _ in 0..<2000 where sizes.count < count { try await Task.sleep(for: .milliseconds(5)) }
        try #require(sizes.count >= count, "expected \(count) groups, got \(sizes)")
    }
}

@Suite("Grouped writes (group commit for concurrent store writes)")
struct GroupedWritesTests {
    @Test("writes that arrive while a group is written wait and go together in the next group, each with its own result")
    func groupsWhatArrivesMeanwhile() async throws {
        let held = HeldGroups()
        let writes = GroupedWrites<Int, String> { items, done in held.write(items, done) }
        let first = Task { try await writes.write(0) }
        try await held.waitForGroups(1)
        let others = (1...5).map { item in Task { try await writes.write(item) } }
        // Nothing new starts while the first group is in flight.
        try await Task.sleep(for: .milliseconds(100))
        #expect(held.sizes == [1])
        held.finish(0)
        #expect(try await first.value == "written 0")
        try await held.waitForGroups(2)
        #expect(held.sizes == [1, 5])
        held.finish(1)
        for (offset, task) in others.enumerated() {
            let item = offset + 1
            if item % 2 == 1 {
                await #expect(throws: StoreError.invalidArgument("odd \(item)")) { try await task.value }
            } else {
                #expect(try await task.value == "written \(item)")
            }
        }
        // With nothing waiting, the next write starts a group of its own at once.
        let last = Task { try await writes.write(8) }
        try await held.waitForGroups(3)
        #expect(held.sizes == [1, 5, 1])
        held.finish(2)
        #expect(try await last.value == "written 8")
    }

    @Test("a group writer that returns too few results fails the rest instead of leaving them waiting")
    func tooFewResults() async throws {
        let writes = GroupedWrites<Int, String> { _, done in done(.success([])) }
        await #expect(throws: StoreError.self) { try await writes.write(1) }
    }

    @Test("model calls recorded from 64 tasks at once: each recorded once, steps and chain in order, a bad one fails alone")
    func concurrentModelCalls() async throws {
        let store = try SQLiteStore(path: TemporaryFiles.newDirectory() + "/grouped.sqlite")
        let runs = try await (0..<4).asyncMap { index in try await store.createRun(NewRun(name: "run-\(index)")) }
        let perTask = 10
        let outcomes = try await withThrowingTaskGroup(of: (Int, Result<SpendResult, any Error>).self) { group in
            for task in 0..<64 {
                group.addTask {
                    var last: Result<SpendResult, any Error> = .failure(StoreError.notFound("nothing"))
                    for _ in 0..<perTask {
                        let runId = task == 13 ? "run_missing" : runs[task % runs.count].id
                        do { last = .success(try await store.recordModelCall(runId: runId, modelCall(3, 2, micros: 7))) } catch { last = .failure(error) }
                    }
                    return (task, last)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        guard case .failure(let error) = outcomes[13] else { Issue.record("a call to a missing run was recorded"); return }
        #expect(error as? StoreError == .notFound("run run_missing"))
        for run in runs {
            // 16 tasks per run, one of them (task 13, run 1) aimed at the missing run instead.
            let expected = run.name == "run-1" ? 15 * perTask : 16 * perTask
            let after = try #require(try await store.run(id: run.id))
            #expect(after.usage.modelCalls == expected)
            #expect(after.usage.promptTokens == Int64(3 * expected))
            #expect(after.usage.dollars == Money(micros: Int64(7 * expected)))
            #expect(try await store.steps(runId: run.id).map { Int($0.index) } == Array(1...expected))
            #expect(try await store.ledger(runId: run.id).count == expected)
            var previous = EventChain.genesisHash
            let events = try await store.events(runId: run.id)
            #expect(events.count == expected + 1)  // run.started, then one per model call
            for event in events {
                #expect(event.previousHash == previous)
                #expect(EventChain.hash(previousHash: previous, body: event.body) == event.hash)
                previous = event.hash
            }
        }
    }
}
