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
    }

    @Test func toolPinningExample() throws {
        #expect(try Self.policy("tool-pinning.yaml").toolPinning == .enforce)
    }
}
