import Foundation
import RiskKernelCore
import RiskKernelStore

/// What a person is told of a new approval, as the JSON that webhooks receive and commands read on
/// stdin: `approvalId, tool, sideEffect, rule, runId, arguments, expiresAt, approveCommand,
/// denyCommand, consoleUrl, text`. `arguments` are the ones that will run (rewritten by argument
/// rules, redacted); `text` is one line for people (Slack's incoming webhooks show it).
struct ApprovalNotice: Sendable {
    var approval: ApprovalRecord
    var approveCommand: String
    var denyCommand: String
    /// The approval's page on a console that serves the same store, if one runs.
    var consoleURL: String?

    var title: String { "RiskKernel: approve tool \"\(approval.tool)\"?" }

    var text: String {
        "RiskKernel is holding tool \"\(approval.tool)\" (\(approval.sideEffect), rule \(approval.rule)) in run \(approval.runId) "
            + "for approval \(approval.id). Approve: \(approveCommand)  Deny: \(denyCommand)"
            + (consoleURL.map { "  Console: \($0)" } ?? "")
    }

    var json: JSONValue {
        [
            "approvalId": .string(approval.id), "tool": .string(approval.tool), "sideEffect": .string(approval.sideEffect),
            "rule": .string(approval.rule), "runId": .string(approval.runId), "arguments": approval.forwardedArguments ?? approval.arguments,
            "expiresAt": approval.expiresAt.map { .string(Timestamps.iso8601($0)) } ?? .null,
            "approveCommand": .string(approveCommand), "denyCommand": .string(denyCommand), "consoleUrl": consoleURL.map(JSONValue.string) ?? .null, "text": .string(text),
        ]
    }
}
