import Foundation
import JSONSchemaCheck
import RiskKernelCore
import Testing

@testable import RiskKernelProvenance

/// Protocol/provenance-bundle.schema.json against real payloads, with Python's jsonschema when it is there
/// (the repository's .venv, else python3 on PATH).
@Suite("provenance bundle schema")
struct SchemaTests {
    static let schema = JSONSchemaPython.root.appendingPathComponent("Protocol/provenance-bundle.schema.json").path
    static let python = JSONSchemaPython.executable

    /// The schema's errors for `payload` (empty when it is valid).
    func errors(_ payload: [UInt8], python: String) throws -> String {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(sys.stdin)))
            print("\\n".join(e.message[:200] + " at " + "/".join(map(str, e.absolute_path)) for e in errors[:5]))
            """
        return try JSONSchemaPython.run(python, ["-c", script, Self.schema], input: Data(payload)).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the payload of a bundle at each redaction level is valid; unredacted content is not", .enabled(if: python != nil, "needs python3 with jsonschema"))
    func payloadsMatchSchema() async throws {
        let python = try #require(Self.python)
        let fixture = try await Fixture()
        let keys = try Keys()
        for redaction in Redaction.allCases {
            let envelope = try await fixture.export(redaction, signers: keys.both)
            #expect(try errors(envelope.payload, python: python) == "", "\(redaction)")
        }
        let content = try await fixture.export(.content, signers: keys.both)
        let leaked = try content.statement.setting(["predicate", "runs", 0, "toolCalls", 0, "arguments"], to: ["path": "/etc/passwd"])
        #expect(try errors(CanonicalJSON.encode(leaked), python: python) != "")
    }
}
