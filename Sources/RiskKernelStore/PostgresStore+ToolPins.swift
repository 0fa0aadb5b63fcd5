import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func observeTools(server: String, tools: [ToolDefinition], runId: String?) async throws -> [ToolPinRecord] {
        let now = Timestamps.now()
        return try await write { connection in
            // Gateways of one server on several hosts pin it once.
            try await connection.rows("SELECT pg_advisory_xact_lock(hashtext(\("tool_pins:" + server)))")
            let existing = try await Self.fetchToolPins(connection, server: server)
            let plan = ToolPinPlanner.observe(server: server, existing: existing, seen: tools, runId: runId, at: now)
            try await Self.savePins(connection, plan.rows)
            if let runId {
                for event in plan.events { try await Self.appendEvent(connection, runId: runId, kind: event.kind, data: event.data, at: now) }
            }
            return try await Self.fetchToolPins(connection, server: server)
        }
    }

    public func toolPins(server: String?) async throws -> [ToolPinRecord] {
        try await read { connection in try await Self.fetchToolPins(connection, server: server) }
    }

    public func approveToolPins(server: String, tools: [String]?, approvedBy: String?) async throws -> [ToolPinRecord] {
        let now = Timestamps.now()
        return try await write { connection in
            try await connection.rows("SELECT pg_advisory_xact_lock(hashtext(\("tool_pins:" + server)))")
            let existing = try await Self.fetchToolPins(connection, server: server)
            let plan = try ToolPinPlanner.approve(server: server, existing: existing, tools: tools, approvedBy: approvedBy, at: now)
            try await Self.savePins(connection, plan.rows)
            for (runId, event) in plan.events where try await connection.row("SELECT 1 FROM runs WHERE id = \(runId)") != nil {
                try await Self.appendEvent(connection, runId: runId, kind: event.kind, data: event.data, at: now)
            }
            return plan.rows
        }
    }

    private static func savePins(_ connection: PostgresConnection, _ rows: [ToolPinRecord]) async throws {
        for pin in rows {
            let pinnedDefinition: String? = pin.pinnedDefinition.map(text)
            let pinnedAt: Int64? = pin.pinnedAt.map(ms)
            try await connection.rows("""
                INSERT INTO tool_pins (server, tool, pinned_hash, pinned_definition, pinned_at, seen_hash, seen_definition, seen_at, seen_run_id)
                VALUES (\(pin.server), \(pin.tool), \(pin.pinnedHash), \(pinnedDefinition), \(pinnedAt), \(pin.hash), \(text(pin.definition)),
                    \(ms(pin.seenAt)), \(pin.seenRunId))
                ON CONFLICT (server, tool) DO UPDATE SET
                    pinned_hash = excluded.pinned_hash, pinned_definition = excluded.pinned_definition, pinned_at = excluded.pinned_at,
                    seen_hash = excluded.seen_hash, seen_definition = excluded.seen_definition, seen_at = excluded.seen_at,
                    seen_run_id = excluded.seen_run_id
                """)
        }
    }

    private static func fetchToolPins(_ connection: PostgresConnection, server: String?) async throws -> [ToolPinRecord] {
        let rows = if let server {
            try await connection.rows("SELECT * FROM tool_pins WHERE server = \(server) ORDER BY tool")
        } else {
            try await connection.rows("SELECT * FROM tool_pins ORDER BY server, tool")
        }
        return try rows.map { row in
            ToolPinRecord(
                server: try row["server"], tool: try row["tool"], hash: try row["seen_hash"],
                definition: json(try row["seen_definition"] as String) ?? .null, seenAt: date(try row["seen_at"] as Int64),
                seenRunId: try row["seen_run_id"], pinnedHash: try row["pinned_hash"],
                pinnedDefinition: json(try row["pinned_definition"] as String?), pinnedAt: date(try row["pinned_at"] as Int64?))
        }
    }
}
