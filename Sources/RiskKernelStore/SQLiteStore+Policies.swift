import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func upsertPolicy(_ policy: Policy) async throws -> PolicyRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO policies (name, document, created_at, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
                    """,
                arguments: [policy.name, Self.text(policy.document), Self.ms(now), Self.ms(now)])
            return try Self.fetchPolicy(db, name: policy.name)!
        }
    }

    public func policy(named name: String) async throws -> PolicyRecord? {
        try await pool.read { db in try Self.fetchPolicy(db, name: name) }
    }

    public func listPolicies() async throws -> [PolicyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM policies ORDER BY updated_at DESC, name").map(Self.policyRecord)
        }
    }

    public func deletePolicy(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM policies WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    static func fetchPolicy(_ db: Database, name: String) throws -> PolicyRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM policies WHERE name = ?", arguments: [name]).map(policyRecord)
    }

    static func policyRecord(_ row: Row) -> PolicyRecord {
        PolicyRecord(
            name: row["name"], document: json(row["document"]) ?? .null,
            createdAt: date(row["created_at"])!, updatedAt: date(row["updated_at"])!)
    }
}
