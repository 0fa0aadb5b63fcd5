import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// Secrets never cross the gateway unnoticed, and upstreams get a clean environment.
@Suite("gateway defenses")
struct DefensesTests {
    static let token = "ghp_" + String(repeating: "a1B2c3D4e5F6g7H8i9J0", count: 2)

    func echoGateway(_ sandbox: Sandbox, _ options: [String] = [], environment: [String: String] = [:]) async throws -> StdioClient {
        let binary = try Binary.require()
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let client = try StdioClient(
            executable: binary,
            arguments: ["gateway", "--db", sandbox.database, "--log-level", "error"] + options + ["--", Python.executable, TransparencyTests.upstreamScript],
            environment: env)
        await client.start { _ in }
        _ = await client.handshake()
        return client
    }

    @Test("a token in the arguments is refused by kind and never reaches the ledger, approvals or the audit export")
    func secretInArguments() async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--policy-file", try sandbox.write("p.yaml", demoPolicy)])
        await client.start { _ in }
        _ = await client.handshake()
        let refused = await client.callTool("write_file", ["path": "creds.txt", "content": .string("token=\(Self.token)")])
        #expect(refused.isToolError)
        #expect(refused.toolText.contains("github-token"))
        #expect(!refused.toolText.contains(Self.token))
        #expect(!FileManager.default.fileExists(atPath: sandbox.workspace + "/creds.txt"))
        // A held call's arguments are redacted before the approver sees them.
        let held = Task { await client.callTool("send_message", ["to": "ops", "text": .string("use \(Self.token)")]) }
        _ = await held.value
        #expect(await client.close() == 0)

        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        for output in [
            try await sandbox.cli(["audit", "export", "--run", runId]).stdout, try await sandbox.cli(["runs", "show", runId, "--json"]).stdout,
            try await sandbox.cli(["approvals", "list", "--json"]).stdout,
        ] {
            #expect(!output.contains(Self.token))
        }
        #expect(try await sandbox.cli(["runs", "show", runId, "--json"]).stdout.contains("[REDACTED:github-token]"))
    }

    @Test("a token spelled with JSON escapes in the arguments is found all the same, in a small or a large request", arguments: [0, 300_000])
    func escapedSecretInArguments(padding: Int) async throws {
        let sandbox = Sandbox()
        let client = try await sandbox.gateway(["--policy-file", try sandbox.write("p.yaml", demoPolicy)])
        await client.start { _ in }
        _ = await client.handshake()
        // "ghp_…" with its g as \u0067 and a slash as \/ before it: no byte of the line spells the token.
        let escaped = "path\\/" + String(repeating: "y", count: padding) + " \\u0067" + Self.token.dropFirst()
        await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":9001,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"creds.txt","content":""#.utf8)
            + Array(escaped.utf8) + Array(#""}}}"#.utf8))
        let refused = await client.response(id: 9001)
        #expect(refused.isToolError)
        #expect(refused.toolText.contains("github-token"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.workspace + "/creds.txt"))
        #expect(await client.close() == 0)
    }

    @Test("spec.secrets.arguments: redact forwards the call with the token replaced")
    func redactArguments() async throws {
        let sandbox = Sandbox()
        let policy = try sandbox.write("p.yaml", """
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: redacting}
            spec:
              secrets: {arguments: redact}
            """)
        let client = try await sandbox.gateway(["--policy-file", policy])
        await client.start { _ in }
        _ = await client.handshake()
        let written = await client.callTool("write_file", ["path": "note.txt", "content": .string("token=\(Self.token)")])
        #expect(!written.isToolError)
        #expect(try String(contentsOfFile: sandbox.workspace + "/note.txt", encoding: .utf8) == "token=[REDACTED:github-token]")
        #expect(await client.close() == 0)
    }

    @Test("a token in a result is redacted, or the result withheld with results: block")
    func secretInResult() async throws {
        let sandbox = Sandbox()
        let client = try await echoGateway(sandbox)
        let redacted = await client.callTool("leak")
        #expect(redacted.toolText == "your token is [REDACTED:github-token]")
        #expect(await client.close() == 0)
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        #expect(!(try await sandbox.cli(["runs", "show", runId, "--json"]).stdout.contains(Self.token)))

        let blocking = Sandbox()
        let policy = try blocking.write("p.yaml", "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: b}\nspec:\n  secrets: {results: block}\n")
        let strict = try await echoGateway(blocking, ["--policy-file", policy])
        let withheld = await strict.callTool("leak")
        #expect(withheld.isToolError)
        #expect(withheld.toolText.contains("withheld") && withheld.toolText.contains("github-token"))
        #expect(await strict.close() == 0)
        // An auditor sees why: runs show gives the reason the result was withheld.
        let strictRun = try #require(try await blocking.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try await blocking.cli(["runs", "show", strictRun])
        #expect(shown.stdout.contains("result withheld: it contained a secret (github-token)"), "\(shown.stdout)")
        let json = try #require(try await blocking.cli(["runs", "show", strictRun, "--json"]).json)
        #expect(json["toolCalls"]?.arrayValue?.first?["resultWithheld"] == "result withheld: it contained a secret (github-token)")
        // The gateway records the reason with the outcome (the ledger's own word, not the notice's text).
        #expect(json["toolCalls"]?.arrayValue?.first?["reason"] == "result withheld: it contained a secret (github-token)")
        #expect(!shown.stdout.contains(Self.token))
    }

    @Test("the upstream sees only the base variables and what --env names; RISKKERNEL_* never by default")
    func cleanEnvironment() async throws {
        let sandbox = Sandbox()
        let secrets = ["GITHUB_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "RISKKERNEL_DB": sandbox.database, "LC_ALL": "C.UTF-8"]
        let clean = try await echoGateway(sandbox, [], environment: secrets)
        let names = try #require(try JSONParser.parse(await clean.callTool("env").toolText).arrayValue?.compactMap(\.stringValue))
        #expect(await clean.close() == 0)
        #expect(!names.contains("GITHUB_TOKEN") && !names.contains("AWS_SECRET_ACCESS_KEY") && !names.contains("RISKKERNEL_DB"))
        #expect(names.contains("PATH") && names.contains("LC_ALL"))
        #expect(Set(names).isSubset(of: UpstreamEnvironment.baseNames.union(["LC_ALL", "LC_CTYPE"])))

        let envFile = try sandbox.write("upstream.env", "# for the server\nexport FROM_FILE='yes'\n")
        let named = try await echoGateway(
            Sandbox(), ["--env", "GITHUB_TOKEN", "--env", "EXTRA=1", "--env-file", envFile], environment: secrets)
        let namedNames = try #require(try JSONParser.parse(await named.callTool("env").toolText).arrayValue?.compactMap(\.stringValue))
        #expect(await named.close() == 0)
        #expect(namedNames.contains("GITHUB_TOKEN") && namedNames.contains("EXTRA") && namedNames.contains("FROM_FILE"))
        #expect(!namedNames.contains("AWS_SECRET_ACCESS_KEY"))

        let everything = try await echoGateway(Sandbox(), ["--inherit-env"], environment: secrets)
        let allNames = try #require(try JSONParser.parse(await everything.callTool("env").toolText).arrayValue?.compactMap(\.stringValue))
        #expect(await everything.close() == 0)
        #expect(allNames.contains("AWS_SECRET_ACCESS_KEY") && !allNames.contains("RISKKERNEL_DB"))
    }
}
