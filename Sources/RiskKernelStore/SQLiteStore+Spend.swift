import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    static func recordModelCall(_ db: Database, runId: String, _ call: NewModelCall, at now: Date, chain: ChainedTotals) throws -> SpendResult {
        let (ancestry, anchors) = try Self.ancestryAndAnchors(db, runId: runId)
        guard !ancestry.isEmpty else { throw StoreError.notFound("run \(runId)") }
        let (plan, result) = try LedgerWrites.modelCall(call, ancestry: ancestry, at: now)
        try execute(db, plan, at: now, chain: chain, anchors: anchors)
        return result
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

    static func ledgerEntry(_ row: Row) throws -> LedgerEntry { try LedgerEntry(row: NamedColumns(row)) }
}
