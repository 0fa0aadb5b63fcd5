import Foundation
import GRDB
import RiskKernelCore
@testable import RiskKernelStore
import Testing

/// Migrating an older SQLite database: all in one transaction, or not at all.
@Suite("SQLite migrations")
struct SQLiteMigrationTests {
    /// A database as the first release left it, with one run in it.
    static func firstReleaseDatabase() throws -> String {
        let path = TemporaryFiles.newDirectory() + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator().migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO runs (id, name, status, created_at, updated_at) VALUES ('run_old', 'old', 'completed', 1, 1);
                INSERT INTO events (run_id, sequence, kind, body, previous_hash, hash, created_at) VALUES ('run_old', 1, 'run.started', '{}', 'x', 'y', 1);
                """)
        }
        try queue.close()
        return path
    }

    /// The schema and the contents of every table, to compare a database before and after.
    static func snapshot(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? queue.close() }
        return try queue.read { db in
            let schema = try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name")
            var rows: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                rows += try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table): \($0)" }
            }
            return schema + rows
        }
    }

    @Test("an older database is migrated forward in one transaction and keeps its records")
    func migratesForward() throws {
        let path = try Self.firstReleaseDatabase()
        let store = try SQLiteStore(path: path)
        let status = try store.migrationStatus()
        #expect(status.applied == status.known)
        #expect(try store.integrityCheck() == ["ok"])
        let head = try DatabaseQueue(path: path).read { db in try Row.fetchOne(db, sql: "SELECT chain_length, chain_head FROM runs WHERE id = 'run_old'") }
        #expect(head?["chain_length"] == 1)
        #expect(head?["chain_head"] == "y")
    }

    @Test("a migration that fails part-way leaves the database as it was, with a clear error")
    func failedMigrationLeavesItUnchanged() throws {
        let path = try Self.firstReleaseDatabase()
        // A table in the way of a later migration (v2 creates `attributions`): that migration fails
        // after v2's first statements have run.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE attributions (x TEXT)") }
        try queue.close()
        let before = try Self.snapshot(path)
        #expect {
            _ = try SQLiteStore(path: path)
        } throws: { error in
            "\(error)".contains("attributions")
        }
        let after = try Self.snapshot(path)
        #expect(after == before)
        #expect(!after.contains { $0.contains("chain_length") }, "a column of v2 was left behind")
        let applied = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1"])
        let again = try Self.snapshot(path)
        #expect(again == before)
    }

    @Test("a new database and its WAL and shared-memory files are private to the user")
    func privateFiles() async throws {
        let directory = TemporaryFiles.newDirectory()
        let path = directory + "/private.sqlite"
        let previous = umask(0o022)
        defer { umask(previous) }
        let store = try SQLiteStore(path: path)
        _ = try await store.createRun(NewRun(name: "written"))
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(permissions == 0o600, "\(file) has mode \(String(permissions ?? 0, radix: 8))")
        }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }
}
