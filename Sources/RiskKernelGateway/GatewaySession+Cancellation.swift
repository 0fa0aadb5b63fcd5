import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// The client cancelled one of its requests (`notifications/cancelled`).
    ///
    /// A call still being decided or held for approval stops there, and no response is sent (MCP:
    /// a cancelled request needs none); its approval expires and the call is recorded `cancelled`.
    /// A call whose decision is being written when the cancellation arrives is recorded, then
    /// recorded `cancelled`, never forwarded. A call already forwarded is recorded `cancelled` at
    /// once, so that nothing stays in flight in the ledger for an upstream that may never answer;
    /// the notification still goes upstream, and a late answer is dropped (its id answers nothing).
    /// A call held for approval is detached: its approval stays pending for the agent's retry.
    ///
    /// Returns the id under which the upstream knows the request, when it was forwarded (the
    /// notification then goes upstream with that id); `nil` when the upstream never saw it.
    func clientCancelled(_ requestId: JSONValue) -> Int64? {
        let key = JSONRPC.idKey(requestId)
        heldCalls[key]?.cancel()
        if decidingKeys.contains(key) { cancelledBeforeDecision.insert(key) }
        guard let upstreamId = upstreamIds[key] else { return nil }
        guard case .toolCall(let callId, let tool, let started)? = pendingUpstream[upstreamId]?.kind else { return upstreamId }
        pendingUpstream.removeValue(forKey: upstreamId)
        upstreamIds.removeValue(forKey: key)
        recordOutcome(
            callId: callId, tool: tool,
            outcome: ToolCallOutcome(
                status: .cancelled, isError: true, reason: "cancelled by the client after it was forwarded",
                durationMs: (ContinuousClock.now - started).milliseconds))
        return upstreamId
    }

    /// Records how a call ended (cancelled, refused) from a task of its own.
    func recordOutcome(callId: String, tool: String, outcome: ToolCallOutcome) {
        activeWork += 1
        Task {
            do {
                try await self.store.completeToolCall(id: callId, outcome: outcome)
            } catch {
                self.logger.error("could not record the end of tool \(tool) (call \(callId)): \(error)")
            }
            self.activeWork -= 1
        }
    }
}
