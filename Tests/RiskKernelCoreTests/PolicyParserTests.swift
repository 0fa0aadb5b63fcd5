import Foundation
import RiskKernelCore
import Testing

@Suite("PolicyParser")
struct PolicyParserTests {
    static let header = """
        apiVersion: riskkernel/v1
        kind: Policy
        metadata:
          name: test

        """

    /// A one-document YAML policy with `spec` as given (indented under `spec:`).
    static func policy(spec: String) -> String {
        header + "spec:\n" + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    func parseError(_ text: String, file: String? = "policies.yaml", sourceLocation: SourceLocation = #_sourceLocation) -> PolicyError? {
        do {
            let policies = try PolicyParser.parse(text, file: file)
            Issue.record("expected a PolicyError, parsed \(policies.map(\.name))", sourceLocation: sourceLocation)
            return nil
        } catch let error as PolicyError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Expects a `PolicyError` at `field` of document `document` in `policies.yaml`.
    func expectError(
        _ text: String, document: Int = 1, field: String, messageContains: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = parseError(text, sourceLocation: sourceLocation) else { return }
        #expect(error.file == "policies.yaml", sourceLocation: sourceLocation)
        #expect(error.document == document, "\(error)", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
        if let messageContains {
            #expect(error.message.contains(messageContains), "\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Good files

    static let fullYAML = """
        # A complete policy.
        apiVersion: riskkernel/v1
        kind: Policy
        metadata:
          name: coding-agent
          description: What the coding agent may do
          labels:
            team: platform
            tier: "1"
        spec:
          budget:
            tokens: 200000
            dollars: 5.25
            loops: 40
            seconds: 900
          toolAllowlist:
            - fs.read
            - "fs.write*"
            - "git.[a-z]*"
          approvalRules:
            - tool: fs.delete
              description: deleting files needs a person
            - sideEffect: "write.*"
          sideEffects:
            "git.push": write.remote
            "fs.*": write
            "db.drop*": write.destructive
        """

    static let fullJSON = """
        {
          "apiVersion": "riskkernel/v1",
          "kind": "Policy",
          "metadata": {
            "name": "coding-agent",
            "description": "What the coding agent may do",
            "labels": {"team": "platform", "tier": "1"}
          },
          "spec": {
            "budget": {"tokens": 200000, "dollars": 5.25, "loops": 40, "seconds": 900},
            "toolAllowlist": ["fs.read", "fs.write*", "git.[a-z]*"],
            "approvalRules": [
              {"tool": "fs.delete", "description": "deleting files needs a person"},
              {"sideEffect": "write.*"}
            ],
            "sideEffects": {"git.push": "write.remote", "fs.*": "write", "db.drop*": "write.destructive"}
          }
        }
        """

    @Test func parsesACompleteYAMLPolicy() throws {
        let policies = try PolicyParser.parse(Self.fullYAML, file: "coding.yaml")
        let policy = try #require(policies.first)
        #expect(policies.count == 1)
        #expect(policy.name == "coding-agent")
        #expect(policy.description == "What the coding agent may do")
        #expect(policy.budget == Budget(tokens: 200_000, dollars: Money(micros: 5_250_000), loops: 40, seconds: 900))
        #expect(policy.toolAllowlist?.map(\.pattern) == ["fs.read", "fs.write*", "git.[a-z]*"])
        #expect(policy.approvalRules == [.tool(try Glob("fs.delete"), reason: "deleting files needs a person"), .sideEffect(try Glob("write.*"))])
        #expect(policy.approvalRules.map(\.shown) == ["tool=fs.delete (deleting files needs a person)", "sideEffect=write.*"])
        #expect(policy.approvalRules.map(\.description) == ["tool=fs.delete", "sideEffect=write.*"])
        // Side effects come back sorted by tool glob.
        #expect(policy.sideEffects.map(\.tool.pattern) == ["db.drop*", "fs.*", "git.push"])
        #expect(policy.sideEffects.map(\.label) == ["write.destructive", "write", "write.remote"])
        #expect(policy.allows(tool: "fs.read"))
        #expect(policy.allows(tool: "fs.write_file"))
        #expect(policy.allows(tool: "git.commit"))
        #expect(!policy.allows(tool: "git.Commit"))
        #expect(!policy.allows(tool: "fs.delete"))
    }

    @Test func keepsTheDocumentAsJSON() throws {
        let policy = try #require(try PolicyParser.parse(Self.fullYAML).first)
        #expect(policy.document["apiVersion"] == "riskkernel/v1")
        #expect(policy.document["metadata"]?["labels"]?["tier"] == .string("1"))
        #expect(policy.document["spec"]?["budget"]?["tokens"] == .integer(200_000))
        #expect(policy.document["spec"]?["budget"]?["dollars"] == .double(5.25))
        #expect(policy.document["spec"]?["toolAllowlist"]?.arrayValue?.count == 3)
        // The stored document parses back to the same policy.
        #expect(try PolicyParser.parse(document: policy.document) == policy)
    }

    @Test func jsonAndYAMLGiveTheSamePolicy() throws {
        let fromYAML = try PolicyParser.parse(Self.fullYAML, file: "a.yaml")
        let fromJSON = try PolicyParser.parse(Self.fullJSON, file: "a.json")
        #expect(fromJSON == fromYAML)
    }

    @Test func minimalPolicyHasDefaults() throws {
        let policy = try #require(try PolicyParser.parse(Self.header).first)
        #expect(policy.name == "test")
        #expect(policy.description == nil)
        #expect(policy.budget == .unlimited)
        #expect(policy.toolAllowlist == nil)
        #expect(policy.approvalRules.isEmpty)
        #expect(policy.sideEffects.isEmpty)
        #expect(policy.allows(tool: "anything.at.all"))
    }

    @Test func emptyAllowlistAllowsNothing() throws {
        let policy = try #require(try PolicyParser.parse(Self.policy(spec: "toolAllowlist: []")).first)
        #expect(policy.toolAllowlist == [])
        #expect(!policy.allows(tool: "fs.read"))
        #expect(!policy.allows(tool: ""))
    }

    @Test func nullDescriptionIsNoDescription() throws {
        let text = "apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: a\n  description: null\n"
        #expect(try PolicyParser.parse(text).first?.description == nil)
    }

    @Test func multiDocumentYAML() throws {
        let text = """
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: first}
            spec: {budget: {loops: 1}}
            ---
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: second}
            spec: {toolAllowlist: ["a.*"]}
            ---
            # JSON is YAML too.
            {"apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": {"name": "third.v2_x-y"}}
            """
        let policies = try PolicyParser.parse(text, file: "bundle.yaml")
        #expect(policies.map(\.name) == ["first", "second", "third.v2_x-y"])
        #expect(policies[0].budget.loops == 1)
        #expect(policies[1].toolAllowlist?.map(\.pattern) == ["a.*"])
        #expect(policies[2].toolAllowlist == nil)
    }

    @Test func leadingDocumentMarkerIsFine() throws {
        let policies = try PolicyParser.parse("---\n" + Self.header)
        #expect(policies.map(\.name) == ["test"])
    }

    @Test func dollarsAcceptIntegersDecimalsAndStrings() throws {
        func dollars(_ yaml: String) throws -> Money? {
            try PolicyParser.parse(Self.policy(spec: "budget:\n  dollars: \(yaml)")).first?.budget.dollars
        }
        #expect(try dollars("5") == Money(micros: 5_000_000))
        #expect(try dollars("0.5") == Money(micros: 500_000))
        #expect(try dollars("0.000001") == Money(micros: 1))
        #expect(try dollars("\"12.000001\"") == Money(micros: 12_000_001))
        #expect(try dollars("0") == .zero)
        #expect(try dollars("5.0") == Money(micros: 5_000_000))
    }

    @Test func wholeNumberBudgetsMayBeWrittenAsIntegralDecimals() throws {
        let policy = try #require(try PolicyParser.parse(Self.policy(spec: "budget:\n  tokens: 100.0\n  loops: 0")).first)
        #expect(policy.budget.tokens == 100)
        #expect(policy.budget.loops == 0)
    }

    @Test func parseDocumentReadsAStoredJSONValue() throws {
        let document: JSONValue = [
            "apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "stored"],
            "spec": ["approvalRules": [["tool": "shell.exec"]], "budget": ["dollars": "1.5"]],
        ]
        let policy = try PolicyParser.parse(document: document)
        #expect(policy.name == "stored")
        #expect(policy.approvalRules == [.tool(try Glob("shell.exec"))])
        #expect(policy.budget.dollars == Money(micros: 1_500_000))
        #expect(policy.document == document)
    }

    @Test func parseDocumentErrorsUseTheGivenFileAndNumber() throws {
        let document: JSONValue = ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "x"], "spec": ["budget": ["tokens": -1]]]
        let error = try #require(throws: PolicyError.self) {
            try PolicyParser.parse(document: document, file: "db", documentNumber: 3)
        }
        #expect(error.file == "db")
        #expect(error.document == 3)
        #expect(error.field == "spec.budget.tokens")
    }

    @Test func permissivePolicy() {
        let policy = Policy.permissive
        #expect(policy.name == "permissive")
        #expect(policy.toolAllowlist == nil)
        #expect(policy.allows(tool: "anything"))
        #expect(policy.document["apiVersion"] == .string(Policy.apiVersion))
        #expect(policy.document["kind"] == .string(Policy.kind))
    }

    // MARK: Bad files: unknown fields

    @Test func unknownTopLevelField() {
        expectError(Self.header + "specs: {}\n", field: "specs", messageContains: "unknown field")
    }

    @Test func unknownMetadataField() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: a\n  owner: me\n", field: "metadata.owner", messageContains: "unknown field")
    }

