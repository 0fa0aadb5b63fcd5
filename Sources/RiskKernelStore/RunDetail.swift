import Foundation
import RiskKernelCore

/// Everything `riskkernel runs show` and the console's run page show of one run, read at once.
///
/// ``json`` is the shape of `runs show --json` and `GET /api/runs/{id}`: the run's own members,
/// then `spend` (`models`, `tools`), `steps`, `ledger`, `toolCalls` (each with `resultWithheld`
/// when its result was withheld), `children` (ids) and `approvals` (oldest first).
public struct RunDetail: Sendable {
    public var run: RunRecord
    public var steps: [StepRecord]
    public var ledger: [LedgerEntry]
    public var toolCalls: [ToolCallRecord]
    public var children: [RunRecord]
    /// Oldest first.
    public var approvals: [ApprovalRecord]
    public var checkpoints: [CheckpointRecord]

    /// Reads the run and its records; `nil` when there is no run with the id.
    public static func load(from store: any Store, runId: String) async throws -> RunDetail? {
        guard let run = try await store.run(id: runId) else { return nil }
        return RunDetail(
            run: run, steps: try await store.steps(runId: runId), ledger: try await store.ledger(runId: runId),
            toolCalls: try await store.toolCalls(runId: runId), children: try await store.childRuns(of: runId),
            approvals: try await store.listApprovals(status: nil, runId: runId).sorted { $0.createdAt < $1.createdAt },
            checkpoints: try await store.listCheckpoints(runId: runId))
    }

    /// What the run's model calls cost.
    public var modelSpend: Money { ledger.filter { $0.kind == "model" }.reduce(Money.zero) { $0 + $1.dollars } }
    /// What its priced tool calls cost.
    public var toolSpend: Money { ledger.filter { $0.kind == "tool" }.reduce(Money.zero) { $0 + $1.dollars } }

    public var json: JSONValue {
        var document = run.json.objectValue ?? [:]
        document["spend"] = ["models": modelSpend.json, "tools": toolSpend.json]
        document["steps"] = .array(steps.map(\.json))
        document["ledger"] = .array(ledger.map(\.json))
        document["toolCalls"] = .array(toolCalls.map { call in
            guard let withheld = Self.withheldReason(call), case .object(var members) = call.json else { return call.json }
            members["resultWithheld"] = .string(withheld)
            return .object(members)
        })
        document["children"] = .array(children.map { .string($0.id) })
        document["approvals"] = .array(approvals.map(\.json))
        return .object(document)
    }

    /// The gateway's notice that replaces a result withheld under `spec.secrets.results: block`
    /// (GatewaySession.withoutSecrets); the stored result of such a call is that notice.
    public static let withheldNotice = "RiskKernel withheld the result of tool "

    /// Why the call's result was withheld (`result withheld: it contained a secret (github-token)`):
    /// the outcome's recorded reason, or, in ledgers written before the gateway recorded one, read
    /// from the stored notice; `nil` for any other call.
    public static func withheldReason(_ call: ToolCallRecord) -> String? {
        if let reason = call.reason { return reason.hasPrefix("result withheld: ") ? reason : nil }
        guard call.isError, let blocks = call.result?["content"]?.arrayValue else { return nil }
        for block in blocks {
            guard let text = block["text"]?.stringValue, text.hasPrefix(withheldNotice), let colon = text.range(of: "\": ") else { continue }
            return "result withheld: " + text[colon.upperBound...]
        }
        return nil
    }
}
