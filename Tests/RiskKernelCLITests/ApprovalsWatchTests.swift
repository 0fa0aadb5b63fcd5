import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// `approvals watch` driven the way a person uses it: it shows each new pending call and reads a
/// decision at its prompt.
@Suite("approvals watch")
struct ApprovalsWatchTests {
    @Test("shows a pending call with escaped arguments and approves or denies it at the prompt")
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
        try await waitFor { output.value.contains("[a]pprove") }
        #expect(output.value.contains("tool:        send_message"))
        #expect(output.value.contains(#""text": "hello \u001b[2Jworld""#))
        #expect(!output.value.contains("\u{1B}"))
        keyboard.fileHandleForWriting.write(Data("a\n".utf8))
        #expect((await first).toolText == "message sent to ops")

        async let second = client.callTool("send_message", ["to": "ops", "text": "again"])
        try await waitFor { output.value.components(separatedBy: "[a]pprove").count == 3 }
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