    @Test func unknownSpecField() {
        expectError(Self.policy(spec: "allowlist: [a]"), field: "spec.allowlist", messageContains: "unknown field")
    }

    @Test func unknownBudgetField() {
        expectError(Self.policy(spec: "budget:\n  tokens: 5\n  tokenz: 5"), field: "spec.budget.tokenz", messageContains: "unknown field")
    }

    @Test func unknownApprovalRuleField() {
        expectError(Self.policy(spec: "approvalRules:\n  - tool: a\n  - toll: b"), field: "spec.approvalRules[2].toll", messageContains: "unknown field")
    }

    // MARK: Bad files: wrong types

    @Test func tokensAsText() {
        expectError(Self.policy(spec: "budget:\n  tokens: many"), field: "spec.budget.tokens", messageContains: "whole number")
        expectError(Self.policy(spec: "budget:\n  tokens: \"5\""), field: "spec.budget.tokens", messageContains: "got a string")
    }

    @Test func fractionalTokens() {
        expectError(Self.policy(spec: "budget:\n  loops: 1.5"), field: "spec.budget.loops", messageContains: "whole number")
    }

    @Test func booleanSeconds() {
        expectError(Self.policy(spec: "budget:\n  seconds: true"), field: "spec.budget.seconds", messageContains: "got a boolean")
    }

