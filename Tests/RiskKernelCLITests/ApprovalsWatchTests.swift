import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// `approvals watch` driven by a script (stdin not a terminal, so line mode): it prints the pending
/// calls whenever they change and reads one command a line. Its terminal mode is driven under a
/// pseudo-terminal in Tests/interop/test_approvals_watch_terminal.py.
@Suite("approvals watch")
struct ApprovalsWatchTests {
    @Test("line mode: shows a pending call with escaped arguments and time left; a approves, d then a reason denies")
    func watch() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--policy-file", try sandbox.write("p.yaml", demoPolicy)])
        await client.start { _ in }
        _ = await client.handshake()

        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: try Binary.require())
        watcher.arguments = ["approvals", "watch", "--db", sandbox.database, "--by", "watcher", "--interval", "0.05"]
        let keyboard = Pipe()
        let screen = Pipe()
        watcher.standardInput = keyboard
        watcher.standardOutput = screen
        try watcher.run()
        let output = Locked("")
        let reader = Thread {
            while true {
                let data = screen.fileHandleForReading.availableData
                if data.isEmpty { break }
                output.set(output.value + String(decoding: data, as: UTF8.self))
            }
        }
        reader.start()

        // An escape sequence in an argument must reach the terminal escaped.
        async let first = client.callTool("send_message", ["to": "ops", "text": "hello \u{1B}[2Jworld"])
        try await waitFor { output.value.contains("> 1. send_message") }
        #expect(output.value.contains("commands, one a line"))
        #expect(output.value.range(of: #"> 1\. send_message  \d+m \d{2}s left  apr_"#, options: .regularExpression) != nil)
        #expect(output.value.contains(#""text": "hello \u001b[2Jworld""#))
        #expect(!output.value.contains("\u{1B}"))
        keyboard.fileHandleForWriting.write(Data("a\n".utf8))
        #expect((await first).toolText == "message sent to ops")

        try await waitFor { output.value.contains("approved apr_") }
        let before = output.value.count
        async let second = client.callTool("send_message", ["to": "ops", "text": "again"])
        try await waitFor { output.value.dropFirst(before).contains(#""text": "again""#) }
        keyboard.fileHandleForWriting.write(Data("d\nnot twice\n".utf8))
        let denied = await second
        #expect(denied.toolText.contains("denied by watcher: not twice"))

        try keyboard.fileHandleForWriting.close()
        watcher.waitUntilExit()
        #expect(watcher.terminationStatus == 0)
        #expect(await client.close() == 0)
    }

    func waitFor(_ condition: @escaping () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
        try #require(condition())
    }
}
