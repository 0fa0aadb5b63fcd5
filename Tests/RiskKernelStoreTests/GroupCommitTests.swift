import Foundation
import RiskKernelCore
@testable import RiskKernelStore
import Testing

/// A group writer whose groups are held until the test lets them finish.
private final class HeldGroups: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [(entries: [Int], onCallingThread: Bool, written: @Sendable () -> Void)] = []

    var write: GroupCommit<Int>.WriteGroup {
        { entries, onCallingThread, written in
            self.lock.withLock { self.groups.append((entries, onCallingThread, written)) }
        }
    }

    var groupsWritten: [[Int]] { lock.withLock { groups.map(\.entries) } }
    var onCallingThread: [Bool] { lock.withLock { groups.map(\.onCallingThread) } }

    func finish(_ index: Int) {
        lock.withLock { groups[index] }.written()
    }

    func waitForGroups(_ count: Int) async throws {
        for _ in 0..<2000 where groupsWritten.count < count { try await Task.sleep(for: .milliseconds(5)) }
        try #require(groupsWritten.count >= count, "expected \(count) groups, got \(groupsWritten)")
    }
}

/// Jobs submitted by ``GroupStart/scheduled(by:)``, run when the test says.
private final class HeldJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [@Sendable () -> Void] = []

    var scheduler: GroupStart.Scheduler { { job in self.lock.withLock { self.jobs.append(job) } } }
    var count: Int { lock.withLock { jobs.count } }

    func runAll() {
        let taken = lock.withLock { defer { jobs = [] }; return jobs }
        for job in taken { job() }
    }
}

@Suite("Group commit: the store's one queue of ledger writes")
struct GroupCommitTests {
    typealias State = GroupCommitState<Int>

    /// The entries of a `.write` action, or `nil`.
    private func written(_ action: State.Action) -> (entries: [Int], onCallingThread: Bool)? {
        if case .write(let entries, let onCallingThread) = action { return (entries, onCallingThread) }
        return nil
    }

    @Test("a write begun now is written at once; what arrives meanwhile waits and is written next, in order")
    func nowAndWhatArrivesMeanwhile() {
        var state = State()
        #expect(written(state.add(1, start: .now))?.entries == [1])
        #expect(written(state.add(2, start: .now)) == nil)
        #expect(written(state.add(3, start: .within(.milliseconds(5)))) == nil)
        let next = written(state.groupWritten())
        #expect(next?.entries == [2, 3])
        #expect(next?.onCallingThread == false)
        #expect(written(state.groupWritten()) == nil)
    }

    @Test("a scheduled start: the writes added before its job runs join its group, written on the job's thread")
    func scheduledStart() {
        var state = State()
        let jobs = HeldJobs()
        guard case .schedule = state.add(1, start: .scheduled(by: jobs.scheduler)) else { Issue.record("no job scheduled"); return }
        guard case .none = state.add(2, start: .scheduled(by: jobs.scheduler)) else { Issue.record("a second job"); return }
        guard case .none = state.add(3, start: .within(.milliseconds(5))) else { Issue.record("a delay begun under a scheduled job"); return }
        guard case .none = state.add(4, start: .now) else { Issue.record("a group begun ahead of the scheduled job"); return }
        let group = written(state.scheduledJobRan())
        #expect(group?.entries == [1, 2, 3, 4])
        #expect(group?.onCallingThread == true)
    }

    @Test("a scheduled write added while a group is written schedules no job: it joins the next group, on the writer")
    func scheduledWhileWriting() {
        var state = State()
        let jobs = HeldJobs()
        #expect(written(state.add(1, start: .now))?.entries == [1])
        guard case .none = state.add(2, start: .scheduled(by: jobs.scheduler)) else { Issue.record("a job scheduled while writing"); return }
        #expect(written(state.groupWritten())?.entries == [2])
    }

    @Test("a write within a delay waits for another's group; after the delay it is written alone")
    func withinDelay() {
        var state = State()
        guard case .wait(let delay) = state.add(1, start: .within(.milliseconds(5))) else { Issue.record("no delay"); return }
        #expect(delay == .milliseconds(5))
        guard case .none = state.add(2, start: .within(.milliseconds(5))) else { Issue.record("a second delay"); return }
        #expect(written(state.add(3, start: .now))?.entries == [1, 2, 3])
        #expect(written(state.delayElapsed()) == nil)  // taken by the group begun for 3
        #expect(written(state.groupWritten()) == nil)
        guard case .wait = state.add(4, start: .within(.milliseconds(5))) else { Issue.record("no delay"); return }
        #expect(written(state.delayElapsed())?.entries == [4])
    }

    /// One step of the property test: add a write, or let one pending thing happen.
    private enum Step: CaseIterable { case addNow, addScheduled, addWithin, runJob, elapse, finishGroup }

