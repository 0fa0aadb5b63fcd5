import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    nonisolated(nonsending) public func recordModelCall(runId: String, _ call: NewModelCall) async throws -> SpendResult {
        try SpendLimits.check(call)
        let now = Timestamps.now()
        return try await write { connection in
            // Lock the run and its ancestors (root first) before reading any usage: spend and
            // budget check are then one step for every connection spending in this run tree.
            let ancestry = try await Self.lockAncestry(connection, runId: runId)
            guard let run = ancestry.first else { throw StoreError.notFound("run \(runId)") }
            let entry = LedgerWrites.modelEntry(runId: runId, call, step: run.usage.loops + 1, at: now)
            try await connection.rows("""
                INSERT INTO ledger_entries (id, run_id, kind, provider, model, prompt_tokens, completion_tokens,
                    cached_prompt_tokens, dollars_micros, priced, response_id, step_index, created_at)
                VALUES (\(entry.id), \(runId), 'model', \(call.provider), \(call.model), \(call.promptTokens), \(call.completionTokens),
                    \(call.cachedPromptTokens), \(call.dollars.micros), \(call.priced), \(call.responseId), \(entry.step), \(Self.ms(now)))
                """)
            try await connection.rows(
                "INSERT INTO steps (run_id, step_index, ledger_entry_id, created_at) VALUES (\(runId), \(entry.step), \(entry.id), \(Self.ms(now)))")
            let spend = Usage(
                promptTokens: call.promptTokens, completionTokens: call.completionTokens,
                cachedPromptTokens: call.cachedPromptTokens, dollars: call.dollars, loops: 1, modelCalls: 1)
            try await Self.addUsage(connection, spend, runId: runId, ancestry: ancestry, at: now)
            try await Self.appendEvent(connection, runId: runId, kind: "model.recorded", data: LedgerWrites.modelRecorded(entry), at: now)
            let haltReason = try await Self.haltCrossedBudgets(connection, ancestry: ancestry, adding: spend, at: now)
            return SpendResult(entry: entry, run: try await Self.fetchRun(connection, id: runId)!, haltReason: haltReason)
        }
    }

    /// Adds `spend` to a run's own usage and to the tree usage of the run and every ancestor.
    /// `ancestry` must have been locked with ``lockAncestry(_:runId:)`` in this transaction.
    static func addUsage(_ connection: PostgresConnection, _ spend: Usage, runId: String, ancestry: [RunRecord], at time: Date) async throws {
        try SpendLimits.checkRoom(for: spend, in: ancestry)
        try await connection.rows("""
            UPDATE runs SET prompt_tokens = prompt_tokens + \(spend.promptTokens), completion_tokens = completion_tokens + \(spend.completionTokens),
                cached_prompt_tokens = cached_prompt_tokens + \(spend.cachedPromptTokens), dollars_micros = dollars_micros + \(spend.dollars.micros),
                loops = loops + \(spend.loops), model_calls = model_calls + \(spend.modelCalls), tool_calls = tool_calls + \(spend.toolCalls),
                updated_at = \(ms(time)) WHERE id = \(runId)
            """)
        for member in ancestry {
            try await connection.rows("""
                UPDATE runs SET tree_prompt_tokens = tree_prompt_tokens + \(spend.promptTokens),
                    tree_completion_tokens = tree_completion_tokens + \(spend.completionTokens),
                    tree_cached_prompt_tokens = tree_cached_prompt_tokens + \(spend.cachedPromptTokens),
                    tree_dollars_micros = tree_dollars_micros + \(spend.dollars.micros), tree_loops = tree_loops + \(spend.loops),
                    tree_model_calls = tree_model_calls + \(spend.modelCalls), tree_tool_calls = tree_tool_calls + \(spend.toolCalls)
                WHERE id = \(member.id)
                """)
        }
    }

    /// Halts every running member of `ancestry` (locked and read before `spend` was added) whose
    /// budget its tree has now crossed; returns the reason the run is halted, if it (or an ancestor) is.
    static func haltCrossedBudgets(_ connection: PostgresConnection, ancestry: [RunRecord], adding spend: Usage, at time: Date) async throws -> String? {
        let (chain, halts) = LedgerWrites.crossedBudgets(ancestry, adding: spend, at: time)
        for halt in halts {
            try await connection.rows("UPDATE runs SET status = 'halted', halt_reason = \(halt.reason), updated_at = \(ms(time)) WHERE id = \(halt.runId)")
            try await appendEvent(connection, runId: halt.runId, kind: "run.status", data: ["status": "halted", "from": "running", "reason": .string(halt.reason)], at: time)
        }
        return LedgerWrites.haltReason(of: chain)
    }

    public func ledger(runId: String) async throws -> [LedgerEntry] {
        try await read { connection in
            try await connection.rows("SELECT * FROM ledger_entries WHERE run_id = \(runId) ORDER BY created_at, rowid").map(Self.ledgerEntry)
        }
    }

    public func summarize(by grouping: SummaryGrouping, since: Date?, until: Date?) async throws -> UsageSummary {
        if grouping == .tool { return UsageSummary(by: grouping.description, groups: try await summarizeTools(since: since, until: until)) }
        var bindings = PostgresBindings()
        var conditions: [String] = []
        let keyExpression: String
        switch grouping {
        case .provider: keyExpression = "COALESCE(l.provider, '(none)')"
        case .model: keyExpression = "COALESCE(l.model, '(none)')"
        case .day: keyExpression = "to_char(to_timestamp(l.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        case .name: keyExpression = "COALESCE(r.name, '(unnamed)')"
        case .tool: preconditionFailure("summarized by summarizeTools")
        case .metadata(let key):
            guard SummaryGrouping.isValidMetadataKey(key) else { throw StoreError.invalidArgument("invalid metadata key \(key)") }
            // The key is bound as a value, never spliced into the SQL.
            bindings.append(key)
            keyExpression = "COALESCE(r.metadata::jsonb ->> $\(bindings.count), '(none)')"
        }
        conditions.append("l.kind = 'model'")
        if let since {
            bindings.append(Self.ms(since))
            conditions.append("l.created_at >= $\(bindings.count)")
        }
        if let until {
            bindings.append(Self.ms(until))
            conditions.append("l.created_at < $\(bindings.count)")
        }
        let join = keyExpression.contains("r.") ? "JOIN runs r ON r.id = l.run_id" : ""
        let sql = """
            SELECT key, calls, prompt, completion, micros FROM (
                SELECT CAST(\(keyExpression) AS TEXT) AS key, COUNT(*)::BIGINT AS calls, SUM(l.prompt_tokens)::BIGINT AS prompt,
                    SUM(l.completion_tokens)::BIGINT AS completion, SUM(l.dollars_micros)::BIGINT AS micros
                FROM ledger_entries l \(join)
                WHERE \(conditions.joined(separator: " AND "))
                GROUP BY 1
            ) grouped
            ORDER BY micros DESC, key COLLATE "C"
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let groups = try await read { connection in
            try await connection.rows(query).map { row in
                UsageGroup(
                    key: try row["key"], calls: try row["calls"], promptTokens: try row["prompt"] as Int64? ?? 0,
                    completionTokens: try row["completion"] as Int64? ?? 0, dollars: Money(micros: try row["micros"] as Int64? ?? 0))
            }
        }
        return UsageSummary(by: grouping.description, groups: groups)
    }

    static func ledgerEntry(_ row: PGRow) throws -> LedgerEntry {
        LedgerEntry(
            id: try row["id"], runId: try row["run_id"], kind: try row["kind"], provider: try row["provider"], model: try row["model"],
            tool: try row["tool"], promptTokens: try row["prompt_tokens"], completionTokens: try row["completion_tokens"],
            cachedPromptTokens: try row["cached_prompt_tokens"], dollars: Money(micros: try row["dollars_micros"]), priced: try row["priced"],
            responseId: try row["response_id"], step: try row["step_index"], createdAt: date(try row["created_at"] as Int64))
    }
}
