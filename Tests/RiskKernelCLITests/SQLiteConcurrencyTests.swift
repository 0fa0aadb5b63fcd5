import Foundation
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore
import Testing

/// Eight gateway processes writing one SQLite file as fast as their clients can send.
@Suite("gateways on one SQLite file")
struct SQLiteConcurrencyTests {
    static let gateways = 8

    @Test("eight gateways at full speed: nothing lost, no SQLITE_BUSY reaches a client, the shared budget is overspent by at most the calls in flight")
    func eightWriters() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", demoPolicy)
        let budget: Int64 = 20_000
        // The root holds the budget; each gateway's run is its child, so all spend against it.
        let root = try await sandbox.gateway(["--policy-file", policy, "--run-name", "root", "--budget-tokens", "\(budget)"])
        await root.start { _ in }
        _ = await root.handshake()
        let rootId = try #require(await root.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        var clients: [StdioClient] = []
        for index in 0..<Self.gateways {
            let client = try await sandbox.gateway(["--policy-file", policy, "--run-name", "writer-\(index)", "--parent-run", rootId])
            await client.start { _ in }
            _ = await client.handshake()
            clients.append(client)
        }
        struct Tally: Sendable {
            var runId = ""
            var modelCalls = 0
            var unhalted = 0
            var toolCalls: [String] = []
            var problems: [String] = []
        }
        let tallies = await withTaskGroup(of: Tally.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    var tally = Tally()
                    tally.runId = await client.request("riskkernel/status")["result"]?["runId"]?.stringValue ?? ""
                    for step in 0..<1000 {
                        // A model call, then two tool calls, as fast as the gateway answers.
                        let spend = await client.request("riskkernel/recordModelCall", [
                            "provider": "openai", "model": "gpt-4o", "promptTokens": 50, "completionTokens": 50,
                        ])
                        if spend["result"] == nil { tally.problems.append("model call: \(CanonicalJSON.string(spend))") } else { tally.modelCalls += 1 }
                        let written = await client.callTool("write_file", ["path": .string("w\(index)-\(step).txt"), "content": "x"])
                        let listed = await client.callTool("list_files")
                        for response in [written, listed] {
                            if response["result"] == nil { tally.problems.append("tool call: \(CanonicalJSON.string(response))") }
                            tally.toolCalls.append(JSONRPC.idKey(response["id"] ?? .null))
                        }
                        if spend["result"]?["halted"]?.boolValue == true { break }
                        tally.unhalted += 1
                    }
                    return tally
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for client in clients { #expect(await client.close() == 0) }
        #expect(await root.close() == 0)

        let problems = tallies.flatMap(\.problems)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(!problems.contains { $0.lowercased().contains("busy") || $0.lowercased().contains("locked") })
        let store = try SQLiteStore(path: sandbox.database)
        #expect(try store.integrityCheck() == ["ok"])
        var entries = 0
        for tally in tallies {
            let ledger = try await store.ledger(runId: tally.runId).filter { $0.kind == "model" }
            #expect(ledger.count == tally.modelCalls, "run \(tally.runId)")
            let calls = try await store.toolCalls(runId: tally.runId)
            #expect(Set(calls.map(\.requestId)).isSuperset(of: tally.toolCalls), "run \(tally.runId)")
            #expect(calls.count == tally.toolCalls.count)
            #expect(calls.allSatisfy { $0.status == .succeeded || $0.status == .refused })
            entries += ledger.count + calls.count
        }
        let tree = try #require(try await store.run(id: rootId)).treeUsage.totalTokens
        // Every call below the budget was accepted; the crossing one and at most one in flight in
        // each other gateway went over it. A call answered after another gateway's call crossed the
        // shared budget says `halted` too (the tree is spent), so each gateway may stop one early.
        let unhalted = tallies.map(\.unhalted).reduce(0, +)
        let belowBudget = Int(budget / 100) - 1
        #expect((belowBudget - (Self.gateways - 1))...belowBudget ~= unhalted, "\(unhalted) calls answered unhalted")
        #expect(tree >= budget)
        #expect(tree <= budget + Int64(Self.gateways - 1) * 100)
        let verify = try await sandbox.cli(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        print("sqlite concurrency: \(Self.gateways) gateways, \(entries) ledger entries checked, none lost, no busy error; \(tree) tokens against a budget of \(budget)")
    }
}
