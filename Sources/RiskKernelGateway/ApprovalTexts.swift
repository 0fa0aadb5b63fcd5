import Foundation
import RiskKernelCore
import RiskKernelStore

/// The words the gateway uses about approvals, in one place.
enum ApprovalTexts {
    /// `denied by NAME: REASON`.
    static func denial(_ approval: ApprovalRecord) -> String {
        "denied by \(approval.decidedBy ?? "an approver")" + (approval.reason.map { ": \($0)" } ?? "")
    }

    static func expiry(_ approval: ApprovalRecord) -> String {
        "approval \(approval.id) expired (\(approval.reason ?? "no decision in time")); call again to ask a person anew"
    }

    /// The status message of a task held for approval.
    static func awaiting(tool: String, approvalId: String) -> String {
        "awaiting approval \(approvalId) for tool \"\(tool)\" by a person"
    }

    /// The `elicitation/create` params that ask the client application to decide an approval
    /// (form mode: a `decision` of approve or deny, and an optional `reason`).
    static func elicitation(tool: String, approval: ApprovalRecord) -> JSONValue {
        let arguments = CanonicalJSON.string(approval.arguments)
        let until = approval.expiresAt.map { " It expires at \(Timestamps.iso8601($0))." } ?? ""
        return [
            "message": .string("""
                RiskKernel holds a call to tool "\(tool)" (side effect \(approval.sideEffect), rule \(approval.rule)) until a person decides. \
                Arguments: \(arguments). Approve or deny approval \(approval.id).\(until)
                """),
            "requestedSchema": [
                "type": "object",
                "properties": [
                    "decision": [
                        "type": "string", "title": "Decision", "enum": ["approve", "deny"],
                        "description": .string("Approve runs the call once; deny refuses it and its identical retries"),
                    ],
                    "reason": ["type": "string", "title": "Reason", "description": "Why (recorded with the decision)"],
                ],
                "required": ["decision"],
            ],
        ]
    }

    /// The `_meta` member a pending result carries (`riskkernel.dev/approval`).
    static let metaKey = "riskkernel.dev/approval"

    /// The tool result a held call is answered with when its hold window closes undecided:
    /// `isError: true`, a text that names the tool and the approval and tells the model to call the
    /// same tool with the same arguments again later, and `_meta["riskkernel.dev/approval"]`.
    static func pendingResult(tool: String, approval: ApprovalRecord, modern: Bool) -> JSONValue {
        var state: [String: JSONValue] = ["id": .string(approval.id), "status": "pending"]
        if let expiresAt = approval.expiresAt { state["expiresAt"] = .string(Timestamps.iso8601(expiresAt)) }
        let until = approval.expiresAt.map { " The approval is open until \(Timestamps.iso8601($0))." } ?? ""
        let text = """
            RiskKernel is holding the call to tool "\(tool)" until a person approves it (approval \(approval.id)). \
            A person has been asked. The call has not run. Call tool "\(tool)" again later with the same arguments: \
            once approved it runs then and you get its result.\(until)
            """
        var result: [String: JSONValue] = [
            "content": [["type": "text", "text": .string(text)]],
            "isError": true,
            "_meta": [metaKey: .object(state)],
        ]
        if modern { result["resultType"] = "complete" }
        return .object(result)
    }

    /// The `notifications/progress` params sent to a client waiting on a held call.
    static func progress(token: JSONValue, count: Int, tool: String, approvalId: String) -> JSONValue {
        [
            "progressToken": token, "progress": .integer(Int64(count)),
            "message": .string(awaiting(tool: tool, approvalId: approvalId)),
        ]
    }
}
