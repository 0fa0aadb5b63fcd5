import Foundation
import RiskKernelCore

/// What every store writes for a decided tool call, worked out once from the decision: the row's
/// rule, reason, status and approval id, its `tool.decided` event, and the record as written.
struct WrittenToolCall {
    let call: NewToolCall
    let rule: String?
    let reason: String?
    let status: ToolCallStatus
    /// A fresh approval id for `needsApproval`.
    let approvalId: String?

    init(_ call: NewToolCall) {
        self.call = call
        switch call.decision {
        case .allow: (rule, reason, status) = (nil, nil, .forwarded)
        case .deny(let denyRule, let denyReason): (rule, reason, status) = (denyRule, denyReason, .refused)
        case .needsApproval(let approvalRule): (rule, reason, status) = (approvalRule, nil, .awaitingApproval)
        }
        approvalId = if case .needsApproval = call.decision { Identifiers.make("apr") } else { nil }
    }

    /// The `tool.decided` event's data. `argumentsDigest` is the digest of the arguments as recorded;
    /// `forwardedArgumentsDigest` that of the arguments as the decision leaves them for the upstream:
    /// the rewritten ones when a policy rewrote them, otherwise the same arguments (so the two
    /// digests are equal exactly when nothing was rewritten).
    /// `stored` and `storedForwarded` are the texts the row keeps (numbers as written); a digest
    /// is taken over them when they are also the RFC 8785 form (``RFC8785/agreesWithAsWritten(_:)``),
    /// which saves encoding large arguments twice.
    func event(stored: [UInt8], storedForwarded: [UInt8]?) -> JSONValue {
        func digest(_ value: JSONValue, _ stored: [UInt8]) -> String {
            RFC8785.agreesWithAsWritten(value) ? EventChain.hexDigest(stored) : EventChain.digest(of: value)
        }
        let argumentsDigest = digest(call.arguments, stored)
        // Absent (or JSON null, from a caller that wrote one) means that nothing was rewritten.
        var forwarded = call.forwardedArguments
        if forwarded == .null { forwarded = nil }
        var data: [String: JSONValue] = [
            "callId": .string(call.id), "requestId": .string(call.requestId), "tool": .string(call.tool),
            "sideEffect": .string(call.sideEffect), "argumentsDigest": .string(argumentsDigest),
            "forwardedArgumentsDigest": .string(forwarded.map { digest($0, storedForwarded ?? CanonicalJSON.encode($0, numbers: .asWritten)) } ?? argumentsDigest),
            "decision": .string(call.decision.kind),
        ]
        if let rule { data["rule"] = .string(rule) }
        if let reason { data["reason"] = .string(reason) }
        if let grantId = call.grantId { data["grantId"] = .string(grantId) }
        return .object(data)
    }

    /// The record as a later read returns it (`now` already truncated to the millisecond).
    func record(at now: Date) -> ToolCallRecord {
        var record = ToolCallRecord(
            id: call.id, runId: call.runId, requestId: call.requestId, tool: call.tool, sideEffect: call.sideEffect,
            arguments: call.arguments, decision: call.decision.kind, rule: rule, reason: reason, approvalId: approvalId, status: status,
            result: nil, resultDigest: nil, resultBytes: nil, isError: status == .refused, durationMs: nil, createdAt: now, completedAt: nil)
        record.forwardedArguments = call.forwardedArguments
        return record
    }
}

extension ToolCallOutcome {
    /// The `tool.completed` event's data.
    static func event(callId: String, _ outcome: ToolCallOutcome) -> JSONValue {
        var data: [String: JSONValue] = [
            "callId": .string(callId), "status": .string(outcome.status.rawValue), "isError": .bool(outcome.isError),
            "durationMs": .integer(Int64(outcome.durationMs.rounded())),
        ]
        if let digest = outcome.resultDigest { data["resultDigest"] = .string(digest) }
        if let reason = outcome.reason { data["reason"] = .string(reason) }
        return .object(data)
    }
}
