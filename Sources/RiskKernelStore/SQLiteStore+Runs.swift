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
            let metadata = JSONValue.object(run.metadata.mapValues { .string($0) })
            try db.cachedStatement(sql: """
                    INSERT INTO runs (id, name, parent_run_id, policy_ref, budget_tokens, budget_dollars_micros, budget_loops,
                        budget_seconds, status, metadata, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                    run.id, run.name, run.parentRunId, run.policyRef, run.budget.tokens, run.budget.dollars?.micros,
                    run.budget.loops, run.budget.seconds, RunStatus.running.rawValue, Self.text(metadata), Self.ms(now), Self.ms(now),
                ])
            var data: [String: JSONValue] = ["metadata": metadata]
            if let name = run.name { data["name"] = .string(name) }
            if let parent = run.parentRunId { data["parentRunId"] = .string(parent) }
            if let policy = run.policyRef { data["policy"] = .string(policy) }
            data["budget"] = Self.budgetJSON(run.budget)
            try Self.appendEvent(db, runId: run.id, kind: "run.started", data: .object(data), at: now)
            return try Self.fetchRun(db, id: run.id)!
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await pool.read { db in try Self.fetchRun(db, id: id) }
    }

    public func listRuns(status: RunStatus?, limit: Int) async throws -> [RunRecord] {
        try await pool.read { db in
            if let status {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                    arguments: [status.rawValue, limit]
                ).map(Self.runRecord)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?", arguments: [limit])
                .map(Self.runRecord)
        }
    }

    public func childRuns(of id: String) async throws -> [RunRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE parent_run_id = ? ORDER BY created_at, rowid", arguments: [id])
                .map(Self.runRecord)
        }
    }

    public func setRunStatus(id: String, status: RunStatus, reason: String?) async throws -> RunRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let run = try Self.fetchRun(db, id: id) else { throw StoreError.notFound("run \(id)") }
            if run.status == status, run.haltReason == reason { return run }
            try db.cachedStatement(sql: "UPDATE runs SET status = ?, halt_reason = ?, updated_at = ?, ended_at = ? WHERE id = ?").execute(arguments: [status.rawValue, reason ?? (status == .halted ? run.haltReason : nil), Self.ms(now),
                            status.isClosed ? Self.ms(now) : nil, id])
            var data: [String: JSONValue] = ["status": .string(status.rawValue), "from": .string(run.status.rawValue)]
            if let reason { data["reason"] = .string(reason) }
            try Self.appendEvent(db, runId: id, kind: "run.status", data: .object(data), at: now)
            return try Self.fetchRun(db, id: id)!
        }
    }

    public func steps(runId: String) async throws -> [StepRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM steps WHERE run_id = ? ORDER BY step_index", arguments: [runId]).map { row in
                StepRecord(runId: row["run_id"], index: row["step_index"], ledgerEntryId: row["ledger_entry_id"], createdAt: Self.date(row["created_at"])!)
            }
        }
    }

    public func governanceState(runId: String) async throws -> GovernanceState {
        let now = Date()
        return try await pool.read { db in
            let chain = try Self.ancestry(db, runId: runId)
            guard let run = chain.first else { throw StoreError.notFound("run \(runId)") }
            let scopes = chain.map { member in
                BudgetScope(
                    runId: member.id, budget: member.budget, usage: member.treeUsage,
                    elapsedSeconds: now.timeIntervalSince(member.createdAt), isOwn: member.id == runId)
            }
            return GovernanceState(run: run, budgets: scopes, haltReason: Self.haltReason(of: chain))
        }
    }

    /// The run followed by its ancestors, nearest first.
    static func ancestry(_ db: Database, runId: String) throws -> [RunRecord] {
        var chain: [RunRecord] = []
        var next: String? = runId
        while let id = next, chain.count < 64, let run = try fetchRun(db, id: id) {
            chain.append(run)
            next = run.parentRunId
        }
        return chain
    }

    /// Why the first halted member of `chain` is halted, naming the ancestor when it is not the run itself.
    static func haltReason(of chain: [RunRecord]) -> String? {
        guard let halted = chain.first(where: { $0.status == .halted }) else { return nil }
        let reason = halted.haltReason ?? "halted"
        return halted.id == chain.first?.id ? reason : "ancestor run \(halted.id) is halted: \(reason)"
    }

    static func fetchRun(_ db: Database, id: String) throws -> RunRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM runs WHERE id = ?"), arguments: [id]).map(runRecord)
    }

    static func runRecord(_ row: Row) -> RunRecord {
        let row = NamedColumns(row)
        let metadata = json(row["metadata"])?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return RunRecord(
            id: row["id"], name: row["name"], parentRunId: row["parent_run_id"], policyRef: row["policy_ref"],
            budget: Budget(
                tokens: row["budget_tokens"], dollars: (row["budget_dollars_micros"] as Int64?).map(Money.init(micros:)),
                loops: row["budget_loops"], seconds: row["budget_seconds"]),
            usage: usage(row, prefix: ""), treeUsage: usage(row, prefix: "tree_"),
            status: RunStatus(rawValue: row["status"]) ?? .failed, haltReason: row["halt_reason"], metadata: metadata,
            createdAt: date(row["created_at"])!, updatedAt: date(row["updated_at"])!, endedAt: date(row["ended_at"]))
    }

    static func usage(_ row: NamedColumns, prefix: String) -> Usage {
        Usage(
            promptTokens: row[prefix + "prompt_tokens"], completionTokens: row[prefix + "completion_tokens"],
            cachedPromptTokens: row[prefix + "cached_prompt_tokens"], dollars: Money(micros: row[prefix + "dollars_micros"]),
            loops: row[prefix + "loops"], modelCalls: row[prefix + "model_calls"], toolCalls: row[prefix + "tool_calls"])
    }

    static func budgetJSON(_ budget: Budget) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let tokens = budget.tokens { members["tokens"] = .integer(tokens) }
        if let dollars = budget.dollars { members["dollars"] = .string(dollars.decimalString) }
        if let loops = budget.loops { members["loops"] = .integer(loops) }
        if let seconds = budget.seconds { members["seconds"] = .integer(seconds) }
        return .object(members)
    }
}
