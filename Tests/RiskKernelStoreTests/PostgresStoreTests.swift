import Foundation
import PostgresTestSupport
import GRDB
import RiskKernelCore
import RiskKernelStore
import Testing

@Suite("PostgreSQL store")
struct PostgresStoreTests {
    /// What the database holds that a refused open must not change.
    private func snapshot(_ server: PostgresLocalServer, _ database: String) throws -> String {
        try server.psql(database: database, """
            SELECT (SELECT string_agg(identifier || '@' || applied_at, ',' ORDER BY identifier) FROM schema_migrations)
                || '|' || (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public')
                || '|' || (SELECT count(*) FROM runs) || '|' || (SELECT max(chain_head) FROM runs)
            """)
    }

    @Test("a database from a newer version is refused with a clear error and left untouched")
    func newerSchemaRefused() async throws {
        let server = try TestPostgres.server()
        let configuration = try TestPostgres.newDatabase()
        let store = try await PostgresStore.open(configuration: configuration)
        _ = try await store.createRun(NewRun(name: "before"))
        await store.close()
        // Simulate a newer binary's migration.
        try server.psql(database: configuration.database, "INSERT INTO schema_migrations (identifier, applied_at) VALUES ('v999-from-the-future', 1)")
        let before = try snapshot(server, configuration.database)
        await #expect {
            _ = try await PostgresStore.open(configuration: configuration)
        } throws: { error in
            guard case StoreError.schemaTooNew(let found, _) = error else { return false }
            return found.contains("v999-from-the-future") && "\(error)".contains("newer RiskKernel")
        }
        // Used without `open`, the first operation refuses it the same way.
        let lazy = PostgresStore(configuration: configuration)
        await #expect(throws: StoreError.self) { _ = try await lazy.createRun(NewRun(name: "after")) }
        await lazy.close()
        #expect(try snapshot(server, configuration.database) == before)
    }

    @Test("opening migrates once, even when several processes open a fresh database at the same time")
    func concurrentMigrations() async throws {
        let configuration = try TestPostgres.newDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresStore.open(configuration: configuration) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for store in stores {
            let status = try await store.migrationStatus()
            #expect(status.applied == status.known)
            #expect(status.known.starts(with: ["v1", "v2-chain-heads-and-attributions", "v3-tool-pins-and-forwarded-arguments"]))
            await store.close()
        }
    }

    @Test("the schema has the same tables and columns as SQLite's")
    func sameSchemaAsSQLite() async throws {
        let server = try TestPostgres.server()
        let configuration = try TestPostgres.newDatabase()
        let store = try await PostgresStore.open(configuration: configuration)
        await store.close()
        let path = TemporaryFiles.newDirectory() + "/schema.sqlite"
        _ = try SQLiteStore(path: path)
        let queue = try DatabaseQueue(path: path)
        let tables = ["policies", "runs", "steps", "ledger_entries", "tool_calls", "approvals", "facts", "checkpoints", "events", "attributions"]
        for table in tables {
            let sqliteColumns = try await queue.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String } }
            let postgresColumns = try server.psql(
                database: configuration.database,
                "SELECT column_name FROM information_schema.columns WHERE table_name = '\(table)' AND column_name <> 'rowid' ORDER BY ordinal_position"
            ).split(separator: "\n").map(String.init)
            #expect(Set(postgresColumns) == Set(sqliteColumns), "table \(table)")
        }
    }

    @Test("an unreachable server is a clear error at start, without hanging")
    func unreachableServer() async throws {
        var configuration = try PostgresStoreConfiguration(url: "postgres://postgres@127.0.0.1:\(try Self.closedPort())/nothing?sslmode=disable")
        configuration.attempts = 2
        let started = Date()
        await #expect {
            _ = try await PostgresStore.open(configuration: configuration)
        } throws: { error in
            guard case StoreError.unavailable(let message) = error else { return false }
            return message.contains("cannot connect to PostgreSQL at 127.0.0.1:")
        }
        // A bound against hanging (a lease waiting for a circuit breaker takes a minute), not a speed
        // claim: a refused connection fails at once, but a loaded machine has taken 40 s to get there.
        #expect(Date().timeIntervalSince(started) < 55)
        #expect(throws: StoreError.self) { _ = try PostgresStoreConfiguration(url: "mysql://x@y/z") }
        #expect(throws: StoreError.self) { _ = try PostgresStoreConfiguration(url: "postgres://127.0.0.1/db") }
    }

    @Test("a decision made through another connection wakes the waiter by notification, not by polling (LISTEN/NOTIFY)")
    func notifyWakesWaiter() async throws {
        // A long poll interval, so that only the notification can release the wait in time.
        let configuration = try TestPostgres.newDatabase(decisionPollInterval: .seconds(10))
        let gateway = try await PostgresStore.open(configuration: configuration)
        let approver = try await PostgresStore.open(configuration: configuration)
        let run = try await gateway.createRun(NewRun())
        var latencies: [Double] = []
        for index in 0..<5 {
            let (_, approval) = try await gateway.beginToolCall(
                NewToolCall(runId: run.id, requestId: "\(index)", tool: "t", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "tool=t")),
                approvalExpiresAt: nil)
            let id = try #require(approval?.id)
            let waiter = Task { () -> (ApprovalRecord, Date) in
                let record = try await gateway.waitForDecision(approvalId: id, until: Date().addingTimeInterval(20))
                return (record, Date())
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await approver.resolveApproval(id: id, status: .approved, decidedBy: "ops", reason: nil)
            let decidedAt = Date()  // committed
            let (seen, wokeAt) = try await waiter.value
            #expect(seen.status == .approved)
            latencies.append(max(0, wokeAt.timeIntervalSince(decidedAt)))
        }
        print("PostgreSQL approval wake-up latency (decision committed → waiter released), ms: \(latencies.map { Int(($0 * 1000).rounded()) })")
        // Well under the 10 s poll: each wake-up came from the notification. (How fast is a benchmark's figure.)
        #expect(latencies.allSatisfy { $0 < 5 }, "latencies \(latencies)")
        await gateway.close()
        await approver.close()
    }

    @Test("stores on separate connections spend against one run tree without overspending")
    func crossStoreSpend() async throws {
        let configuration = try TestPostgres.newDatabase()
        let stores = try await (0..<4).asyncMap { _ in try await PostgresStore.open(configuration: configuration) }
        let root = try await stores[0].createRun(NewRun(name: "root", budget: Budget(tokens: 100)))
        let children = try await (0..<4).asyncMap { index in try await stores[index].createRun(NewRun(name: "child-\(index)", parentRunId: root.id)) }
        let results = try await withThrowingTaskGroup(of: [SpendResult].self) { group in
            for index in 0..<4 {
                group.addTask { try await (0..<10).asyncMap { _ in try await stores[index].recordModelCall(runId: children[index].id, modelCall(5, 0)) } }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let after = try #require(try await stores[1].run(id: root.id))
        #expect(after.treeUsage.totalTokens == 200)
        #expect(after.treeUsage.loops == 40)
        #expect(after.status == .halted)
        // The spend that reached 100 tokens and every later one see the halt, whichever connection made it.
        #expect(results.filter(\.halted).count == 21)
        // Each child's chain is intact.
        for child in children {
            var previous = EventChain.genesisHash
            for event in try await stores[0].events(runId: child.id) {
                #expect(event.previousHash == previous)
                previous = event.hash
            }
            #expect(try await stores[0].chainHead(runId: child.id)?.hash == previous)
        }
        for store in stores { await store.close() }
    }

    @Test("a dropped connection is replaced and the operation retried")
    func droppedConnectionRetried() async throws {
        let server = try TestPostgres.server()
        let configuration = try TestPostgres.newDatabase()
        let store = try await PostgresStore.open(configuration: configuration)
        let run = try await store.createRun(NewRun())
        _ = try await store.recordModelCall(runId: run.id, modelCall(1, 1))
        // Drop every connection of the store (as a restarted proxy or failover would).
        try server.psql(database: "postgres", """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(configuration.database)' AND pid <> pg_backend_pid()
            """)
        try await Task.sleep(for: .milliseconds(100))
        let second = try await store.recordModelCall(runId: run.id, modelCall(1, 1))
        #expect(second.entry.step == 2)
        #expect(try await store.ledger(runId: run.id).count == 2)
        await store.close()
    }

    @Test("a stopped server makes writes fail with a clear error; they work again when it is back")
    func serverStopped() async throws {
        let server = try PostgresLocalServer()
        try server.createDatabase("riskkernel")
        var configuration = try PostgresStoreConfiguration(url: server.url(database: "riskkernel"))
        configuration.attempts = 3
        let store = try await PostgresStore.open(configuration: configuration)
        let run = try await store.createRun(NewRun())
        try server.stop()
        let started = Date()
        await #expect {
            _ = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "write", arguments: [:], decision: .allow), approvalExpiresAt: nil)
        } throws: { error in
            guard case StoreError.unavailable = error else { return false }
            return "\(error)".contains("PostgreSQL")
        }
        #expect(Date().timeIntervalSince(started) < 40)
        try server.start()
        let (call, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "2", tool: "t", sideEffect: "write", arguments: [:], decision: .allow), approvalExpiresAt: nil)
        #expect(try await store.toolCalls(runId: run.id).map(\.id) == [call.id])
        await store.close()
        try server.stop()
    }

    /// A port on 127.0.0.1 with nothing listening.
    static func closedPort() throws -> Int {
        let server = try TestPostgres.server()
        return server.port == 1 ? 2 : 1
    }
}
