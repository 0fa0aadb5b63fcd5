import Foundation
import RiskKernelCore
import RiskKernelStore

@testable import RiskKernelProvenance

/// Text that must never appear in a `content` bundle: it is in arguments, results, an upstream's error,
/// checkpoint payloads, fact values, a file path and a run's goal.
let secretText = "PLUGH-xyzzy-42-distinctive"
let goalText = "GOAL-reticulate-splines-77"

/// A temporary directory, removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rk-prov-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { URL(fileURLWithPath: path).appendingPathComponent(name).path }

    /// The bytes of every file in the directory (the database, its WAL and shared memory).
    func snapshot() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where !name.hasSuffix("-shm") {
            files[name] = FileManager.default.contents(atPath: file(name))
        }
        return files
    }
}

/// A real SQLite store with a parent run and a child run holding every kind of record.
struct Fixture {
    let directory = TemporaryDirectory()
    let store: SQLiteStore
    let parent: RunRecord
    let child: RunRecord

    /// `sealable`: give the parent run metadata and an upstream error, which a content bundle seals.
    init(sealable: Bool = true) async throws {
        store = try SQLiteStore(path: directory.file("source.sqlite"))
        let parentRun = try await store.createRun(NewRun(
            name: "planner", policyRef: "dev", budget: Budget(tokens: 10_000, dollars: Money(dollars: "5")),
            metadata: sealable ? ["goal": goalText, "team": "platform"] : [:]))
        let childRun = try await store.createRun(NewRun(name: "coder", parentRunId: parentRun.id))
        parent = parentRun

        // Parent: an allowed call with a result, a refused call, model calls, a checkpoint, a fact.
        let (write, _) = try await store.beginToolCall(
            NewToolCall(runId: parentRun.id, requestId: "1", tool: "write_file", sideEffect: "write",
                        arguments: ["path": .string("/tmp/\(secretText).txt"), "content": .string("hello \(secretText)"), "mode": 0.5],
                        decision: .allow),
            approvalExpiresAt: nil)
        try await store.markToolCallForwarded(id: write.id)
        // The result's digest as the gateway computes it: over the stored result's RFC 8785 bytes.
        let result: JSONValue = ["content": [["type": "text", "text": .string("wrote \(secretText)")]]]
        _ = try await store.completeToolCall(id: write.id, outcome: ToolCallOutcome(
            status: .succeeded, result: result, resultDigest: EventChain.digest(of: result), resultBytes: 42, isError: false, durationMs: 12.5))
        _ = try await store.beginToolCall(
            NewToolCall(runId: parentRun.id, requestId: "2", tool: "rm", sideEffect: "write.destructive", arguments: ["target": .string(secretText)],
                        decision: .deny(rule: "allowlist", reason: "tool \"rm\" is not on the allowlist of policy \"dev\"")),
            approvalExpiresAt: nil)
        if sealable {
            let (read, _) = try await store.beginToolCall(
                NewToolCall(runId: parentRun.id, requestId: "3", tool: "read_file", sideEffect: "read", arguments: ["path": .string(secretText)], decision: .allow),
                approvalExpiresAt: nil)
            _ = try await store.completeToolCall(id: read.id, outcome: ToolCallOutcome(
                status: .failed, isError: true, reason: "no such file: \(secretText)", durationMs: 1))
        }
        _ = try await store.recordModelCall(runId: parentRun.id, NewModelCall(
            provider: "openai", model: "gpt-4o", promptTokens: 1200, completionTokens: 300, cachedPromptTokens: 100, dollars: Money(micros: 6_250), priced: true,
            responseId: "resp_1"))
        _ = try await store.recordModelCall(runId: parentRun.id, NewModelCall(
            provider: "anthropic", model: "claude-sonnet", promptTokens: 800, completionTokens: 200, dollars: Money(micros: 5_400), priced: true))
        _ = try await store.createCheckpoint(runId: parentRun.id, name: "after-write", payload: ["note": .string(secretText), "step": 1])
        _ = try await store.putFact(namespace: "memory", key: "last-file", value: ["path": .string(secretText)], runId: parentRun.id)

        // Child: a call held for approval and approved, a model call, an attribution, closed as merged.
        let (send, approval) = try await store.beginToolCall(
            NewToolCall(runId: childRun.id, requestId: "7", tool: "send_message", sideEffect: "messaging.send",
                        arguments: ["to": .string("\(secretText)@example.com"), "body": "ship it"], decision: .needsApproval(rule: "messaging")),
            approvalExpiresAt: Date().addingTimeInterval(600))
        _ = try await store.resolveApproval(id: approval!.id, status: .approved, decidedBy: "alice", reason: "looks fine")
        try await store.markToolCallForwarded(id: send.id)
        _ = try await store.completeToolCall(id: send.id, outcome: ToolCallOutcome(status: .succeeded, result: ["ok": true], isError: false, durationMs: 3))
        _ = try await store.recordModelCall(runId: childRun.id, NewModelCall(
            provider: "openai", model: "gpt-4o-mini", promptTokens: 400, completionTokens: 100, dollars: Money(micros: 120), priced: true))
        _ = try await store.recordAttributions(runId: childRun.id, baseRef: "abc123", [
            NewAttribution(author: "coder-agent", authorType: .agent, file: "Sources/\(secretText).swift", linesAdded: 40, linesRemoved: 3),
            NewAttribution(author: "alice", authorType: .human, file: "README.md", linesAdded: 2, linesRemoved: 0),
        ])
        _ = try await store.setRunStatus(id: childRun.id, status: .merged, reason: "merged into the parent")
        child = try await store.run(id: childRun.id)!
    }

    func export(_ redaction: Redaction, signers: [any BundleSigner], runId: String? = nil) async throws -> DSSEEnvelope {
        try await ProvenanceBundles.export(from: store, runId: runId ?? parent.id, redaction: redaction, signers: signers)
    }
}

/// Signers made once per test.
struct Keys {
    let ed25519 = Ed25519Signer.generate()
    let mldsa: any BundleSigner
    var both: [any BundleSigner] { [ed25519, mldsa] }
    var trusted: Set<String> { [ed25519.identity.keyid] }

    init() throws {
        mldsa = try SignatureCheck.generatePostQuantumSigner()
    }
}

extension DSSEEnvelope {
    /// The payload as a Statement.
    var statement: JSONValue { get throws { try JSONParser.parse(payload) } }

    /// The same envelope with a new payload, re-signed by `signers` (a tamperer who holds the keys).
    func resigned(_ statement: JSONValue, by signers: [any BundleSigner]) throws -> DSSEEnvelope {
        try BundleBuilder.envelope(statement: statement, signers: signers)
    }
}

extension JSONValue {
    /// Sets the value at `path` (object keys and array indexes).
    func setting(_ path: [Any], to newValue: JSONValue) -> JSONValue {
        guard let first = path.first else { return newValue }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.object(var members), let key as String):
            members[key] = (members[key] ?? .null).setting(rest, to: newValue)
            return .object(members)
        case (.array(var elements), let index as Int):
            elements[index] = elements[index].setting(rest, to: newValue)
            return .array(elements)
        default:
            return self
        }
    }

    func value(at path: [Any]) -> JSONValue? {
        var current: JSONValue? = self
        for step in path {
            if let key = step as? String { current = current?[key] } else if let index = step as? Int { current = current?.arrayValue?[index] }
        }
        return current
    }
}
