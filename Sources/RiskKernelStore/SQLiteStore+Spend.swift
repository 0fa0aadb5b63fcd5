import Foundation
import GRDB
import RiskKernelCore

/// A model call to record, as queued for a group commit.
struct ModelCallWrite: Sendable {
    let runId: String
    let call: NewModelCall
    let time: Date
}

extension SQLiteStore {
    nonisolated(nonsending) public func recordModelCall(runId: String, _ call: NewModelCall) async throws -> SpendResult {
        try SpendLimits.check(call)
        return try await modelCallWrites.write(ModelCallWrite(runId: runId, call: call, time: Timestamps.now()))
    }

    static func recordModelCall(_ db: Database, runId: String, _ call: NewModelCall, at now: Date) throws -> SpendResult {
        let ancestry = try Self.ancestry(db, runId: runId)
        guard let run = ancestry.first else { throw StoreError.notFound("run \(runId)") }
        let entry = LedgerWrites.modelEntry(runId: runId, call, step: run.usage.loops + 1, at: now)
        try db.cachedStatement(sql: """
                INSERT INTO ledger_entries (id, run_id, kind, provider, model, prompt_tokens, completion_tokens,
                    cached_prompt_tokens, dollars_micros, priced, response_id, step_index, created_at)
                VALUES (?, ?, 'model', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                entry.id, runId, call.provider, call.model, call.promptTokens, call.completionTokens, call.cachedPromptTokens,
                call.dollars.micros, call.priced, call.responseId, entry.step, ms(now),
            ])
        try db.cachedStatement(sql: "INSERT INTO steps (run_id, step_index, ledger_entry_id, created_at) VALUES (?, ?, ?, ?)").execute(arguments: [runId, entry.step, entry.id, ms(now)])
        let spend = Usage(
            promptTokens: call.promptTokens, completionTokens: call.completionTokens,
            cachedPromptTokens: call.cachedPromptTokens, dollars: call.dollars, loops: 1, modelCalls: 1)
        try addUsage(db, spend, runId: runId, ancestry: ancestry, at: now)
        try appendEvent(db, runId: runId, kind: "model.recorded", data: LedgerWrites.modelRecorded(entry), at: now)
        let haltReason = try haltCrossedBudgets(db, ancestry: ancestry, adding: spend, at: now)
        return SpendResult(entry: entry, run: try fetchRun(db, id: runId)!, haltReason: haltReason)
    }

    /// Adds `spend` to a run's own usage and to the tree usage of the run and every ancestor.
    /// `ancestry`, when the caller has just read it in this transaction, saves reading it again.
    static func addUsage(_ db: Database, _ spend: Usage, runId: String, ancestry known: [RunRecord]? = nil, at time: Date) throws {
        let ancestry = try known ?? ancestry(db, runId: runId)
        try SpendLimits.checkRoom(for: spend, in: ancestry)
        let deltas: [DatabaseValueConvertible] = [
            spend.promptTokens, spend.completionTokens, spend.cachedPromptTokens, spend.dollars.micros, spend.loops,
            spend.modelCalls, spend.toolCalls,
        ]
        try db.cachedStatement(sql: """
                UPDATE runs SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?,
                    cached_prompt_tokens = cached_prompt_tokens + ?, dollars_micros = dollars_micros + ?, loops = loops + ?,
                    model_calls = model_calls + ?, tool_calls = tool_calls + ?, updated_at = ? WHERE id = ?
                """).execute(arguments: StatementArguments(deltas + [ms(time), runId]))
        for member in ancestry {
            try db.cachedStatement(sql: """
                    UPDATE runs SET tree_prompt_tokens = tree_prompt_tokens + ?, tree_completion_tokens = tree_completion_tokens + ?,
                        tree_cached_prompt_tokens = tree_cached_prompt_tokens + ?, tree_dollars_micros = tree_dollars_micros + ?,
                        tree_loops = tree_loops + ?, tree_model_calls = tree_model_calls + ?, tree_tool_calls = tree_tool_calls + ?
                    WHERE id = ?
                    """).execute(arguments: StatementArguments(deltas + [member.id]))
        }
    }

    /// Halts every running member of `ancestry` (as read before `spend` was added) whose budget its
    /// tree has now crossed; returns the reason the run is halted, if it (or an ancestor) is.
    static func haltCrossedBudgets(_ db: Database, ancestry: [RunRecord], adding spend: Usage, at time: Date) throws -> String? {
        let (chain, halts) = LedgerWrites.crossedBudgets(ancestry, adding: spend, at: time)
        for halt in halts {
            try db.cachedStatement(sql: "UPDATE runs SET status = 'halted', halt_reason = ?, updated_at = ? WHERE id = ?").execute(arguments: [halt.reason, ms(time), halt.runId])
            try appendEvent(db, runId: halt.runId, kind: "run.status", data: ["status": "halted", "from": "running", "reason": .string(halt.reason)], at: time)
        }
        return LedgerWrites.haltReason(of: chain)
    }

    public func ledger(runId: String) async throws -> [LedgerEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger_entries WHERE run_id = ? ORDER BY created_at, rowid", arguments: [runId])
                .map(Self.ledgerEntry)
        }
    }

    public func summarize(by grouping: SummaryGrouping, since: Date?, until: Date?) async throws -> UsageSummary {
        if grouping == .tool { return UsageSummary(by: grouping.description, groups: try await summarizeTools(since: since, until: until)) }
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        let keyExpression: String
        switch grouping {
        // Grouped by the bare column, so that the ledger_usage_by_model index gives the groups in
        // order; a missing provider or model is named "(none)" below.
        case .provider: keyExpression = "l.provider"
        case .model: keyExpression = "l.model"
        case .day: keyExpression = "strftime('%Y-%m-%d', l.created_at / 1000, 'unixepoch')"
        case .name: keyExpression = "COALESCE(r.name, '(unnamed)')"
        case .tool: preconditionFailure("summarized by summarizeTools")
        case .metadata(let key):
            guard SummaryGrouping.isValidMetadataKey(key) else { throw StoreError.invalidArgument("invalid metadata key \(key)") }
            keyExpression = "COALESCE(json_extract(r.metadata, ?), '(none)')"
            arguments.append("$.\"\(key)\"")
        }
        conditions.append("l.kind = 'model'")
        if let since {
            conditions.append("l.created_at >= ?")
            arguments.append(Self.ms(since))
        }
        if let until {
            conditions.append("l.created_at < ?")
            arguments.append(Self.ms(until))
        }
        let join = keyExpression.contains("r.") ? "JOIN runs r ON r.id = l.run_id" : ""
        let groupsByColumn = keyExpression == "l.model" || keyExpression == "l.provider"
        let sql = """
            SELECT CAST(\(keyExpression) AS TEXT) AS key, COUNT(*) AS calls, SUM(l.prompt_tokens) AS prompt, SUM(l.completion_tokens) AS completion,
                SUM(l.dollars_micros) AS micros
            FROM ledger_entries l \(join)
            WHERE \(conditions.joined(separator: " AND "))
            GROUP BY \(groupsByColumn ? keyExpression : "key")
            """
        let statementArguments = StatementArguments(arguments)
        let groups = try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: statementArguments).map { row in
                UsageGroup(
                    key: row["key"] ?? "(none)",
                    calls: row["calls"], promptTokens: row["prompt"] ?? 0, completionTokens: row["completion"] ?? 0,
                    dollars: Money(micros: row["micros"] ?? 0))
            }
        }
        return UsageSummary(by: grouping.description, groups: UsageGroup.merged(groups))
    }

    static func ledgerEntry(_ row: Row) -> LedgerEntry {
        let row = NamedColumns(row)
        return LedgerEntry(
            id: row["id"], runId: row["run_id"], kind: row["kind"], provider: row["provider"], model: row["model"], tool: row["tool"],
            promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
            cachedPromptTokens: row["cached_prompt_tokens"], dollars: Money(micros: row["dollars_micros"]), priced: row["priced"],
            responseId: row["response_id"], step: row["step_index"], createdAt: date(row["created_at"])!)
    }
}
