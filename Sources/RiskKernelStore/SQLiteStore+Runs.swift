import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func createRun(_ run: NewRun) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            if let parent = run.parentRunId {
                guard try Self.fetchRun(db, id: parent) != nil else { throw StoreError.notFound("parent run \(parent)") }
            }
            try Self.execute(db, LedgerWrites.newRun(run, at: now), at: now)
            return try Self.fetchRun(db, id: run.id)!
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await pool.read { db in try Self.fetchRun(db, id: id) }
    }

    public func listRuns(status: RunStatus?, limit: Int) async throws -> [RunRecord] {
        try await pool.read { db in
            if let status {
                return try db.cachedStatement(sql: "SELECT \(Self.runColumns) FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
                    .allRows([.text(status.rawValue), .integer(Int64(limit))], Self.runRecord)
            }
            return try db.cachedStatement(sql: "SELECT \(Self.runColumns) FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?")
                .allRows([.integer(Int64(limit))], Self.runRecord)
        }
    }

    public func childRuns(of id: String) async throws -> [RunRecord] {
        try await pool.read { db in
            try db.cachedStatement(sql: "SELECT \(Self.runColumns) FROM runs WHERE parent_run_id = ? ORDER BY created_at, rowid")
                .allRows([.text(id)], Self.runRecord)
        }
    }

    public func setRunStatus(id: String, status: RunStatus, reason: String?) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let run = try Self.fetchRun(db, id: id) else { throw StoreError.notFound("run \(id)") }
            guard let plan = LedgerWrites.runStatus(run, to: status, reason: reason, at: now) else { return run }
            try Self.execute(db, plan, at: now)
            return try Self.fetchRun(db, id: id)!
        }
    }

    public func endHaltedRun(id: String) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let run = try Self.fetchRun(db, id: id) else { throw StoreError.notFound("run \(id)") }
            guard let plan = LedgerWrites.haltedRunEnd(run, at: now) else { return run }
            try Self.execute(db, plan, at: now)
            return try Self.fetchRun(db, id: id)!
        }
    }

    public func steps(runId: String) async throws -> [StepRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM steps WHERE run_id = ? ORDER BY step_index", arguments: [runId]).map { try StepRecord(row: NamedColumns($0)) }
        }
    }

    /// Read in a deferred transaction on the writer's connection, behind the writes already on
    /// that connection's queue (so the LLM proxy's check of a call sees the record of the call
    /// before it, committed before that call's response ended). A deferred read takes no write
    /// lock itself, though it waits for a write queued ahead of it, which may be waiting for
    /// another process's lock. That connection's page cache holds what this process wrote last,
    /// where a reader's is dropped at each commit, and its `data_version` tells whether the tree's
    /// totals need checking again (``checkTotalsOnWriter(_:rootRunId:_:)``). BENCHMARKS.md has the
    /// figures.
    public func governanceState(runId: String) async throws -> GovernanceState {
        let totals = chainedTotals
        return try await pool.writeWithoutTransaction { db in
            try Self.transaction(db, .deferred) {
                GovernanceState(ancestry: try Self.checkedAncestry(db, runId: runId, totals).ancestry, now: Date())
            }
        }
    }

    /// ``ancestryAndAnchors(_:runId:)`` on the writer's connection, with the tree's totals checked
    /// against its chains (``checkTotalsOnWriter(_:rootRunId:_:)``), as a decision reads them.
    /// Throws ``StoreError/notFound(_:)`` for an unknown run, ``StoreError/tampered(runId:detail:)``.
    static func checkedAncestry(_ db: Database, runId: String, _ totals: ChainedTotals) throws -> (ancestry: [RunRecord], anchors: [String: ChainAnchor]) {
        let (ancestry, anchors) = try ancestryAndAnchors(db, runId: runId)
        guard let root = ancestry.last else { throw StoreError.notFound("run \(runId)") }
        try checkTotalsOnWriter(db, rootRunId: root.id, totals)
        return (ancestry, anchors)
    }

    /// The run followed by its ancestors, nearest first.
    static func ancestry(_ db: Database, runId: String) throws -> [RunRecord] {
        try ancestryAndAnchors(db, runId: runId).ancestry
    }

    /// The run followed by its ancestors, nearest first, and where each one's chain ends, for the
    /// events the caller appends in the same transaction (``execute(_:_:at:chain:anchors:)``).
    static func ancestryAndAnchors(_ db: Database, runId: String) throws -> (ancestry: [RunRecord], anchors: [String: ChainAnchor]) {
        var chain: [RunRecord] = []
        var anchors: [String: ChainAnchor] = [:]
        var next: String? = runId
        let statement = try db.cachedStatement(sql: "SELECT \(runColumns), chain_length, chain_head FROM runs WHERE id = ?")
        while let id = next, chain.count < 64,
              let (run, anchor) = try statement.firstRow([.text(id)], { row in (runRecord(row), ChainAnchor(length: row.int64(28), head: row.text(29))) }) {
            chain.append(run)
            anchors[id] = anchor
            next = run.parentRunId
        }
        return (chain, anchors)
    }

    static func fetchRun(_ db: Database, id: String) throws -> RunRecord? {
        try db.cachedStatement(sql: "SELECT \(runColumns) FROM runs WHERE id = ?").firstRow([.text(id)], runRecord)
    }

    /// The columns ``runRecord(_:)`` reads, in the order it reads them (by position: a run is read
    /// on every call's path, and a lookup by name costs more than the rest of the decoding).
    static let runColumns = """
        id, name, parent_run_id, policy_ref, budget_tokens, budget_dollars_micros, budget_loops, budget_seconds,
        prompt_tokens, completion_tokens, cached_prompt_tokens, dollars_micros, loops, model_calls, tool_calls,
        tree_prompt_tokens, tree_completion_tokens, tree_cached_prompt_tokens, tree_dollars_micros, tree_loops, tree_model_calls,
        tree_tool_calls, status, halt_reason, metadata, created_at, updated_at, ended_at
        """

    /// A run from a row of ``runColumns``.
    static func runRecord(_ row: SQLiteRow) -> RunRecord {
        let metadataText = row.optionalText(24)
        // Most runs have none: `{}` is not parsed.
        let metadata = metadataText == "{}" ? [:] : json(metadataText)?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return RunRecord(
            id: row.text(0), name: row.optionalText(1), parentRunId: row.optionalText(2), policyRef: row.optionalText(3),
            budget: Budget(
                tokens: row.optionalInt64(4), dollars: row.optionalInt64(5).map(Money.init(micros:)), loops: row.optionalInt64(6),
                seconds: row.optionalInt64(7)),
            usage: usage(row, from: 8), treeUsage: usage(row, from: 15),
            status: RunStatus(rawValue: row.text(22)) ?? .failed, haltReason: row.optionalText(23), metadata: metadata,
            createdAt: Timestamps.date(milliseconds: row.int64(25)), updatedAt: Timestamps.date(milliseconds: row.int64(26)),
            endedAt: date(row.optionalInt64(27)))
    }

    /// The seven usage columns from position `first` on.
    static func usage(_ row: SQLiteRow, from first: Int32) -> Usage {
        Usage(
            promptTokens: row.int64(first), completionTokens: row.int64(first + 1), cachedPromptTokens: row.int64(first + 2),
            dollars: Money(micros: row.int64(first + 3)), loops: row.int64(first + 4), modelCalls: row.int64(first + 5),
            toolCalls: row.int64(first + 6))
    }
}
