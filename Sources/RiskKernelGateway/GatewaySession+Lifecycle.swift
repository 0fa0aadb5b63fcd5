import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Stops accepting new calls and ends every wait for approval.
    func beginShutdown() {
        shuttingDown = true
        for key in calls.keys { step(key) { $0.cancelled(shuttingDown: true) } }
    }

    /// Ends the run with its final status (a halted run stays halted). Pending approvals stay
    /// pending until their `expiresAt`, for a later gateway of the same run tree: the agent's
    /// identical retry there attaches to them.
    func finish(status: RunStatus, reason: String?) async {
        do {
            let run = try await store.run(id: runId)
            if run?.status == .running || (status == .failed && run?.status == .halted) {
                _ = try await store.setRunStatus(id: runId, status: status, reason: reason)
            } else if run?.status == .halted {
                // A halted run stays halted, but it has ended: its seconds stop counting.
                _ = try await store.endHaltedRun(id: runId)
            }
        } catch {
            logger.error("could not record the end of run \(runId): \(error)")
        }
    }
}
