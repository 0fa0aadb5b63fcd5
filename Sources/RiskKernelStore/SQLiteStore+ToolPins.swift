import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func observeTools(server: String, tools: [ToolDefinition], runId: String?) async throws -> [ToolPinRecord] {
        let now = Timestamps.now()
        return try await pool.write { db in
            let existing = try Self.fetchToolPins(db, server: server)
            let plan = ToolPinPlanner.observe(server: server, existing: existing, seen: tools, runId: runId, at: now)
            try Self.savePins(db, plan.rows)
            if let runId {
                for event in plan.events { try Self.appendEvent(db, runId: runId, kind: event.kind, data: event.data, at: now) }
            }
            return try Self.fetchToolPins(db, server: server)
        }
    }

    public func toolPins(server: String?) async throws -> [ToolPinRecord] {
        try await pool.read { db in try Self.fetchToolPins(db, server: server) }
    }

    public func approveToolPins(server: String, tools: [String]?, approvedBy: String?) async throws -> [ToolPinRecord] {
        let now = Timestamps.now()
        return try await pool.write { db in
            let existing = try Self.fetchToolPins(db, server: server)
            let plan = try ToolPinPlanner.approve(server: server, existing: existing, tools: tools, approvedBy: approvedBy, at: now)
            try Self.savePins(db, plan.rows)
            for (runId, event) in plan.events where try Self.runExists(db, id: runId) {
                try Self.appendEvent(db, runId: runId, kind: event.kind, data: event.data, at: now)
            }
            return plan.rows
        }
    }

    private static func runExists(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [id]) ?? false
    }

    private static func savePins(_ db: Database, _ rows: [ToolPinRecord]) throws {
        for pin in rows {
            try db.execute(
                sql: """
                    INSERT INTO tool_pins (server, tool, pinned_hash, pinned_definition, pinned_at, seen_hash, seen_definition, seen_at, seen_run_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (server, tool) DO UPDATE SET
                        pinned_hash = excluded.pinned_hash, pinned_definition = excluded.pinned_definition, pinned_at = excluded.pinned_at,
                        seen_hash = excluded.seen_hash, seen_definition = excluded.seen_definition, seen_at = excluded.seen_at,
                        seen_run_id = excluded.seen_run_id
                    """,
                arguments: [
                    pin.server, pin.tool, pin.pinnedHash, pin.pinnedDefinition.map(text), pin.pinnedAt.map(ms), pin.hash, text(pin.definition),
                    ms(pin.seenAt), pin.seenRunId,
                ])
        }
    }

    private static func fetchToolPins(_ db: Database, server: String?) throws -> [ToolPinRecord] {
        let rows: [Row]
        if let server {
            rows = try Row.fetchAll(db, sql: "SELECT * FROM tool_pins WHERE server = ? ORDER BY tool", arguments: [server])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT * FROM tool_pins ORDER BY server, tool")
        }
        return rows.map { row in
            ToolPinRecord(
                server: row["server"], tool: row["tool"], hash: row["seen_hash"], definition: json(row["seen_definition"]) ?? .null,
                seenAt: date(row["seen_at"])!, seenRunId: row["seen_run_id"], pinnedHash: row["pinned_hash"],
                pinnedDefinition: json(row["pinned_definition"]), pinnedAt: date(row["pinned_at"]))
        }
    }
}
