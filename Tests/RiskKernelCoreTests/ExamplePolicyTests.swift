import Foundation
import RiskKernelCore
import Testing

/// Every policy in examples/policies parses; the argument-rule and pinning examples do what they say.
@Suite("example policies")
struct ExamplePolicyTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/policies")

    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted()
    }()

    static func policy(_ file: String) throws -> Policy {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        return try #require(try PolicyParser.parse(text, file: file).first)
    }

    @Test func examplesAreThere() {
        #expect(Self.files.contains("argument-rules.yaml"))
        #expect(Self.files.contains("tool-pinning.yaml"))
    }

    @Test("each example parses", arguments: files)
    func parses(file: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
        #expect(try !PolicyParser.parse(text, file: file).isEmpty)
    }

    @Test func argumentRulesExample() throws {
        let policy = try Self.policy("argument-rules.yaml")
        func decide(_ tool: String, _ arguments: JSONValue) -> DecisionResult {
            DecisionPipeline.standard.decide(ToolCallContext(tool: tool, arguments: arguments, sideEffect: "read", policy: policy))
        }
        #expect(decide("read_file", ["path": "/srv/data/reports/q1.csv"]).decision == .allow)
        #expect(decide("read_file", ["path": "/srv/data/../../etc/passwd"]).decision.kind == "deny")
        #expect(decide("read_file", ["path": "../secrets"]).decision.kind == "deny")
        let deploy = decide("deploy_apply", ["env": "prod", "dry_run": false])
        #expect(deploy.decision == .allow)
        #expect(deploy.arguments == ["env": "prod", "dry_run": true])
        #expect(decide("payments_transfer", ["amount": 250]).decision.kind == "approval")
        #expect(decide("payments_transfer", ["amount": 20]).decision == .allow)
        // The comment says a numeric string is judged like the number.
        #expect(try Self.text("argument-rules.yaml").contains(#"the string "250" is judged like the number 250"#))
        #expect(decide("payments_transfer", ["amount": "250"]).decision.kind == "approval")
        #expect(decide("payments_transfer", ["amount": "20"]).decision == .allow)
    }

    static func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    @Test("git-guarded.yaml's decision order is the pipeline's, step for step, and its rules hold what it says")
    func gitGuardedExample() throws {
        let text = try Self.text("git-guarded.yaml")
        let start = try #require(text.range(of: "Decision order for each tool call"))
        let comment = text[start.upperBound...].split(separator: "\n").prefix(2)
            .map { $0.replacingOccurrences(of: "#", with: "") }.joined(separator: " ")
        let listed = comment.components(separatedBy: ":").dropFirst().joined(separator: ":").components(separatedBy: "->")
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        // Each step name of the pipeline, as the comment writes it.
        let words = ["halted": "halted run", "budget": "budget", "allowlist": "allowlist", "pinning": "tool pinning", "rateLimit": "rate limits",
                     "secrets": "secrets in arguments", "arguments": "argument rules", "approval": "approval rules"]
        #expect(listed == DecisionPipeline.standard.steps.map { words[$0.name] ?? $0.name }, "\(listed)")
        let policy = try Self.policy("git-guarded.yaml")
        func decide(_ tool: String) -> Decision {
            DecisionPipeline.standard.decide(ToolCallContext(
                tool: tool, sideEffect: SideEffectClassifier.classify(tool: tool, annotations: nil, policy: policy), policy: policy)).decision
        }
        #expect(decide("git_commit").kind == "approval")
        #expect(decide("git_reset").kind == "approval")
        #expect(decide("git_add") == .allow)
        #expect(decide("git_status") == .allow)
        #expect(decide("git_init").kind == "deny")
    }

    @Test("budgeted.yaml: a crossed token, dollar or loop budget halts the run; seconds refuse as budget.seconds")
    func budgetedExample() throws {
        let text = try Self.text("budgeted.yaml")
        let policy = try Self.policy("budgeted.yaml")
        func decide(_ usage: Usage, elapsed: Double = 0, halted: String? = nil) -> Decision {
            DecisionPipeline.standard.decide(ToolCallContext(
                tool: "anything", sideEffect: "write", policy: policy,
                budgets: [BudgetScope(runId: "r", budget: policy.budget, usage: usage, elapsedSeconds: elapsed, isOwn: true)],
                haltReason: halted)).decision
        }
        // What the gateway does when a model call crosses the tokens: the spend halts the run with the
        // budget's message, and the halted step refuses with it.
        let crossed = try #require(policy.budget.exhaustion(of: Usage(promptTokens: 200_000), elapsedSeconds: 0))
        #expect(crossed.message.hasPrefix("token budget exhausted"))
        #expect(text.contains("the run is halted: token budget exhausted"))
        guard case .deny(let rule, let reason) = decide(Usage(promptTokens: 200_000), halted: crossed.message) else {
            Issue.record("a halted run was not refused")
            return
        }
        #expect(rule == "halted")
        #expect(reason.hasPrefix("the run is halted: token budget exhausted"))
        guard case .deny(let secondsRule, let secondsReason) = decide(.zero, elapsed: 3601) else {
            Issue.record("a run past its seconds was not refused")
            return
        }
        #expect(secondsRule == "budget.seconds" && text.contains("rule budget.seconds"))
        #expect(secondsReason.hasPrefix("time budget exhausted") && text.contains("time budget exhausted"))
    }

    @Test func toolPinningExample() throws {
        #expect(try Self.policy("tool-pinning.yaml").toolPinning == .enforce)
    }
}
