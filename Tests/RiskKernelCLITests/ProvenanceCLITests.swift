import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// The tamper-evident ledger, session trees, checkpoints and attribution, through the CLI.
@Suite("provenance commands")
struct ProvenanceCLITests {
    /// Runs SQL against the database behind the store's back, as an attacker with file access would.
    func tamper(_ sandbox: Sandbox, _ sql: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", sandbox.database, sql]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
    }

    /// A run with a few events, made through the gateway.
    func recordedRun(_ sandbox: Sandbox) async throws -> String {
        let client = try await sandbox.gateway(["--auto-checkpoint", "none"])
        await client.start { _ in }
        _ = await client.handshake()
        for _ in 0..<3 {
            _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 10, "completionTokens": 5])
        }
        _ = await client.callTool("list_files")
        #expect(await client.close() == 0)
        return try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
    }

    @Test("audit verify passes an intact chain and names an edited, a deleted and a swapped event")
    func tamperDetection() async throws {
        let intact = Sandbox()
        let runId = try await recordedRun(intact)
        let ok = try await intact.cli(["audit", "verify", "--run", runId])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("every chain intact"))

        let edited = Sandbox()
        let editedRun = try await recordedRun(edited)
        // The first model call's event (the gateway's own tool listing may come before or after it).
        let exported = try await edited.cli(["audit", "export", "--run", editedRun]).stdout.split(separator: "\n")
        let modelEvent = try #require(exported.compactMap { try? JSONParser.parse(String($0)) }.first { $0["kind"] == "model.recorded" })
        let modelSequence = try #require(modelEvent["sequence"]?.int64Value)
        try await tamper(edited, "UPDATE events SET body = replace(body, '\"promptTokens\":10', '\"promptTokens\":1') WHERE sequence = \(modelSequence)")
        let editedResult = try await edited.cli(["audit", "verify", "--json"])
        #expect(editedResult.status == 1)
        #expect(editedResult.json?["broken"]?.arrayValue?.first == [
            "runId": .string(editedRun), "sequence": .integer(modelSequence), "kind": "edited", "detail": "its content does not match its hash (model.recorded)",
        ])

        let deleted = Sandbox()
        _ = try await recordedRun(deleted)
        try await tamper(deleted, "DELETE FROM events WHERE sequence = 4")
        let deletedResult = try await deleted.cli(["audit", "verify"])
        #expect(deletedResult.status == 1)
        #expect(deletedResult.stderr.contains("event 4 deleted"))

        let truncated = Sandbox()
        let truncatedRun = try await recordedRun(truncated)
        let last = try await truncated.cli(["audit", "export", "--run", truncatedRun]).stdout.split(separator: "\n").count
        try await tamper(truncated, "DELETE FROM events WHERE sequence = \(last)")
        #expect(try await truncated.cli(["audit", "verify"]).stderr.contains("event \(last) deleted"))

        let swapped = Sandbox()
        _ = try await recordedRun(swapped)
        try await tamper(swapped, """
            UPDATE events SET sequence = -1 WHERE sequence = 2;
            UPDATE events SET sequence = 2 WHERE sequence = 3;
            UPDATE events SET sequence = 3 WHERE sequence = -1;
            """)
        let swappedResult = try await swapped.cli(["audit", "verify", "--json"])
        #expect(swappedResult.status == 1)
        let failure = try #require(swappedResult.json?["broken"]?.arrayValue?.first)
        #expect(failure["sequence"] == 2)
        #expect(failure["kind"] == "reordered")
    }

    @Test("runs tree draws three levels with tree spend; runs close records completed, merged and discarded")
    func treeAndClose() async throws {
        let sandbox = Sandbox()
        let root = try await sandbox.gateway(["--run-name", "root", "--budget-tokens", "100"])
        await root.start { _ in }
        _ = await root.handshake()
        let rootId = try #require(await root.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        let child = try await sandbox.gateway(["--run-name", "child", "--parent-run", rootId])
        await child.start { _ in }
        _ = await child.handshake()
        let childId = try #require(await child.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        let grandchild = try await sandbox.gateway(["--run-name", "grandchild", "--parent-run", childId])
        await grandchild.start { _ in }
        _ = await grandchild.handshake()
        let spent = await grandchild.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 120, "completionTokens": 0])
        #expect(spent["result"]?["halted"] == true)
        #expect(spent["result"]?["haltReason"]?.stringValue?.contains("ancestor run \(rootId)") == true)
        // The root's budget now stops its other descendants too.
        #expect((await child.callTool("list_files")).toolText.contains("halted"))
        for client in [grandchild, child, root] { _ = await client.close() }

        let drawn = try await sandbox.cli(["runs", "tree", rootId])
        let lines = drawn.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("\(rootId) root [halted] 0 tokens"))
        #expect(lines[0].contains("(tree: 120 tokens"))
        #expect(lines[1].hasPrefix("└─ \(childId) child"))
        #expect(lines[2].hasPrefix("   └─ ") && lines[2].contains("grandchild"))
        let shallow = try #require(try await sandbox.cli(["runs", "tree", rootId, "--depth", "1", "--json"]).json)
        #expect(shallow["children"]?.arrayValue?.first?["truncated"] == true)

        let grandchildId = try #require(try await sandbox.cli(["runs", "tree", childId, "--json"]).json?["children"]?.arrayValue?.first?["id"]?.stringValue)
        #expect(try await sandbox.cli(["runs", "close", grandchildId, "--as", "merged"]).status == 0)
        #expect(try await sandbox.cli(["runs", "close", childId, "--as", "discarded"]).status == 0)
        let again = try await sandbox.cli(["runs", "close", childId, "--as", "completed"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already closed as discarded"))
        let refused = try await sandbox.cli(["runs", "close", rootId, "--as", "failed"])
        #expect(refused.status == 64 && refused.stderr.contains("discarded") && !refused.stderr.contains("running"), "\(refused.stderr)")
        // Help offers only the values it takes.
        let help = try await Binary.run(["runs", "close", "--help"]).stdout
        #expect(help.contains("discarded") && !help.contains("halted"), "\(help)")
        #expect(try await sandbox.cli(["audit", "verify"]).status == 0)
    }

    @Test("checkpoints: automatic per step up to the limit, manual past it refused, latest returned on resume")
    func checkpoints() async throws {
        let sandbox = Sandbox()
        let first = try await sandbox.gateway(["--max-checkpoints", "3"])
        await first.start { _ in }
        _ = await first.handshake()
        for _ in 0..<2 {
            _ = await first.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 1, "completionTokens": 1])
        }
        let manual = await first.request("riskkernel/checkpoint", ["name": "plan-done", "payload": ["plan": "ship"]])
        #expect(manual["result"]?["name"] == "plan-done")
        let over = await first.request("riskkernel/checkpoint", ["name": "one-too-many"])
        #expect(over["error"]?["code"] == .integer(JSONRPCErrorCode.invalidParams))
        #expect(over["error"]?["message"]?.stringValue?.contains("maximum of 3 checkpoints") == true)
        // Automatic checkpoints past the limit never fail the model call.
        let spend = await first.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 1, "completionTokens": 1])
        #expect(spend["result"]?["step"] == 3)
        let runId = try #require(await first.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        #expect(await first.close() == 0)

        let listed = try #require(try await sandbox.cli(["checkpoints", "list", "--run", runId, "--json"]).json?.arrayValue)
        #expect(listed.map { $0["name"] } == ["plan-done", "step-2", "step-1"])
        let events = try await sandbox.cli(["audit", "export", "--run", runId]).stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let marked = try #require(events.first { $0["sequence"] == listed[0]["sequence"] })
        #expect(marked["kind"] == "checkpoint.created")
        let cli = try await sandbox.cli(["checkpoints", "create", "--run", runId, "--name", "x", "--max-checkpoints", "3"])
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("already has the maximum of 3 checkpoints"))

        let resumed = try await sandbox.gateway(["--run-id", runId, "--policy-file", try sandbox.write("p.yaml", demoPolicy)])
        await resumed.start { _ in }
        _ = await resumed.handshake()
        // Resumed under another policy: the gateway marks the change, and that is now the latest.
        let latest = await resumed.request("riskkernel/latestCheckpoint")["result"]
        #expect(latest?["name"] == "policy-change")
        #expect(latest?["payload"]?["from"] == "default")
        #expect(latest?["payload"]?["to"]?.stringValue?.hasSuffix("p.yaml#demo") == true)
        #expect(await resumed.close() == 0)

        let again = try await sandbox.gateway(["--run-id", runId, "--policy-file", try sandbox.write("p.yaml", demoPolicy)])
        await again.start { _ in }
        _ = await again.handshake()
        #expect(await again.request("riskkernel/latestCheckpoint")["result"]?["name"] == "policy-change")
        #expect(await again.close() == 0)
    }

    @Test("attribution capture reads a real git repository; the report totals by author and file")
    func attribution() async throws {
        let sandbox = Sandbox()
        let repo = sandbox.root + "/repo"
        @discardableResult
        func git(_ arguments: String...) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", repo, "-c", "user.name=Test", "-c", "user.email=test@example.com"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "git \(arguments)")
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try git("init", "-q")
        try "one\ntwo\nthree\n".write(toFile: repo + "/a.txt", atomically: true, encoding: .utf8)
        try git("add", "a.txt")
        try git("commit", "-q", "-m", "base")
        let base = try git("rev-parse", "HEAD")

        let client = try await sandbox.gateway(["--run-name", "coder"])
        await client.start { _ in }
        _ = await client.handshake()
        _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 700, "completionTokens": 300])
        let runId = try #require(await client.request("riskkernel/status")["result"]?["runId"]?.stringValue)
        #expect(await client.close() == 0)

        try "one\n2\nthree\nfour\nfive\n".write(toFile: repo + "/a.txt", atomically: true, encoding: .utf8)
        try "new\nfile\n".write(toFile: repo + "/b.txt", atomically: true, encoding: .utf8)
        try git("add", "a.txt", "b.txt")
        try git("commit", "-q", "-m", "agent work")
        #expect(try await sandbox.cli(["attribution", "capture", "--run", runId, "--repo", repo, "--since", base, "--author-type", "agent"]).status == 0)
        try "human\n".write(toFile: repo + "/c.txt", atomically: true, encoding: .utf8)
        try git("add", "c.txt")
        #expect(try await sandbox.cli(["attribution", "capture", "--run", runId, "--repo", repo, "--since", "HEAD", "--author", "alice", "--author-type", "human"]).status == 0)

        let report = try #require(try await sandbox.cli(["attribution", "report", "--run", runId, "--json"]).json)
        let authors = try #require(report["byAuthor"]?.arrayValue)
        #expect(authors.map { $0["key"] } == ["coder", "alice"])
        #expect(authors[0]["linesAdded"] == 5)
        #expect(authors[0]["linesRemoved"] == 1)
        #expect(authors[0]["tokens"] == 1000)
        #expect(authors[0]["authorType"] == "agent")
        #expect(authors[1]["files"] == 1)
        #expect(report["byFile"]?.arrayValue?.map { $0["key"] } == ["a.txt", "b.txt", "c.txt"])
        #expect(report["total"]?["linesAdded"] == 6)
        let table = try await sandbox.cli(["attribution", "report", "--run", runId])
        #expect(table.stdout.contains("coder") && table.stdout.contains("c.txt"))
        let notGit = try await sandbox.cli(["attribution", "capture", "--run", runId, "--repo", sandbox.workspace])
        #expect(notGit.status != 0)
        #expect(notGit.stderr.contains("git"))
    }
}