    @Test func dollarsAsBoolean() {
        expectError(Self.policy(spec: "budget:\n  dollars: false"), field: "spec.budget.dollars", messageContains: "got a boolean")
    }

    @Test func allowlistAsString() {
        expectError(Self.policy(spec: "toolAllowlist: fs.*"), field: "spec.toolAllowlist", messageContains: "must be a list, got a string")
    }

    @Test func allowlistEntryAsNumber() {
        expectError(Self.policy(spec: "toolAllowlist: [a, 5]"), field: "spec.toolAllowlist[2]", messageContains: "must be a string")
    }

    @Test func budgetAsList() {
        expectError(Self.policy(spec: "budget: [1, 2]"), field: "spec.budget", messageContains: "must be a mapping")
    }

    @Test func specAsNull() {
        expectError(Self.header + "spec:\n", field: "spec", messageContains: "got null")
    }

    @Test func approvalRulesAsMapping() {
        expectError(Self.policy(spec: "approvalRules:\n  tool: a"), field: "spec.approvalRules", messageContains: "must be a list")
    }

    @Test func approvalRuleAsString() {
        expectError(Self.policy(spec: "approvalRules: [fs.delete]"), field: "spec.approvalRules[1]", messageContains: "must be a mapping")
    }

    @Test func sideEffectsAsList() {
        expectError(Self.policy(spec: "sideEffects: [read]"), field: "spec.sideEffects", messageContains: "must be a mapping")
    }

