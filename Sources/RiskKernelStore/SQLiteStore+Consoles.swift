import Foundation
import GRDB

extension SQLiteStore {
    public func registerConsole(url: String, owner: GatewayOwner) async throws {
        let now = Self.ms(Timestamps.now())
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO consoles (url, host, pid, heartbeat_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(url) DO UPDATE SET host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at
                    """,
                arguments: [url, owner.host, Int64(owner.pid), now])
        }
    }

    public func unregisterConsole(url: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM consoles WHERE url = ?", arguments: [url]) }
    }

    public func consoleURL(heartbeatSince: Date) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT url FROM consoles WHERE heartbeat_at >= ? ORDER BY heartbeat_at DESC LIMIT 1",
                arguments: [Self.ms(heartbeatSince)])
        }
    }
}
