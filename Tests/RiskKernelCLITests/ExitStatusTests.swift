import Foundation
import RiskKernelCore
import Testing

/// `gateway` exits as its help says: 2 when it cannot start, 1 when the upstream exits on its own,
/// 64 for a command line it cannot parse; and the default database follows `$HOME`.
@Suite("exit statuses and the default database")
struct ExitStatusTests {
    @Test("a gateway that cannot start exits with status 2, naming what is wrong")
    func cannotStart() async throws {
        let sandbox = Sandbox()
        let binary = try Binary.require()
        let upstream = ["--", binary, "demo-server", "--root", sandbox.workspace]
        let cases: [([String], String)] = [
            (["--policy", "nosuch"], "no stored policy named \"nosuch\""),
            (["--policy-file", sandbox.root + "/missing.yaml"], sandbox.root + "/missing.yaml"),
            (["--policy-file", try sandbox.write("bad.yaml", "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {}\n")], "metadata.name"),
            (["--prices", sandbox.root + "/nope.json"], sandbox.root + "/nope.json"),
            // Read at the start, though the built-in table is parsed only when a model call is priced.
            (["--prices", try sandbox.write("bad-prices.json", #"{"models": [{"model": "m", "input": "1", "output": "x"}]}"#)], "bad-prices.json"),
            (["--env-file", sandbox.root + "/nope.env"], sandbox.root + "/nope.env"),
        ]
        for (options, message) in cases {
            let result = try await Binary.run(["gateway", "--db", sandbox.database] + options + upstream, timeout: 30)
            #expect(result.status == 2, "\(options): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
        let missingCommand = try await Binary.run(["gateway", "--db", sandbox.database, "--", sandbox.root + "/no-such-server"], timeout: 30)
        #expect(missingCommand.status == 2, "\(missingCommand.stderr)")
        let help = try await Binary.run(["gateway", "--help"])
        #expect(help.stdout.contains("2 when the gateway cannot start"))
    }

    @Test("a command line the gateway cannot parse exits with status 64 (the upstream's own exit, 1, is UpstreamFaultTests')")
    func usageError() async throws {
        let usage = try await Binary.run(["gateway", "--no-such-option", "--", "true"])
        #expect(usage.status == 64, "\(usage.stderr)")
    }

    @Test("the default database is under $HOME (or an absolute $XDG_DATA_HOME), not the account's passwd home")
    func defaultDatabaseFollowsHome() async throws {
        let home = Sandbox().root
        let result = try await Binary.run(["migrate"], environment: ["HOME": home, "XDG_DATA_HOME": ""])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/.local/share/riskkernel/riskkernel.sqlite"))
        // A relative XDG_DATA_HOME is ignored, as the XDG Base Directory specification says.
        let other = Sandbox().root
        let relative = try await Binary.run(["migrate"], environment: ["HOME": other, "XDG_DATA_HOME": "relative/data"], directory: other)
        #expect(relative.status == 0, "\(relative.stderr)")
        #expect(FileManager.default.fileExists(atPath: other + "/.local/share/riskkernel/riskkernel.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: other + "/relative"))
        let xdg = Sandbox().root
        #expect(try await Binary.run(["migrate"], environment: ["HOME": home, "XDG_DATA_HOME": xdg]).status == 0)
        #expect(FileManager.default.fileExists(atPath: xdg + "/riskkernel/riskkernel.sqlite"))
    }
}
