import Foundation
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore
import Testing

/// Another process holding SQLite's write lock on a database (Python's `sqlite3` module, in a
/// `BEGIN IMMEDIATE` transaction) until ``release()``.
private final class WriteLockHolder {
    private let process = Process()
    private let input = Pipe()

    init(database: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys
            connection = sqlite3.connect(sys.argv[1], isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.readline()
            connection.execute("COMMIT")
            """,
            database,
        ]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("locked") else { throw StoreError.unavailable("python3 could not lock \(database): \(line)") }
    }

    func release() {
        input.fileHandleForWriting.write(Data("\n".utf8))
        process.waitUntilExit()
    }
}

@Suite("a call cancelled before its decision is written")
struct DecisionCancellationTests {
    @Test("while the store is busy, a call and its cancellation arrive: the call is not recorded, never answered, and the write ahead of it is")
    func cancelledWhileQueued() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway()
        await client.start { _ in }
        _ = await client.handshake()
        let runId = try #require(await client.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        // The catalogue is loaded and one call recorded before the store is made busy.
        #expect(!(await client.callTool("list_files")).isToolError)
        let lock = try WriteLockHolder(database: sandbox.database)
        // A model call's group waits for the lock; the tool call's decision queues behind it.
        async let spend = client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 10, "completionTokens": 5])
        try await Task.sleep(for: .milliseconds(300))
        await client.sendRaw(CanonicalJSON.encode([
            "jsonrpc": "2.0", "id": 7001, "method": "tools/call", "params": ["name": "list_files", "arguments": [:]],
        ]))
        try await Task.sleep(for: .milliseconds(300))
        await client.notify("notifications/cancelled", ["requestId": 7001, "reason": "the user gave up"])
        try await Task.sleep(for: .milliseconds(300))
        lock.release()
        #expect(await spend["result"]?["priced"] == true)
        // The gateway goes on serving; the cancelled call was never answered nor recorded.
        #expect(!(await client.callTool("list_files")).isToolError)
        #expect(await client.takeUnmatchedResponses().isEmpty)
        #expect(await client.close() == 0)
        let store = try SQLiteStore(path: sandbox.database)
        let recorded = try await store.toolCalls(runId: runId)
        #expect(recorded.count == 2, "recorded: \(recorded.map(\.requestId))")
        #expect(!recorded.contains { $0.requestId == "7001" })
    }
}
