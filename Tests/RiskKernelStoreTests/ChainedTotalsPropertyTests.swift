import Foundation
import RiskKernelCore
@testable import RiskKernelStore
import SeededRandom
import Testing

/// What a store remembers of each run's chain (advanced by its own writes, followed by reading
/// others') never lets a decision differ from one made by a store that has just read every chain
/// from its start: random writes by two stores of one database (model calls, tool decisions in
/// groups, outcomes, tool spend, halts), each followed by the same decision on every store; then
/// an edited total, which every store refuses to decide on.
@Suite("Store conformance: remembered chain heads agree with a fresh read")
struct ChainedTotalsPropertyTests {
    typealias Tamperable = RecordCoverageConformanceTests.Tamperable

    enum Step: CaseIterable {
        case modelCall, decisions, completion, toolSpend, halt
    }

    @Test("random writes by two stores, each followed by one decision on three", arguments: StoreBackend.allCases)
    func decisionsAgree(backend: StoreBackend) async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let target = try Tamperable.make(backend)
        let writers = [target.store, try target.reopen()]
        let root = try await writers[0].createRun(NewRun(name: "root", budget: Budget(tokens: 50_000)))
        let child = try await writers[1].createRun(NewRun(name: "child", parentRunId: root.id))
        let grandchild = try await writers[0].createRun(NewRun(name: "grandchild", parentRunId: child.id))
        let runs = [root.id, child.id, grandchild.id]
        var decided: [String] = []
        for step in 0..<(backend == .sqlite ? 60 : 25) {
            let writer = random.pick(writers)
            let runId = random.pick(runs)
            let kind = random.pick(Step.allCases)
            switch kind {
            case .modelCall:
                _ = try await writer.recordModelCall(runId: runId, modelCall(Int64(random.int(1...3000)), Int64(random.int(0...500)), micros: Int64(random.int(0...900))))
            case .decisions:
                // A group of decisions in one transaction; a failing one (an unknown run) rolls back alone.
                var requests = (0..<random.int(1...3)).map { _ in BudgetTotalsConformanceTests.request(runId: random.pick(runs)) }
                if random.chance(0.3) { requests.insert(BudgetTotalsConformanceTests.request(runId: "run_missing"), at: random.int(0...requests.count)) }
                for result in await writer.decideToolCalls(requests) {
                    if case .success(let recorded) = result, let call = recorded.call { decided.append(call.id) }
                }
            case .completion:
                guard let id = decided.popLast() else { continue }
                try await writer.completeToolCall(id: id, outcome: ToolCallOutcome(status: .succeeded, isError: false, durationMs: 1))
            case .toolSpend:
                _ = try await writer.recordToolSpend(runId: runId, callId: "call_\(step)", tool: "search", dollars: Money(micros: Int64(random.int(1...5000))))
            case .halt:
                guard random.chance(0.3) else { continue }
                _ = try await writer.setRunStatus(id: runId, status: .halted, reason: "stopped by a test")
            }
            let asked = random.pick(runs)
            let fresh = try target.reopen()
            let expected = try await BudgetTotalsConformanceTests.decide(fresh, runId: asked)
            for (index, store) in writers.enumerated() {
                let verdict = try await BudgetTotalsConformanceTests.decide(store, runId: asked)
                #expect(verdict == expected, "seed \(seed), step \(step) (\(kind)): store \(index) decided \(verdict ?? "allow"), a fresh one \(expected ?? "allow")")
                let state = try await store.governanceState(runId: asked)
                let freshState = try await fresh.governanceState(runId: asked)
                #expect(state.stopReason == freshState.stopReason, "seed \(seed), step \(step): governance state")
            }
        }
        let edited = random.pick(runs)
        let column = random.pick(["prompt_tokens", "completion_tokens", "dollars_micros", "tool_calls", "tree_prompt_tokens"])
        try target.execute("UPDATE runs SET \(column) = \(column) + 1 WHERE id = '\(edited)'")
        for store in writers + [try target.reopen()] {
            await #expect("seed \(seed): \(column) of \(edited) edited") {
                _ = try await BudgetTotalsConformanceTests.decide(store, runId: grandchild.id)
            } throws: { error in
                guard case .tampered = error as? StoreError else { return false }
                return true
            }
        }
    }
}

/// The remembered heads themselves, without a database.
@Suite("ChainedTotals: heads advanced by the store's own writes")
struct ChainedTotalsTests {
    static func row(_ runId: String, length: Int64, head: String, usage: Usage = Usage()) -> StoredTotals {
        StoredTotals(runId: runId, parentRunId: nil, usage: usage, treeUsage: usage, chainLength: length, chainHead: head, status: "running")
    }

    static func event(_ runId: String, sequence: Int64, after previous: String, data: JSONValue) -> (body: JSONValue, hash: String) {
        let body = EventChain.body(runId: runId, sequence: sequence, kind: "model.recorded", at: Date(timeIntervalSince1970: 1), data: data)
        return (body, EventChain.hash(previousHash: previous, body: body))
    }

