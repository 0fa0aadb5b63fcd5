import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// The client cancelled one of its requests (`notifications/cancelled`).
    ///
    /// A governed call goes where its state machine (``GovernedCallMachine``) says: one waiting
    /// for the catalogue or held for approval stops with no response (MCP: a cancelled request
    /// needs none), and a held call's approval stays pending for the agent's retry; one whose
    /// decision or approval use is being written is recorded, then recorded `cancelled`, never
    /// forwarded; one already forwarded is recorded `cancelled` at once, so that nothing stays in
    /// flight in the ledger for an upstream that may never answer (a late answer is dropped: its
    /// id answers nothing). A call answered with a task is cancelled by `tasks/cancel` instead.
    ///
    /// Returns the id under which the upstream knows the request, when it was forwarded (the
    /// notification then goes upstream with that id); `nil` when the upstream never saw it.
    func clientCancelled(_ requestId: JSONValue) -> Int64? {
        let key = JSONRPC.idKey(requestId)
        let upstreamId = upstreamIds[key]
        if let call = calls[key] {
            guard call.ownedTaskId == nil else { return nil }
            step(key) { $0.cancelled() }
        }
        return upstreamId
    }

    /// Records how a call ended (cancelled, refused) from a task of its own.
    func recordOutcome(callId: String, tool: String, outcome: ToolCallOutcome) {
        spawn { session in
            do {
                try await session.store.completeToolCall(id: callId, outcome: outcome)
            } catch {
                session.logger.error("could not record the end of tool \(tool) (call \(callId)): \(error)")
            }
        }
    }
}
