import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// `runs show` gives an auditor who approved each held call and how long it waited for a person,
/// apart from the call's own duration, and lists priced tool calls apart from model calls.
@Suite("runs show")
struct RunsShowTests {
    @Test("who approved, the wait for a person, and priced tool calls apart from model calls")
    func auditorDetail() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy + "\n  toolPrices:\n    list_files: \"0.01\"\n")
        let client = try await sandbox.gateway(["--policy-file", policy])
        let notices = AsyncStream.makeStream(of: String.self)
        await client.start { message in
            if let id = message["params"]?["data"]?["approvalId"]?.stringValue { notices.continuation.yield(id) }
        }
        _ = await client.handshake()
        _ = await client.callTool("list_files")
        _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 10, "completionTokens": 5])
        async let held = client.callTool("send_message", ["to": "ops@example.com", "text": "hi"])
        var iterator = notices.stream.makeAsyncIterator()
        let approvalId = try #require(await iterator.next())
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await sandbox.cli(["approvals", "approve", approvalId, "--by", "alice"]).status == 0)
        #expect(!(await held).isToolError)
        #expect(await client.close() == 0)

        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try await sandbox.cli(["runs", "show", runId])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("approved by alice after"), "\(shown.stdout)")
        let models = try #require(shown.stdout.range(of: "steps and model calls:"))
        let tools = try #require(shown.stdout.range(of: "priced tool calls"))
        let modelSection = shown.stdout[models.upperBound..<tools.lowerBound]
        #expect(!modelSection.contains("list_files"), "\(modelSection)")
        #expect(shown.stdout[tools.upperBound...].contains("list_files"))
        let json = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        #expect(json["approvals"]?.arrayValue?.first?["decidedBy"] == "alice")
    }
}
