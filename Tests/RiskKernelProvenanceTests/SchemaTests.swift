import Foundation
import RiskKernelCore
import Testing

@testable import RiskKernelProvenance

/// Protocol/provenance-bundle.schema.json against real payloads, with Python's jsonschema when it is there
/// (the repository's .venv, else python3 on PATH).
@Suite("provenance bundle schema")
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = root.appendingPathComponent("Protocol/provenance-bundle.schema.json").path

    static let python: String? = {
        let candidates = [root.appendingPathComponent(".venv/bin/python3").path, "/usr/bin/python3", "/usr/local/bin/python3"]
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? run(path, ["-c", "import jsonschema"], input: Data()).status) == 0
        }
    }()

    static func run(_ executable: String, _ arguments: [String], input: Data) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The schema's errors for `payload` (empty when it is valid).
    func errors(_ payload: [UInt8], python: String) throws -> String {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(sys.stdin)))
            print("\\n".join(e.message[:200] + " at " + "/".join(map(str, e.absolute_path)) for e in errors[:5]))
            """
        return try Self.run(python, ["-c", script, Self.schema], input: Data(payload)).output.trimmingCharacters(in: .whitespacesAndNewlines)
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
