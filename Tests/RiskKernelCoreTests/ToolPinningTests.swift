import RiskKernelCore
import Testing

@Suite("Tool pinning step")
struct ToolPinningTests {
    func context(_ mode: ToolPinningMode, _ status: ToolPinStatus?, tool: String = "fs.read", server: String = "fs") -> ToolCallContext {
        ToolCallContext(
            tool: tool, sideEffect: "read", policy: Policy(name: "p", toolPinning: mode), pinStatus: status, server: server)
    }

    @Test func enforceRefusesAChangedTool() {
        #expect(DecisionStep.toolPinning.evaluate(context(.enforce, .changed)) == .decide(.deny(
            rule: "pinning",
            reason: #"tool "fs.read" has changed its definition since it was pinned; a person must approve it before it can be called: riskkernel tools approve --server fs fs.read"#)))
    }

    @Test func enforceRefusesANewTool() {
        #expect(DecisionStep.toolPinning.evaluate(context(.enforce, .new)) == .decide(.deny(
            rule: "pinning",
            reason: #"tool "fs.read" is new since the server's tools were pinned; a person must approve it before it can be called: riskkernel tools approve --server fs fs.read"#)))
    }

    @Test func enforceRefusesWhenTheToolListCouldNotBeRead() {
        #expect(DecisionStep.toolPinning.evaluate(context(.enforce, .unverified)) == .decide(.deny(
            rule: "pinning",
            reason: #"tool "fs.read" cannot be checked against its pinned definition: the server's tool list could not be read (see the gateway's log), so the call was not sent"#)))
    }

    @Test("every mode and status", arguments: ToolPinningMode.allCases, ToolPinStatus.allCases)
    func modesAndStatuses(mode: ToolPinningMode, status: ToolPinStatus) {
        let verdict = DecisionStep.toolPinning.evaluate(context(mode, status))
        if mode == .enforce && status != .pinned {
            guard case .decide(.deny(let rule, _)) = verdict else {
                Issue.record("expected a refusal for \(mode) and \(status), got \(verdict)")
                return
            }
            #expect(rule == "pinning")
        } else {
            #expect(verdict == .pass, "\(mode) and \(status)")
        }
    }

    @Test func unknownStatusPasses() {
        for mode in ToolPinningMode.allCases { #expect(DecisionStep.toolPinning.evaluate(context(mode, nil)) == .pass) }
    }

    @Test func serverAndToolAreShellQuotedWhenNeeded() {
        let verdict = DecisionStep.toolPinning.evaluate(context(.enforce, .changed, tool: "run it", server: "uvx mcp-server-git"))
        guard case .decide(.deny(_, let reason)) = verdict else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.hasSuffix("riskkernel tools approve --server 'uvx mcp-server-git' 'run it'"))
    }

    @Test func approveCommand() {
        #expect(ToolPinApproval.command(server: "github", tool: "create_issue") == "riskkernel tools approve --server github create_issue")
        #expect(ToolPinApproval.command(server: "it's", tool: "t") == #"riskkernel tools approve --server 'it'\''s' t"#)
        // Without a known server identity there is no --server to give.
        #expect(ToolPinApproval.command(server: "", tool: "t") == "riskkernel tools approve t")
    }

    @Test func shellQuoting() {
        #expect(ShellQuote.quote("abc-1.2_x/y:z@h%+=,") == "abc-1.2_x/y:z@h%+=,")
        #expect(ShellQuote.quote("") == "''")
        #expect(ShellQuote.quote("a b") == "'a b'")
        #expect(ShellQuote.quote("$(rm -rf ~)") == "'$(rm -rf ~)'")
        #expect(ShellQuote.quote("a'b") == #"'a'\''b'"#)
        #expect(ShellQuote.quote("x;y") == "'x;y'")
    }

    @Test func contextDefaults() {
        let context = ToolCallContext(tool: "t", sideEffect: "read", policy: .permissive)
        #expect(context.pinStatus == nil)
        #expect(context.server == "")
    }

    // MARK: In the pipeline

    @Test func pinningComesAfterTheAllowlist() throws {
        let policy = Policy(name: "p", toolAllowlist: [try Glob("git.*")])
        let context = ToolCallContext(tool: "fs.read", sideEffect: "read", policy: policy, pinStatus: .changed, server: "fs")
        #expect(DecisionPipeline.standard.decide(context).decision.kind == "deny")
        guard case .deny(let rule, _) = DecisionPipeline.standard.decide(context).decision else { return }
        #expect(rule == "allowlist")
    }

    @Test func pinningRefusalWinsOverArgumentRulesSecretsAndApprovals() throws {
        let policy = Policy(
            name: "p", approvalRules: [.sideEffect(try Glob("*"))],
            argumentRules: [ArgumentRule(tool: try Glob("*"), argument: try JSONPointer("/path"), action: .deny, reason: "no")])
        let context = ToolCallContext(
            tool: "fs.read", arguments: ["path": "/etc/passwd", "token": .string("ghp_" + String(repeating: "b", count: 36))], sideEffect: "read",
            policy: policy, secretScanner: try SecretScanner(), pinStatus: .new, server: "fs")
        guard case .deny(let rule, _) = DecisionPipeline.standard.decide(context).decision else {
            Issue.record("expected a refusal")
            return
        }
        #expect(rule == "pinning")
    }

    @Test func warnLetsTheNextStepsDecide() throws {
        let policy = Policy(
            name: "p", argumentRules: [ArgumentRule(tool: try Glob("*"), argument: try JSONPointer("/path"), action: .deny, reason: "no")],
            toolPinning: .warn)
        let context = ToolCallContext(tool: "fs.read", arguments: ["path": "/x"], sideEffect: "read", policy: policy, pinStatus: .changed)
        #expect(DecisionPipeline.standard.decide(context).decision == .deny(rule: "argument", reason: #"argument /path of tool "fs.read" refused: no"#))
    }
}
