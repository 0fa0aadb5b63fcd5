import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Under `spec.approvals.askClient: true`, asks the client application to decide a new or
    /// waited-on approval through MCP's `elicitation/create` (form mode: approve or deny, and a
    /// reason), once per approval, when the client declared the `elicitation` capability. The
    /// answer decides the approval with `decidedBy: "client:<clientInfo.name>"`; a decision made
    /// out of band first wins, and the question is then withdrawn.
    func askClientToDecide(_ approval: ApprovalRecord, tool: String, taskId: String?) {
        guard configuration.policy.approvals.askClient, clientInitialize?["capabilities"]?["elicitation"] != nil,
              elicitations[approval.id] == nil
        else { return }
        let decider = "client:" + (clientInitialize?["clientInfo"]?["name"]?.stringValue ?? "unknown")
        var params = ApprovalTexts.elicitation(tool: tool, approval: approval)
        if let taskId, case .object(var members) = params {
            members["_meta"] = [OwnedTask.relatedTaskKey: ["taskId": .string(taskId)]]
            params = .object(members)
        }
        logger.notice("asking the client to decide approval \(approval.id) (spec.approvals.askClient)")
        elicitations[approval.id] = requestFromClient(method: "elicitation/create", params: params) { session, response in
            session.elicitations.removeValue(forKey: approval.id)
            guard let response else { return }
            session.clientAnswered(approval, response: response, decider: decider)
        }
    }

    /// The client answered the approval question: `accept` with `decision: approve` approves,
    /// `accept` with `deny` and `decline` deny (with the reason given), `cancel` leaves the approval
    /// pending.
    func clientAnswered(_ approval: ApprovalRecord, response: JSONValue, decider: String) {
        guard let result = response["result"] else {
            logger.warning("the client could not ask about approval \(approval.id): \(response["error"]?["message"]?.stringValue ?? "no result")")
            return
        }
        let reason = result["content"]?["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let status: ApprovalStatus
        switch (result["action"]?.stringValue, result["content"]?["decision"]?.stringValue) {
        case ("accept", "approve"): status = .approved
        case ("accept", "deny"), ("decline", _): status = .denied
        default:
            logger.notice("the client left approval \(approval.id) undecided")
            return
        }
        let store = self.store
        spawn { session in
            do {
                _ = try await store.resolveApproval(id: approval.id, status: status, decidedBy: decider, reason: reason ?? (status == .denied ? "declined in the client" : nil))
                session.logger.notice("approval \(approval.id) \(status.rawValue) by \(decider)")
            } catch {
                // Decided out of band first, expired, or the store failed: the store's word stands.
                session.logger.notice("the client's answer to approval \(approval.id) was not recorded: \(error)")
            }
        }
    }

    /// Withdraws the question about an approval that was decided (or whose call ended).
    func withdrawElicitation(_ approvalId: String) {
        guard let id = elicitations.removeValue(forKey: approvalId) else { return }
        withdrawClientRequest(id, reason: "approval \(approvalId) was decided")
    }
}