    @Test("an own write is not read again; one rolled back is replaced; a contradicted head makes the chain be read from its start")
    func ownWritesAndRollbacks() throws {
        let totals = ChainedTotals()
        var heads: [String: ChainedTotals.Head] = [:]
        let spent: JSONValue = ["promptTokens": 10, "completionTokens": 2, "dollars": "0.000100"]
        let first = Self.event("run_1", sequence: 1, after: EventChain.genesisHash, data: spent)
        totals.appended(runId: "run_1", sequence: 1, previousHash: EventChain.genesisHash, hash: first.hash, body: first.body)
        let usage = EventChain.spend(of: first.body)
        #expect(usage.promptTokens == 10 && usage.modelCalls == 1)
        let committed = Self.row("run_1", length: 1, head: first.hash, usage: usage)
        #expect(totals.ranges(for: [committed]).isEmpty, "its own write is not read again")
        #expect(try totals.check([committed], ranges: [], events: [:], heads: &heads).isEmpty)
        // An edited total is refused on what the known head says.
        let lowered = Self.row("run_1", length: 1, head: first.hash, usage: Usage())
        #expect(throws: StoreError.self) {
            var fresh: [String: ChainedTotals.Head] = [:]
            _ = try totals.check([lowered], ranges: totals.ranges(for: [lowered]), events: [:], heads: &fresh)
        }
        // An append that does not follow the known head is left for the next check to read.
        let elsewhere = Self.event("run_1", sequence: 3, after: first.hash, data: spent)
        totals.appended(runId: "run_1", sequence: 3, previousHash: first.hash, hash: elsewhere.hash, body: elsewhere.body)
        #expect(totals.ranges(for: [committed]).isEmpty)
        // An append rolled back: the row still ends at 1, and the head there is still remembered.
        let rolledBack = Self.event("run_1", sequence: 2, after: first.hash, data: spent)
        totals.appended(runId: "run_1", sequence: 2, previousHash: first.hash, hash: rolledBack.hash, body: rolledBack.body)
        #expect(totals.ranges(for: [committed]).isEmpty)
        heads = [:]
        #expect(try totals.check([committed], ranges: [], events: [:], heads: &heads).isEmpty)
        // The append that committed at 2 takes the rolled-back one's place.
        let kept = Self.event("run_1", sequence: 2, after: first.hash, data: ["promptTokens": 5, "dollars": "0"])
        totals.appended(runId: "run_1", sequence: 2, previousHash: first.hash, hash: kept.hash, body: kept.body)
        let second = Self.row("run_1", length: 2, head: kept.hash, usage: usage + EventChain.spend(of: kept.body))
        #expect(totals.ranges(for: [second]).isEmpty)
        heads = [:]
        #expect(try totals.check([second], ranges: [], events: [:], heads: &heads).isEmpty)
        // A stored head that is not the one remembered at its length: the chain is read from its start.
        let rewritten = Self.row("run_1", length: 2, head: rolledBack.hash, usage: usage + usage)
        #expect(totals.ranges(for: [rewritten]) == [EventRange(runId: "run_1", after: 0, through: 2)])
    }

    @Test("a run's remembered heads keep at least the last window of appends and never more than a quarter over it")
    func headWindow() {
        let totals = ChainedTotals()
        var hashes = [EventChain.genesisHash]
        let appends = ChainedTotals.window * 4 + 7
        for sequence in 1...Int64(appends) {
            let made = Self.event("run_1", sequence: sequence, after: hashes.last!, data: ["n": .integer(sequence)])
            totals.appended(runId: "run_1", sequence: sequence, previousHash: hashes.last!, hash: made.hash, body: made.body)
            hashes.append(made.hash)
            // Every head of the last window is known: a row that stops there needs no read.
            let back = Int64.random(in: 0..<Int64(ChainedTotals.window))
            let length = max(0, sequence - back)
            #expect(totals.ranges(for: [Self.row("run_1", length: length, head: hashes[Int(length)])]).isEmpty)
        }
        // Further back than a window and a quarter, the chain is read again from its start.
        let old = Int64(appends - ChainedTotals.window - ChainedTotals.window / 4 - 1)
        #expect(totals.ranges(for: [Self.row("run_1", length: old, head: hashes[Int(old)])]) == [EventRange(runId: "run_1", after: 0, through: old)])
    }

    @Test("a tree checked at a database version is not checked again until the version moves; the notes are bounded")
    func checkedTrees() {
        let totals = ChainedTotals(runCapacity: 3)
        #expect(!totals.wasChecked("run_a", atVersion: 1))
        totals.checked("run_a", atVersion: 1)
        #expect(totals.wasChecked("run_a", atVersion: 1))
        #expect(!totals.wasChecked("run_b", atVersion: 1))
        // Another connection committed: every tree is checked again.
        #expect(!totals.wasChecked("run_a", atVersion: 2))
        // A check that began before the version moved notes nothing.
        totals.checked("run_b", atVersion: 1)
        #expect(!totals.wasChecked("run_b", atVersion: 2))
        for run in ["run_a", "run_b", "run_c"] { totals.checked(run, atVersion: 2) }
        #expect(["run_a", "run_b", "run_c"].allSatisfy { totals.wasChecked($0, atVersion: 2) })
        totals.checked("run_d", atVersion: 2)
        #expect(totals.wasChecked("run_d", atVersion: 2))
        #expect(!totals.wasChecked("run_a", atVersion: 2), "past the capacity, the notes start again")
    }

    /// Many runs, few remembered: random appends of this process and of another (only readable),
    /// each followed by a check of a random group of runs, read as the stores do (pass after pass
    /// until nothing is left to read). The runs remembered never exceed the capacity, a check of
    /// true totals always passes within three passes, and an edited total is always refused.
    @Test("past its run capacity the store forgets the runs used least recently, and checks still agree")
    func runCapacity() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let capacity = 4
        let totals = ChainedTotals(runCapacity: capacity)
        let runIds = (1...12).map { "run_\($0)" }
        var stored: [String: [EventRecord]] = Dictionary(uniqueKeysWithValues: runIds.map { ($0, []) })
        func row(_ runId: String) -> StoredTotals {
            let events = stored[runId] ?? []
            let usage = events.reduce(Usage()) { $0 + EventChain.spend(of: $1.body) }
            return Self.row(runId, length: Int64(events.count), head: events.last?.hash ?? EventChain.genesisHash, usage: usage)
        }
        func check(_ rows: [StoredTotals]) throws -> Int {
            var ranges = totals.ranges(for: rows)
            var heads: [String: ChainedTotals.Head] = [:]
            var passes = 0
            repeat {
                passes += 1
                var events: [String: [EventRecord]] = [:]
                for range in ranges {
                    events[range.runId] = stored[range.runId]?.filter { $0.sequence > range.after && $0.sequence <= range.through }
                }
                ranges = try totals.check(rows, ranges: ranges, events: events, heads: &heads)
            } while !ranges.isEmpty && passes < 10
            return passes
        }
        for step in 0..<400 {
            let runId = random.pick(runIds)
            let previous = stored[runId]?.last?.hash ?? EventChain.genesisHash
            let sequence = Int64(stored[runId]?.count ?? 0) + 1
            let made = Self.event(runId, sequence: sequence, after: previous, data: ["promptTokens": .integer(Int64(random.int(1...50))), "dollars": "0.000001"])
            stored[runId, default: []].append(EventRecord(
                runId: runId, sequence: sequence, kind: "model.recorded", body: made.body, previousHash: previous, hash: made.hash, createdAt: Date()))
            if random.chance(0.5) {
                totals.appended(runId: runId, sequence: sequence, previousHash: previous, hash: made.hash, body: made.body)
            }
            let group = (0..<random.int(1...3)).map { _ in random.pick(runIds) }
            let passes = try check(group.map(row))
            #expect(passes <= 3, "seed \(seed), step \(step): \(passes) passes")
            #expect(totals.rememberedRuns <= capacity, "seed \(seed), step \(step): \(totals.rememberedRuns) runs remembered")
        }
        for runId in runIds where !(stored[runId] ?? []).isEmpty {
            var edited = row(runId)
            edited.usage.promptTokens += 1
            edited.treeUsage = edited.usage
            #expect(throws: StoreError.self, "seed \(seed): \(runId)") { _ = try check([edited]) }
        }
    }
}

