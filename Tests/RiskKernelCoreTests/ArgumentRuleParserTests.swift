import Foundation
import RiskKernelCore
import Testing

/// `spec.argumentRules` and `spec.toolPinning` in policy files.
extension PolicyParserTests {
    static func argumentRules(_ rules: String) -> String {
        policy(spec: "argumentRules:\n" + rules.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    }

    @Test func parsesArgumentRules() throws {
        let text = Self.argumentRules("""
            - tool: "fs.*"
              argument: /path
              notMatches: "/srv/data/*"
              action: deny
              reason: outside the data directory
            - tool: deploy.run
              argument: /options/dry_run
              action: rewrite
              value: true
            - tool: "payments.*"
              argument: /amount
              greaterThan: 100
              action: requireApproval
            - tool: "*"
              argument: /a~1b
              in: [main, 1, true]
              action: deny
            - tool: "*"
              argument: ""
              regex: "rm\\\\s+-rf"
              action: deny
            - tool: "*"
              argument: /x
              exists: false
              action: rewrite
              value: {nested: [1, 2]}
            """)
        let rules = try #require(try PolicyParser.parse(text).first).argumentRules
        #expect(rules.count == 6)
        #expect(rules[0] == ArgumentRule(
            tool: try Glob("fs.*"), argument: try JSONPointer("/path"), matcher: .notMatches(try Glob("/srv/data/*")), action: .deny,
            reason: "outside the data directory"))
        #expect(rules[1] == ArgumentRule(tool: try Glob("deploy.run"), argument: try JSONPointer("/options/dry_run"), action: .rewrite(true)))
        #expect(rules[2].matcher == .greaterThan(100))
        #expect(rules[2].action == .requireApproval)
        #expect(rules[3].argument.tokens == ["a/b"])
        #expect(rules[3].matcher == .in(["main", 1, true]))
        #expect(rules[4].argument.tokens.isEmpty)
        #expect(rules[4].matcher == .regex(try ArgumentRegex(#"rm\s+-rf"#)))
        #expect(rules[5].matcher == .exists(false))
        #expect(rules[5].action == .rewrite(["nested": [1, 2]]))
    }

    @Test func argumentRulesFromJSONMatchYAML() throws {
        let json = """
            {"apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": {"name": "test"},
             "spec": {"argumentRules": [{"tool": "t", "argument": "/n", "lessThan": 0.5, "action": "deny"}]}}
            """
        let yaml = Self.argumentRules("- {tool: t, argument: /n, lessThan: 0.5, action: deny}")
        #expect(try PolicyParser.parse(json) == PolicyParser.parse(yaml))
        #expect(try PolicyParser.parse(json).first?.argumentRules.first?.matcher == .lessThan(0.5))
    }

    @Test func rewriteToNullIsAValue() throws {
        let rules = try PolicyParser.parse(Self.argumentRules("- {tool: t, argument: /x, action: rewrite, value: null}")).first?.argumentRules
        #expect(rules?.first?.action == .rewrite(.null))
    }

    // MARK: Bad argument rules

    @Test func argumentRulesMustBeAList() {
        expectError(Self.policy(spec: "argumentRules: {tool: t}"), field: "spec.argumentRules", messageContains: "must be a list")
    }

    @Test func argumentRuleUnknownField() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, action: deny, match: a}"), field: "spec.argumentRules[1].match",
            messageContains: "unknown field")
    }

    @Test func argumentRuleMissingTool() {
        expectError(Self.argumentRules("- {argument: /x, action: deny}"), field: "spec.argumentRules[1].tool", messageContains: "is required")
    }

    @Test func argumentRuleMissingArgument() {
        expectError(Self.argumentRules("- {tool: t, action: deny}"), field: "spec.argumentRules[1].argument", messageContains: "is required")
    }

    @Test func argumentRuleMissingAction() {
        expectError(Self.argumentRules("- {tool: t, argument: /x}"), field: "spec.argumentRules[1].action", messageContains: "is required")
    }

    @Test func argumentRuleUnknownAction() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, action: block}"), field: "spec.argumentRules[1].action",
            messageContains: #"must be deny, requireApproval or rewrite (got "block")"#)
    }

    @Test func argumentRuleBadGlobs() {
        expectError(Self.argumentRules("- {tool: \"fs.[\", argument: /x, action: deny}"), field: "spec.argumentRules[1].tool", messageContains: "invalid glob")
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, matches: \"[z-a]\", action: deny}"), field: "spec.argumentRules[1].matches",
            messageContains: "reversed")
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, notMatches: 5, action: deny}"), field: "spec.argumentRules[1].notMatches",
            messageContains: "must be a string")
    }

    @Test func argumentRuleBadPointer() {
        expectError(
            Self.argumentRules("- {tool: t, argument: path, action: deny}"), field: "spec.argumentRules[1].argument",
            messageContains: "invalid JSON Pointer \"path\"")
        expectError(
            Self.argumentRules("- {tool: t, argument: /a~2, action: deny}"), field: "spec.argumentRules[1].argument",
            messageContains: "followed by 0 or 1")
        expectError(Self.argumentRules("- {tool: t, argument: 5, action: deny}"), field: "spec.argumentRules[1].argument", messageContains: "must be a string")
    }

    @Test func argumentRuleBadRegex() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, regex: \"(open\", action: deny}"), field: "spec.argumentRules[1].regex",
            messageContains: "not a valid regular expression: (open")
    }

    @Test func argumentRuleTwoMatchers() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, in: [a], regex: a, action: deny}"), field: "spec.argumentRules[1]",
            messageContains: "has 2 matchers (regex, in); set at most one")
    }

    @Test func argumentRuleRewriteWithoutValue() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, action: rewrite}"), field: "spec.argumentRules[1].value",
            messageContains: "is required when action is rewrite")
    }

    @Test func argumentRuleValueWithoutRewrite() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, action: deny, value: 1}"), field: "spec.argumentRules[1].value",
            messageContains: "only allowed when action is rewrite")
    }

    @Test func argumentRuleRewriteOfAllArgumentsNeedsAMapping() {
        expectError(
            Self.argumentRules("- {tool: t, argument: \"\", action: rewrite, value: 1}"), field: "spec.argumentRules[1].value",
            messageContains: "must be a mapping")
    }

    @Test func argumentRuleMatcherTypes() {
        expectError(Self.argumentRules("- {tool: t, argument: /x, greaterThan: \"100\", action: deny}"), field: "spec.argumentRules[1].greaterThan", messageContains: "must be a number, got a string")
        expectError(Self.argumentRules("- {tool: t, argument: /x, lessThan: true, action: deny}"), field: "spec.argumentRules[1].lessThan", messageContains: "must be a number, got a boolean")
        expectError(Self.argumentRules("- {tool: t, argument: /x, exists: yes please, action: deny}"), field: "spec.argumentRules[1].exists", messageContains: "must be true or false")
        expectError(Self.argumentRules("- {tool: t, argument: /x, in: a, action: deny}"), field: "spec.argumentRules[1].in", messageContains: "must be a list")
        expectError(Self.argumentRules("- {tool: t, argument: /x, notIn: {a: 1}, action: deny}"), field: "spec.argumentRules[1].notIn", messageContains: "must be a list")
        expectError(Self.argumentRules("- {tool: t, argument: /x, action: deny, reason: [x]}"), field: "spec.argumentRules[1].reason", messageContains: "must be a string")
    }

    @Test func argumentRuleErrorNamesFileDocumentAndRule() throws {
        let text = Self.header + "---\n" + Self.argumentRules("- {tool: t, argument: /x, action: deny}\n- {tool: t, argument: x, action: deny}")
            .replacingOccurrences(of: "name: test", with: "name: other")
        let error = try #require(parseError(text))
        #expect(error.description == #"policies.yaml: document 2: spec.argumentRules[2].argument: invalid JSON Pointer "x": must be empty or start with "/""#)
    }

    // MARK: toolPinning

    @Test func toolPinningDefaultsToEnforce() throws {
        #expect(try PolicyParser.parse(Self.header).first?.toolPinning == .enforce)
        #expect(Policy(name: "p").toolPinning == .enforce)
        #expect(Policy.permissive.toolPinning == .enforce)
        #expect(try PolicyParser.parse(Self.policy(spec: "toolPinning: null")).first?.toolPinning == .enforce)
    }

    @Test("toolPinning modes", arguments: ToolPinningMode.allCases)
    func toolPinningModes(mode: ToolPinningMode) throws {
        #expect(try PolicyParser.parse(Self.policy(spec: "toolPinning: \(mode.rawValue)")).first?.toolPinning == mode)
    }

    @Test func unquotedOffIsOff() throws {
        // YAML 1.1 reads a plain `off` as false; JSON's false means the same.
        #expect(try PolicyParser.parse(Self.policy(spec: "toolPinning: off")).first?.toolPinning == .off)
        #expect(try PolicyParser.parse(Self.policy(spec: "toolPinning: false")).first?.toolPinning == .off)
        #expect(try PolicyParser.parse(Self.policy(spec: "toolPinning: \"off\"")).first?.toolPinning == .off)
    }

    @Test func badToolPinning() {
        expectError(Self.policy(spec: "toolPinning: strict"), field: "spec.toolPinning", messageContains: #"must be enforce, warn or off (got "strict")"#)
        expectError(Self.policy(spec: "toolPinning: true"), field: "spec.toolPinning", messageContains: "must be enforce, warn or off (got true)")
        expectError(Self.policy(spec: "toolPinning: 1"), field: "spec.toolPinning", messageContains: "must be a string, got a number")
    }

    @Test func emptyRegexIsRefused() {
        expectError(
            Self.argumentRules("- {tool: t, argument: /x, regex: \"\", action: deny}"), field: "spec.argumentRules[1].regex",
            messageContains: "empty regular expression")
    }
}
