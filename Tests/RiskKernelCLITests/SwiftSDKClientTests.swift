import Foundation
import MCP
import RiskKernelCore
import SystemPackage
import Testing

/// The Swift MCP SDK's client talking to the built gateway, which fronts the built-in demo server.
@Suite("Swift MCP SDK client through the gateway")
struct SwiftSDKClientTests {
    /// Starts the gateway with pipes for the SDK's stdio transport.
    final class GatewayUnderTest: @unchecked Sendable {
        let process = Process()
        let toGateway = Pipe()
        let fromGateway = Pipe()

        init(_ sandbox: Sandbox, policy: String) throws {
            let binary = try Binary.require()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "gateway", "--db", sandbox.database, "--policy-file", policy, "--log-level", "error",
                "--", binary, "demo-server", "--root", sandbox.workspace,
            ]
            process.standardInput = toGateway
            process.standardOutput = fromGateway
            try process.run()
        }

        var transport: StdioTransport {
            StdioTransport(
                input: FileDescriptor(rawValue: fromGateway.fileHandleForReading.fileDescriptor),
                output: FileDescriptor(rawValue: toGateway.fileHandleForWriting.fileDescriptor))
        }

        func stop() -> Int32 {
            try? toGateway.fileHandleForWriting.close()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test("tools/list is filtered, allowed calls return results, refusals are isError results, approvals come from another process")
    func sdkClient() async throws {
        let sandbox = Sandbox()
        let gateway = try GatewayUnderTest(sandbox, policy: try sandbox.write("p.yaml", demoPolicy))
        let client = Client(name: "riskkernel-swift-sdk-test", version: "1.0")
        let (approvalIds, announce) = AsyncStream.makeStream(of: String.self)
        await client.onNotification(LogMessageNotification.self) { message in
            if case .object(let data) = message.params.data, case .string(let id)? = data["approvalId"] { announce.yield(id) }
        }
        let initialized = try await client.connect(transport: gateway.transport)
        #expect(initialized.serverInfo.name == "riskkernel-demo-server")

        let (tools, _) = try await client.listTools()
        #expect(tools.map(\.name) == ["list_files", "read_file", "write_file", "send_message"])

        let written = try await client.callTool(name: "write_file", arguments: ["path": "note.txt", "content": "from swift"])
        #expect(written.isError != true)
        #expect(written.content == [.text(text: "wrote 10 bytes", annotations: nil, _meta: nil)])

        let refused = try await client.callTool(name: "delete_file", arguments: ["path": "note.txt"])
        #expect(refused.isError == true)
        guard case .text(let text, _, _)? = refused.content.first else {
            Issue.record("the refusal has no text")
            return
        }
        #expect(text.contains("delete_file") && text.contains("not on the allowlist"))
        #expect(FileManager.default.fileExists(atPath: sandbox.workspace + "/note.txt"))

        async let held = client.callTool(name: "send_message", arguments: ["to": "ops", "text": "from swift"])
        var ids = approvalIds.makeAsyncIterator()
        let approvalId = try #require(await ids.next())
        #expect(try await sandbox.cli(["approvals", "approve", approvalId, "--by", "swift-test"]).status == 0)
        let sent = try await held
        #expect(sent.content == [.text(text: "message sent to ops", annotations: nil, _meta: nil)])

        await client.disconnect()
        #expect(gateway.stop() == 0)
    }
}
