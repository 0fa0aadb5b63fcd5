import Foundation
import GRDB
@testable import RiskKernelStore
import Testing

/// ``SQLiteStore/transaction(_:_:_:)``: the store's own `BEGIN`/`COMMIT`/`ROLLBACK`, prepared once
/// per connection, must end every transaction as GRDB's `inTransaction` does.
@Suite("SQLite transactions with prepared BEGIN and COMMIT")
struct SQLiteTransactionTests {
    private struct Refused: Error {}

    private static func count(_ db: Database, _ table: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
    }

    @Test("work that throws is rolled back; the prepared statements serve the next transaction")
    func rollsBackWhatThrows() throws {
        let queue = try DatabaseQueue()
        try queue.inDatabase { db in
            try db.execute(sql: "CREATE TABLE scratch (value INTEGER NOT NULL)")
            for round in 0..<3 {
                #expect(throws: Refused.self) {
                    try SQLiteStore.transaction(db) {
                        try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [round])
                        throw Refused()
                    }
                }
                #expect(!db.isInsideTransaction)
                let written = try SQLiteStore.transaction(db) { () -> Int in
                    try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [round])
                    return try Self.count(db, "scratch")
                }
                #expect(written == round + 1)
                #expect(!db.isInsideTransaction)
            }
            #expect(try Int.fetchAll(db, sql: "SELECT value FROM scratch ORDER BY value") == [0, 1, 2])
        }
    }

    @Test("a commit that fails is rolled back and thrown")
    func rollsBackAFailedCommit() throws {
        let queue = try DatabaseQueue()
        try queue.inDatabase { db in
            try db.execute(sql: """
                CREATE TABLE parents (id INTEGER PRIMARY KEY);
                CREATE TABLE children (parent INTEGER NOT NULL REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
                """)
            // A deferred foreign key is checked at COMMIT, which then fails.
            var refused: DatabaseError?
            do {
                try SQLiteStore.transaction(db) { try db.execute(sql: "INSERT INTO children VALUES (7)") }
            } catch let error as DatabaseError {
                refused = error
            }
            #expect(refused?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY)
            #expect(!db.isInsideTransaction)
            #expect(try Self.count(db, "children") == 0)
            try SQLiteStore.transaction(db) {
                try db.execute(sql: "INSERT INTO parents VALUES (7)")
                try db.execute(sql: "INSERT INTO children VALUES (7)")
            }
            #expect(try Self.count(db, "children") == 1)
        }
    }

    @Test("a deferred transaction reads while another connection writes; an immediate one is refused its lock")
    func deferredTakesNoWriteLock() throws {
        let folder = TemporaryFiles.newDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/scratch.sqlite"
        let pool = try DatabasePool(path: path)
        try pool.write { db in try db.execute(sql: "CREATE TABLE scratch (value INTEGER NOT NULL); INSERT INTO scratch VALUES (1)") }
        // Another process's writer, as far as SQLite can tell: a connection of its own in a write transaction.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: configuration)
        try other.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE; INSERT INTO scratch VALUES (2)") }
        try pool.writeWithoutTransaction { db in
            let seen = try SQLiteStore.transaction(db, .deferred) { try Self.count(db, "scratch") }
            #expect(seen == 1)
            #expect(!db.isInsideTransaction)
            let error = #expect(throws: DatabaseError.self) { try SQLiteStore.transaction(db) { try Self.count(db, "scratch") } }
            #expect(error?.resultCode == .SQLITE_BUSY)
            #expect(!db.isInsideTransaction)
        }
        try other.inDatabase { db in try db.execute(sql: "COMMIT") }
        let after = try pool.writeWithoutTransaction { db in try SQLiteStore.transaction(db) { try Self.count(db, "scratch") } }
        #expect(after == 2)
    }
}