    @Test("property: over random interleavings every write is written exactly once, in order, one group at a time, and nothing is left waiting")
    func randomInterleavings() {
        var generator = SystemRandomNumberGenerator()
        let jobs = HeldJobs()
        for _ in 0..<300 {
            var state = State()
            var next = 0
            var written: [Int] = []
            var inFlight: [Int]?
            var pendingJobs = 0
            var pendingDelays = 0
            func apply(_ action: State.Action) {
                switch action {
                case .none: break
                case .write(let entries, _):
                    #expect(inFlight == nil, "a second group began while one was written")
                    #expect(!entries.isEmpty)
                    inFlight = entries
                case .schedule: pendingJobs += 1
                case .wait: pendingDelays += 1
                }
            }
            for _ in 0..<200 {
                switch Step.allCases.randomElement(using: &generator)! {
                case .addNow: apply(state.add(next, start: .now)); next += 1
                case .addScheduled: apply(state.add(next, start: .scheduled(by: jobs.scheduler))); next += 1
                case .addWithin: apply(state.add(next, start: .within(.milliseconds(5)))); next += 1
                case .runJob where pendingJobs > 0: pendingJobs -= 1; apply(state.scheduledJobRan())
                case .elapse where pendingDelays > 0: pendingDelays -= 1; apply(state.delayElapsed())
                case .finishGroup where inFlight != nil:
                    written += inFlight!
                    inFlight = nil
                    apply(state.groupWritten())
                default: break
                }
            }
            // Let everything pending happen.
            while inFlight != nil || pendingJobs > 0 || pendingDelays > 0 {
                if let group = inFlight {
                    written += group
                    inFlight = nil
                    apply(state.groupWritten())
                } else if pendingJobs > 0 {
                    pendingJobs -= 1
                    apply(state.scheduledJobRan())
                } else {
                    pendingDelays -= 1
                    apply(state.delayElapsed())
                }
            }
            #expect(written == Array(0..<next))
            #expect(pendingJobs == 0 && pendingDelays == 0)
        }
    }

    @Test("the driver: one group in flight at a time, scheduled groups written on the job's thread, delays waited out")
    func driver() async throws {
        let held = HeldGroups()
        let jobs = HeldJobs()
        let commit = GroupCommit<Int>()
        commit.add(0, start: .now, writeGroup: held.write)
        try await held.waitForGroups(1)
        commit.add(1, start: .now, writeGroup: held.write)
        commit.add(2, start: .scheduled(by: jobs.scheduler), writeGroup: held.write)
        // Nothing new begins while the first group is in flight.
        try await Task.sleep(for: .milliseconds(50))
        #expect(held.groupsWritten == [[0]])
        #expect(jobs.count == 0)
        held.finish(0)
        try await held.waitForGroups(2)
        #expect(held.groupsWritten == [[0], [1, 2]])
        held.finish(1)
        // Idle: a scheduled write waits for its job, and takes what was added before it ran.
        commit.add(3, start: .scheduled(by: jobs.scheduler), writeGroup: held.write)
        commit.add(4, start: .within(.milliseconds(1)), writeGroup: held.write)
        try await Task.sleep(for: .milliseconds(50))
        #expect(held.groupsWritten.count == 2)
        jobs.runAll()
        try await held.waitForGroups(3)
        #expect(held.groupsWritten[2] == [3, 4])
        #expect(held.onCallingThread == [false, false, true])
        held.finish(2)
        // A write within a delay is written alone once it passed.
        commit.add(5, start: .within(.milliseconds(5)), writeGroup: held.write)
        try await held.waitForGroups(4)
        #expect(held.groupsWritten[3] == [5])
        held.finish(3)
    }

    @Test("decisions, outcomes and model calls from many tasks share the one queue: each written once with its own result, totals and chains intact")
    func mixedWrites() async throws {
        let store = try SQLiteStore(path: TemporaryFiles.newDirectory() + "/mixed.sqlite")
        let run = try await store.createRun(NewRun(name: "mixed"))
        let callIds = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<32 {
                group.addTask {
                    var ids: [String] = []
                    for index in 0..<5 {
                        let request = DecisionRequest<Int>(runId: run.id, recentSince: nil, approvalExpiresAt: nil) { _ in
                            (NewToolCall(runId: run.id, requestId: "\(task)-\(index)", tool: "t\(task)", sideEffect: "read", arguments: [:], decision: .allow), task)
                        }
                        let writes: [LedgerWrite<Int>] = [.decision(request), .modelCall(runId: run.id, modelCall(2, 1, micros: 3))]
                        let results = await store.write(writes)
                        #expect(try results[0].get().decision().verdict == task)
                        #expect(try results[1].get().spend().run.id == run.id)
                        let id = try #require(try results[0].get().decision().call?.id)
                        try await store.completeToolCall(id: id, outcome: ToolCallOutcome(status: .succeeded, isError: false, durationMs: 1))
                        ids.append(id)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(callIds).count == 160)
        let after = try #require(try await store.run(id: run.id))
        #expect(after.usage.modelCalls == 160)
        #expect(after.usage.toolCalls == 160)
        #expect(after.usage.dollars == Money(micros: 480))
        #expect(try await store.toolCalls(runId: run.id).allSatisfy { $0.status == .succeeded })
        // The chain holds and the stored totals are what it gives: a decision checks them.
        #expect(try await store.governanceState(runId: run.id).stopReason == nil)
        var previous = EventChain.genesisHash
        for event in try await store.events(runId: run.id) {
            #expect(event.previousHash == previous)
            #expect(EventChain.hash(previousHash: previous, body: event.body) == event.hash)
            previous = event.hash
        }
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
