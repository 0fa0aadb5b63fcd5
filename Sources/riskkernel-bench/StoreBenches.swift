import ArgumentParser
import Foundation
import GRDB
import RiskKernelCore
import RiskKernelStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct LedgerFigures {
    var modelCallsPerSecond: Double
    var modelCalls: Int
    /// Appends per second with 64 tasks appending at once.
    var concurrentPerSecond: Double
    var concurrentCalls: Int
    var toolCallsPerSecond: Double
    var toolCalls: Int
    var journalMode: String
}

struct CrashCheck {
    var acknowledged: Int
    var found: Int
    var passed: Bool { found >= acknowledged }
}

enum StoreBench {
    static let models: [(provider: String, model: String)] = [
        ("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("openai", "gpt-4.1"), ("openai", "o3"), ("openai", "o4-mini"),
        ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-haiku-4-5"), ("anthropic", "claude-opus-4-1"),
        ("google", "gemini-2.5-pro"), ("google", "gemini-2.5-flash"), ("mistral", "mistral-large-latest"),
        ("mistral", "mistral-small-latest"), ("deepseek", "deepseek-chat"), ("deepseek", "deepseek-reasoner"),
        ("openai", "gpt-5"), ("anthropic", "claude-3-5-haiku"),
    ]

    /// Appends through the store API in this process: one awaited write after another, then from
    /// 64 tasks at once.
    static func ledgerAppends(path: String, modelCalls: Int, toolCalls: Int) async throws -> LedgerFigures {
        let store = try SQLiteStore(path: path)
        let run = try await store.createRun(NewRun(name: "bench-ledger"))
        for index in 0..<200 { _ = try await store.recordModelCall(runId: run.id, modelCall(index)) }
        var started = nowNanos()
        for index in 0..<modelCalls { _ = try await store.recordModelCall(runId: run.id, modelCall(index)) }
        let modelSeconds = Double(nowNanos() - started) / 1e9

        let appenders = 64
        let perAppender = modelCalls / appenders
        let runIds = try await (0..<8).asyncMap { index in try await store.createRun(NewRun(name: "bench-ledger-\(index)")).id }
        started = nowNanos()
        try await appendAtOnce(store, runIds: runIds, tasks: appenders, each: perAppender)
        let concurrentSeconds = Double(nowNanos() - started) / 1e9

        let arguments: JSONValue = ["path": "README.md", "size": 100]
        let result: JSONValue = ["content": [["type": "text", "text": .string(String(repeating: "x", count: 100))]]]
        let resultBytes = CanonicalJSON.encode(result)
        let digest = EventChain.hexDigest(resultBytes)
        started = nowNanos()
        for index in 0..<toolCalls {
            let (record, _) = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "\(index)", tool: "echo", sideEffect: "read", arguments: arguments, decision: .allow),
                approvalExpiresAt: nil)
            _ = try await store.completeToolCall(
                id: record.id,
                outcome: ToolCallOutcome(
                    status: .succeeded, result: result, resultDigest: digest, resultBytes: Int64(resultBytes.count), isError: false, durationMs: 0.1))
        }
        let toolSeconds = Double(nowNanos() - started) / 1e9
        let journalMode = try readJournalMode(path: path)
        return LedgerFigures(
            modelCallsPerSecond: Double(modelCalls) / modelSeconds, modelCalls: modelCalls,
            concurrentPerSecond: Double(appenders * perAppender) / concurrentSeconds, concurrentCalls: appenders * perAppender,
            toolCallsPerSecond: Double(toolCalls) / toolSeconds, toolCalls: toolCalls, journalMode: journalMode)
    }

    /// ``governedCallWrites(store:runId:calls:perGroup:)`` for each group size in `groups`, in a new
    /// store at `path`, one run.
    static func storeShare(path: String, calls: Int, groups: [Int]) async throws -> [Int: (wall: Double, cpu: Double)] {
        let store = try SQLiteStore(path: path)
        let run = try await store.createRun(NewRun(name: "bench-store-share"))
        var shares: [Int: (wall: Double, cpu: Double)] = [:]
        for perGroup in groups { shares[perGroup] = try governedCallWrites(store: store, runId: run.id, calls: calls, perGroup: perGroup) }
        return shares
    }

    /// The store's share of governed tool calls, measured apart from any pipe, thread hand-off or
    /// parsing: each group is what a gateway commits for its calls, the decisions of `perGroup`
    /// calls and the outcomes of the group before (a gateway adds an outcome to the next decision's
    /// group), made through ``SQLiteStore/submit(_:start:then:)`` on the calling thread as the
    /// gateway's session thread makes it. Returns microseconds of wall time and of this thread's CPU
    /// per call, over `calls` calls after a warm-up.
    static func governedCallWrites(store: SQLiteStore, runId: String, calls: Int, perGroup: Int) throws -> (wall: Double, cpu: Double) {
        let arguments: JSONValue = ["size": 100, "payload": .string(String(repeating: "x", count: 100))]
        let result: JSONValue = ["content": [["type": "text", "text": .string(String(repeating: "x", count: 100))]]]
        let resultBytes = CanonicalJSON.encode(result)
        let outcome = ToolCallOutcome(
            status: .succeeded, result: result, resultDigest: EventChain.hexDigest(resultBytes), resultBytes: Int64(resultBytes.count),
            isError: false, durationMs: 0.1)
        let groups = max(1, calls / perGroup)
        let warmUp = max(1, 200 / perGroup)
        var previous: [String] = []
        var started = (wall: UInt64(0), cpu: UInt64(0))
        for group in 0..<(warmUp + groups) {
            if group == warmUp { started = (nowNanos(), threadCPUNanos()) }
            var writes: [LedgerWrite<Bool>] = previous.map { .completion(ToolCallCompletion(id: $0, outcome: outcome)) }
            for index in 0..<perGroup {
                writes.append(.decision(DecisionRequest(runId: runId, recentSince: nil, approvalExpiresAt: nil) { _ in
                    (NewToolCall(runId: runId, requestId: "\(group)-\(index)", tool: "echo", sideEffect: "read", arguments: arguments, decision: .allow), true)
                }))
            }
            let written = Mutex<[Result<LedgerWritten<Bool>, any Error>]>([])
            // A job run at once: the group is made on this thread before `submit` returns.
            store.submit(writes, start: .scheduled { job in job() }) { results in written.withLock { $0 = results } }
            let results = written.withLock { $0 }
            guard results.count == writes.count else { throw BenchError("the store made the group elsewhere") }
            previous = try results.dropFirst(previous.count).map { result in
                guard let id = try result.get().decision().call?.id else { throw BenchError("a decision recorded no call") }
                return id
            }
        }
        let count = Double(groups * perGroup)
        return (Double(nowNanos() - started.wall) / 1000 / count, Double(threadCPUNanos() - started.cpu) / 1000 / count)
    }

    /// Model calls from `tasks` tasks at once, `each` per task, task `n` to run `runIds[n % count]`.
    static func appendAtOnce(_ store: SQLiteStore, runIds: [String], tasks: Int, each: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<each { _ = try await store.recordModelCall(runId: runIds[task % runIds.count], modelCall(index)) }
                }
            }
            try await group.waitForAll()
        }
    }

    static func modelCall(_ index: Int) -> NewModelCall {
        let (provider, model) = models[index % models.count]
        return NewModelCall(
            provider: provider, model: model, promptTokens: 1200, completionTokens: 300, dollars: Money(micros: 4500), priced: true,
            responseId: "resp_\(index)")
    }

    /// Starts `riskkernel-bench crash-writer`, kills it with SIGKILL mid-stream, and checks that
    /// every append it reported as committed is in the file.
    static func crashCheck(benchExecutable: String, path: String, stderrPath: String) throws -> CrashCheck {
        let child = try Child([benchExecutable, "crash-writer", "--db", path], stderrPath: stderrPath)
        var acknowledged = 0
        let started = nowNanos()
        var runId = ""
        while let line = child.output.readLine() {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("run ") { runId = String(text.dropFirst(4)); continue }
            acknowledged = Int(text) ?? acknowledged
            if nowNanos() - started > 700_000_000 { break }
        }
        kill(child.pid, SIGKILL)
        // Appends reported after the last line read only add to what is found.
        child.finish()
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let found = try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entries WHERE run_id = ?", arguments: [runId]) ?? 0
        }
        return CrashCheck(acknowledged: acknowledged, found: found)
    }

    static func readJournalMode(path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } ?? "?"
    }

    /// A SQLite file made by the store (real schema) with `rows` model-call ledger entries over
    /// 20 runs, 16 models and 90 days, inserted in one transaction.
    static func buildUsageDatabase(path: String, rows: Int) async throws -> Double {
        let started = nowNanos()
        let store = try SQLiteStore(path: path)
        var runIds: [String] = []
        for index in 0..<20 { runIds.append(try await store.createRun(NewRun(name: "agent-\(index % 5)")).id) }
        try insertLedgerRows(path: path, rows: rows, runIds: runIds)
        return Double(nowNanos() - started) / 1e9
    }

    static func insertLedgerRows(path: String, rows: Int, runIds: [String]) throws {
        let queue = try DatabaseQueue(path: path)
        let origin = Timestamps.milliseconds(Date()) - 90 * 86_400_000
        try queue.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO ledger_entries (id, run_id, kind, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
                    dollars_micros, priced, response_id, step_index, created_at)
                VALUES (?, ?, 'model', ?, ?, ?, ?, 0, ?, 1, NULL, ?, ?)
                """)
            for index in 0..<rows {
                let (provider, model) = models[(index &* 7 + index / 3) % models.count]
                try statement.execute(arguments: [
                    "led_bench_\(index)", runIds[index % runIds.count], provider, model, 500 + index % 3000, 100 + index % 700,
                    1000 + (index % 9000), index / runIds.count + 1, origin + Int64(index) * 7776,
                ])
            }
        }
        _ = try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }
}

/// Appends model calls through the store as fast as it can, printing the count after each
/// committed append, until killed (for the crash-durability check).
struct CrashWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer", abstract: "Append to the ledger and print each committed count, until killed.", shouldDisplay: false)
    @Option var db: String
    @Option(help: "Stop after this many appends (for profiling).") var count: Int = .max
    @Option(help: "Append from this many tasks at once, to 8 runs, printing nothing (for profiling the ledger figure's second row).")
    var tasks: Int = 1

    func run() async throws {
        let store = try SQLiteStore(path: db)
        if tasks > 1 {
            let runIds = try await (0..<8).asyncMap { index in try await store.createRun(NewRun(name: "bench-crash-\(index)")).id }
            try await StoreBench.appendAtOnce(store, runIds: runIds, tasks: tasks, each: count == .max ? .max : count / tasks)
            return
        }
        let run = try await store.createRun(NewRun(name: "bench-crash"))
        print("run \(run.id)")
        fflush(nil)
        var index = 0
        while index < count {
            _ = try await store.recordModelCall(runId: run.id, StoreBench.modelCall(index))
            index += 1
            print(index)
            fflush(nil)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

extension StoreBench {
    /// What one SQLite commit costs with nothing around it (the floor under a durable decision): one
    /// insert into a table with two extra indexes and one update per transaction, in WAL mode with
    /// synchronous=NORMAL as the ledger, through GRDB with prepared statements. Microseconds per
    /// commit, over `commits` commits after 500 to warm up. The same as `scripts/sqlite-commit-floor.c`
    /// with one row per transaction.
    static func commitFloor(path: String, commits: Int) throws -> Double {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode=WAL")
            try db.execute(sql: """
                PRAGMA synchronous=NORMAL;
                CREATE TABLE t(id TEXT PRIMARY KEY, run TEXT, a INT, b INT, c TEXT, t INT);
                CREATE INDEX t1 ON t(run, t); CREATE INDEX t2 ON t(t);
                CREATE TABLE r(id TEXT PRIMARY KEY, n INT, h TEXT); INSERT INTO r VALUES('r1', 0, 'x');
                """)
        }
        let text = String(repeating: "x", count: 64)
        var started: UInt64 = 0
        try queue.writeWithoutTransaction { db in
            let insert = try db.makeStatement(sql: "INSERT INTO t VALUES(?, 'r1', ?, ?, ?, ?)")
            let update = try db.makeStatement(sql: "UPDATE r SET n = n + 1, h = ? WHERE id = 'r1'")
            for index in 0..<(commits + 500) {
                if index == 500 { started = nowNanos() }
                let id = "led_\(index)"
                try db.inTransaction(.immediate) {
                    try insert.execute(arguments: [id, index, index, text, index])
                    try update.execute(arguments: [id])
                    return .commit
                }
            }
        }
        return Double(nowNanos() - started) / 1000 / Double(commits)
    }
}
