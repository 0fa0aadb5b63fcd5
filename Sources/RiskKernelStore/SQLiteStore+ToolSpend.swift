import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func recordToolSpend(runId: String, callId: String, tool: String, dollars: Money) async throws -> SpendResult {
        guard dollars >= .zero else { throw StoreError.invalidArgument("a tool's price must not be negative") }
        let now = Timestamps.now()
        return try await pool.write { db in
            guard try Self.fetchRun(db, id: runId) != nil else { throw StoreError.notFound("run \(runId)") }
            let entryId = Identifiers.make("led")
            try db.execute(
                sql: """
                    INSERT INTO ledger_entries (id, run_id, kind, tool, dollars_micros, priced, response_id, created_at)
                    VALUES (?, ?, 'tool', ?, ?, 1, ?, ?)
                    """,
                arguments: [entryId, runId, tool, dollars.micros, callId, Self.ms(now)])
            try Self.addUsage(db, Usage(dollars: dollars), runId: runId, at: now)
            try Self.appendEvent(
                db, runId: runId, kind: "tool.charged",
                data: ["entryId": .string(entryId), "callId": .string(callId), "tool": .string(tool), "dollars": .string(dollars.decimalString)],
                at: now)
            let haltReason = try Self.haltCrossedBudgets(db, runId: runId, at: now)
            return SpendResult(entry: try Self.fetchLedgerEntry(db, id: entryId)!, run: try Self.fetchRun(db, id: runId)!, haltReason: haltReason)
        }
    }

    public func recentToolCalls(runId: String, since: Date) async throws -> [RecentToolCall] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: RunTreeSQL.recentCalls), arguments: [runId, Self.ms(since)]).map { row in
                RecentToolCall(tool: row[0], at: Self.date(row[1] as Int64?)!)
            }
        }
    }

    /// `usage --by tool`: calls let through and tool spend, by tool.
    func summarizeTools(since: Date?, until: Date?) async throws -> [UsageGroup] {
        let range: StatementArguments = [since.map(Self.ms) ?? Int64.min, until.map(Self.ms) ?? Int64.max]
        return try await pool.read { db in
            let calls = try Row.fetchAll(db, sql: RunTreeSQL.callsByTool, arguments: range).map { ($0[0] as String, $0[1] as Int64) }
            let spend = try Row.fetchAll(db, sql: RunTreeSQL.spendByTool, arguments: range).map { ($0[0] as String, $0[1] as Int64) }
            return UsageGroup.byTool(calls: calls, spend: spend)
        }
    }
}

extension UsageGroup {
    /// Merges per-tool call counts and per-tool spend into groups, costliest first.
    static func byTool(calls: [(String, Int64)], spend: [(String, Int64)]) -> [UsageGroup] {
        var groups: [String: UsageGroup] = [:]
        for (tool, count) in calls {
            groups[tool] = UsageGroup(key: tool, calls: count, promptTokens: 0, completionTokens: 0, dollars: .zero)
        }
        for (tool, micros) in spend {
            groups[tool, default: UsageGroup(key: tool, calls: 0, promptTokens: 0, completionTokens: 0, dollars: .zero)].dollars = Money(micros: micros)
        }
        return groups.values.sorted { ($0.dollars, $1.key) > ($1.dollars, $0.key) }
    }
}
