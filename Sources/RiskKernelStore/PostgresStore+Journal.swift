import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func putFact(namespace: String, key: String, value: JSONValue, runId: String?) async throws -> FactRecord {
        guard !namespace.isEmpty, !key.isEmpty else { throw StoreError.invalidArgument("a fact needs a non-empty namespace and key") }
        let now = Timestamps.now()
        return try await write { connection in
            try await connection.rows("""
                INSERT INTO facts (namespace, key, value, run_id, created_at, updated_at)
                VALUES (\(namespace), \(key), \(Self.text(value)), \(runId), \(Self.ms(now)), \(Self.ms(now)))
                ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, run_id = excluded.run_id, updated_at = excluded.updated_at
                """)
            if let runId {
                try await Self.appendEvent(
                    connection, runId: runId, kind: "fact.put",
                    data: ["namespace": .string(namespace), "key": .string(key), "valueDigest": .string(EventChain.digest(of: value))],
                    at: now)
            }
            return try await Self.fetchFact(connection, namespace: namespace, key: key)!
        }
    }

    public func fact(namespace: String, key: String) async throws -> FactRecord? {
        try await read { connection in try await Self.fetchFact(connection, namespace: namespace, key: key) }
    }

    public func listFacts(namespace: String?) async throws -> [FactRecord] {
        try await read { connection in
            if let namespace {
                return try await connection.rows(
                    #"SELECT * FROM facts WHERE namespace = \#(namespace) ORDER BY updated_at DESC, key COLLATE "C""#
                ).map(Self.factRecord)
            }
            return try await connection.rows(#"SELECT * FROM facts ORDER BY updated_at DESC, namespace COLLATE "C", key COLLATE "C""#)
                .map(Self.factRecord)
        }
    }

    public func recordSampling(runId: String, _ request: SamplingRequest) async throws {
        let now = Timestamps.now()
        try await write { connection in
            guard try await Self.fetchRun(connection, id: runId, lock: false) != nil else { throw StoreError.notFound("run \(runId)") }
            try await Self.appendEvent(connection, runId: runId, kind: "sampling.requested", data: request.event, at: now)
        }
    }

    public func createCheckpoint(runId: String, name: String, payload: JSONValue) async throws -> CheckpointRecord {
        let now = Timestamps.now()
        let limit = configuration.maxCheckpointsPerRun
        return try await write { connection in
            // Locking the run serializes checkpoint creation per run, so the limit holds across connections.
            guard try await Self.fetchRun(connection, id: runId, lock: true) != nil else { throw StoreError.notFound("run \(runId)") }
            let count: Int64 = try await connection.row("SELECT COUNT(*)::BIGINT AS count FROM checkpoints WHERE run_id = \(runId)")?["count"] ?? 0
            guard count < Int64(limit) else {
                throw StoreError.limitReached("run \(runId) already has the maximum of \(limit) checkpoints")
            }
            let id = Identifiers.make("ckpt")
            let sequence = try await Self.appendEvent(
                connection, runId: runId, kind: "checkpoint.created",
                data: ["checkpointId": .string(id), "name": .string(name), "payloadDigest": .string(EventChain.digest(of: payload))],
                at: now)
            try await connection.rows("""
                INSERT INTO checkpoints (id, run_id, name, payload, sequence, created_at)
                VALUES (\(id), \(runId), \(name), \(Self.text(payload)), \(sequence), \(Self.ms(now)))
                """)
            return CheckpointRecord(id: id, runId: runId, name: name, payload: payload, sequence: sequence, createdAt: now)
        }
    }

    public func latestCheckpoint(runId: String) async throws -> CheckpointRecord? {
        try await read { connection in
            try await connection.row("SELECT * FROM checkpoints WHERE run_id = \(runId) ORDER BY sequence DESC LIMIT 1").map(Self.checkpointRecord)
        }
    }

    public func listCheckpoints(runId: String) async throws -> [CheckpointRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM checkpoints WHERE run_id = \(runId) ORDER BY sequence DESC").map(Self.checkpointRecord)
        }
    }

    public func events(runId: String) async throws -> [EventRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM events WHERE run_id = \(runId) ORDER BY sequence").map(Self.eventRecord)
        }
    }

    public func chainHead(runId: String) async throws -> ChainHead? {
        try await read { connection in
            try await connection.row("SELECT chain_length, chain_head FROM runs WHERE id = \(runId)").map {
                ChainHead(length: try $0["chain_length"], hash: try $0["chain_head"])
            }
        }
    }

    static func fetchFact(_ connection: PostgresConnection, namespace: String, key: String) async throws -> FactRecord? {
        try await connection.row("SELECT * FROM facts WHERE namespace = \(namespace) AND key = \(key)").map(factRecord)
    }

    static func factRecord(_ row: PGRow) throws -> FactRecord { try FactRecord(row: row) }

    static func checkpointRecord(_ row: PGRow) throws -> CheckpointRecord { try CheckpointRecord(row: row) }

    static func eventRecord(_ row: PGRow) throws -> EventRecord { try EventRecord(row: row) }
}
