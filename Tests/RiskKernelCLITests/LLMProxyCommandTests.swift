import Foundation
import Testing

/// `llm-proxy` and `gateway --session` refuse what they cannot use, with the exit statuses their help gives.
@Suite("llm-proxy and session options")
struct LLMProxyCommandTests {
    @Test("a command line llm-proxy cannot use exits with status 64, naming the option")
    func badOptions() async throws {
        let cases: [([String], String)] = [
            (["--listen", "8788"], "--listen takes HOST:PORT"),
            (["--listen", "127.0.0.1:70000"], "--listen takes HOST:PORT"),
            (["--openai-base-url", "api.openai.com"], "--openai-base-url must be an http or https URL"),
            (["--anthropic-base-url", "ftp://x"], "--anthropic-base-url must be an http or https URL"),
            (["--provider", "groq"], "--provider takes NAME=URL"),
            (["--provider", "a/b=https://x"], "--provider takes NAME=URL"),
            (["--provider", "g=https://a", "--provider", "g=https://b"], "--provider g is given twice"),
        ]
        for (options, message) in cases {
            let result = try await Binary.run(["llm-proxy"] + options, timeout: 120)
            #expect(result.status == 64, "\(options): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
    }

    @Test("llm-proxy that cannot start exits with status 2, naming what is wrong")
    func cannotStart() async throws {
        let sandbox = Sandbox()
        let noPolicy = try await Binary.run(["llm-proxy", "--db", sandbox.database, "--listen", "127.0.0.1:0", "--policy", "nosuch"], timeout: 120)
        #expect(noPolicy.status == 2, "\(noPolicy.stderr)")
        #expect(noPolicy.stderr.contains("no stored policy named \"nosuch\""), "\(noPolicy.stderr)")
        let badPrices = try await Binary.run(["llm-proxy", "--db", sandbox.database, "--listen", "127.0.0.1:0", "--prices", sandbox.root + "/nope.json"], timeout: 120)
        #expect(badPrices.status == 2, "\(badPrices.status): \(badPrices.stderr)")
        #expect(badPrices.stderr.contains(sandbox.root + "/nope.json"), "\(badPrices.stderr)")
    }

    @Test("gateway --session takes a valid key and no other parent")
    func gatewaySession() async throws {
        let cases: [([String], String)] = [
            (["--session", "a b"], "--session takes 1 to 128 letters"),
            (["--session", "s", "--parent-run", "run_x"], "--session and --parent-run both name the parent run"),
            (["--session", "s", "--run-id", "run_x"], "--session applies to new runs"),
        ]
        for (options, message) in cases {
            let result = try await Binary.run(["gateway"] + options + ["--", "true"], timeout: 120)
            #expect(result.status == 64, "\(options): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
    }
}
