import Foundation
import RiskKernelCore
import Testing

@Suite("riskkernel CLI")
struct CLITests {
    @Test("every command has --help")
    func help() async throws {
        for command in [
            [], ["gateway"], ["policy"], ["policy", "apply"], ["policy", "check"], ["approvals"], ["approvals", "watch"],
            ["approvals", "approve"], ["runs", "show"], ["runs", "tree"], ["runs", "close"], ["usage"], ["audit", "export"], ["audit", "verify"],
            ["checkpoints", "create"], ["attribution", "capture"], ["keys", "generate"], ["provenance", "export"], ["provenance", "verify"],
            ["provenance", "show"], ["provenance", "import"], ["prices", "show"], ["migrate"], ["demo"],
            ["wrap"], ["unwrap"], ["doctor"],
        ] {
            let result = try await Binary.run(command + ["--help"])
            #expect(result.status == 0, "\(command) --help")
            #expect(result.stdout.contains("USAGE"), "\(command) --help")
        }
    }

    @Test("policy check names the file, document and field of a bad policy")
    func policyCheck() async throws {
        let sandbox = Sandbox()
        let good = try sandbox.write("good.yaml", demoPolicy)
        let bad = try sandbox.write("bad.yaml", demoPolicy + "\n---\napiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: b}\nspec:\n  budget: {tokens: -5}\n")
        let ok = try await Binary.run(["policy", "check", good])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ok (demo)"))
        let failed = try await Binary.run(["policy", "check", bad])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("bad.yaml: document 2: spec.budget.tokens: must not be negative"))
        let unknown = try await Binary.run(["policy", "check", try sandbox.write("u.json", #"{"apiVersion":"riskkernel/v1","kind":"Policy","metadata":{"name":"x"},"spec":{"budgett":{}}}"#)])
        #expect(unknown.stderr.contains("spec.budgett: unknown field"))
    }

    @Test("policy apply, list, show and delete")
    func policyLifecycle() async throws {
        let sandbox = Sandbox()
        let file = try sandbox.write("p.yaml", demoPolicy)
        #expect(try await sandbox.cli(["policy", "apply", file]).stdout.contains("applied policy demo"))
        let list = try #require(try await sandbox.cli(["policy", "list", "--json"]).json?.arrayValue)
        #expect(list.map { $0["name"] } == ["demo"])
        let shown = try await sandbox.cli(["policy", "show", "demo"]).json
        #expect(shown?["document"]?["spec"]?["toolAllowlist"]?.arrayValue?.count == 4)
        #expect(try await sandbox.cli(["policy", "delete", "demo"]).status == 0)
        let missing = try await sandbox.cli(["policy", "show", "demo"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no stored policy named \"demo\""))
        // A bad file stores nothing, even beside a good one.
        let bad = try sandbox.write("bad.yaml", "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {}\n")
        #expect(try await sandbox.cli(["policy", "apply", file, bad]).status != 0)
        #expect(try await sandbox.cli(["policy", "list", "--json"]).json == .array([]))
    }

    @Test("prices: list, show with dated and qualified names, unknown model")
    func prices() async throws {
        let dated = try await Binary.run(["prices", "show", "gpt-4o-2024-08-06", "--json"])
        #expect(dated.json?["model"] == "gpt-4o")
        #expect(try await Binary.run(["prices", "show", "anthropic/claude-sonnet-4-5", "--json"]).json?["provider"] == "anthropic")
        let unknown = try await Binary.run(["prices", "show", "no-such-model"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unpriced"))
        let all = try #require(try await Binary.run(["prices", "list", "--json"]).json?.arrayValue)
        let providers = Set(all.compactMap { $0["provider"]?.stringValue })
        #expect(providers.isSuperset(of: ["openai", "anthropic", "google", "mistral", "deepseek"]))
        let file = try Sandbox().write("prices.json", #"{"models":[{"provider":"acme","model":"rocket-1","input":"1","output":"2"}]}"#)
        #expect(try await Binary.run(["prices", "show", "rocket-1", "--prices", file, "--json"]).json?["output"] == "2.000000")
    }

    @Test("usage --by rejects an unknown grouping with a clear error")
    func usageValidation() async throws {
        let result = try await Sandbox().cli(["usage", "--by", "metadata.a'b"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--by must be"))
    }

    @Test("a database from a newer version is refused by every command, untouched")
    func newerDatabase() async throws {
        let sandbox = Sandbox()
        #expect(try await sandbox.cli(["migrate"]).status == 0)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"insert into grdb_migrations values ('v999')\"); c.commit()", sandbox.database]
        try sqlite.run()
        sqlite.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.database))
        let result = try await sandbox.cli(["runs", "list"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("newer RiskKernel"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.database)) == before)
    }
}
