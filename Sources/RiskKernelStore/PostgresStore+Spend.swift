import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    /// Records a model call inside the caller's transaction.
    static func recordModelCall(_ connection: PostgresConnection, runId: String, _ call: NewModelCall, chain totals: ChainedTotals) async throws -> SpendResult {
        try SpendLimits.check(call)
        let now = Timestamps.now()
        // Lock the run and its ancestors (root first) before reading any usage: spend and
        // budget check are then one step for every connection spending in this run tree.
        let ancestry = try await lockAncestry(connection, runId: runId)
        guard !ancestry.isEmpty else { throw StoreError.notFound("run \(runId)") }
        let (plan, result) = try LedgerWrites.modelCall(call, ancestry: ancestry, at: now)
        try await execute(connection, plan, at: now, chain: totals)
        return result
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

    static func ledgerEntry(_ row: PGRow) throws -> LedgerEntry { try LedgerEntry(row: row) }
}