/// Checks that run while the same store appends to the same run (the LLM proxy reads a session's
/// state for each request while others of the session are recorded) compare each row with the
/// chain's head at that row's own length, never with a head the appends moved on.
@Suite("Store conformance: chain checks beside concurrent appends")
struct ChainedTotalsConcurrencyTests {
    @Test("governance state and decisions read while model calls are recorded are never taken for tampering", arguments: StoreBackend.allCases)
    func readersBesideWriters(backend: StoreBackend) async throws {
        let store = try RecordCoverageConformanceTests.Tamperable.make(backend).store
        let parent = try await store.createRun(NewRun(name: "session", budget: Budget(tokens: 100_000_000)))
        let run = try await store.createRun(NewRun(name: "gateway", parentRunId: parent.id))
        _ = try await store.governanceState(runId: run.id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for _ in 0..<25 { _ = try await store.recordModelCall(runId: writer.isMultiple(of: 2) ? run.id : parent.id, modelCall(10, 1)) }
                }
            }
            for _ in 0..<2 {
                group.addTask { for _ in 0..<60 { _ = try await store.governanceState(runId: run.id) } }
            }
            group.addTask { for _ in 0..<30 { _ = try await BudgetTotalsConformanceTests.decide(store, runId: run.id) } }
            try await group.waitForAll()
        }
        let state = try await store.governanceState(runId: run.id)
        #expect(state.stopReason == nil)
        #expect(try await store.run(id: parent.id)?.treeUsage.modelCalls == 200)
    }
}
