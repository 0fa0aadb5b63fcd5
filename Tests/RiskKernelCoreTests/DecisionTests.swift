import RiskKernelCore
import SeededRandom
import Testing

@Suite("DecisionPipeline")
struct DecisionTests {
    let pipeline = DecisionPipeline.standard

    /// A policy that allows `fs.*` only and holds `fs.delete` and any `write.*` side effect.
    func strictPolicy() throws -> Policy {
        Policy(
            name: "strict", toolAllowlist: [try Glob("fs.*")],
            approvalRules: [.tool(try Glob("fs.delete")), .sideEffect(try Glob("write.*"))])
    }

    func scope(_ runId: String = "run-1", budget: Budget, usage: Usage = .zero, elapsed: Double = 0, own: Bool = true) -> BudgetScope {
        BudgetScope(runId: runId, budget: budget, usage: usage, elapsedSeconds: elapsed, isOwn: own)
    }

    var exhaustedTokens: BudgetScope { scope(budget: Budget(tokens: 100), usage: Usage(promptTokens: 100)) }

    // MARK: Allow

    @Test func permissivePolicyAllowsEverything() {
        let decision = pipeline.decide(ToolCallContext(tool: "anything", sideEffect: "write.destructive", policy: .permissive)).decision
        #expect(decision == .allow)
        #expect(decision.kind == "allow")
    }

    @Test func callThatPassesEveryStepIsAllowed() throws {
        let context = ToolCallContext(
            tool: "fs.read", arguments: ["path": "/etc/hosts"], sideEffect: "read", policy: try strictPolicy(),
            budgets: [scope(budget: Budget(tokens: 100, loops: 5), usage: Usage(promptTokens: 99, loops: 4))])
        #expect(pipeline.decide(context).decision == .allow)
    }

    // MARK: Order: halted, budget, allowlist, approval

    @Test func haltedBeatsEverything() throws {
        // Exhausted budget, tool not on the allowlist, and an approval rule that would match: halted still wins.
        let policy = Policy(name: "p", toolAllowlist: [], approvalRules: [.sideEffect(try Glob("*"))])
        let context = ToolCallContext(tool: "net.get", sideEffect: "read", policy: policy, budgets: [exhaustedTokens], haltReason: "stopped by operator")
        let decision = pipeline.decide(context).decision
        #expect(decision == .deny(rule: "halted", reason: "the run is halted: stopped by operator"))
        #expect(decision.kind == "deny")
    }

    @Test func haltedDeniesEvenAnOtherwiseAllowedCall() {
        let context = ToolCallContext(tool: "fs.read", sideEffect: "read", policy: .permissive, haltReason: "token budget exhausted (1200 of 1000 tokens)")
        #expect(pipeline.decide(context).decision == .deny(rule: "halted", reason: "the run is halted: token budget exhausted (1200 of 1000 tokens)"))
    }

    @Test func budgetBeatsAllowlistAndApproval() throws {
        // Not on the allowlist and matching an approval rule, but the budget is checked first.
        let context = ToolCallContext(tool: "net.get", sideEffect: "write.remote", policy: try strictPolicy(), budgets: [exhaustedTokens])
        #expect(pipeline.decide(context).decision == .deny(rule: "budget.tokens", reason: "token budget exhausted (100 of 100 tokens)"))
    }

    @Test func budgetBeatsApproval() throws {
        let context = ToolCallContext(tool: "fs.delete", sideEffect: "write.destructive", policy: try strictPolicy(), budgets: [exhaustedTokens])
        #expect(pipeline.decide(context).decision.kind == "deny")
    }

    @Test func allowlistBeatsApproval() throws {
        // "db.drop" matches the side-effect approval rule but is not on the allowlist.
        let context = ToolCallContext(tool: "db.drop", sideEffect: "write.destructive", policy: try strictPolicy())
        #expect(pipeline.decide(context).decision == .deny(rule: "allowlist", reason: #"tool "db.drop" is not on the allowlist of policy "strict""#))
    }

