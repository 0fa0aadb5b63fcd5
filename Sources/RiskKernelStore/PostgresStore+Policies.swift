import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func upsertPolicy(_ policy: Policy) async throws -> PolicyRecord {
        let now = Timestamps.now()
        return try await write { connection in
            try await connection.rows("""
                INSERT INTO policies (name, document, created_at, updated_at) VALUES (\(policy.name), \(Self.text(policy.document)), \(Self.ms(now)), \(Self.ms(now)))
                ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
                """)
            return try await Self.fetchPolicy(connection, name: policy.name)!
        }
    }

    public func policy(named name: String) async throws -> PolicyRecord? {
        try await read { connection in try await Self.fetchPolicy(connection, name: name) }
    }

    public func listPolicies() async throws -> [PolicyRecord] {
        try await read { connection in
            try await connection.rows(#"SELECT * FROM policies ORDER BY updated_at DESC, name COLLATE "C""#).map(Self.policyRecord)
        }
    }

    public func deletePolicy(named name: String) async throws -> Bool {
        try await write { connection in
            !(try await connection.rows("DELETE FROM policies WHERE name = \(name) RETURNING name")).isEmpty
        }
    }

    static func fetchPolicy(_ connection: PostgresConnection, name: String) async throws -> PolicyRecord? {
        try await connection.row("SELECT * FROM policies WHERE name = \(name)").map(policyRecord)
    }

    static func policyRecord(_ row: PGRow) throws -> PolicyRecord {
        PolicyRecord(
            name: try row["name"], document: json(try row["document"] as String) ?? .null,
            createdAt: date(try row["created_at"] as Int64), updatedAt: date(try row["updated_at"] as Int64))
    }
}
