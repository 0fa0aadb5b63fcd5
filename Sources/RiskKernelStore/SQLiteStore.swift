import Foundation
import GRDB
import RiskKernelCore

/// The default store: one SQLite file in WAL mode, shared safely by many processes.
///
/// Writes are IMMEDIATE transactions with a busy timeout, so concurrent gateways queue instead of
/// failing with `SQLITE_BUSY`; `synchronous=NORMAL` in WAL mode makes every committed write survive
/// a crash of the process.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    /// Checkpoints the write-ahead log off the writers' threads.
    let checkpointer: WALCheckpointer
    /// The file's path.
    public let path: String
    /// How often ``waitForDecision(approvalId:until:)`` looks for a decision made by another process.
    public let decisionPollInterval: Duration
    /// The most checkpoints one run may hold.
    public let maxCheckpointsPerRun: Int
    /// The one queue of ledger writes (decisions, outcomes, model calls): writes that wait together
    /// share a transaction.
    let groupCommit = GroupCommit<Entry>()
    /// What each run's chain adds up to, for budget decisions (``ChainedTotals``).
    let chainedTotals = ChainedTotals()

    /// Opens (creating if needed) the database at `path` and brings its schema up to date in one
    /// transaction. A database whose schema is newer than this binary is refused untouched.
    public init(path: String, busyTimeout: TimeInterval = 30, maxCheckpointsPerRun: Int = 1000, decisionPollInterval: Duration = .milliseconds(25)) throws {
        self.path = path
        self.maxCheckpointsPerRun = maxCheckpointsPerRun
        self.decisionPollInterval = decisionPollInterval
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let existed = FileManager.default.fileExists(atPath: path)
        let checkpointer = WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            checkpointer.install(on: db)
        }
        let migrator = SQLiteSchema.migrator()
        if existed {
            // Check the schema read-only first, so a newer database is never written to.
            var readOnly = Configuration()
            readOnly.readonly = true
            readOnly.busyMode = .timeout(busyTimeout)
            let queue = try DatabaseQueue(path: path, configuration: readOnly)
            let superseded = try queue.read { db in try migrator.hasBeenSuperseded(db) }
            let applied = try queue.read { db in try migrator.appliedIdentifiers(db) }
            try queue.close()
            if superseded {
                let known = Set(migrator.migrations)
                let unknown = applied.subtracting(known).sorted().joined(separator: ", ")
                throw StoreError.schemaTooNew(found: unknown, supported: migrator.migrations.last ?? "none")
            }
        }
        if !existed {
            // Created private before SQLite opens it: SQLite gives the WAL and shared-memory files
            // the database file's mode, so they are private from the first byte too.
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
            chmod(path, 0o600)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        self.pool = pool
    }

    /// Schema migrations applied to the file, and those this binary knows.
    public func migrationStatus() throws -> (applied: [String], known: [String]) {
        let migrator = SQLiteSchema.migrator()
        let applied = try pool.read { db in try migrator.appliedMigrations(db) }
        return (applied, migrator.migrations)
    }

    /// Runs SQLite's own consistency check; returns its messages (`["ok"]` when sound).
    public func integrityCheck() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    // MARK: Shared helpers

    /// One caller's writes in the group commit.
    typealias Entry = GroupEntry<@Sendable (Database, WriteIsolation) throws -> GroupReport>

    /// How the writes of one transaction are kept apart, so that one that fails fails alone.
    enum WriteIsolation: Sendable {
        /// A lone write: its error is thrown, and the transaction rolled back.
        case lone
        /// No savepoints. A savepoint makes SQLite copy every page a write changes before it
        /// changes it (its undo journal), which cost a group of writes about a fifth of its time.
        /// A write that fails having changed no row (most failures: an unknown run, a cancelled
        /// call, a count out of range, all found before anything is written) fails alone; one
        /// that fails after changing rows throws ``SavepointsNeeded``, and the group is written
        /// again, in a new transaction, with `.savepoints`.
        case optimistic
        /// Each write in a savepoint of its own: one that throws fails alone, its changes undone.
        case savepoints
    }

    /// Thrown by a write of a `.optimistic` group that failed after changing rows.
    struct SavepointsNeeded: Error {}

    /// Writes a group in one transaction, on the calling thread (which waits for the commit) when
    /// `onCallingThread`, else on GRDB's writer thread, so that a wait for another process's lock
    /// never holds a thread of the shared pool. Tells each entry, then calls `written`.
    static func writeGroup(_ pool: DatabasePool, _ entries: [Entry], onCallingThread: Bool, written: @escaping @Sendable () -> Void) {
        let isolation: WriteIsolation = Entry.keepsWritesApart(entries) ? .optimistic : .lone
        let body: @Sendable (Database) throws -> [GroupReport] = { db in
            do {
                return try transaction(db) { try entries.map { try $0.make(db, isolation) } }
            } catch is SavepointsNeeded {
                return try transaction(db) { try entries.map { try $0.make(db, .savepoints) } }
            }
        }
        let finish: @Sendable (Result<[GroupReport], any Error>) -> Void = { result in
            switch result {
            case .success(let reports): for report in reports { report() }
            case .failure(let error): for entry in entries { entry.fail(error) }
            }
            written()
        }
        if onCallingThread {
            finish(Result { try pool.writeWithoutTransaction(body) })
        } else {
            pool.asyncWriteWithoutTransaction { db in finish(Result { try body(db) }) }
        }
    }

    /// `work` in a transaction of its own, committed when it returns and rolled back when it
    /// throws (an error of the commit included). `BEGIN IMMEDIATE` by default, which takes the
    /// write lock at once, as GRDB's `write` begins; `.deferred` for a read on the writer's
    /// connection, which takes no write lock itself.
    ///
    /// Like GRDB's `inTransaction`, but with `BEGIN` and `COMMIT` prepared once per connection
    /// (its statement cache) instead of parsed anew at each transaction, as GRDB does. Unlike it,
    /// GRDB's statements inside `work` are not refused after SQLite rolled the transaction back by
    /// itself; ``writeItems(_:_:isolation:_:)`` rethrows any error that leaves no transaction.
    static func transaction<T>(_ db: Database, _ kind: Database.TransactionKind = .immediate, _ work: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN \(kind.rawValue)").execute()
        let value: T
        do {
            value = try work()
        } catch {
            rollBack(db)
            throw error
        }
        do {
            try db.cachedStatement(sql: "COMMIT").execute()
        } catch {
            // A COMMIT refused (a deferred constraint, a busy lock) leaves the transaction open.
            rollBack(db)
            throw error
        }
        return value
    }

    /// Ends the connection's transaction, unless a failed statement ended it already (SQLite
    /// rolls back by itself on some errors). GRDB's `rollback` is used (only on this error path):
    /// it is not interrupted by a cancelled task's `sqlite3_interrupt`, and GRDB stops the process
    /// if an access ends with a transaction open.
    private static func rollBack(_ db: Database) {
        if db.isInsideTransaction { try? db.rollback() }
    }

    /// Writes the items inside the caller's transaction, kept apart as `isolation` says. An error
    /// that ends the whole transaction (the disk, the lock, the file) is always thrown.
    static func writeItems<Item, Written>(
        _ db: Database, _ items: [Item], isolation: WriteIsolation, _ body: (Database, Item) throws -> Written
    ) throws -> [Result<Written, any Error>] {
        switch isolation {
        case .lone:
            return try items.map { .success(try body(db, $0)) }
        case .optimistic:
            return try items.map { item in
                let changes = db.totalChangesCount
                do {
                    return .success(try body(db, item))
                } catch let error as DatabaseError where endsTransaction(error) || !db.isInsideTransaction {
                    throw error
                } catch {
                    guard db.totalChangesCount == changes else { throw SavepointsNeeded() }
                    return .failure(error)
                }
            }
        case .savepoints:
            return try items.map { item in
                try db.cachedStatement(sql: "SAVEPOINT item").execute()
                do {
                    let written = try body(db, item)
                    try db.cachedStatement(sql: "RELEASE SAVEPOINT item").execute()
                    return .success(written)
                } catch let error as DatabaseError where endsTransaction(error) || !db.isInsideTransaction {
                    throw error
                } catch {
                    try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT item").execute()
                    try db.cachedStatement(sql: "RELEASE SAVEPOINT item").execute()
                    return .failure(error)
                }
            }
        }
    }

    /// Whether an error ends the whole transaction (the disk, the lock or the file), as opposed
    /// to one item's own failure (a constraint, a missing row).
    static func endsTransaction(_ error: DatabaseError) -> Bool {
        [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CORRUPT, .SQLITE_NOMEM, .SQLITE_READONLY, .SQLITE_CANTOPEN]
            .contains(error.resultCode)
    }

    /// The stored text of a JSON value: canonical, with every number as it was written, so that a
    /// value reads back as it was given. (Digests are computed over the value, ``EventChain/digest(of:)``,
    /// not over this text.)
    static func text(_ value: JSONValue) -> String { CanonicalJSON.string(value, numbers: .asWritten) }

    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(text)
    }

    static func ms(_ date: Date) -> Int64 { Timestamps.milliseconds(date) }
    static func date(_ ms: Int64?) -> Date? { ms.map(Timestamps.date(milliseconds:)) }

    /// Appends an event to the run's chain inside the caller's transaction; returns where the chain
    /// ends after it (its length is the event's sequence). `anchor`, when the caller read it in this
    /// transaction (``ancestryAndAnchors(_:runId:)``), saves reading it again; `update` moves it
    /// (by default, nothing else of the run's row). `chain`, when given, learns the new head
    /// (``ChainedTotals/appended(runId:sequence:previousHash:hash:body:)``).
    @discardableResult
    static func appendEvent(
        _ db: Database, runId: String, kind: String, data: JSONValue, at time: Date, chain: ChainedTotals? = nil, anchor: ChainAnchor? = nil,
        update: LedgerPlan.AnchorUpdate? = nil
    ) throws -> ChainAnchor {
        // The run's anchor, not the events table, says where the chain ends: a deleted last event
        // then shows as a gap instead of being silently overwritten.
        guard let (length, previousHash) = try anchor.map({ ($0.length, $0.head) })
            ?? db.cachedStatement(sql: "SELECT chain_length, chain_head FROM runs WHERE id = ?").firstRow([.text(runId)], { ($0.int64(0), $0.text(1)) })
        else {
            throw StoreError.notFound("run \(runId)")
        }
        let sequence = length + 1
        let value = EventChain.body(runId: runId, sequence: sequence, kind: kind, at: time, data: data)
        let body = CanonicalJSON.encode(value, rule: .current)
        let hash = EventChain.hash(previousHash: previousHash, canonicalBody: body)
        try db.cachedStatement(sql: "INSERT INTO events (run_id, sequence, kind, body, previous_hash, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run([.text(runId), .integer(sequence), .text(kind), .text(String(decoding: body, as: UTF8.self)), .text(previousHash), .text(hash), .integer(ms(time))])
        let update = update ?? .anchor(of: runId)
        try db.cachedStatement(sql: update.sql).run([.integer(sequence), .text(hash)] + update.values)
        chain?.appended(runId: runId, sequence: sequence, previousHash: previousHash, hash: hash, body: value)
        return ChainAnchor(length: sequence, head: hash)
    }
}

/// A row read by column name through a name → position table built once per row. GRDB's own
/// lookup by name compares lowercased names column by column on every access, which made
/// decoding a wide row (such as a run's ~35 columns) the store's largest cost.
struct NamedColumns {
    let row: Row
    let positions: [String: Int]

    init(_ row: Row) {
        self.row = row
        var positions: [String: Int] = [:]
        positions.reserveCapacity(row.count)
        for (index, name) in row.columnNames.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    /// As `Row`'s subscript: `Value` may be optional (`nil` for NULL).
    subscript<Value: DatabaseValueConvertible>(_ name: String) -> Value {
        guard let index = positions[name] else { return row[name] }
        return row[index]
    }
}

extension NamedColumns: RecordRow {
    func text(_ column: String) -> String { self[column] }
    func optionalText(_ column: String) -> String? { self[column] }
    func integer(_ column: String) -> Int64 { self[column] }
    func optionalInteger(_ column: String) -> Int64? { self[column] }
    func flag(_ column: String) -> Bool { self[column] }
    func optionalReal(_ column: String) -> Double? { self[column] }
}
