import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// A run's state agrees with itself: a halted run ends when its gateway does, and a child under an
/// ancestor whose budget is used up hears `halted: true` wherever it asks.
@Suite("run state")
struct RunStateTests {
    static let call: JSONValue = ["provider": "openai", "model": "gpt-4o", "promptTokens": 100, "completionTokens": 50]

    @Test("a halted run gets endedAt when its gateway exits, and its seconds stop counting")
    func haltedRunEnds() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--budget-tokens", "100"])
        await client.start { _ in }
        _ = await client.handshake()
        let spent = await client.request("riskkernel/recordModelCall", Self.call)
        #expect(spent["result"]?["halted"] == true)
        #expect(await client.close() == 0)
        let runs = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue)
        let id = try #require(runs.first?["id"]?.stringValue)
        let shown = try #require(try await sandbox.cli(["runs", "show", id, "--json"]).json)
        #expect(shown["status"] == "halted")
        let ended = try #require(shown["endedAt"]?.stringValue, "a halted run whose gateway exited has endedAt")
        try await Task.sleep(for: .seconds(1.2))
        #expect(try await sandbox.cli(["runs", "show", id, "--json"]).json?["endedAt"]?.stringValue == ended)
        // The end is in the run's chain, which still verifies.
        #expect(try await sandbox.cli(["audit", "verify", "--run", id]).status == 0)
    }

    @Test("a child under an ancestor whose budget is used up answers halted: true in recordModelCall and status")
    func childOfSpentAncestor() async throws {
        let sandbox = Sandbox()
        // The root's gateway ends before its budget is crossed, so nothing marks the root halted.
        let root = try await sandbox.gateway(["--budget-tokens", "200", "--run-name", "root"])
        await root.start { _ in }
        _ = await root.handshake()
        let rootId = try #require(await root.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        #expect(await root.close() == 0)

        let child = try await sandbox.gateway(["--parent-run", rootId, "--run-name", "child"])
        await child.start { _ in }
        _ = await child.handshake()
        let first = await child.request("riskkernel/recordModelCall", Self.call)
        #expect(first["result"]?["halted"] == false)
        let crossing = await child.request("riskkernel/recordModelCall", Self.call)
        #expect(crossing["result"]?["halted"] == true, "\(crossing)")
        #expect(crossing["result"]?["haltReason"]?.stringValue?.contains("ancestor run \(rootId)") == true, "\(crossing)")
        let status = await child.request("riskkernel/status")
        #expect(status["result"]?["halted"] == true, "\(status)")
        // Exactly what the tool-call decision says: the call is refused.
        let refused = await child.callTool("list_files")
        #expect(refused.isToolError)
        #expect(await child.close() == 0)

        // Property: for any spend, halted in status agrees with whether a tool call is refused.
        for tokens in [0, 1, 49, 50, 51, 500] as [Int64] {
            let other = try await sandbox.gateway(["--parent-run", rootId])
            await other.start { _ in }
            _ = await other.handshake()
            if tokens > 0 {
                _ = await other.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": .integer(tokens), "completionTokens": 0])
            }
            let halted = await other.request("riskkernel/status")["result"]?["halted"]?.boolValue
            let call = await other.callTool("list_files")
            #expect(halted == call.isToolError, "tokens \(tokens): halted \(String(describing: halted)), call \(call.toolText)")
            _ = await other.close()
        }
    }
}
