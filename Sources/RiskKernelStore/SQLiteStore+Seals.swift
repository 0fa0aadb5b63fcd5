import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func chainHeads() async throws -> [RunChainHead] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: SealSQL.chainHeads).map { row in
                RunChainHead(runId: row["run_id"], sequence: row["chain_length"], hash: row["chain_head"], time: Self.date(row["created_at"] as Int64?)!)
            }
        }
    }

    public func appendSeal(_ seal: SealRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO seals (id, sealed_at, envelope) VALUES (?, ?, ?)", arguments: [seal.id, Self.ms(seal.sealedAt), seal.envelope])
        }
    }

    public func seals() async throws -> [SealRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, sealed_at, envelope FROM seals ORDER BY sealed_at, rowid").map { row in
                SealRecord(id: row["id"], sealedAt: Self.date(row["sealed_at"] as Int64?)!, envelope: row["envelope"])
            }
        }
    }
}
