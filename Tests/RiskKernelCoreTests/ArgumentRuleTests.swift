import RiskKernelCore
import Testing

@Suite("Argument rules")
struct ArgumentRuleTests {
    func rule(
        _ tool: String, _ pointer: String, _ matcher: ArgumentMatcher? = nil, _ action: ArgumentAction, reason: String? = nil
    ) throws -> ArgumentRule {
        ArgumentRule(tool: try Glob(tool), argument: try JSONPointer(pointer), matcher: matcher, action: action, reason: reason)
    }

    func decide(_ rules: [ArgumentRule], tool: String, arguments: JSONValue) -> DecisionResult {
        let policy = Policy(name: "p", argumentRules: rules)
        return DecisionPipeline.standard.decide(ToolCallContext(tool: tool, arguments: arguments, sideEffect: "read", policy: policy))
    }

    var pathEscape: ArgumentRule {
        get throws {
            try rule("fs.*", "/path", .notMatches(try Glob("/srv/data/*")), .deny, reason: "only files under /srv/data may be used")
        }
    }

    // MARK: Deny

    @Test func denyNamesToolArgumentAndReason() throws {
        let result = decide([try pathEscape], tool: "fs.read_file", arguments: ["path": "/srv/data/../../etc/passwd"])
        #expect(result.decision == .deny(rule: "argument", reason: #"argument /path of tool "fs.read_file" refused: only files under /srv/data may be used"#))
    }

    @Test func denyWithoutReasonNamesTheRule() throws {
        let rule = try rule("fs.*", "/path", .matches(try Glob("/etc/*")), .deny)
        let result = decide([rule], tool: "fs.read", arguments: ["path": "/etc/shadow"])
        #expect(result.decision == .deny(
            rule: "argument",
            reason: #"argument /path of tool "fs.read" refused: the value is not allowed (rule tool=fs.* argument=/path matches=/etc/*)"#))
    }

    @Test func pathInsideTheAllowedTreePasses() throws {
        #expect(decide([try pathEscape], tool: "fs.read_file", arguments: ["path": "/srv/data/a/../b.csv"]).decision == .allow)
    }

    @Test func otherToolsAreNotJudged() throws {
        #expect(decide([try pathEscape], tool: "git.log", arguments: ["path": "/etc/passwd"]).decision == .allow)
    }

    @Test func aMissingArgumentMatchesOnlyExistsFalseAndAlways() throws {
        let arguments: JSONValue = ["other": 1]
        #expect(decide([try pathEscape], tool: "fs.read", arguments: arguments).decision == .allow)
        #expect(decide([try rule("fs.*", "/path", .notIn(["x"]), .deny)], tool: "fs.read", arguments: arguments).decision == .allow)
        #expect(decide([try rule("fs.*", "/path", .exists(false), .deny)], tool: "fs.read", arguments: arguments).decision.kind == "deny")
        #expect(decide([try rule("fs.*", "/path", nil, .deny)], tool: "fs.read", arguments: arguments).decision.kind == "deny")
    }

