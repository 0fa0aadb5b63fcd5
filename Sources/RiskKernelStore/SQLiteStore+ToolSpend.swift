import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    nonisolated(nonsending) public func recordToolSpend(runId: String, callId: String, tool: String, dollars: Money) async throws -> SpendResult {
        let now = Timestamps.now()
        let totals = chainedTotals
        return try await pool.write { db in
            let (ancestry, anchors) = try Self.ancestryAndAnchors(db, runId: runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(runId)") }
            let (plan, result) = try LedgerWrites.toolSpend(callId: callId, tool: tool, dollars: dollars, ancestry: ancestry, at: now)
            try Self.execute(db, plan, at: now, chain: totals, anchors: anchors)
            return result
        }
    }

    public func recentToolCalls(runId: String, since: Date) async throws -> [RecentToolCall] {
        try await pool.read { db in try Self.recentToolCalls(db, runId: runId, since: since) }
    }

    static func recentToolCalls(_ db: Database, runId: String, since: Date) throws -> [RecentToolCall] {
        try Row.fetchAll(db.cachedStatement(sql: RunTreeSQL.recentCalls), arguments: [runId, ms(since)]).map { row in
            RecentToolCall(tool: row[0], at: date(row[1] as Int64?)!)
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
        return groups.values.sorted(by: costliestFirst)
    }

    /// Groups with equal keys summed, costliest first (then by key).
    static func merged(_ groups: [UsageGroup]) -> [UsageGroup] {
        var merged: [String: UsageGroup] = [:]
        for group in groups {
            guard let seen = merged[group.key] else {
                merged[group.key] = group
                continue
            }
            merged[group.key] = UsageGroup(
                key: group.key, calls: seen.calls + group.calls, promptTokens: seen.promptTokens + group.promptTokens,
                completionTokens: seen.completionTokens + group.completionTokens, dollars: seen.dollars + group.dollars)
        }
        return merged.values.sorted(by: costliestFirst)
    }

    static func costliestFirst(_ lhs: UsageGroup, _ rhs: UsageGroup) -> Bool {
        (lhs.dollars, rhs.key) > (rhs.dollars, lhs.key)
    }
}
