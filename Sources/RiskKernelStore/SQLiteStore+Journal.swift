import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func putFact(namespace: String, key: String, value: JSONValue, runId: String?) async throws -> FactRecord {
        guard !namespace.isEmpty, !key.isEmpty else { throw StoreError.invalidArgument("a fact needs a non-empty namespace and key") }
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO facts (namespace, key, value, run_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value, run_id = excluded.run_id, updated_at = excluded.updated_at
                    """,
                arguments: [namespace, key, Self.text(value), runId, Self.ms(now), Self.ms(now)])
            if let runId {
                try Self.appendEvent(
                    db, runId: runId, kind: "fact.put",
                    data: ["namespace": .string(namespace), "key": .string(key), "valueDigest": .string(EventChain.digest(of: value))],
                    at: now)
            }
            return try Self.fetchFact(db, namespace: namespace, key: key)!
        }
    }

    public func fact(namespace: String, key: String) async throws -> FactRecord? {
        try await pool.read { db in try Self.fetchFact(db, namespace: namespace, key: key) }
    }

    public func listFacts(namespace: String?) async throws -> [FactRecord] {
        try await pool.read { db in
            if let namespace {
                return try Row.fetchAll(db, sql: "SELECT * FROM facts WHERE namespace = ? ORDER BY updated_at DESC, key", arguments: [namespace])
                    .map(Self.factRecord)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM facts ORDER BY updated_at DESC, namespace, key").map(Self.factRecord)
        }
    }

    public func recordSampling(runId: String, _ request: SamplingRequest) async throws {
        let now = Timestamps.now()
        try await pool.write { db in
            guard try Self.fetchRun(db, id: runId) != nil else { throw StoreError.notFound("run \(runId)") }
            try Self.appendEvent(db, runId: runId, kind: "sampling.requested", data: request.event, at: now)
        }
    }

    public func createCheckpoint(runId: String, name: String, payload: JSONValue) async throws -> CheckpointRecord {
        let now = Timestamps.now()
        let limit = maxCheckpointsPerRun
        return try await pool.write { db in
            guard try Self.fetchRun(db, id: runId) != nil else { throw StoreError.notFound("run \(runId)") }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoints WHERE run_id = ?", arguments: [runId]) ?? 0
            guard count < limit else {
                throw StoreError.limitReached("run \(runId) already has the maximum of \(limit) checkpoints")
            }
            let id = Identifiers.make("ckpt")
            let sequence = try Self.appendEvent(
                db, runId: runId, kind: "checkpoint.created",
                data: ["checkpointId": .string(id), "name": .string(name), "payloadDigest": .string(EventChain.digest(of: payload))],
                at: now).length
            try db.execute(
                sql: "INSERT INTO checkpoints (id, run_id, name, payload, sequence, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, runId, name, Self.text(payload), sequence, Self.ms(now)])
            return CheckpointRecord(id: id, runId: runId, name: name, payload: payload, sequence: sequence, createdAt: now)
        }
    }

    public func latestCheckpoint(runId: String) async throws -> CheckpointRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC LIMIT 1", arguments: [runId])
                .map(Self.checkpointRecord)
        }
    }

    public func listCheckpoints(runId: String) async throws -> [CheckpointRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC", arguments: [runId])
                .map(Self.checkpointRecord)
        }
    }

    public func events(runId: String) async throws -> [EventRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE run_id = ? ORDER BY sequence", arguments: [runId]).map(Self.eventRecord)
        }
    }

    static func fetchFact(_ db: Database, namespace: String, key: String) throws -> FactRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM facts WHERE namespace = ? AND key = ?", arguments: [namespace, key]).map(factRecord)
    }

    static func factRecord(_ row: Row) throws -> FactRecord { try FactRecord(row: NamedColumns(row)) }

    static func checkpointRecord(_ row: Row) throws -> CheckpointRecord { try CheckpointRecord(row: NamedColumns(row)) }
}
