import Foundation
import RiskKernelCore
import Testing

/// `audit verify` checks every record against the chain, and `audit seal` catches a chain rewritten
/// after it: the examples of a user with write access to a database a gateway wrote.
@Suite("audit verify: records and seals")
struct RecordsAndSealsCLITests {
    /// Runs SQL (or a Python script with the connection as `c`) against the database behind the store's back.
    func tamper(_ sandbox: Sandbox, sql: String? = nil, python: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = python ?? "c.executescript(sys.argv[2])"
        process.arguments = ["python3", "-c", "import sqlite3,sys,json,hashlib\nc=sqlite3.connect(sys.argv[1])\n" + script + "\nc.commit()", sandbox.database, sql ?? ""]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
    }

    /// A run made through the gateway: model calls and tool calls.
    func recordedRun(_ sandbox: Sandbox, _ options: [String] = []) async throws -> String {
        let client = try await sandbox.gateway(["--auto-checkpoint", "none"] + options)
        await client.start { _ in }
        _ = await client.handshake()
        for _ in 0..<2 {
            _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 10, "completionTokens": 5])
        }
        _ = await client.callTool("list_files")
        #expect(await client.close() == 0)
        return try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
    }

    @Test("an edited ledger entry, lowered run totals and a deleted ledger row are named by table and row")
    func editedRecordsAreFound() async throws {
        let edited = Sandbox()
        let runId = try await recordedRun(edited)
        #expect(try await edited.cli(["audit", "verify"]).status == 0)
        let entries = try #require(try await edited.cli(["runs", "show", runId, "--json"]).json?["ledger"]?.arrayValue)
        try tamper(edited, sql: "update ledger_entries set prompt_tokens = prompt_tokens + 1 where rowid = (select min(rowid) from ledger_entries)")
        let result = try await edited.cli(["audit", "verify", "--json"])
        #expect(result.status == 1)
        let records = try #require(result.json?["records"]?.arrayValue)
        #expect(records.contains { $0["table"] == "ledger_entries" && $0["row"] == entries.first?["id"] && $0["kind"] == "edited" && $0["sequence"]?.int64Value != nil },
                "\(records)")
        #expect(result.json?["broken"] == [], "the chain itself is intact")

        let lowered = Sandbox()
        let loweredRun = try await recordedRun(lowered)
        try tamper(lowered, sql: "update runs set prompt_tokens = prompt_tokens - 1000")
        let loweredResult = try await lowered.cli(["audit", "verify"])
        #expect(loweredResult.status == 1)
        #expect(loweredResult.stderr.contains("RECORD run \(loweredRun): runs row \(loweredRun) edited"), "\(loweredResult.stderr)")

        let deleted = Sandbox()
        _ = try await recordedRun(deleted)
        try tamper(deleted, sql: "delete from ledger_entries where rowid = (select max(rowid) from ledger_entries)")
        let deletedResult = try await deleted.cli(["audit", "verify", "--json"])
        #expect(deletedResult.status == 1)
        #expect(deletedResult.json?["records"]?.arrayValue?.contains { $0["table"] == "ledger_entries" && $0["kind"] == "deleted" } == true, "\(deletedResult.stdout)")
    }

    @Test("a gateway does not decide a call on run totals lowered behind its back")
    func loweredTotalsAreNotDecidedOn() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--auto-checkpoint", "none", "--budget-tokens", "100"])
        await client.start { _ in }
        _ = await client.handshake()
        _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 60, "completionTokens": 30])
        let before = await client.callTool("list_files")
        #expect(!before.isToolError && before["error"] == nil, "\(before)")
        // 90 of 100 tokens spent; lowered to 30, the next 15 would seem to leave room.
        try tamper(sandbox, sql: "update runs set prompt_tokens = prompt_tokens - 60, tree_prompt_tokens = tree_prompt_tokens - 60")
        _ = await client.request("riskkernel/recordModelCall", ["provider": "openai", "model": "gpt-4o", "promptTokens": 10, "completionTokens": 5])
        let after = await client.callTool("list_files")
        #expect("\(after)".contains("disagrees with its hash chain"), "\(after)")
        _ = await client.close()
    }

    @Test("audit verify --run checks the store-wide facts, grants and tool pins too")
    func runVerifyChecksStoreWideRows() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--auto-checkpoint", "none"])
        await client.start { _ in }
        _ = await client.handshake()
        for key in ["goal", "plan"] {
            _ = await client.request("riskkernel/facts/put", ["namespace": "memory", "key": .string(key), "value": ["text": "ship it"]])
        }
        _ = await client.callTool("list_files")
        #expect(await client.close() == 0)
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        #expect(try await sandbox.cli(["audit", "verify", "--run", runId]).status == 0)
        let pins = try #require(try await sandbox.cli(["tools", "list", "--json"]).json?.arrayValue)
        let pin = try #require(pins.first, "\(pins)")
        let pinned = (try #require(pin["server"]?.stringValue), try #require(pin["tool"]?.stringValue))
        try tamper(sandbox, sql: """
            update facts set value = '{"text":"ship nothing"}' where key = 'goal';
            delete from facts where key = 'plan';
            insert into facts (namespace, key, value, run_id, created_at, updated_at) values ('memory', 'extra', '1', '\(runId)', 1, 1);
            insert into grants (id, scope, server, tool, approval_id, created_at) values ('grant_forged', 'always', '*', '*', 'apr_none', 1);
            delete from tool_pins where server = '\(pinned.0)' and tool = '\(pinned.1)';
            """)
        let result = try await sandbox.cli(["audit", "verify", "--run", runId, "--json"])
        #expect(result.status == 1)
        let records = try #require(result.json?["records"]?.arrayValue)
        for (table, row, kind) in [
            ("facts", "memory/goal", "edited"), ("facts", "memory/plan", "deleted"), ("facts", "memory/extra", "inserted"),
            ("grants", "grant_forged", "inserted"), ("tool_pins", "\(pinned.0)/\(pinned.1)", "deleted"),
        ] {
            #expect(records.contains { $0["table"] == .string(table) && $0["row"] == .string(row) && $0["kind"] == .string(kind) }, "\(table) \(row): \(records)")
        }
    }

    @Test("a whole chain rewritten after a seal passes verify and is found with the seal")
    func sealCatchesARewrite() async throws {
        let sandbox = Sandbox()
        let runId = try await recordedRun(sandbox)
        let keys = sandbox.root + "/keys"
        let did = try #require(try await Binary.run(["keys", "generate", "--out", keys, "--json"]).json?["did"]?.stringValue)
        let sealed = try await sandbox.cli(["audit", "seal", "--key", keys])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let sealFile = keys + "/seals.jsonl"
        #expect(try String(contentsOfFile: sealFile, encoding: .utf8).split(separator: "\n").count == 1)
        #expect(try await sandbox.cli(["audit", "verify", "--seals", sealFile, "--trust", did]).status == 0)

        // The first model call's tokens, in the ledger, the run's totals and its event, with every
        // later hash recomputed (these bodies are ASCII with integers, where sorted compact JSON is RFC 8785).
        try tamper(sandbox, python: """
            c.execute("update ledger_entries set prompt_tokens = 1 where rowid = (select min(rowid) from ledger_entries where kind = 'model')")
            c.execute("update runs set prompt_tokens = prompt_tokens - 9, tree_prompt_tokens = tree_prompt_tokens - 9")
            rows = c.execute("select sequence, body from events order by sequence").fetchall()
            previous = "0" * 64
            done = False
            for sequence, text in rows:
                body = json.loads(text)
                if not done and body["kind"] == "model.recorded":
                    body["data"]["promptTokens"] = 1
                    done = True
                canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                digest = hashlib.sha256((previous + "\\n" + canonical).encode()).hexdigest()
                c.execute("update events set body = ?, previous_hash = ?, hash = ? where sequence = ?", (canonical, previous, digest, sequence))
                previous = digest
            c.execute("update runs set chain_head = ?", (previous,))
            """)
        let plain = try await sandbox.cli(["audit", "verify"])
        #expect(plain.status == 0, "a consistent rewrite passes the chain and record checks: \(plain.stderr)")
        let withSeals = try await sandbox.cli(["audit", "verify", "--seals", sealFile, "--trust", did])
        #expect(withSeals.status == 1)
        #expect(withSeals.stderr.contains("SEAL run \(runId)"), "\(withSeals.stderr)")
        #expect(withSeals.stderr.contains("rewritten after the seal"), "\(withSeals.stderr)")
        // The seals stored in the database say the same.
        #expect(try await sandbox.cli(["audit", "verify", "--trust", did]).status == 1)

        let stranger = try #require(try await Binary.run(["keys", "generate", "--out", sandbox.root + "/other", "--json"]).json?["did"]?.stringValue)
        let untrusted = try await sandbox.cli(["audit", "verify", "--seals", sealFile, "--trust", stranger])
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("not by a DID you trust"), "\(untrusted.stderr)")
        #expect(try await sandbox.cli(["audit", "verify", "--seals", sealFile]).status == 64)
    }

    @Test("gateway --seal-every seals while it runs and when it ends")
    func gatewaySeals() async throws {
        let sandbox = Sandbox()
        let keys = sandbox.root + "/keys"
        let did = try #require(try await Binary.run(["keys", "generate", "--out", keys, "--json"]).json?["did"]?.stringValue)
        let sealFile = sandbox.root + "/seals.jsonl"
        _ = try await recordedRun(sandbox, ["--seal-every", "3600", "--key", keys, "--seals", sealFile])
        let lines = try String(contentsOfFile: sealFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1, "one seal, on exit")
        let verified = try await sandbox.cli(["audit", "verify", "--seals", sealFile, "--trust", did, "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.json?["seals"] == 1)
        let refused = try await Binary.run(["gateway", "--seal-every", "5", "--", "true"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--seal-every needs --key"))
    }
}
