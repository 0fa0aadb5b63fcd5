import Foundation
import JSONSchemaCheck
import RiskKernelCore
import Testing

/// Protocol/policy.schema.json agrees with the parser on the example policies and on argument rules,
/// checked with Python's jsonschema when it is there (the repository's .venv, else a python3 on PATH that has it).
@Suite("policy schema")
struct PolicySchemaTests {
    static let schema = JSONSchemaPython.root.appendingPathComponent("Protocol/policy.schema.json").path
    static let python = JSONSchemaPython.executable

    /// For each document (a JSON array of them on stdin), `ok` or its first error.
    func verdicts(_ documents: [JSONValue], python: String) throws -> [String] {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for document in json.load(sys.stdin):
                errors = list(validator.iter_errors(document))
                print("ok" if not errors else errors[0].message[:200].replace("\\n", " "))
            """
        let output = try JSONSchemaPython.run(python, ["-c", script, Self.schema], input: Data(CanonicalJSON.encode(.array(documents)))).output
        return output.split(separator: "\n").map(String.init)
    }

    static func document(spec: JSONValue) -> JSONValue {
        ["apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": "x"], "spec": spec]
    }

    @Test("every example policy is valid")
    func examplesAreValid() throws {
        let python = try #require(Self.python, "python3 with jsonschema is needed to check the schema: run scripts/setup-python-peers")
        var documents: [JSONValue] = []
        for file in ExamplePolicyTests.files {
            let text = try String(contentsOf: ExamplePolicyTests.directory.appendingPathComponent(file), encoding: .utf8)
            documents += try PolicyParser.parse(text, file: file).map(\.document)
        }
        #expect(documents.count >= 10)
        #expect(try verdicts(documents, python: python) == Array(repeating: "ok", count: documents.count))
    }

    @Test("argument rules the parser refuses, the schema refuses too")
    func badArgumentRules() throws {
        let python = try #require(Self.python, "python3 with jsonschema is needed to check the schema: run scripts/setup-python-peers")
        let good: [JSONValue] = [
            ["tool": "t", "argument": "", "action": "deny"],
            ["tool": "t", "argument": "/a~1b/~0/0", "action": "rewrite", "value": .null],
            ["tool": "t", "argument": "/x", "exists": false, "action": "requireApproval", "reason": "r"],
            ["tool": "t", "argument": "/x", "in": [1, "a"], "action": "deny"],
        ]
        let bad: [JSONValue] = [
            ["tool": "t", "argument": "/x", "action": "deny", "in": [1], "regex": "a"],
            ["tool": "t", "argument": "/x", "action": "rewrite"],
            ["tool": "t", "argument": "/x", "action": "deny", "value": 1],
            ["tool": "t", "argument": "x", "action": "deny"],
            ["tool": "t", "argument": "/a~2", "action": "deny"],
            ["tool": "t", "argument": "/x", "action": "block"],
            ["argument": "/x", "action": "deny"],
            ["tool": "t", "argument": "/x", "action": "deny", "greaterThan": "5"],
            ["tool": "t", "argument": "/x", "action": "deny", "match": "a"],
            ["tool": "t", "argument": "/x", "action": "deny", "regex": ""],
            ["tool": "t", "argument": "", "action": "rewrite", "value": 1],
        ]
        let goodDocuments = good.map { Self.document(spec: ["argumentRules": [$0]]) } + [Self.document(spec: ["toolPinning": "warn"])]
        let badDocuments = bad.map { Self.document(spec: ["argumentRules": [$0]]) } + [Self.document(spec: ["toolPinning": "strict"])]
        for document in goodDocuments {
            #expect(throws: Never.self) { try PolicyParser.parse(document: document) }
        }
        for document in badDocuments {
            #expect(throws: PolicyError.self) { try PolicyParser.parse(document: document) }
        }
        #expect(try verdicts(goodDocuments, python: python) == Array(repeating: "ok", count: goodDocuments.count))
        let verdicts = try verdicts(badDocuments, python: python)
        #expect(verdicts.count == badDocuments.count)
        for (document, verdict) in zip(badDocuments, verdicts) {
            #expect(verdict != "ok", "\(document)")
        }
    }
}
