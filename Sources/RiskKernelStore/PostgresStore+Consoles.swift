import Foundation
import PostgresNIO

extension PostgresStore {
    public func registerConsole(url: String, owner: GatewayOwner) async throws {
        let now = Self.ms(Timestamps.now())
        try await write { connection in
            _ = try await connection.rows("""
                INSERT INTO consoles (url, host, pid, heartbeat_at) VALUES (\(url), \(owner.host), \(Int64(owner.pid)), \(now))
                ON CONFLICT (url) DO UPDATE SET host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at
                """)
        }
    }

    public func unregisterConsole(url: String) async throws {
        try await write { connection in _ = try await connection.rows("DELETE FROM consoles WHERE url = \(url)") }
    }

    public func consoleURL(heartbeatSince: Date) async throws -> String? {
        try await read { connection in
            try await connection.rows(
                "SELECT url FROM consoles WHERE heartbeat_at >= \(Self.ms(heartbeatSince)) ORDER BY heartbeat_at DESC LIMIT 1"
            ).first.map { try $0["url"] as String }
        }
    }
}
