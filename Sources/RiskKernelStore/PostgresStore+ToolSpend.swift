import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    nonisolated(nonsending) public func recordToolSpend(runId: String, callId: String, tool: String, dollars: Money) async throws -> SpendResult {
        let now = Timestamps.now()
        let totals = chainedTotals
        return try await write { connection in
            let ancestry = try await Self.lockAncestry(connection, runId: runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(runId)") }
            let (plan, result) = try LedgerWrites.toolSpend(callId: callId, tool: tool, dollars: dollars, ancestry: ancestry, at: now)
            try await Self.execute(connection, plan, at: now, chain: totals)
            return result
        }
    }

    public func recentToolCalls(runId: String, since: Date) async throws -> [RecentToolCall] {
        try await read { connection in try await Self.recentToolCalls(connection, runId: runId, since: since) }
    }

    static func recentToolCalls(_ connection: PostgresConnection, runId: String, since: Date) async throws -> [RecentToolCall] {
        var bindings = PostgresBindings()
        bindings.append(runId)
        bindings.append(ms(since))
        return try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.recentCalls, binds: bindings)).map { row in
            RecentToolCall(tool: try row["tool"], at: date(try row["created_at"] as Int64))
        }
    }

    /// `usage --by tool`: calls let through and tool spend, by tool.
    func summarizeTools(since: Date?, until: Date?) async throws -> [UsageGroup] {
        func range() -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(since.map(Self.ms) ?? Int64.min)
            bindings.append(until.map(Self.ms) ?? Int64.max)
            return bindings
        }
        return try await read { connection in
            let calls = try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.callsByTool, binds: range())).map {
                (try $0["tool"] as String, try $0["calls"] as Int64)
            }
            let spend = try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.spendByTool, binds: range())).map {
                (try $0["tool"] as String, try $0["micros"] as Int64)
            }
            return UsageGroup.byTool(calls: calls, spend: spend)
        }
    }
}
