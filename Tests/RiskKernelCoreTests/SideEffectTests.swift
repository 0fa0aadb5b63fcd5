import RiskKernelCore
import Testing

@Suite("SideEffectClassifier")
struct SideEffectTests {
    func policy(_ map: [(String, String)]) throws -> Policy {
        Policy(name: "p", sideEffects: try map.map { SideEffectMapping(tool: try Glob($0.0), label: $0.1) })
    }

    func classify(_ tool: String, _ annotations: ToolAnnotations? = nil, policy: Policy = .permissive) -> String {
        SideEffectClassifier.classify(tool: tool, annotations: annotations, policy: policy)
    }

    @Test func labels() {
        #expect(SideEffectClassifier.read == "read")
        #expect(SideEffectClassifier.write == "write")
        #expect(SideEffectClassifier.destructiveWrite == "write.destructive")
    }

    // MARK: Defaults and annotations

    @Test func unknownToolIsAWrite() {
        #expect(classify("mystery.tool") == "write")
        #expect(classify("mystery.tool", ToolAnnotations()) == "write")
    }

    @Test func readOnlyHintMeansRead() {
        #expect(classify("fs.read", ToolAnnotations(readOnlyHint: true)) == "read")
    }

    @Test func destructiveHintMeansDestructiveWrite() {
        #expect(classify("fs.delete", ToolAnnotations(destructiveHint: true)) == "write.destructive")
        #expect(classify("fs.delete", ToolAnnotations(readOnlyHint: false, destructiveHint: true)) == "write.destructive")
    }

    @Test func falseHintsMeanWrite() {
        #expect(classify("fs.write", ToolAnnotations(readOnlyHint: false)) == "write")
        #expect(classify("fs.write", ToolAnnotations(destructiveHint: false)) == "write")
        #expect(classify("fs.write", ToolAnnotations(readOnlyHint: false, destructiveHint: false)) == "write")
    }

    @Test func readOnlyWinsOverDestructive() {
        #expect(classify("odd.tool", ToolAnnotations(readOnlyHint: true, destructiveHint: true)) == "read")
    }

    @Test func annotationsAreReadFromAToolDefinition() {
        let definition: JSONValue = [
            "name": "fs.read", "inputSchema": ["type": "object"],
            "annotations": ["readOnlyHint": true, "destructiveHint": false, "title": "Read a file"],
        ]
        let annotations = ToolAnnotations(tool: definition)
        #expect(annotations == ToolAnnotations(readOnlyHint: true, destructiveHint: false))
        #expect(classify("fs.read", annotations) == "read")
    }

    @Test func missingOrMalformedAnnotationsAreIgnored() {
        #expect(ToolAnnotations(tool: ["name": "x"]) == ToolAnnotations())
        #expect(ToolAnnotations(tool: ["name": "x", "annotations": "readOnly"]) == ToolAnnotations())
        // A hint that is not a boolean does not count.
        let stringly = ToolAnnotations(tool: ["annotations": ["readOnlyHint": "true", "destructiveHint": 1]])
        #expect(stringly == ToolAnnotations())
        #expect(classify("x", stringly) == "write")
    }

    // MARK: Policy map

    @Test func policyMapBeatsAnnotations() throws {
        let policy = try policy([("fs.read", "write.audit"), ("net.*", "network")])
        #expect(classify("fs.read", ToolAnnotations(readOnlyHint: true), policy: policy) == "write.audit")
        #expect(classify("net.fetch", ToolAnnotations(destructiveHint: true), policy: policy) == "network")
    }

    @Test func toolsOutsideTheMapFallBackToAnnotations() throws {
        let policy = try policy([("net.*", "network")])
        #expect(classify("fs.read", ToolAnnotations(readOnlyHint: true), policy: policy) == "read")
        #expect(classify("fs.rm", ToolAnnotations(destructiveHint: true), policy: policy) == "write.destructive")
        #expect(classify("fs.write", nil, policy: policy) == "write")
    }

    @Test func exactNameBeatsAnyGlobEvenALongerOne() throws {
        // "db.dro[p]*" is longer than "db.drop" and matches it, but the exact name wins.
        let policy = try policy([("db.dro[p]*", "glob"), ("db.drop", "exact"), ("*", "catch-all")])
        #expect(classify("db.drop", policy: policy) == "exact")
        #expect(classify("db.dropall", policy: policy) == "glob")
        #expect(classify("other", policy: policy) == "catch-all")
    }

    @Test func exactNameWithEscapesBeatsALongerGlob() throws {
        // The literal pattern `a\*b` names the tool "a*b" exactly.
        let policy = try policy([("a*b*****", "glob"), (#"a\*b"#, "exact")])
        #expect(classify("a*b", policy: policy) == "exact")
        #expect(classify("axb", policy: policy) == "glob")
    }

    @Test func longestMatchingGlobWins() throws {
        let policy = try policy([("*", "any"), ("fs.*", "fs"), ("fs.write*", "fs-write"), ("fs.write_secret*", "secret")])
        #expect(classify("fs.write_file", policy: policy) == "fs-write")
        #expect(classify("fs.write_secret_key", policy: policy) == "secret")
        #expect(classify("fs.read", policy: policy) == "fs")
        #expect(classify("net.get", policy: policy) == "any")
    }

    @Test func longerGlobThatDoesNotMatchIsIgnored() throws {
        let policy = try policy([("fs.*", "fs"), ("fs.delete.everything.*", "never")])
        #expect(classify("fs.delete", policy: policy) == "fs")
    }

    @Test func mapFromAParsedPolicy() throws {
        let text = """
            apiVersion: riskkernel/v1
            kind: Policy
            metadata: {name: mapped}
            spec:
              sideEffects:
                "github.*": write.remote
                "github.get_*": read
                github.delete_repo: write.destructive
            """
        let policy = try #require(try PolicyParser.parse(text).first)
        #expect(classify("github.get_issue", ToolAnnotations(destructiveHint: true), policy: policy) == "read")
        #expect(classify("github.create_issue", ToolAnnotations(readOnlyHint: true), policy: policy) == "write.remote")
        #expect(classify("github.delete_repo", policy: policy) == "write.destructive")
        #expect(classify("slack.post", policy: policy) == "write")
    }

    // MARK: mostSpecificMatch

    @Test func mostSpecificMatchWorksForAnyValue() throws {
        let entries: [(Glob, Int)] = [(try Glob("a*"), 1), (try Glob("ab*"), 2), (try Glob("abc"), 3)]
        #expect(SideEffectClassifier.mostSpecificMatch(for: "abc", in: entries) == 3)
        #expect(SideEffectClassifier.mostSpecificMatch(for: "abd", in: entries) == 2)
        #expect(SideEffectClassifier.mostSpecificMatch(for: "ax", in: entries) == 1)
        #expect(SideEffectClassifier.mostSpecificMatch(for: "b", in: entries) == nil)
        #expect(SideEffectClassifier.mostSpecificMatch(for: "x", in: [(Glob, Int)]()) == nil)
    }
}
