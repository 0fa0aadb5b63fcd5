import Foundation
import RiskKernelCore
import RiskKernelStore

/// The life of one call held for its approval, apart from I/O (in the style of postgres-nio's
/// state machines): the session feeds it what happened and performs the action it returns.
///
/// ```
/// holding ──decision: approved──▶ consuming ──consumed──▶ forwarded
///    │                               └──consume refused / failed──▶ answered (refusal or error)
///    ├──decision: denied, expired──▶ answered (refusal; the approval's call recorded refused)
///    ├──hold window closed, undecided──▶ answered (pending result; the approval stays open)
///    └──cancelled by the client──▶ detached (no answer; the approval stays open)
///                 (by shutdown ──▶ answered with a pending result)
/// ```
/// An approval is never forwarded on its own: only a request in `holding` can reach `forwarded`,
/// and only through the store's single use (`consuming`).
struct HeldCallMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case holding
        case consuming
        case forwarded
        case answered
        case detached
    }

    /// What the session does next.
    enum Action: Sendable, Equatable {
        /// Use the approval (``Store/consumeApproval(id:requestId:)``), then report how that went.
        case consume
        /// Forward the call upstream under the approval's call record.
        case forward
        /// Answer with a pending result naming the approval.
        case answerPending
        /// Answer with a refusal; `recordRefused`: also record the approval's call as refused.
        case refuse(String, recordRefused: Bool)
        /// Answer with a JSON-RPC error (the store could not record the use).
        case fail(String)
        /// Send nothing: the request was cancelled.
        case detach
        /// The event came too late to matter (the call has already ended).
        case none
    }

    private(set) var state: State = .holding
    let approvalId: String

    init(approvalId: String) {
        self.approvalId = approvalId
    }

    /// The wait ended with the approval as last read (decided, or still pending when the hold
    /// window closed).
    mutating func waitEnded(_ approval: ApprovalRecord, at now: Date) -> Action {
        guard state == .holding else { return .none }
        let current = approval.asOf(now)
        if current.isPastExpiry(now), current.status != .denied {
            state = .answered
            return .refuse(ApprovalTexts.expiry(current), recordRefused: current.consumedBy == nil)
        }
        switch current.status {
        case .approved where current.consumedBy == nil:
            state = .consuming
            return .consume
        case .approved:
            state = .answered
            return .refuse("approval \(current.id) was used by an identical call already; call again to ask a person anew", recordRefused: false)
        case .denied:
            state = .answered
            return .refuse(ApprovalTexts.denial(current), recordRefused: true)
        case .expired:
            state = .answered
            return .refuse(ApprovalTexts.expiry(current), recordRefused: true)
        case .pending:
            state = .answered
            return .answerPending
        }
    }

    /// The client cancelled the request, or the gateway is shutting down.
    mutating func cancelled(shuttingDown: Bool) -> Action {
        guard state == .holding else { return .none }
        state = shuttingDown ? .answered : .detached
        return shuttingDown ? .answerPending : .detach
    }

    /// The store used the approval for this request.
    mutating func consumed() -> Action {
        guard state == .consuming else { return .none }
        state = .forwarded
        return .forward
    }

    /// The store refused the use (`status`: used already, expired, …) or could not record it.
    mutating func consumeFailed(status: String?, error: String) -> Action {
        guard state == .consuming else { return .none }
        state = .answered
        guard let status else { return .fail(error) }
        return .refuse("approval \(approvalId) can no longer be used (it is \(status)); call again to ask a person anew", recordRefused: false)
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