    @Test func sideEffectLabelNotAString() {
        expectError(Self.policy(spec: "sideEffects:\n  fs.read: 5"), field: "spec.sideEffects.fs.read", messageContains: "must be a string")
    }

    @Test func emptySideEffectLabel() {
        expectError(Self.policy(spec: "sideEffects:\n  fs.read: \"\""), field: "spec.sideEffects.fs.read", messageContains: "non-empty")
    }

    @Test func nameAsNumber() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: 42\n", field: "metadata.name", messageContains: "must be a string, got a number")
    }

    @Test func labelValueNotAString() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: a\n  labels:\n    tier: 1\n", field: "metadata.labels.tier", messageContains: "must be a string")
    }

    @Test func documentThatIsNotAMapping() {
        expectError("- just\n- a list\n", field: "", messageContains: "must be a mapping")
    }

    // MARK: Bad files: negative budgets

    @Test func negativeTokens() {
        expectError(Self.policy(spec: "budget:\n  tokens: -1"), field: "spec.budget.tokens", messageContains: "must not be negative (got -1)")
    }

    @Test func negativeLoopsAndSeconds() {
        expectError(Self.policy(spec: "budget:\n  loops: -3"), field: "spec.budget.loops", messageContains: "negative")
        expectError(Self.policy(spec: "budget:\n  seconds: -60"), field: "spec.budget.seconds", messageContains: "negative")
    }

    @Test func negativeDollars() {
        expectError(Self.policy(spec: "budget:\n  dollars: -0.5"), field: "spec.budget.dollars", messageContains: "must not be negative")
        expectError(Self.policy(spec: "budget:\n  dollars: -5"), field: "spec.budget.dollars", messageContains: "must not be negative")
        expectError(Self.policy(spec: "budget:\n  dollars: \"-1\""), field: "spec.budget.dollars", messageContains: "must not be negative")
    }

    @Test func dollarsWithTooManyDecimals() {
        expectError(Self.policy(spec: "budget:\n  dollars: \"0.1234567\""), field: "spec.budget.dollars", messageContains: "six decimals")
        expectError(Self.policy(spec: "budget:\n  dollars: 0.1234567"), field: "spec.budget.dollars", messageContains: "six decimals")
        expectError(Self.policy(spec: "budget:\n  dollars: \"five\""), field: "spec.budget.dollars")
    }

    @Test func hugeDollarsAreRefusedNotWrapped() {
        expectError(Self.policy(spec: "budget:\n  dollars: 1e15"), field: "spec.budget.dollars")
        expectError(Self.policy(spec: "budget:\n  dollars: 100000000000000000000"), field: "spec.budget.dollars")
    }

    // MARK: Bad files: globs

    @Test func badAllowlistGlob() {
        expectError(Self.policy(spec: "toolAllowlist:\n  - fs.read\n  - \"fs.[abc\""), field: "spec.toolAllowlist[2]", messageContains: "unterminated character class")
    }

    @Test func badApprovalRuleGlob() {
        expectError(Self.policy(spec: "approvalRules:\n  - sideEffect: \"write\\\\\""), field: "spec.approvalRules[1].sideEffect", messageContains: "trailing backslash")
    }

    @Test func badSideEffectGlob() {
        expectError(Self.policy(spec: "sideEffects:\n  \"fs.[z-a]\": write"), field: "spec.sideEffects.fs.[z-a]", messageContains: "reversed")
    }

    // MARK: Bad files: names

    @Test func missingName() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  description: nameless\n", field: "metadata.name", messageContains: "is required")
    }

    @Test func nullName() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: ~\n", field: "metadata.name", messageContains: "is required")
    }

    @Test func missingMetadata() {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nspec: {}\n", field: "metadata", messageContains: "is required")
    }

    @Test(arguments: ["\"\"", "\"has space\"", "\"slash/name\"", "\"naïve\"", "\"a:b\""])
    func invalidNames(name: String) {
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: \(name)\n", field: "metadata.name", messageContains: "letters, digits")
    }

    @Test func nameLengthLimit() throws {
        let ok = String(repeating: "a", count: 128)
        #expect(try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: \(ok)\n").first?.name == ok)
        expectError("apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: \(ok)b\n", field: "metadata.name")
    }

    @Test func sameNameTwiceInOneFile() {
        expectError(Self.header + "---\n" + Self.header, document: 2, field: "metadata.name", messageContains: "defined twice")
    }

    // MARK: Bad files: duplicate keys

    @Test func duplicateKeyInYAML() {
        let text = "apiVersion: riskkernel/v1\nkind: Policy\nkind: Policy\nmetadata:\n  name: a\n"
        expectError(text, field: "kind", messageContains: "duplicate key")
    }

    @Test func duplicateKeyInJSON() {
        let text = #"{"apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": {"name": "a"}, "metadata": {"name": "b"}}"#
        expectError(text, field: "metadata", messageContains: "duplicate key")
    }

    @Test func duplicateNestedKeyNamesTheKeyAndLine() throws {
        let error = try #require(parseError(Self.policy(spec: "budget:\n  tokens: 1\n  tokens: 1000000")))
        #expect(error.document == 1)
        #expect(error.field == "tokens")
        #expect(error.message.contains("duplicate key in line 7"))
    }

    @Test func duplicateKeyInALaterDocumentIsNotDropped() {
        let second = "apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: b\n  name: c\n"
        expectError(Self.header + "---\n" + second, document: 2, field: "name", messageContains: "duplicate key")
    }

    // MARK: Bad files: apiVersion and kind

    @Test func wrongAPIVersion() {
        expectError("apiVersion: riskkernel/v2\nkind: Policy\nmetadata:\n  name: a\n", field: "apiVersion", messageContains: "riskkernel/v1")
    }

    @Test func missingAPIVersion() {
        expectError("kind: Policy\nmetadata:\n  name: a\n", field: "apiVersion", messageContains: "is required")
    }

    @Test func apiVersionNotAString() {
        expectError("apiVersion: 1\nkind: Policy\nmetadata:\n  name: a\n", field: "apiVersion", messageContains: "must be a string")
    }

    @Test func wrongKind() {
        expectError("apiVersion: riskkernel/v1\nkind: Policies\nmetadata:\n  name: a\n", field: "kind", messageContains: "must be \"Policy\"")
        expectError("apiVersion: riskkernel/v1\nkind: policy\nmetadata:\n  name: a\n", field: "kind")
    }

    @Test func missingKind() {
        expectError("apiVersion: riskkernel/v1\nmetadata:\n  name: a\n", field: "kind", messageContains: "is required")
    }

    @Test func errorInASecondDocumentNamesThatDocument() {
        let second = "apiVersion: riskkernel/v1\nkind: Rule\nmetadata:\n  name: b\n"
        expectError(Self.header + "---\n" + second, document: 2, field: "kind")
    }

    // MARK: Bad files: approval rules

    @Test func ruleWithBothToolAndSideEffect() {
        let spec = "approvalRules:\n  - tool: fs.delete\n  - tool: db.drop\n    sideEffect: write.*"
        expectError(Self.policy(spec: spec), field: "spec.approvalRules[2]", messageContains: "not both")
    }

    @Test func ruleWithNeitherToolNorSideEffect() {
        expectError(Self.policy(spec: "approvalRules:\n  - description: nothing to match"), field: "spec.approvalRules[1]", messageContains: "needs tool")
    }

    @Test func ruleWithEmptyTool() {
        expectError(Self.policy(spec: "approvalRules:\n  - tool: \"\""), field: "spec.approvalRules[1].tool", messageContains: "tool name")
    }

    @Test func ruleDescriptionMustBeAString() {
        expectError(Self.policy(spec: "approvalRules:\n  - tool: a\n    description: [x]"), field: "spec.approvalRules[1].description", messageContains: "must be a string")
    }

    // MARK: Bad files: not YAML at all

    @Test func syntaxError() throws {
        let error = try #require(parseError("apiVersion: [riskkernel/v1\n"))
        #expect(error.document == 1)
        #expect(error.field == "")
        #expect(error.message.hasPrefix("not valid YAML or JSON"))
    }

    @Test func syntaxErrorInALaterDocumentIsNotDropped() {
        expectError(Self.header + "---\nkind: [Policy\n", document: 2, field: "", messageContains: "not valid YAML")
    }

    @Test func malformedJSON() {
        expectError(#"{"apiVersion": "riskkernel/v1", "kind": "Policy",,}"#, field: "", messageContains: "not valid YAML or JSON")
    }

    @Test func emptyFile() {
        expectError("", field: "", messageContains: "no policy document")
        expectError("# only a comment\n", field: "", messageContains: "no policy document")
    }

    @Test func emptyDocument() {
        expectError("---\n", field: "", messageContains: "got null")
    }

    // MARK: PolicyError

    @Test func errorDescriptionNamesFileDocumentAndField() throws {
        let error = try #require(parseError(Self.header + "---\n" + Self.policy(spec: "budget:\n  tokens: -1").replacingOccurrences(of: "name: test", with: "name: other")))
        #expect(error.description == "policies.yaml: document 2: spec.budget.tokens: must not be negative (got -1)")
    }

    @Test func errorWithoutFile() throws {
        let error = try #require(parseError("kind: Policy\n", file: nil))
        #expect(error.file == nil)
        #expect(error.description == "document 1: apiVersion: is required")
        #expect(PolicyError(file: "f", document: 2, field: "", message: "m").description == "f: document 2: m")
    }
}

