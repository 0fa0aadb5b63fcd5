import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func chainHeads() async throws -> [RunChainHead] {
        try await read { connection in
            try await connection.rows(PostgresQuery(unsafeSQL: SealSQL.chainHeads)).map { row in
                RunChainHead(runId: try row["run_id"], sequence: try row["chain_length"], hash: try row["chain_head"], time: Self.date(try row["created_at"] as Int64))
            }
        }
    }

    public func appendSeal(_ seal: SealRecord) async throws {
        try await write { connection in
            _ = try await connection.rows("INSERT INTO seals (id, sealed_at, envelope) VALUES (\(seal.id), \(Self.ms(seal.sealedAt)), \(seal.envelope))")
        }
    }

    public func seals() async throws -> [SealRecord] {
        try await read { connection in
            try await connection.rows("SELECT id, sealed_at, envelope FROM seals ORDER BY sealed_at, rowid").map { row in
                SealRecord(id: try row["id"], sealedAt: Self.date(try row["sealed_at"] as Int64), envelope: try row["envelope"])
            }
        }
    }
}
