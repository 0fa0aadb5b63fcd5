import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// The gateway binary in front of the built-in demo server, driven byte for byte.
@Suite("gateway process")
struct GatewayProcessTests {
    @Test("allowed calls pass, refused calls name the tool and reason, tools/list is filtered, all in the ledger")
    func governance() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let client = try await sandbox.gateway(["--policy-file", policy, "--run-name", "gov"])
        await client.start { _ in }
        let hello = await client.handshake()
        #expect(hello["result"]?["serverInfo"]?["name"] == "riskkernel-demo-server")
        let tools = await client.request("tools/list")
        #expect(tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            == ["list_files", "read_file", "write_file", "send_message"])
        let written = await client.callTool("write_file", ["path": "a.txt", "content": "hi"])
        #expect(!written.isToolError)
        #expect(written.toolText == "wrote 2 bytes")
        let refused = await client.callTool("delete_file", ["path": "a.txt"])
        #expect(refused.isToolError)
        #expect(refused.toolText.contains("\"delete_file\""))
        #expect(refused.toolText.contains("not on the allowlist"))
        #expect(FileManager.default.fileExists(atPath: sandbox.workspace + "/a.txt"))
        #expect(await client.close() == 0)

        let runs = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue)
        let runId = try #require(runs.first?["id"]?.stringValue)
        #expect(runs.first?["status"] == "completed")
        let shown = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        let calls = try #require(shown["toolCalls"]?.arrayValue)
        #expect(calls.map { $0["tool"] } == ["write_file", "delete_file"])
        #expect(calls.map { $0["decision"] } == ["allow", "deny"])
        #expect(calls.map { $0["status"] } == ["succeeded", "refused"])
        #expect(calls[0]["durationMs"]?.doubleValue != nil)
        #expect(calls[0]["sideEffect"] == "write")
        // Nothing was rewritten: each event's forwarded digest is its arguments' digest.
        let decided = try await sandbox.cli(["audit", "export", "--run", runId]).stdout.split(separator: "\n")
            .compactMap { try? JSONParser.parse(String($0)) }.filter { $0["kind"] == "tool.decided" }.compactMap { $0["data"] }
        #expect(decided.count == 2)
        #expect(decided.allSatisfy { $0["argumentsDigest"] != nil && $0["forwardedArgumentsDigest"] == $0["argumentsDigest"] })
    }

    @Test("approve and deny from a second process while other calls complete")
    func approvals() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let client = try await sandbox.gateway(["--policy-file", policy])
        let announced = AsyncStream.makeStream(of: JSONValue.self)
        await client.start { message in
            if message["method"] == "notifications/message" { announced.continuation.yield(message["params"]?["data"] ?? .null) }
        }
        _ = await client.handshake()
        var announcements = announced.stream.makeAsyncIterator()

        async let held = client.callTool("send_message", ["to": "ops", "text": "first"])
        let first = try #require(await announcements.next())
        let approvalId = try #require(first["approvalId"]?.stringValue)
        #expect(first["approveCommand"]?.stringValue?.hasPrefix("riskkernel approvals approve \(approvalId)") == true)
        // Another call is not blocked by the held one.
        let listed = await client.callTool("list_files")
        #expect(listed.toolText.contains("(no files)"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.workspace + "/outbox.jsonl"))
        let pending = try #require(try await sandbox.cli(["approvals", "list", "--status", "pending", "--json"]).json?.arrayValue)
        #expect(pending.count == 1)
        for field in ["id", "runId", "tool", "sideEffect", "arguments", "status", "reason", "decidedBy", "createdAt", "decidedAt"] {
            #expect(pending[0][field] != nil, "approvals list --json lacks \(field)")
        }
        #expect(pending[0]["arguments"]?["text"] == "first")
        let approve = try await sandbox.cli(["approvals", "approve", approvalId, "--by", "alice"])
        #expect(approve.status == 0)
        let result = await held
        #expect(result.toolText == "message sent to ops")
        #expect(FileManager.default.fileExists(atPath: sandbox.workspace + "/outbox.jsonl"))
        let again = try await sandbox.cli(["approvals", "approve", approvalId])
        #expect(again.status != 0)
        #expect(again.stderr.contains("is not pending (it is approved)"))

        async let denied = client.callTool("send_message", ["to": "ops", "text": "second"])
        let second = try #require(await announcements.next())
        #expect(try await sandbox.cli(["approvals", "deny", try #require(second["approvalId"]?.stringValue), "--reason", "not today", "--by", "bob"]).status == 0)
        let refusal = await denied
        #expect(refusal.isToolError)
        #expect(refusal.toolText.contains("denied by bob: not today"))
        #expect(await client.close() == 0)
    }

    @Test("an approval that expires refuses its call; a cancelled request is detached without a response and its approval stays pending")
    func timeoutAndCancel() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let client = try await sandbox.gateway(["--policy-file", policy, "--approval-timeout", "0.5"])
        await client.start { _ in }
        _ = await client.handshake()
        let expired = await client.callTool("send_message", ["to": "x", "text": "y"])
        #expect(expired.isToolError)
        #expect(expired.toolText.contains("expired"))
        #expect(expired.toolText.contains("no decision before it expired"))
        #expect(await client.close() == 0)

        let patient = try await sandbox.gateway(["--policy-file", policy])
        await patient.start { _ in }
        _ = await patient.handshake()
        await patient.sendRaw(CanonicalJSON.encode([
            "jsonrpc": "2.0", "id": 5000, "method": "tools/call", "params": ["name": "send_message", "arguments": ["to": "a", "text": "b"]],
        ]))
        for _ in 0..<200 where try await sandbox.cli(["approvals", "list", "--status", "pending", "--json"]).json?.arrayValue?.isEmpty ?? true {
            try await Task.sleep(for: .milliseconds(25))
        }
        await patient.notify("notifications/cancelled", ["requestId": 5000, "reason": "user gave up"])
        try await Task.sleep(for: .milliseconds(150))
        let approvals = try #require(try await sandbox.cli(["approvals", "list", "--json"]).json?.arrayValue)
        #expect(approvals.map { $0["status"] } == ["pending", "expired"])
        #expect(approvals[0]["reason"] == .null)
        // The gateway keeps serving, and never answered the cancelled request.
        #expect(!(await patient.callTool("list_files")).isToolError)
        #expect(await patient.takeUnmatchedResponses().isEmpty)
        #expect(await patient.close() == 0)
    }

    @Test("budgets halt the run after recordModelCall; unknown models are unpriced; extension methods answer")
    func budgetsAndExtensions() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--budget-tokens", "1000", "--metadata", "team=red"])
        await client.start { _ in }
        _ = await client.handshake()
        let first = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 400, "completionTokens": 100])
        #expect(first["result"]?["priced"] == true)
        #expect(first["result"]?["dollars"] == "0.002000")
        #expect(first["result"]?["halted"] == false)
        let unknown = await client.request("riskkernel/recordModelCall", ["provider": "acme", "model": "mystery", "promptTokens": 600, "completionTokens": 0])
        #expect(unknown["result"]?["priced"] == false)
        #expect(unknown["result"]?["halted"] == true)
        #expect(unknown["result"]?["haltReason"]?.stringValue?.contains("token budget exhausted") == true)
        let refused = await client.callTool("list_files")
        #expect(refused.toolText.contains("halted"))
        let bad = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": -1, "completionTokens": 0])
        #expect(bad["error"]?["code"] == .integer(JSONRPCErrorCode.invalidParams))
        let missing = await client.request("riskkernel/approve", ["id": "x"])
        #expect(missing["error"]?["code"] == .integer(JSONRPCErrorCode.methodNotFound))
        let status = await client.request("riskkernel/status")
        #expect(status["result"]?["halted"] == true)
        #expect(status["result"]?["usage"]?["totalTokens"] == 1100)
        _ = await client.request("riskkernel/checkpoint", ["name": "after-step-2", "payload": ["goal": "x"]])
        #expect(await client.request("riskkernel/latestCheckpoint")["result"]?["name"] == "after-step-2")
        _ = await client.request("riskkernel/facts/put", ["namespace": "mem", "key": "k", "value": ["v": 1]])
        #expect(await client.request("riskkernel/facts/get", ["namespace": "mem", "key": "k"])["result"]?["value"] == ["v": 1])
        #expect(await client.request("riskkernel/facts/list", ["namespace": "mem"])["result"]?["facts"]?.arrayValue?.count == 1)
        #expect(await client.close() == 0)
        let usage = try #require(try await sandbox.cli(["usage", "--by", "metadata.team", "--json"]).json)
        #expect(usage["groups"]?.arrayValue?.first?["key"] == "red")
        #expect(usage["total"]?["calls"] == 2)
        #expect(usage["total"]?["promptTokens"] == 1000)
    }

    @Test("money is a decimal string with six decimals in every output: extension answers, checkpoint payloads, usage, runs")
    func moneyIsADecimalString() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--budget-dollars", "2.5"])
        await client.start { _ in }
        _ = await client.handshake()
        // gpt-4o: 9 x $2.50/M + 3 x $10/M = $0.0000525, half up to the micro-dollar: $0.000053.
        let spend = try #require(await client.request(
            "riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 9, "completionTokens": 3])["result"])
        #expect(spend["dollars"] == "0.000053")
        #expect(spend["usage"]?["dollars"] == "0.000053")
        #expect(spend["budget"]?["dollars"] == "2.500000")
        let status = try #require(await client.request("riskkernel/status")["result"])
        #expect(status["usage"]?["dollars"] == "0.000053")
        #expect(status["treeUsage"]?["dollars"] == "0.000053")
        #expect(status["budget"]?["dollars"] == "2.500000")
        // The automatic checkpoint of the step.
        let checkpoint = try #require(await client.request("riskkernel/latestCheckpoint")["result"])
        #expect(checkpoint["name"] == "step-1")
        #expect(checkpoint["payload"]?["usage"]?["dollars"] == "0.000053")
        #expect(await client.close() == 0)

        let usage = try #require(try await sandbox.cli(["usage", "--by", "model", "--json"]).json)
        #expect(usage["groups"]?.arrayValue?.first?["dollars"] == "0.000053")
        #expect(usage["total"]?["dollars"] == "0.000053")
        let runs = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue)
        #expect(runs.first?["usage"]?["dollars"] == "0.000053")
        #expect(runs.first?["budget"]?["dollars"] == "2.500000")
        let runId = try #require(runs.first?["id"]?.stringValue)
        let shown = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        #expect(shown["spend"] == ["models": "0.000053", "tools": "0.000000"])
        #expect(shown["ledger"]?.arrayValue?.first?["dollars"] == "0.000053")
        let tree = try #require(try await sandbox.cli(["runs", "tree", runId, "--json"]).json)
        #expect(CanonicalJSON.string(tree).contains(#""dollars":"0.000053""#))
        let checkpoints = try #require(try await sandbox.cli(["checkpoints", "list", "--run", runId, "--json"]).json?.arrayValue)
        #expect(checkpoints.first?["payload"]?["usage"]?["dollars"] == "0.000053")
        #expect(try await sandbox.cli(["audit", "verify", "--run", runId]).status == 0)
    }

    @Test("malformed input gets the right JSON-RPC error and the gateway keeps serving")
    func badInput() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--max-line-bytes", "2048"])
        await client.start { _ in }
        _ = await client.handshake()
        let cases: [(String, Int64)] = [
            ("{broken", JSONRPCErrorCode.parseError),
            (#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_files"}}]"#, JSONRPCErrorCode.invalidRequest),
            (#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"ping"}"#, JSONRPCErrorCode.parseError),
            (String(repeating: "x", count: 5000), JSONRPCErrorCode.invalidRequest),
        ]
        for (line, code) in cases {
            await client.sendRaw(Array(line.utf8))
            #expect(!(await client.callTool("list_files")).isToolError)
            let orphans = await client.takeUnmatchedResponses()
            #expect(orphans.map { $0["error"]?["code"] } == [.integer(code)], "\(line.prefix(40))")
        }
        await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":9001,"method":"Tools/Call","params":{"name":"delete_file"}}"#.utf8))
        #expect(await client.response(id: 9001)["error"]?["code"] == .integer(JSONRPCErrorCode.invalidRequest))
        await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":9002,"method":"tools/call","params":{"name":"list_files","arguments":[1]}}"#.utf8))
        #expect(await client.response(id: 9002)["error"]?["code"] == .integer(JSONRPCErrorCode.invalidParams))
        let unknown = await client.request("no/such/method")
        #expect(unknown["error"]?["code"] == .integer(JSONRPCErrorCode.methodNotFound))
        #expect(await client.close() == 0)
    }
}
