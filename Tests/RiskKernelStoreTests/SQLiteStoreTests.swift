import Foundation
import GRDB
import RiskKernelCore
import RiskKernelStore
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("a database from a newer version is refused and left untouched")
    func newerSchemaRefused() throws {
        let path = TemporaryFiles.newDirectory() + "/newer.sqlite"
        _ = try SQLiteStore(path: path)
        // Simulate a newer binary's migration.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        #expect {
            _ = try SQLiteStore(path: path)
        } throws: { error in
            guard case StoreError.schemaTooNew(let found, _) = error else { return false }
            return found.contains("v999-from-the-future") && "\(error)".contains("newer RiskKernel")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
    }

    @Test("opening migrates, runs in WAL mode and is private to the user")
    func openedState() throws {
        let path = TemporaryFiles.newDirectory() + "/fresh.sqlite"
        let store = try SQLiteStore(path: path)
        let status = try store.migrationStatus()
        #expect(status.applied == status.known)
        #expect(try store.integrityCheck() == ["ok"])
        let mode = try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test("two stores on one file see each other's writes and decisions")
    func sharedFile() async throws {
        let path = TemporaryFiles.newDirectory() + "/shared.sqlite"
        let gateway = try SQLiteStore(path: path, decisionPollInterval: .milliseconds(5))
        let operator_ = try SQLiteStore(path: path)
        let run = try await gateway.createRun(NewRun())
        let (_, approval) = try await gateway.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "tool=t")),
            approvalExpiresAt: nil)
        let id = try #require(approval?.id)
        async let seen = gateway.waitForDecision(approvalId: id, until: Date().addingTimeInterval(5))
        try await Task.sleep(for: .milliseconds(20))
        _ = try await operator_.resolveApproval(id: id, status: .denied, decidedBy: "ops", reason: "no")
        #expect(try await seen.status == .denied)
    }
}
