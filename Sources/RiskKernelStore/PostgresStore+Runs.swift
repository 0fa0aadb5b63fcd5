import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func createRun(_ run: NewRun) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await write { connection in
            if let parent = run.parentRunId {
                guard try await Self.fetchRun(connection, id: parent) != nil else { throw StoreError.notFound("parent run \(parent)") }
            }
            try await Self.execute(connection, LedgerWrites.newRun(run, at: now), at: now)
            return try await Self.fetchRun(connection, id: run.id)!
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await read { connection in try await Self.fetchRun(connection, id: id) }
    }

    public func listRuns(status: RunStatus?, limit: Int) async throws -> [RunRecord] {
        let limit = Int64(clamping: max(limit, 0))
        return try await read { connection in
            if let status {
                return try await connection.rows(
                    "SELECT * FROM runs WHERE status = \(status.rawValue) ORDER BY created_at DESC, rowid DESC LIMIT \(limit)"
                ).map(Self.runRecord)
            }
            return try await connection.rows("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT \(limit)").map(Self.runRecord)
        }
    }

    public func childRuns(of id: String) async throws -> [RunRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM runs WHERE parent_run_id = \(id) ORDER BY created_at, rowid").map(Self.runRecord)
        }
    }

    public func setRunStatus(id: String, status: RunStatus, reason: String?) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await write { connection in
            guard let run = try await Self.fetchRun(connection, id: id, lock: true) else { throw StoreError.notFound("run \(id)") }
            guard let plan = LedgerWrites.runStatus(run, to: status, reason: reason, at: now) else { return run }
            try await Self.execute(connection, plan, at: now)
            return try await Self.fetchRun(connection, id: id)!
        }
    }

    public func endHaltedRun(id: String) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await write { connection in
            guard let run = try await Self.fetchRun(connection, id: id, lock: true) else { throw StoreError.notFound("run \(id)") }
            guard let plan = LedgerWrites.haltedRunEnd(run, at: now) else { return run }
            try await Self.execute(connection, plan, at: now)
            return try await Self.fetchRun(connection, id: id)!
        }
    }

    public func steps(runId: String) async throws -> [StepRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM steps WHERE run_id = \(runId) ORDER BY step_index").map(Self.stepRecord)
        }
    }

    public func governanceState(runId: String) async throws -> GovernanceState {
        let now = Date()
        let totals = chainedTotals
        return try await read { connection in
            let chain = try await Self.ancestry(connection, runId: runId)
            guard !chain.isEmpty else { throw StoreError.notFound("run \(runId)") }
            try await Self.checkTotals(connection, rootRunId: chain[chain.count - 1].id, totals)
            return GovernanceState(ancestry: chain, now: now)
        }
    }

    /// The run followed by its ancestors, nearest first (at most 64, as in SQLiteStore).
    static func ancestry(_ connection: PostgresConnection, runId: String) async throws -> [RunRecord] {
        var chain: [RunRecord] = []
        var next: String? = runId
        while let id = next, chain.count < 64, let run = try await fetchRun(connection, id: id) {
            chain.append(run)
            next = run.parentRunId
        }
        return chain
    }

    /// Locks the rows of a run and of its ancestors, root first (the one order every writer uses,
    /// so that writers never deadlock), and returns the ancestry nearest first as read after the locks.
    static func lockAncestry(_ connection: PostgresConnection, runId: String) async throws -> [RunRecord] {
        // A run's parent never changes, so the ids can be read before locking.
        let ids: [String] = try await connection.rows("""
            WITH RECURSIVE chain(id, parent_run_id, depth) AS (
                SELECT id, parent_run_id, 0 FROM runs WHERE id = \(runId)
                UNION ALL
                SELECT r.id, r.parent_run_id, c.depth + 1 FROM runs r JOIN chain c ON r.id = c.parent_run_id WHERE c.depth < 63
            )
            SELECT id FROM chain ORDER BY depth DESC
            """).map { try $0["id"] }
        for id in ids {
            try await connection.rows("SELECT id FROM runs WHERE id = \(id) FOR NO KEY UPDATE")
        }
        return try await ancestry(connection, runId: runId)
    }

    static func fetchRun(_ connection: PostgresConnection, id: String, lock: Bool = false) async throws -> RunRecord? {
        if lock {
            return try await connection.row("SELECT * FROM runs WHERE id = \(id) FOR NO KEY UPDATE").map(runRecord)
        }
        return try await connection.row("SELECT * FROM runs WHERE id = \(id)").map(runRecord)
    }

    static func runRecord(_ row: PGRow) throws -> RunRecord {
        let metadataText: String = try row["metadata"]
        let metadata = json(metadataText)?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        let status: String = try row["status"]
        let dollars: Int64? = try row["budget_dollars_micros"]
        return RunRecord(
            id: try row["id"], name: try row["name"], parentRunId: try row["parent_run_id"], policyRef: try row["policy_ref"],
            budget: Budget(
                tokens: try row["budget_tokens"], dollars: dollars.map(Money.init(micros:)),
                loops: try row["budget_loops"], seconds: try row["budget_seconds"]),
            usage: try usage(row, prefix: ""), treeUsage: try usage(row, prefix: "tree_"),
            status: RunStatus(rawValue: status) ?? .failed, haltReason: try row["halt_reason"], metadata: metadata,
            createdAt: date(try row["created_at"] as Int64), updatedAt: date(try row["updated_at"] as Int64),
            endedAt: date(try row["ended_at"] as Int64?))
    }

    static func usage(_ row: PGRow, prefix: String) throws -> Usage {
        Usage(
            promptTokens: try row[prefix + "prompt_tokens"], completionTokens: try row[prefix + "completion_tokens"],
            cachedPromptTokens: try row[prefix + "cached_prompt_tokens"], dollars: Money(micros: try row[prefix + "dollars_micros"]),
            loops: try row[prefix + "loops"], modelCalls: try row[prefix + "model_calls"], toolCalls: try row[prefix + "tool_calls"])
    }

    static func stepRecord(_ row: PGRow) throws -> StepRecord { try StepRecord(row: row) }
}