    @Test func approvalWhenEverythingElsePasses() throws {
        let context = ToolCallContext(tool: "fs.delete", sideEffect: "write.destructive", policy: try strictPolicy())
        let decision = pipeline.decide(context).decision
        #expect(decision == .needsApproval(rule: "tool=fs.delete"))
        #expect(decision.kind == "approval")
    }

    // MARK: Budget scopes

    @Test func budgetDenialNamesTheDimension() {
        let cases: [(Budget, Usage, Double, String)] = [
            (Budget(tokens: 10), Usage(completionTokens: 10), 0, "budget.tokens"),
            (Budget(dollars: Money(micros: 1)), Usage(dollars: Money(micros: 1)), 0, "budget.dollars"),
            (Budget(loops: 3), Usage(loops: 3), 0, "budget.loops"),
            (Budget(seconds: 30), .zero, 30.5, "budget.seconds"),
        ]
        for (budget, usage, elapsed, rule) in cases {
            let context = ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive, budgets: [scope(budget: budget, usage: usage, elapsed: elapsed)])
            guard case .deny(let actual, let reason) = pipeline.decide(context).decision else {
                Issue.record("expected a denial for \(rule)")
                continue
            }
            #expect(actual == rule)
            #expect(reason.contains("budget exhausted"))
        }
    }

    @Test func budgetWithRoomLeftPasses() {
        let context = ToolCallContext(
            tool: "t", sideEffect: "read", policy: .permissive,
            budgets: [scope(budget: Budget(tokens: 10, dollars: Money(micros: 2), loops: 3, seconds: 30), usage: Usage(promptTokens: 9, dollars: Money(micros: 1), loops: 2), elapsed: 29.9)])
        #expect(pipeline.decide(context).decision == .allow)
    }

    @Test func ancestorBudgetCapsTheCall() {
        let own = scope("child", budget: Budget(loops: 100), usage: Usage(loops: 1), own: true)
        let parent = scope("parent-7", budget: Budget(loops: 5), usage: Usage(loops: 5), own: false)
        let context = ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive, budgets: [own, parent])
        #expect(pipeline.decide(context).decision == .deny(rule: "budget.loops", reason: "loop budget exhausted (5 of 5 steps) of ancestor run parent-7"))
    }

    @Test func ownBudgetIsReportedBeforeAnAncestors() {
        let own = scope("child", budget: Budget(dollars: Money(micros: 10)), usage: Usage(dollars: Money(micros: 10)), own: true)
        let parent = scope("parent", budget: Budget(tokens: 1), usage: Usage(promptTokens: 2), own: false)
        let context = ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive, budgets: [own, parent])
        #expect(pipeline.decide(context).decision == .deny(rule: "budget.dollars", reason: "dollar budget exhausted ($0.000010 of $0.000010)"))
    }

    // MARK: Allowlist

    @Test func nilAllowlistAllowsEveryTool() {
        let policy = Policy(name: "open", toolAllowlist: nil)
        for tool in ["fs.read", "shell.exec", "", "🙂"] {
            #expect(pipeline.decide(ToolCallContext(tool: tool, sideEffect: "write", policy: policy)).decision == .allow, "\(tool)")
        }
    }

    @Test func emptyAllowlistAllowsNoTool() {
        let policy = Policy(name: "closed", toolAllowlist: [])
        for tool in ["fs.read", "shell.exec", ""] {
            #expect(pipeline.decide(ToolCallContext(tool: tool, sideEffect: "read", policy: policy)).decision.kind == "deny", "\(tool)")
        }
        #expect(pipeline.decide(ToolCallContext(tool: "x", sideEffect: "read", policy: policy)).decision
            == .deny(rule: "allowlist", reason: #"tool "x" is not on the allowlist of policy "closed""#))
    }

    @Test func allowlistGlobsMatchWholeNames() throws {
        let policy = Policy(name: "p", toolAllowlist: [try Glob("fs.read"), try Glob("git.*")])
        #expect(policy.allows(tool: "fs.read"))
        #expect(policy.allows(tool: "git.status"))
        #expect(!policy.allows(tool: "fs.read2"))
        #expect(!policy.allows(tool: "xgit.status"))
        #expect(pipeline.decide(ToolCallContext(tool: "fs.read2", sideEffect: "read", policy: policy)).decision.kind == "deny")
    }

    // MARK: Approval rules

    @Test func firstMatchingApprovalRuleIsNamed() throws {
        let policy = Policy(name: "p", approvalRules: [.sideEffect(try Glob("write.*")), .tool(try Glob("fs.delete"))])
        let context = ToolCallContext(tool: "fs.delete", sideEffect: "write.destructive", policy: policy)
        #expect(pipeline.decide(context).decision == .needsApproval(rule: "sideEffect=write.*"))
    }

    @Test func toolRulesAreGlobsAsEverywhereElse() throws {
        let policy = Policy(name: "p", approvalRules: [.tool(try Glob("git_*"))])
        #expect(pipeline.decide(ToolCallContext(tool: "git_push", sideEffect: "write", policy: policy)).decision == .needsApproval(rule: "tool=git_*"))
        #expect(pipeline.decide(ToolCallContext(tool: "git_status", sideEffect: "read", policy: policy)).decision == .needsApproval(rule: "tool=git_*"))
        #expect(pipeline.decide(ToolCallContext(tool: "xgit_push", sideEffect: "write", policy: policy)).decision == .allow)
        // A name without glob characters matches only itself; an escaped star is a literal star.
        let exact = Policy(name: "p", approvalRules: [.tool(try Glob("fs.delete")), .tool(try Glob(#"fs.\*"#))])
        #expect(pipeline.decide(ToolCallContext(tool: "fs.delete2", sideEffect: "write", policy: exact)).decision == .allow)
        #expect(pipeline.decide(ToolCallContext(tool: "fs.read", sideEffect: "read", policy: exact)).decision == .allow)
        #expect(pipeline.decide(ToolCallContext(tool: "fs.*", sideEffect: "read", policy: exact)).decision == .needsApproval(rule: #"tool=fs.\*"#))
    }

    @Test("an approval rule's tool holds exactly the calls the same glob allows in toolAllowlist (property, seeded)")
    func approvalToolGlobAgreesWithAllowlist() throws {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SeededRandom(seed: seed)
        let alphabet = Array("ab_.*?")
        for _ in 0..<2000 {
            let pattern = String((0..<Int.random(in: 1...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            guard let glob = try? Glob(pattern) else { continue }
            let tool = String((0..<Int.random(in: 0...6, using: &random)).map { _ in Array("ab_.").randomElement(using: &random)! })
            let held = Policy(name: "p", approvalRules: [.tool(glob)])
            let listed = Policy(name: "p", toolAllowlist: [glob])
            let decision = pipeline.decide(ToolCallContext(tool: tool, sideEffect: "write", policy: held)).decision
            #expect((decision != .allow) == listed.allows(tool: tool), "seed \(seed): pattern \(pattern), tool \(tool)")
        }
    }

    @Test func sideEffectRulesMatchTheLabelNotTheTool() throws {
        let policy = Policy(name: "p", approvalRules: [.sideEffect(try Glob("write.destructive"))])
        #expect(pipeline.decide(ToolCallContext(tool: "write.destructive", sideEffect: "read", policy: policy)).decision == .allow)
        #expect(pipeline.decide(ToolCallContext(tool: "db.drop", sideEffect: "write.destructive", policy: policy)).decision
            == .needsApproval(rule: "sideEffect=write.destructive"))
        // The side-effect glob must match the whole label.
        #expect(pipeline.decide(ToolCallContext(tool: "db.drop", sideEffect: "write.destructive.more", policy: policy)).decision == .allow)
    }

    @Test func approvalRuleMatching() throws {
        #expect(ApprovalRule.tool(try Glob("a")).matches(tool: "a", sideEffect: "anything"))
        #expect(!ApprovalRule.tool(try Glob("a")).matches(tool: "A", sideEffect: "anything"))
        #expect(ApprovalRule.tool(try Glob("a*")).matches(tool: "ab", sideEffect: "anything"))
        let rule = ApprovalRule.sideEffect(try Glob("write*"))
        #expect(rule.matches(tool: "x", sideEffect: "write"))
        #expect(rule.matches(tool: "x", sideEffect: "write.remote"))
        #expect(!rule.matches(tool: "write", sideEffect: "read"))
        #expect(rule.description == "sideEffect=write*")
        #expect(ApprovalRule.tool(try Glob("fs.delete")).description == "tool=fs.delete")
        #expect(ApprovalRule.tool(try Glob("fs.delete"), reason: "why").shown == "tool=fs.delete (why)")
    }

    // MARK: Pipeline mechanics

    @Test func standardPipelineOrder() {
        #expect(DecisionPipeline.standard.steps.map(\.name) == ["halted", "budget", "allowlist", "pinning", "rateLimit", "secrets", "arguments", "approval"])
    }

    @Test func emptyPipelineAllows() {
        let context = ToolCallContext(tool: "t", sideEffect: "write", policy: .permissive, haltReason: "halted")
        #expect(DecisionPipeline(steps: []).decide(context).decision == .allow)
    }

    @Test func firstDecidingStepWins() {
        let passing = DecisionStep(name: "pass") { _ in .pass }
        let denying = DecisionStep(name: "deny") { context in .decide(.deny(rule: "custom", reason: context.tool)) }
        let approving = DecisionStep(name: "approve") { _ in .decide(.needsApproval(rule: "later")) }
        let context = ToolCallContext(tool: "t1", sideEffect: "read", policy: .permissive)
        #expect(DecisionPipeline(steps: [passing, denying, approving]).decide(context).decision == .deny(rule: "custom", reason: "t1"))
        #expect(DecisionPipeline(steps: [approving, denying]).decide(context).decision == .needsApproval(rule: "later"))
        #expect(DecisionPipeline(steps: [passing, passing]).decide(context).decision == .allow)
    }

    @Test func stepsInIsolation() throws {
        let policy = try strictPolicy()
        let fine = ToolCallContext(tool: "fs.read", sideEffect: "read", policy: policy)
        #expect(DecisionStep.runHalted.evaluate(fine) == .pass)
        #expect(DecisionStep.budgetExhausted.evaluate(fine) == .pass)
        #expect(DecisionStep.allowlist.evaluate(fine) == .pass)
        #expect(DecisionStep.approvalRules.evaluate(fine) == .pass)

        var halted = fine
        halted.haltReason = "x"
        #expect(DecisionStep.runHalted.evaluate(halted) == .decide(.deny(rule: "halted", reason: "the run is halted: x")))
        // Each step looks only at its own concern.
        #expect(DecisionStep.allowlist.evaluate(halted) == .pass)

        var outside = fine
        outside.tool = "net.get"
        #expect(DecisionStep.allowlist.evaluate(outside) == .decide(.deny(rule: "allowlist", reason: #"tool "net.get" is not on the allowlist of policy "strict""#)))
        #expect(DecisionStep.approvalRules.evaluate(outside) == .pass)

        var writing = fine
        writing.sideEffect = "write.local"
        #expect(DecisionStep.approvalRules.evaluate(writing) == .decide(.needsApproval(rule: "sideEffect=write.*")))
    }

    @Test func contextDefaults() {
        let context = ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive)
        #expect(context.arguments == .object([:]))
        #expect(context.budgets.isEmpty)
        #expect(context.haltReason == nil)
    }
}
