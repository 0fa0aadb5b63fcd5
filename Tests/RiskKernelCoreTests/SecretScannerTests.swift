import Foundation
import RiskKernelCore
import Testing

@Suite("secret detection")
struct SecretScannerTests {
    let scanner = try! SecretScanner()

    @Test("each detector finds its credential format", arguments: [
        ("ghp_" + String(repeating: "A1b2C3d4E5", count: 4), "github-token"),
        ("github_pat_" + String(repeating: "A1b2C3d4E5_", count: 3), "github-token"),
        ("glpat-" + String(repeating: "x1Y2z3", count: 4), "gitlab-token"),
        ("xoxb-1234567890-abcdefghij", "slack-token"),
        ("sk_live_" + String(repeating: "4eC39HqLyjWDarjt", count: 2), "stripe-key"),
        ("AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
        ("AIza" + String(repeating: "SyD3fG5hJ7", count: 3) + "k9L1m", "google-api-key"),
        ("sk-proj-" + String(repeating: "abcDEF123_", count: 3), "openai-key"),
        ("sk-ant-api03-" + String(repeating: "abcDEF123-", count: 4), "anthropic-key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "pem-private-key"),
        ("postgres://admin:s3cret@db.example.com:5432/app", "url-password"),
    ])
    func detects(secret: String, kind: String) {
        #expect(scanner.kinds(in: .string("before \(secret) after")) == [kind])
        #expect(scanner.redacting("x \(secret) y").hasPrefix("x [REDACTED:\(kind)]"))
        #expect(!scanner.redacting("x \(secret) y").contains(secret.prefix(12)))
    }

    @Test("ordinary text is not a secret", arguments: [
        "ghp_short", "sk-not-long", "https://example.com/path?q=1", "AKIA123", "eyJ.not.jwt", "git@github.com:owner/repo.git",
        "user@example.com", "-----BEGIN PUBLIC KEY-----", "The skeleton key sk is fine", "https://user@host/path",
    ])
    func ignoresOrdinaryText(text: String) {
        #expect(scanner.kinds(in: .string(text)).isEmpty)
    }

    @Test("keys and nested values are scanned; allow patterns exempt exact matches")
    func nestedAndAllowed() throws {
        let value: JSONValue = ["config": ["AKIAIOSFODNN7EXAMPLE": 1, "list": ["xoxb-1234567890-abcdefghij"]]]
        #expect(scanner.kinds(in: value) == ["aws-access-key", "slack-token"])
        let allowing = try SecretScanner(allow: ["AKIAIOSFODNN7EXAMPLE"])
        #expect(allowing.kinds(in: value) == ["slack-token"])
        #expect(allowing.redacting(value) == ["config": ["AKIAIOSFODNN7EXAMPLE": 1, "list": ["[REDACTED:slack-token]"]]])
    }

    @Test("the pipeline blocks by default, rewrites with redact, and ignores with off")
    func pipelineStep() throws {
        let arguments: JSONValue = ["text": "AKIAIOSFODNN7EXAMPLE"]
        var policy = Policy(name: "p", approvalRules: [.sideEffect(try Glob("*"))])
        let context = { ToolCallContext(tool: "t", arguments: arguments, sideEffect: "write", policy: policy, secretScanner: scanner) }
        let blocked = DecisionPipeline.standard.decide(context())
        guard case .deny(let rule, let reason) = blocked.decision else { Issue.record("not refused"); return }
        #expect(rule == "secrets")
        #expect(reason.contains("aws-access-key") && !reason.contains("AKIAIOSFODNN7EXAMPLE"))
        policy.secrets.arguments = .redact
        let rewritten = DecisionPipeline.standard.decide(context())
        #expect(rewritten.decision == .needsApproval(rule: "sideEffect=*"))
        #expect(rewritten.arguments == ["text": "[REDACTED:aws-access-key]"])
        policy.secrets.arguments = .off
        #expect(DecisionPipeline.standard.decide(context()).arguments == arguments)
    }

    @Test("spec.secrets is validated")
    func policyField() throws {
        let parsed = try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: s}\nspec:\n  secrets: {arguments: redact, results: block, allow: ['^AKIA.*EXAMPLE$']}\n")
        #expect(parsed[0].secrets == SecretsPolicy(arguments: .redact, results: .block, allow: ["^AKIA.*EXAMPLE$"]))
        // YAML reads an unquoted off as false; it means off.
        let unquoted = try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: s}\nspec:\n  secrets: {arguments: off, results: off}\n")
        #expect(unquoted[0].secrets == SecretsPolicy(arguments: .off, results: .off))
        #expect(throws: PolicyError(file: nil, document: 1, field: "spec.secrets.arguments", message: "must be block, redact or off (got \"maybe\")")) {
            _ = try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: s}\nspec:\n  secrets: {arguments: maybe}\n")
        }
        #expect(throws: PolicyError.self) {
            _ = try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: s}\nspec:\n  secrets: {allow: ['(']}\n")
        }
    }
}