/// A policy whose `spec` holds `spec` (lines indented by two spaces).
private func policy(spec: String) throws -> Policy {
    try PolicyParser.parse("""
        apiVersion: riskkernel/v1
        kind: Policy
        metadata: {name: p}
        spec:
        \(spec)
        """, file: "p.yaml")[0]
}

@Suite("Policy parser: spec.approvals")
struct ApprovalSettingsParserTests {
    func parse(_ approvals: String) throws -> Policy { try policy(spec: "  approvals: \(approvals)") }

    @Test("hold and timeout take durations or seconds")
    func reads() throws {
        let policy = try parse("{hold: 10s, timeout: 2h}")
        #expect(policy.approvals.hold == .seconds(10))
        #expect(policy.approvals.timeout == .seconds(7200))
        #expect(try parse("{hold: 4.5}").approvals.hold == .milliseconds(4500))
        #expect(try parse("{}").approvals == ApprovalSettings())
    }

    @Test("a bad value or an unknown field names the field")
    func refuses() {
        for (text, field) in [("{hold: 0}", "spec.approvals.hold"), ("{timeout: soon}", "spec.approvals.timeout"), ("{holds: 5s}", "spec.approvals.holds")] {
            #expect {
                _ = try parse(text)
            } throws: { error in
                String(describing: error).contains(field)
            }
        }
    }
}

