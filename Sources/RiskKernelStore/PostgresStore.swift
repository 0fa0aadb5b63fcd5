import Foundation
import PostgresNIO
import RiskKernelCore

/// The shared store: one PostgreSQL database for many gateways on many hosts.
///
/// It keeps the same schema (see ``PostgresSchema``), chain and behaviour as ``SQLiteStore``. Every
/// write is one transaction; writes that change a run lock its row (and, for spend, every
/// ancestor's row, root first) with `SELECT … FOR NO KEY UPDATE`, so that appends to a run's chain
/// are serialized and spend plus budget check is atomic across connections and hosts. A decided
/// approval is announced with `NOTIFY`, which wakes waiting gateways at once.
///
/// Connections are opened on demand. An operation whose connection fails or is dropped is tried
/// again on a fresh connection (a few times, with a short back-off); a transaction whose COMMIT
/// was cut off is reported, never repeated, since it may have been stored.
public final class PostgresStore: Store, MigrationStatusReporting {
    public let configuration: PostgresStoreConfiguration
    let pool: PostgresConnectionPool
    let signals = PostgresApprovalSignals()
    /// What each run's chain adds up to, for budget decisions (``ChainedTotals``).
    let chainedTotals = ChainedTotals()
    /// The one queue of ledger writes (decisions, outcomes, model calls): writes that wait together
    /// share a transaction.
    let groupCommit = GroupCommit<Entry>()
    private let readiness = PostgresReadiness()

    /// A store for `configuration`; nothing is connected until first use (which also brings the
    /// schema up to date). Use ``open(configuration:)`` to connect and migrate at once.
    public init(configuration: PostgresStoreConfiguration) {
        self.configuration = configuration
        self.pool = PostgresConnectionPool(configuration: configuration)
    }

    /// Connects, refuses a database whose schema is newer than this binary (leaving it untouched),
    /// and applies the missing migrations in one transaction. A server that cannot be reached is a
    /// ``StoreError/unavailable(_:)`` naming where it was looked for.
    public static func open(configuration: PostgresStoreConfiguration) async throws -> PostgresStore {
        let store = PostgresStore(configuration: configuration)
        do {
            try await store.ready()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// ``open(configuration:)`` for a `postgres://` URL.
    public static func open(url: String) async throws -> PostgresStore {
        try await open(configuration: PostgresStoreConfiguration(url: url))
    }

    deinit {
        let pool = pool
        let signals = signals
        Task {
            await signals.stop()
            await pool.closeAll()
        }
    }

    /// Closes every connection; the store cannot be used afterwards.
    public func close() async {
        await signals.stop()
        await pool.closeAll()
    }

    public var databaseDescription: String { "postgres \(configuration.location)" }

    public func migrationStatus() async throws -> (applied: [String], known: [String]) {
        try await ready()
        let applied = try await retrying { try await self.withConnection { try await Self.appliedMigrations($0) } }
        return (applied, PostgresSchema.identifiers)
    }

    // MARK: Migrations

    func ready() async throws {
        let task = readiness.task { Task { try await self.migrate() } }
        do {
            try await task.value
        } catch {
            readiness.reset(task)
            throw error
        }
    }

    private func migrate() async throws {
        try await retrying {
            try await self.withConnection { connection in
                // Look first without writing anything, so that a newer database is left untouched.
                let applied = try await Self.appliedMigrations(connection)
                try Self.refuseNewer(applied)
                if applied == PostgresSchema.identifiers { return }
                try await Self.transaction(connection) { connection in
                    // One migrator at a time across every process; the others then find the work done.
                    try await connection.rows("SELECT pg_advisory_xact_lock(7364827163)")
                    try await connection.rows(
                        "CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)")
                    let applied = try await Self.appliedMigrations(connection)
                    try Self.refuseNewer(applied)
                    let now = Self.ms(Timestamps.now())
                    for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                        for statement in migration.statements {
                            try await connection.rows(PostgresQuery(unsafeSQL: statement))
                        }
                        try await connection.rows(
                            "INSERT INTO schema_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(now))")
                    }
                }
            }
        }
    }

    /// The applied migrations, in the order this binary knows them, then unknown ones.
    static func appliedMigrations(_ connection: PostgresConnection) async throws -> [String] {
        guard let row = try await connection.row("SELECT to_regclass('schema_migrations')::text AS name") else { return [] }
        let exists: String? = try row["name"]
        guard exists != nil else { return [] }
        let identifiers: [String] = try await connection.rows("SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier")
            .map { try $0["identifier"] }
        let known = PostgresSchema.identifiers
        return known.filter(identifiers.contains) + identifiers.filter { !known.contains($0) }
    }

    static func refuseNewer(_ applied: [String]) throws {
        let known = PostgresSchema.identifiers
        let unknown = applied.filter { !known.contains($0) }
        if !unknown.isEmpty {
            throw StoreError.schemaTooNew(found: unknown.sorted().joined(separator: ", "), supported: known.last ?? "none")
        }
    }

    // MARK: Connections and transactions

    /// Tries `operation` again while it fails for want of a working connection.
    func retrying<R>(_ operation: () async throws -> R) async throws -> R {
        var delay = configuration.retryDelay
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard attempt < configuration.attempts, PostgresErrors.isRetryable(error), !Task.isCancelled else {
                    throw PostgresErrors.storeError(error, location: configuration.location)
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                attempt += 1
            }
        }
    }

