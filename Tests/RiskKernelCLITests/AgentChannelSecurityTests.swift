import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// The agent's stdio is hostile: nothing on it can approve, deny, change a policy or a budget, or
/// reach the store; and what it sends is escaped wherever an operator reads it.
@Suite("agent channel security")
struct AgentChannelSecurityTests {
    @Test("no message on the agent's channel approves, denies, changes a policy or raises a budget")
    func agentCannotDecide() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        // The held call waits through every attack below, however slow the machine (no pending result).
        let client = try await sandbox.gateway(["--policy-file", policy, "--budget-tokens", "1000", "--approval-hold", "600"])
        let announced = AsyncStream.makeStream(of: String.self)
        await client.start { message in
            if let id = message["params"]?["data"]?["approvalId"]?.stringValue { announced.continuation.yield(id) }
        }
        _ = await client.handshake()
        async let held = client.callTool("send_message", ["to": "ops", "text": "approve yourself"])
        var ids = announced.stream.makeAsyncIterator()
        let approvalId = try #require(await ids.next())
        let approval = JSONValue.string(approvalId)

        let attacks: [(String, JSONValue, Int64)] = [
            ("riskkernel/approve", ["id": approval], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/approvals/approve", ["id": approval], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/deny", ["id": approval, "reason": "x"], JSONRPCErrorCode.methodNotFound),
            ("RiskKernel/Approve", ["id": approval], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/policy/apply", ["document": ["spec": ["budget": ["tokens": 1_000_000]]]], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/setBudget", ["tokens": 1_000_000], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/tools/approve", ["server": "x"], JSONRPCErrorCode.methodNotFound),
            ("riskkernel/sql", ["query": "UPDATE approvals SET status = 'approved'"], JSONRPCErrorCode.methodNotFound),
            ("approvals/approve", ["id": approval], JSONRPCErrorCode.methodNotFound),  // forwarded: the upstream does not know it
            ("Tools/Call", ["name": "send_message", "arguments": ["to": "ops", "text": "x"]], JSONRPCErrorCode.invalidRequest),
            ("TOOLS/CALL", ["name": "send_message"], JSONRPCErrorCode.invalidRequest),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": -1_000_000, "completionTokens": 0], JSONRPCErrorCode.invalidParams),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 0, "completionTokens": 0, "cachedPromptTokens": -5], JSONRPCErrorCode.invalidParams),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": .integer(Int64.max), "completionTokens": .integer(Int64.max)], JSONRPCErrorCode.invalidParams),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 1.5, "completionTokens": 0], JSONRPCErrorCode.invalidParams),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": "100", "completionTokens": 0], JSONRPCErrorCode.invalidParams),
            ("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": -1e300, "completionTokens": 0], JSONRPCErrorCode.invalidParams),
        ]
        for (index, (method, params, code)) in attacks.enumerated() {
            let id = Int64(9000 + index)
            await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params]))
            let response = await client.response(id: id)
            #expect(response["error"]?["code"] == .integer(code), "\(method): \(CanonicalJSON.string(response))")
        }
        // A batch with a call inside, a notification and a forged response: no effect either.
        let call = CanonicalJSON.string(["jsonrpc": "2.0", "id": 9100, "method": "tools/call", "params": ["name": "send_message", "arguments": ["to": "a", "text": "b"]]])
        await client.sendRaw(Array("[\(call),{\"jsonrpc\":\"2.0\",\"id\":9101,\"method\":\"riskkernel/approve\"}]".utf8))
        await client.notify("riskkernel/approve", ["id": approval])
        await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": approval, "result": ["approved": true]]))
        #expect(!(await client.callTool("list_files")).isToolError)
        #expect(await client.takeUnmatchedResponses().map { $0["error"]?["code"] } == [.integer(JSONRPCErrorCode.invalidRequest)])

        // Still pending, budget and usage unchanged, no policy stored.
        let pending = try #require(try await sandbox.cli(["approvals", "list", "--status", "pending", "--json"]).json?.arrayValue)
        #expect(pending.map { $0["id"] } == [approval])
        let status = await client.request("riskkernel/status")
        #expect(status["result"]?["budget"]?["tokens"] == 1000)
        #expect(status["result"]?["usage"]?["totalTokens"] == 0)
        #expect(try await sandbox.cli(["policy", "list", "--json"]).json?.arrayValue?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: sandbox.workspace + "/outbox.jsonl"))

        // Only the operator, in another process, decides.
        #expect(try await sandbox.cli(["approvals", "approve", approvalId, "--by", "operator"]).status == 0)
        #expect(await held.toolText == "message sent to ops")
        #expect(await client.close() == 0)
    }

    static let injection = "\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}31m\u{202E}reversed\u{8}\r"

    /// Whether `text` holds a byte or character a terminal would act on.
    static func hasTerminalControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format
        }
    }

    @Test("arguments and tool names the agent chose reach the operator's terminal escaped: approvals list, approvals watch, runs show")
    func terminalInjection() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let client = try await sandbox.gateway(["--policy-file", policy])
        let announced = AsyncStream.makeStream(of: String.self)
        await client.start { message in
            if let id = message["params"]?["data"]?["approvalId"]?.stringValue { announced.continuation.yield(id) }
        }
        _ = await client.handshake()
        async let held = client.callTool("send_message", ["to": .string(Self.injection), "text": .string(Self.injection)])
        var ids = announced.stream.makeAsyncIterator()
        let approvalId = try #require(await ids.next())
        let refused = await client.callTool("x\(Self.injection)", ["a": .string(Self.injection)])
        #expect(refused.isToolError)

        let list = try await sandbox.cli(["approvals", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains(approvalId))
        #expect(!Self.hasTerminalControls(list.stdout), "approvals list: \(list.stdout.debugDescription)")
        #expect(list.stdout.contains("\\u001b[2J") || list.stdout.contains("\\u{1b}"))

        let watch = try await Self.watchOnce(sandbox)
        #expect(watch.contains(approvalId))
        #expect(!Self.hasTerminalControls(watch), "approvals watch: \(watch.debugDescription)")

        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try await sandbox.cli(["runs", "show", runId])
        #expect(shown.stdout.contains("x\\u{1b}[2J\\u{1b}]0;pwned"))
        #expect(!Self.hasTerminalControls(shown.stdout), "runs show: \(shown.stdout.debugDescription)")

        #expect(try await sandbox.cli(["approvals", "deny", approvalId, "--reason", "no"]).status == 0)
        #expect(await held.isToolError)
        #expect(await client.close() == 0)
    }

    /// The output of `approvals watch --no-prompt` once it has shown the pending approvals.
    static func watchOnce(_ sandbox: Sandbox) async throws -> String {
        let binary = try Binary.require()
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let watcher = Process()
                    watcher.executableURL = URL(fileURLWithPath: binary)
                    watcher.arguments = ["approvals", "watch", "--no-prompt", "--db", sandbox.database, "--interval", "0.05"]
                    let screen = Pipe()
                    watcher.standardOutput = screen
                    watcher.standardInput = FileHandle.nullDevice
                    try watcher.run()
                    var output = Data()
                    let deadline = Date().addingTimeInterval(20)
                    while Date() < deadline, !String(decoding: output, as: UTF8.self).contains("arguments:") {
                        let data = screen.fileHandleForReading.availableData
                        if data.isEmpty { break }
                        output += data
                    }
                    usleep(200_000)
                    watcher.terminate()
                    output += screen.fileHandleForReading.readDataToEndOfFile()
                    watcher.waitUntilExit()
                    continuation.resume(returning: String(decoding: output, as: UTF8.self))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    @Test("bad policy and price files are refused with the file and the field named; the gateway does not start on them")
    func validatedFiles() async throws {
        let sandbox = Sandbox()
        let policies: [(String, String)] = [
            ("spec:\n  budget: {tokens: -5}", "spec.budget.tokens"),
            ("spec:\n  budget: {dollars: \"1e400\"}", "spec.budget.dollars"),
            ("spec:\n  toolAllowlist: [\"[z-a]\"]", "spec.toolAllowlist"),
            ("spec:\n  approvalRules: [{tool: x, sideEffect: y}]", "spec.approvalRules"),
            ("spec:\n  secrets: {allow: [\"(\"]}", "spec.secrets.allow"),
            ("spec:\n  unknownField: 1", "unknownField"),
        ]
        for (index, (spec, field)) in policies.enumerated() {
            let file = try sandbox.write("bad\(index).yaml", "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: bad}\n" + spec + "\n")
            let checked = try await Binary.run(["policy", "check", file])
            #expect(checked.status != 0, "\(spec)")
            #expect(checked.stderr.contains("bad\(index).yaml") && checked.stderr.contains(field), "\(spec): \(checked.stderr)")
            let started = try await Binary.run(["gateway", "--db", sandbox.database, "--policy-file", file, "--", "true"])
            #expect(started.status == 2 || started.status == 64 || started.status == 1, "\(spec): gateway exited \(started.status)")
            #expect(started.stderr.contains(field), "\(spec): \(started.stderr)")
        }
        let prices: [(String, String)] = [
            (#"{"models": [{"provider": "x", "model": "m", "input": -1, "output": 1}]}"#, "input"),
            (#"{"models": [{"provider": "x", "model": "m", "input": "1e400", "output": 1}]}"#, "input"),
            (#"{"models": [{"provider": "x", "model": "m", "input": 1, "output": "0.0000001"}]}"#, "output"),
            (#"{"models": [{"provider": "x", "model": "m", "input": 1}]}"#, "output"),
            (#"{"models": {"a": 1}}"#, "models"),
            ("not json", "prices"),
        ]
        for (index, (text, field)) in prices.enumerated() {
            let file = try sandbox.write("prices\(index).json", text)
            let listed = try await Binary.run(["prices", "list", "--prices", file])
            #expect(listed.status != 0, "\(text)")
            #expect(listed.stderr.contains("prices\(index).json"), "\(text): \(listed.stderr)")
            #expect(listed.stderr.lowercased().contains(field), "\(text): \(listed.stderr)")
        }
    }
}
