import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    nonisolated(nonsending) public func recordToolSpend(runId: String, callId: String, tool: String, dollars: Money) async throws -> SpendResult {
        guard dollars >= .zero else { throw StoreError.invalidArgument("a tool's price must not be negative") }
        let now = Timestamps.now()
        return try await write { connection in
            let ancestry = try await Self.lockAncestry(connection, runId: runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(runId)") }
            let entry = LedgerWrites.toolEntry(runId: runId, callId: callId, tool: tool, dollars: dollars, at: now)
            try await connection.rows("""
                INSERT INTO ledger_entries (id, run_id, kind, tool, dollars_micros, priced, response_id, created_at)
                VALUES (\(entry.id), \(runId), 'tool', \(tool), \(dollars.micros), TRUE, \(callId), \(Self.ms(now)))
                """)
            let spend = Usage(dollars: dollars)
            try await Self.addUsage(connection, spend, runId: runId, ancestry: ancestry, at: now)
            try await Self.appendEvent(connection, runId: runId, kind: "tool.charged", data: LedgerWrites.toolCharged(entry), at: now)
            let haltReason = try await Self.haltCrossedBudgets(connection, ancestry: ancestry, adding: spend, at: now)
            return SpendResult(entry: entry, run: try await Self.fetchRun(connection, id: runId)!, haltReason: haltReason)
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
