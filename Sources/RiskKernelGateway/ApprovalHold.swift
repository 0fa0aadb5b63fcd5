import Foundation
import RiskKernelCore
import RiskKernelStore

/// How a held call's wait for its approval ends, from the approval as last read. Pure.
enum HoldEnd: Sendable, Equatable {
    /// Approved and usable: the call runs on it (once; the store refuses a second use).
    case run
    /// Denied or expired: the call is refused with this reason.
    case refuse(String)
    /// Still undecided when the hold window closed: the call is answered with a pending result,
    /// and the approval waits for the agent's identical retry.
    case pending

    init(_ approval: ApprovalRecord, at now: Date) {
        let current = approval.asOf(now)
        if current.isPastExpiry(now), current.status != .denied {
            self = .refuse(ApprovalTexts.expiry(current))
            return
        }
        switch current.status {
        case .approved where current.consumedBy == nil: self = .run
        case .approved: self = .refuse("approval \(current.id) was used by an identical call already; call again to ask a person anew")
        case .denied: self = .refuse(ApprovalTexts.denial(current))
        case .expired: self = .refuse(ApprovalTexts.expiry(current))
        case .pending: self = .pending
        }
    }
}

/// The words the gateway uses about approvals, in one place.
enum ApprovalTexts {
    /// `denied by NAME: REASON`.
    static func denial(_ approval: ApprovalRecord) -> String {
        "denied by \(approval.decidedBy ?? "an approver")" + (approval.reason.map { ": \($0)" } ?? "")
    }

    static func expiry(_ approval: ApprovalRecord) -> String {
        "approval \(approval.id) expired (\(approval.reason ?? "no decision in time")); call again to ask a person anew"
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
            "message": .string("awaiting approval \(approvalId) for tool \"\(tool)\""),
        ]
    }
}
