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
    /// the notification still goes upstream, and a late answer passes through unrecorded (the
    /// client ignores it, as MCP says).
    func clientCancelled(_ requestId: JSONValue) {
        let key = JSONRPC.idKey(requestId)
        heldCalls[key]?.cancel()
        if decidingKeys.contains(key) { cancelledBeforeDecision.insert(key) }
        guard case .toolCall(let callId, let tool, let started)? = pendingUpstream[key] else { return }
        pendingUpstream.removeValue(forKey: key)
        recordCancellation(
            callId: callId, tool: tool,
            outcome: ToolCallOutcome(
                status: .cancelled, isError: true, reason: "cancelled by the client after it was forwarded",
                durationMs: (ContinuousClock.now - started).milliseconds))
    }

    /// Records a call as cancelled, from a task of its own.
    func recordCancellation(callId: String, tool: String, outcome: ToolCallOutcome) {
        activeWork += 1
        Task {
            do {
                try await self.store.completeToolCall(id: callId, outcome: outcome)
            } catch {
                self.logger.error("could not record the cancellation of tool \(tool) (call \(callId)): \(error)")
            }
            self.activeWork -= 1
        }
    }
}
