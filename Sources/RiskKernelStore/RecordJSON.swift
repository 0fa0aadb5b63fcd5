import Foundation
import RiskKernelCore

/// The JSON shapes of records, shared by the CLI's `--json` output, the extension methods and exports.
/// Field names are camelCase; times are ISO 8601 in UTC; dollars are decimal strings with six
/// decimals (`"0.008850"`), exact, as in provenance bundles and ledger events.
public protocol JSONPresentable {
    var json: JSONValue { get }
}

extension JSONValue {
    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamps.iso8601($0)) } ?? .null }
}

extension Money: JSONPresentable {
    /// Dollars as a decimal string with six decimals (`"0.008850"`): exact, and the same text in
    /// every output (CLI `--json`, extension methods, checkpoint payloads, bundles, events).
    public var json: JSONValue { .string(decimalString) }
}

extension Usage: JSONPresentable {
    public var json: JSONValue {
        [
            "promptTokens": .integer(promptTokens), "completionTokens": .integer(completionTokens),
            "cachedPromptTokens": .integer(cachedPromptTokens), "totalTokens": .integer(totalTokens), "dollars": dollars.json,
            "loops": .integer(loops), "modelCalls": .integer(modelCalls), "toolCalls": .integer(toolCalls),
        ]
    }
}

extension Budget: JSONPresentable {
    public var json: JSONValue {
        [
            "tokens": tokens.map(JSONValue.integer) ?? .null, "dollars": dollars?.json ?? .null,
            "loops": loops.map(JSONValue.integer) ?? .null, "seconds": seconds.map(JSONValue.integer) ?? .null,
        ]
    }
}

extension RunRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "name": .optional(name), "parentRunId": .optional(parentRunId), "policy": .optional(policyRef),
            "budget": budget.json, "usage": usage.json, "treeUsage": treeUsage.json, "status": .string(status.rawValue),
            "haltReason": .optional(haltReason), "metadata": .object(metadata.mapValues(JSONValue.string)),
            "createdAt": .time(createdAt), "updatedAt": .time(updatedAt), "endedAt": .time(endedAt),
        ]
    }
}

extension StepRecord: JSONPresentable {
    public var json: JSONValue {
        ["runId": .string(runId), "index": .integer(index), "ledgerEntryId": .optional(ledgerEntryId), "createdAt": .time(createdAt)]
    }
}

extension LedgerEntry: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "runId": .string(runId), "kind": .string(kind), "provider": .optional(provider), "model": .optional(model),
            "tool": .optional(tool), "promptTokens": .integer(promptTokens), "completionTokens": .integer(completionTokens),
            "cachedPromptTokens": .integer(cachedPromptTokens), "dollars": dollars.json, "priced": .bool(priced),
            "responseId": .optional(responseId), "step": step.map(JSONValue.integer) ?? .null, "createdAt": .time(createdAt),
        ]
    }
}

extension ToolCallRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "runId": .string(runId), "requestId": .string(requestId), "tool": .string(tool),
            "sideEffect": .string(sideEffect), "arguments": arguments, "forwardedArguments": forwardedArguments ?? .null,
            "decision": .string(decision), "rule": .optional(rule),
            "reason": .optional(reason), "approvalId": .optional(approvalId), "status": .string(status.rawValue),
            "result": result ?? .null, "resultDigest": .optional(resultDigest), "resultBytes": resultBytes.map(JSONValue.integer) ?? .null,
            "isError": .bool(isError), "durationMs": durationMs.map(JSONValue.double) ?? .null, "createdAt": .time(createdAt),
            "completedAt": .time(completedAt),
        ]
    }
}

extension ToolPinRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "server": .string(server), "tool": .string(tool), "status": .string(status.rawValue), "hash": .string(hash),
            "pinnedHash": .optional(pinnedHash), "pinnedAt": .time(pinnedAt), "seenAt": .time(seenAt), "seenRunId": .optional(seenRunId),
            "definition": definition, "pinnedDefinition": pinnedDefinition ?? .null,
        ]
    }
}

extension ApprovalRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "runId": .string(runId), "toolCallId": .string(toolCallId), "tool": .string(tool),
            "sideEffect": .string(sideEffect), "arguments": arguments, "rule": .string(rule), "status": .string(status.rawValue),
            "decidedBy": .optional(decidedBy), "reason": .optional(reason), "createdAt": .time(createdAt),
            "decidedAt": .time(decidedAt), "expiresAt": .time(expiresAt), "forwardedArguments": forwardedArguments ?? .null,
            "consumedBy": .optional(consumedBy), "consumedAt": .time(consumedAt),
        ]
    }
}

extension GrantRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "server": .string(server), "tool": .string(tool), "scope": .string(scope.rawValue),
            "rootRunId": .optional(rootRunId), "approvalId": .string(approvalId), "grantedBy": .optional(grantedBy),
            "createdAt": .time(createdAt), "expiresAt": .time(expiresAt), "revokedAt": .time(revokedAt),
        ]
    }
}

extension FactRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "namespace": .string(namespace), "key": .string(key), "value": value, "runId": .optional(runId),
            "createdAt": .time(createdAt), "updatedAt": .time(updatedAt),
        ]
    }
}

extension PolicyRecord: JSONPresentable {
    public var json: JSONValue {
        ["name": .string(name), "document": document, "createdAt": .time(createdAt), "updatedAt": .time(updatedAt)]
    }
}

extension CheckpointRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "runId": .string(runId), "name": .string(name), "payload": payload, "sequence": .integer(sequence),
            "createdAt": .time(createdAt),
        ]
    }
}

extension UsageGroup: JSONPresentable {
    public var json: JSONValue {
        [
            "key": .string(key), "calls": .integer(calls), "promptTokens": .integer(promptTokens),
            "completionTokens": .integer(completionTokens), "dollars": dollars.json,
        ]
    }
}

extension UsageSummary: JSONPresentable {
    public var json: JSONValue {
        ["by": .string(by), "groups": .array(groups.map(\.json)), "total": total.json]
    }
}
