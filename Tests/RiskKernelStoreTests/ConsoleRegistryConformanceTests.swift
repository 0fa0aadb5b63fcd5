import Foundation
import RiskKernelStore
import Testing

/// The consoles' records (the links in pending notices) and the change signal the console's live
/// page follows; on both stores.
@Suite("Store conformance: consoles and change signals")
struct ConsoleRegistryConformanceTests {
    @Test("a console's record is found while fresh and gone once removed", arguments: StoreBackend.allCases)
    func registry(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let owner = GatewayOwner(host: "host-a", pid: 4242, processStart: nil)
        #expect(try await store.consoleURL(heartbeatSince: Date().addingTimeInterval(-30)) == nil)
        try await store.registerConsole(url: "http://127.0.0.1:8787", owner: owner)
        #expect(try await store.consoleURL(heartbeatSince: Date().addingTimeInterval(-30)) == "http://127.0.0.1:8787")
        // A record older than the freshness asked for is of a console that stopped without saying so.
        #expect(try await store.consoleURL(heartbeatSince: Date().addingTimeInterval(60)) == nil)
        try await store.registerConsole(url: "http://127.0.0.1:8787", owner: owner)
        try await store.unregisterConsole(url: "http://127.0.0.1:8787")
        #expect(try await store.consoleURL(heartbeatSince: Date().addingTimeInterval(-30)) == nil)
    }

    @Test("a new approval's write is signalled to a watcher of the store", arguments: StoreBackend.allCases)
    func changeSignal(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let observed = try #require(store as? any Store & StoreChangeObserving)
        let run = try await store.createRun(NewRun(name: "watched"))
        let changes = observed.changes()
        let (ready, readied) = AsyncStream.makeStream(of: Void.self)
        let signalled = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = changes.makeAsyncIterator()
                // The first element comes at once; the next one after a change.
                guard await iterator.next() != nil else { return false }
                readied.yield()
                return await iterator.next() != nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return false
            }
            defer { group.cancelAll() }
            var readiness = ready.makeAsyncIterator()
            _ = await readiness.next()
            // Give the watcher its baseline (SQLite) or its LISTEN (PostgreSQL) before the write.
            try await Task.sleep(for: .milliseconds(500))
            let written = try await store.beginToolCall(
                NewToolCall(runId: run.id, requestId: "1", tool: "send_message", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "held")),
                approvalExpiresAt: Date().addingTimeInterval(600))
            #expect(written.1 != nil)
            return try await group.next()!
        }
        #expect(signalled, "no change was signalled within 30 s of a new approval")
    }
}
