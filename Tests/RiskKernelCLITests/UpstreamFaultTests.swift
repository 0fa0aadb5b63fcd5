import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// An upstream that hangs, writes garbage, closes its output or floods, and a client that leaves
/// with calls pending: each has a defined outcome, recorded in the ledger.
@Suite("upstream and client faults", .serialized)
struct UpstreamFaultTests {
    /// A gateway in front of the Python test upstream; `marker` is passed to the upstream so that its
    /// process can be found afterwards.
    static func gateway(_ sandbox: Sandbox, _ options: [String] = [], marker: String = UUID().uuidString) async throws -> (StdioClient, AsyncStream<JSONValue>) {
        let (client, messages, _) = try await gatewayKeepingMessages(sandbox, options, marker: marker)
        return (client, messages)
    }

    /// Like ``gateway(_:_:marker:)``, also keeping every message with a method (notifications and
    /// server requests) in arrival order.
    static func gatewayKeepingMessages(
        _ sandbox: Sandbox, _ options: [String] = [], marker: String = UUID().uuidString
    ) async throws -> (StdioClient, AsyncStream<JSONValue>, Guarded<[JSONValue]>) {
        let client = try await sandbox.gateway(options, upstream: [Python.executable, TransparencyTests.upstreamScript, marker])
        let (messages, continuation) = AsyncStream.makeStream(of: JSONValue.self)
        let kept = Guarded<[JSONValue]>([])
        await client.start { message in
            continuation.yield(message)
            kept.update { $0.append(message) }
        }
        _ = await client.handshake()
        return (client, messages, kept)
    }

    static func toolCalls(_ sandbox: Sandbox) async throws -> [JSONValue] {
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        return try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json?["toolCalls"]?.arrayValue)
    }

    /// Whether a process whose command line contains `marker` is still running.
    static func processRunning(marker: String) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { entry in
            guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(marker)
        }
    }

    @Test("garbage on the upstream's stdout is dropped; the call answers and the gateway keeps serving")
    func garbage() async throws {
        let sandbox = Sandbox()
        let (client, _, kept) = try await Self.gatewayKeepingMessages(sandbox)
        let answer = await client.callTool("garbage")
        #expect(answer.toolText == "garbage done")
        #expect(await client.callTool("slow").toolText == "slow done")
        #expect(await client.close() == 0)
        let forwarded = kept.value
        #expect(forwarded.contains { $0["params"]?["data"] == "hello from upstream" })
        #expect(!forwarded.contains { CanonicalJSON.string($0).contains("broken") || CanonicalJSON.string($0).contains("red") })
        #expect(try await Self.toolCalls(sandbox).map { $0["status"] } == ["succeeded", "succeeded"])
    }

    @Test("an upstream that closes its stdout: in-flight calls fail with -32000, the run fails, the gateway exits 1 and stops the upstream")
    func closedOutput() async throws {
        let sandbox = Sandbox()
        let marker = "rk-closed-\(UUID().uuidString)"
        let (client, _) = try await Self.gateway(sandbox, marker: marker)
        async let hanging = client.callTool("hang")
        try await Task.sleep(for: .milliseconds(200))
        let closing = await client.callTool("close_stdout")
        #expect(closing["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        #expect(await hanging["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        #expect(await client.close() == 1)
        #expect(!Self.processRunning(marker: marker), "the upstream is still running after the gateway exited")
        let calls = try await Self.toolCalls(sandbox)
        #expect(calls.map { $0["status"] } == ["failed", "failed"])
        #expect(calls.allSatisfy { $0["reason"]?.stringValue?.contains("closed its output") == true })
        let runs = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue)
        #expect(runs.first?["status"] == "failed")
    }

    @Test("a call that never gets an answer ends recorded: cancelled by the client, or failed at stdin EOF and at SIGTERM")
    func hangingCalls() async throws {
        let sandbox = Sandbox()
        let (client, _) = try await Self.gateway(sandbox)
        await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": 7001, "method": "tools/call", "params": ["name": "hang"]]))
        try await Task.sleep(for: .milliseconds(300))
        await client.notify("notifications/cancelled", ["requestId": 7001, "reason": "took too long"])
        // The gateway keeps serving, and the cancelled call is recorded as such.
        #expect(await client.callTool("slow").toolText == "slow done")
        await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": 7002, "method": "tools/call", "params": ["name": "hang"]]))
        try await Task.sleep(for: .milliseconds(300))
        #expect(await client.close() == 0)
        let failed = await client.response(id: 7002)
        #expect(failed["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        let calls = try await Self.toolCalls(sandbox)
        #expect(calls.map { $0["status"] } == ["cancelled", "succeeded", "failed"])
        #expect(calls[0]["reason"] == "cancelled by the client after it was forwarded")

        let sandbox2 = Sandbox()
        let (terminated, _) = try await Self.gateway(sandbox2)
        await terminated.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": 7003, "method": "tools/call", "params": ["name": "hang"]]))
        try await Task.sleep(for: .milliseconds(300))
        kill(terminated.processIdentifier, SIGTERM)
        #expect(await terminated.response(id: 7003)["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        #expect(await terminated.close() == 0)
        #expect(try await Self.toolCalls(sandbox2).map { $0["status"] } == ["failed"])
    }

    @Test("a flood of notifications is forwarded whole and in order, with the gateway's memory bounded")
    func flood() async throws {
        let sandbox = Sandbox()
        let (client, _, kept) = try await Self.gatewayKeepingMessages(sandbox)
        let count = 20_000
        let answer = await client.request("tools/call", ["name": "flood", "arguments": ["count": .integer(Int64(count))]])
        #expect(answer.toolText == "flood done")
        let peak = Self.peakResidentBytes(client.processIdentifier)
        #expect(await client.close() == 0)
        var numbers: [Int] = []
        for message in kept.value {
            if let text = message["params"]?["data"]?.stringValue, text.hasPrefix("flood ") { numbers.append(Int(text.dropFirst(6)) ?? -1) }
        }
        #expect(numbers == Array(0..<count))
        let megabytes = (peak ?? 0) / 1024 / 1024
        print("upstream flood: \(count) notifications forwarded in order; gateway peak resident memory \(megabytes) MiB")
        #expect(peak.map { $0 < 64 * 1024 * 1024 } == true)
    }

    static func peakResidentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    @Test("a client that leaves with calls pending: the held one keeps its approval pending for a retry, the forwarded one fails")
    func clientLeaves() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", """
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: held}
            spec:
              approvalRules:
                - tool: env
            """)
        let (client, messages) = try await Self.gateway(sandbox, ["--policy-file", policy])
        async let held = client.callTool("env")
        async let forwarded = client.callTool("hang")
        for await message in messages where message["params"]?["data"]?["approvalId"] != nil { break }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await client.close() == 0)
        #expect(await held.isToolError)
        #expect(await forwarded["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        let calls = try await Self.toolCalls(sandbox)
        #expect(Set(calls.compactMap { $0["status"]?.stringValue }) == ["awaiting_approval", "failed"])
        let approvals = try #require(try await sandbox.cli(["approvals", "list", "--json"]).json?.arrayValue)
        #expect(approvals.map { $0["status"] } == ["pending"])
        #expect(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["status"] == "completed")
    }
}