    func withConnection<R>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        let connection = try await pool.acquire()
        do {
            let result = try await body(connection)
            await pool.release(connection, reusable: true)
            return result
        } catch {
            await pool.release(connection, reusable: !PostgresErrors.breaksConnection(error))
            throw error
        }
    }

    static func transaction<R>(_ connection: PostgresConnection, readOnly: Bool = false, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await connection.rows(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
        let result: R
        do {
            result = try await body(connection)
        } catch {
            if !connection.isClosed { _ = try? await connection.rows("ROLLBACK") }
            throw error
        }
        do {
            try await connection.rows("COMMIT")
        } catch let error as PSQLError where error.code == .server {
            throw error  // the server refused the commit: rolled back, safe to retry when retryable
        } catch {
            if readOnly { throw error }
            throw PostgresAmbiguousCommit(underlying: error)
        }
        return result
    }

    /// One write transaction, retried on a fresh connection when the connection fails before COMMIT.
    func write<R>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await ready()
        return try await retrying { try await self.withConnection { try await Self.transaction($0, body) } }
    }

    /// A consistent read (one snapshot).
    func read<R>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await ready()
        return try await retrying { try await self.withConnection { try await Self.transaction($0, readOnly: true, body) } }
    }

    // MARK: Shared helpers

    /// The stored text of a JSON value, as in ``SQLiteStore``: numbers as they were written.
    static func text(_ value: JSONValue) -> String { CanonicalJSON.string(value, numbers: .asWritten) }

    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(text)
    }

    static func ms(_ date: Date) -> Int64 { Timestamps.milliseconds(date) }
    static func date(_ ms: Int64?) -> Date? { ms.map(Timestamps.date(milliseconds:)) }
    static func date(_ ms: Int64) -> Date { Timestamps.date(milliseconds: ms) }

    /// Appends an event to the run's chain inside the caller's transaction; returns its sequence.
    /// The run's row is locked first, so appends to one run are serialized across connections.
    /// `chain`, when given, learns the new head (``ChainedTotals/appended(runId:sequence:previousHash:hash:body:)``).
    @discardableResult
    static func appendEvent(
        _ connection: PostgresConnection, runId: String, kind: String, data: JSONValue, at time: Date, chain: ChainedTotals? = nil,
        update: LedgerPlan.AnchorUpdate? = nil
    ) async throws -> Int64 {
        // The run's anchor, not the events table, says where the chain ends (as in SQLiteStore).
        guard let head = try await connection.row(
            "SELECT chain_length, chain_head FROM runs WHERE id = \(runId) FOR NO KEY UPDATE") else {
            throw StoreError.notFound("run \(runId)")
        }
        let sequence = (try head["chain_length"] as Int64) + 1
        let previousHash: String = try head["chain_head"]
        let body = EventChain.body(runId: runId, sequence: sequence, kind: kind, at: time, data: data)
        let hash = EventChain.hash(previousHash: previousHash, body: body)
        try await connection.rows("""
            INSERT INTO events (run_id, sequence, kind, body, previous_hash, hash, created_at)
            VALUES (\(runId), \(sequence), \(kind), \(CanonicalJSON.string(body, rule: .current)), \(previousHash), \(hash), \(ms(time)))
            """)
        let update = update ?? .anchor(of: runId)
        try await connection.rows(PostgresQuery(unsafeSQL: update.sql, binds: bindings([.integer(sequence), .text(hash)] + update.values)))
        chain?.appended(runId: runId, sequence: sequence, previousHash: previousHash, hash: hash, body: body)
        return sequence
    }
}

/// The one migration task of a store, started on first use and started again after a failure.
final class PostgresReadiness: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Task<Void, any Error>?

    func task(_ make: () -> Task<Void, any Error>) -> Task<Void, any Error> {
        lock.lock()
        defer { lock.unlock() }
        if let current { return current }
        let task = make()
        current = task
        return task
    }

    func reset(_ task: Task<Void, any Error>) {
        lock.lock()
        defer { lock.unlock() }
        if current == task { current = nil }
    }
}
