import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// What the gateway does not govern passes unchanged, both ways.
@Suite("gateway transparency and lifecycle")
struct TransparencyTests {
    static let upstreamScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/echo_upstream.py").path

    func echoGateway(_ sandbox: Sandbox, _ options: [String] = []) async throws -> (StdioClient, AsyncStream<JSONValue>) {
        let client = try await sandbox.gateway(options, upstream: [Python.executable, Self.upstreamScript])
        let (messages, continuation) = AsyncStream.makeStream(of: JSONValue.self)
        await client.start { message in
            continuation.yield(message)
            // Answer server-to-client sampling requests like a real client would.
            if message["method"] == "sampling/createMessage", let id = message["id"] {
                Task { await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": id, "result": ["role": "assistant", "content": ["type": "text", "text": "hi"], "model": "m"]])) }
            }
        }
        return (client, messages)
    }

    @Test("requests, notifications, server-to-client requests and unknown fields pass through; ids survive")
    func passThrough() async throws {
        let sandbox = Sandbox()
        let (client, messages) = try await echoGateway(sandbox)
        var inbox = messages.makeAsyncIterator()
        let hello = await client.handshake()
        #expect(hello["result"]?["x-unknown"] == ["kept": true])
        #expect(await inbox.next()?["params"]?["data"] == "hello from upstream")
        let echoed = await client.request("custom/method", ["a": [1, 2, ["b": .null]]])
        #expect(echoed["result"]?["echo"] == "custom/method")
        #expect(echoed["result"]?["params"] == ["a": [1, 2, ["b": .null]]])
        await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":"str-id-7","method":"custom/x","params":{},"extraField":42}"#.utf8))
        try await Task.sleep(for: .milliseconds(200))
        let answer = await client.takeUnmatchedResponses().first { $0["id"] == "str-id-7" }
        #expect(answer?["result"]?["extra"] == ["extraField": 42])

        let asked = await client.request("tools/call", ["name": "ask_client", "arguments": [:], "_meta": ["progressToken": "p1"]])
        #expect(asked.toolText == "client said: hi")
        var seen: [String] = []
        while seen.count < 2, let message = await inbox.next() { seen.append(message["method"]?.stringValue ?? "") }
        #expect(seen == ["notifications/progress", "sampling/createMessage"])
        #expect(await client.close() == 0)
    }

    @Test("an upstream that dies fails its in-flight calls; the gateway exits 1 and the run is failed")
    func upstreamCrash() async throws {
        let sandbox = Sandbox()
        let (client, _) = try await echoGateway(sandbox)
        _ = await client.handshake()
        let crashed = await client.callTool("crash")
        #expect(crashed["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        #expect(crashed["error"]?["message"]?.stringValue?.contains("exited") == true)
        #expect(await client.close() == 1)
        let run = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first)
        #expect(run["status"] == "failed")
        let runId = try #require(run["id"]?.stringValue)
        let calls = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json?["toolCalls"]?.arrayValue)
        #expect(calls.first?["status"] == "failed")
    }

    @Test("a command that cannot start is a clear error with exit status 2")
    func spawnFailure() async throws {
        let sandbox = Sandbox()
        let result = try await Binary.run(["gateway", "--db", sandbox.database, "--", "/no/such/server"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot start upstream server \"/no/such/server\""))
        let missing = try await Binary.run(["gateway", "--db", sandbox.database])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("after `--`"))
    }

    @Test("SIGTERM shuts down cleanly: in-flight calls finish, a held call gets a pending result and its approval stays pending, the run completes")
    func sigterm() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", """
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: hold}
            spec:
              approvalRules: [{tool: ask_client}]
            """)
        let (client, _) = try await echoGateway(sandbox, ["--policy-file", policy])
        _ = await client.handshake()
        async let slow = client.callTool("slow")
        async let held = client.callTool("ask_client")
        for _ in 0..<200 where try await sandbox.cli(["approvals", "list", "--status", "pending", "--json"]).json?.arrayValue?.isEmpty ?? true {
            try await Task.sleep(for: .milliseconds(25))
        }
        kill(client.processIdentifier, SIGTERM)
        #expect((await slow).toolText == "slow done")
        let pending = await held
        #expect(pending.toolText.contains("until a person approves it"))
        #expect(await client.close() == 0)
        let approvals = try #require(try await sandbox.cli(["approvals", "list", "--status", "pending", "--json"]).json?.arrayValue)
        #expect(approvals.count == 1)
        #expect(pending["result"]?["_meta"]?["riskkernel.dev/approval"]?["id"] == approvals.first?["id"])
        #expect(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["status"] == "completed")
    }

    @Test("--run-id resumes a run with its usage, and a call approved while no gateway ran goes through")
    func resume() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let first = try await sandbox.gateway(["--policy-file", policy, "--budget-tokens", "500"])
        let announced = AsyncStream.makeStream(of: String.self)
        await first.start { message in
            if let id = message["params"]?["data"]?["approvalId"]?.stringValue { announced.continuation.yield(id) }
        }
        _ = await first.handshake()
        _ = await first.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 300, "completionTokens": 0])
        async let _ = first.callTool("send_message", ["to": "a", "text": "resume me"])
        var ids = announced.stream.makeAsyncIterator()
        let approvalId = try #require(await ids.next())
        // The gateway is killed: the approval stays pending for the run.
        kill(first.processIdentifier, SIGKILL)
        _ = await first.close()
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        #expect(try await sandbox.cli(["approvals", "approve", approvalId]).status == 0)

        let second = try await sandbox.gateway(["--policy-file", policy, "--run-id", runId])
        await second.start { _ in }
        _ = await second.handshake()
        let status = await second.request("riskkernel/status")
        #expect(status["result"]?["runId"] == .string(runId))
        #expect(status["result"]?["usage"]?["promptTokens"] == 300)
        #expect(status["result"]?["budget"]?["tokens"] == 500)
        let repeated = await second.callTool("send_message", ["to": "a", "text": "resume me"])
        #expect(repeated.toolText == "message sent to a")
        let over = await second.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 300, "completionTokens": 0])
        #expect(over["result"]?["halted"] == true)
        #expect(await second.close() == 0)
    }
}