    @Test func wholeArgumentsPointer() throws {
        let rule = try rule("shell.*", "", .regex(try ArgumentRegex("rm -rf")), .deny, reason: "no recursive deletes")
        #expect(decide([rule], tool: "shell.exec", arguments: ["cmd": "rm -rf /"]).decision
            == .deny(rule: "argument", reason: #"the arguments of tool "shell.exec" refused: no recursive deletes"#))
    }

    // MARK: Require approval

    @Test func requireApprovalNamesTheRule() throws {
        let rule = try rule("payments.*", "/amount", .greaterThan(100), .requireApproval)
        let result = decide([rule], tool: "payments.send", arguments: ["amount": 250])
        #expect(result.decision == .needsApproval(rule: "tool=payments.* argument=/amount greaterThan=100"))
        #expect(decide([rule], tool: "payments.send", arguments: ["amount": 100]).decision == .allow)
    }

    // MARK: Rewrite

    @Test func rewriteReplacesAnArgument() throws {
        let rule = try rule("deploy.*", "/dry_run", nil, .rewrite(true))
        let result = decide([rule], tool: "deploy.run", arguments: ["dry_run": false, "env": "prod"])
        #expect(result.decision == .allow)
        #expect(result.arguments == ["dry_run": true, "env": "prod"])
    }

    @Test func rewriteAddsAMissingArgument() throws {
        let rule = try rule("deploy.*", "/options/dry_run", nil, .rewrite(true))
        let result = decide([rule], tool: "deploy.run", arguments: ["env": "prod"])
        #expect(result.decision == .allow)
        #expect(result.arguments == ["env": "prod", "options": ["dry_run": true]])
    }

    @Test func rewriteWithAMatcherAppliesOnlyWhenItHolds() throws {
        let rule = try rule("db.*", "/limit", .greaterThan(1000), .rewrite(1000))
        #expect(decide([rule], tool: "db.query", arguments: ["limit": 5000]).arguments == ["limit": 1000])
        #expect(decide([rule], tool: "db.query", arguments: ["limit": 10]).arguments == ["limit": 10])
    }

    @Test func rewriteThenDenyJudgesTheRewrittenValue() throws {
        // The deny rule comes first in the file, but rewrites apply first.
        let deny = try rule("fs.*", "/path", .matches(try Glob("/etc/*")), .deny, reason: "system files")
        let rewrite = try rule("fs.*", "/path", .matches(try Glob("/srv/legacy/*")), .rewrite("/etc/legacy"))
        let result = decide([deny, rewrite], tool: "fs.read", arguments: ["path": "/srv/legacy/a"])
        #expect(result.decision == .deny(rule: "argument", reason: #"argument /path of tool "fs.read" refused: system files"#))
        #expect(result.arguments == ["path": "/etc/legacy"])
    }

    @Test func rewriteCanClearWhatADenyRuleWouldCatch() throws {
        let deny = try rule("deploy.*", "/dry_run", .in([false]), .deny, reason: "only dry runs")
        let rewrite = try rule("deploy.*", "/dry_run", nil, .rewrite(true))
        #expect(decide([deny, rewrite], tool: "deploy.run", arguments: ["dry_run": false]).decision == .allow)
    }

    @Test func rewritesApplyInFileOrder() throws {
        let first = try rule("t", "/mode", nil, .rewrite("a"))
        let second = try rule("t", "/mode", .in(["a"]), .rewrite("b"))
        #expect(decide([first, second], tool: "t", arguments: [:]).arguments == ["mode": "b"])
        #expect(decide([second, first], tool: "t", arguments: [:]).arguments == ["mode": "a"])
    }

    @Test func approvalCarriesTheRewrittenArguments() throws {
        let rewrite = try rule("payments.*", "/dry_run", nil, .rewrite(true))
        let approval = try rule("payments.*", "/amount", .greaterThan(100), .requireApproval)
        let result = decide([rewrite, approval], tool: "payments.send", arguments: ["amount": 500])
        #expect(result.decision == .needsApproval(rule: "tool=payments.* argument=/amount greaterThan=100"))
        #expect(result.arguments == ["amount": 500, "dry_run": true])
    }

    @Test func aRewriteThatCannotBeAppliedRefusesTheCall() throws {
        let rule = try rule("deploy.*", "/options/dry_run", nil, .rewrite(true))
        let result = decide([rule], tool: "deploy.run", arguments: ["options": "fast"])
        guard case .deny(let name, let reason) = result.decision else {
            Issue.record("expected a denial, got \(result.decision)")
            return
        }
        #expect(name == "argument")
        #expect(reason.hasPrefix(#"argument /options/dry_run of tool "deploy.run" could not be rewritten as the policy requires"#))
    }

    // MARK: Order

    @Test func firstMatchingDenyOrApprovalRuleDecides() throws {
        let approve = try rule("t", "/n", .greaterThan(10), .requireApproval)
        let deny = try rule("t", "/n", .greaterThan(100), .deny, reason: "too many")
        #expect(decide([approve, deny], tool: "t", arguments: ["n": 500]).decision == .needsApproval(rule: "tool=t argument=/n greaterThan=10"))
        #expect(decide([deny, approve], tool: "t", arguments: ["n": 500]).decision == .deny(rule: "argument", reason: #"argument /n of tool "t" refused: too many"#))
        #expect(decide([deny, approve], tool: "t", arguments: ["n": 50]).decision == .needsApproval(rule: "tool=t argument=/n greaterThan=10"))
    }

    @Test func argumentRulesComeBeforeApprovalRules() throws {
        let policy = Policy(
            name: "p", approvalRules: [.sideEffect(try Glob("*"))],
            argumentRules: [try rule("fs.*", "/path", .matches(try Glob("/etc/*")), .deny)])
        let context = ToolCallContext(tool: "fs.read", arguments: ["path": "/etc/passwd"], sideEffect: "read", policy: policy)
        #expect(DecisionPipeline.standard.decide(context).decision.kind == "deny")
    }

    @Test func secretsAreCheckedBeforeArgumentRules() throws {
        let scanner = try SecretScanner()
        let policy = Policy(name: "p", argumentRules: [try rule("*", "/token", nil, .requireApproval)])
        let context = ToolCallContext(
            tool: "t", arguments: ["token": .string("ghp_" + String(repeating: "a", count: 36))], sideEffect: "read", policy: policy, secretScanner: scanner)
        guard case .deny(let name, _) = DecisionPipeline.standard.decide(context).decision else {
            Issue.record("expected the secrets step to refuse")
            return
        }
        #expect(name == "secrets")
    }

    @Test func stepInIsolation() throws {
        let policy = Policy(name: "p", argumentRules: [try rule("t", "/x", nil, .rewrite(1))])
        let context = ToolCallContext(tool: "t", arguments: [:], sideEffect: "read", policy: policy)
        #expect(DecisionStep.argumentRules.evaluate(context) == .rewrite(["x": 1]))
        var unchanged = context
        unchanged.arguments = ["x": 1]
        #expect(DecisionStep.argumentRules.evaluate(unchanged) == .pass)
        #expect(DecisionStep.argumentRules.evaluate(ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive)) == .pass)
    }

    @Test func ruleDescription() throws {
        #expect(try rule("fs.*", "/a~1b", nil, .deny).description == "tool=fs.* argument=/a~1b")
        #expect(try rule("x", "", .exists(true), .deny).description == "tool=x argument= exists=true")
        #expect(ArgumentAction.rewrite(1).name == "rewrite")
    }
}