@Suite("Policy parser: spec.approvals.notify, spec.tasks, spec.sampling")
struct RelaySettingsParserTests {
    func parse(_ spec: String) throws -> Policy { try policy(spec: spec) }

    @Test("notify targets, task and sampling modes are read; YAML's bare off is off")
    func reads() throws {
        let policy = try parse("""
              approvals:
                notify: [desktop, {webhook: "https://hooks.example.com/x"}, {command: "page-oncall --urgent"}]
              tasks: off
              sampling: deny
            """)
        #expect(policy.approvals.notify == [.desktop, .webhook("https://hooks.example.com/x"), .command("page-oncall --urgent")])
        #expect(policy.tasks == .off)
        #expect(policy.sampling == .deny)
        let defaults = try parse("  budget: {}")
        #expect(defaults.tasks == .govern && defaults.sampling == .allow && defaults.approvals.notify.isEmpty)
    }

    @Test("a bad value names its field")
    func refuses() {
        let cases = [
            ("  approvals: {notify: [email]}", "spec.approvals.notify[1]"),
            ("  approvals: {notify: [{webhook: ftp://x}]}", "spec.approvals.notify[1].webhook"),
            ("  tasks: maybe", "spec.tasks"),
            ("  sampling: sometimes", "spec.sampling"),
        ]
        for (text, field) in cases {
            #expect {
                _ = try parse(text)
            } throws: { error in
                String(describing: error).contains(field)
            }
        }
    }
}
