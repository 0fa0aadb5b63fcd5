import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Stops accepting new calls and ends every wait for approval.
    func beginShutdown() {
        shuttingDown = true
        for task in heldCalls.values { task.cancel() }
    }

    /// Waits until no call is being decided or recorded, or `timeout` passes.
    func waitUntilIdle(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while activeWork > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Ends the run: expires approvals still pending for it and records its final status
    /// (a halted run stays halted).
    func finish(status: RunStatus, reason: String?) async {
        do {
            for approval in try await store.listApprovals(status: .pending, runId: runId) {
                // Only the one who expires an approval completes its call.
                guard (try? await store.resolveApproval(
                    id: approval.id, status: .expired, decidedBy: "riskkernel", reason: "the gateway serving the run stopped")) != nil
                else { continue }
                try? await store.completeToolCall(
                    id: approval.toolCallId,
                    outcome: ToolCallOutcome(status: .cancelled, isError: true, reason: "the gateway stopped before a decision", durationMs: 0))
            }
            let run = try await store.run(id: runId)
            if run?.status == .running || (status == .failed && run?.status == .halted) {
                _ = try await store.setRunStatus(id: runId, status: status, reason: reason)
            }
        } catch {
            logger.error("could not record the end of run \(runId): \(error)")
        }
    }

    /// On resume: approvals of the run that are still pending, or were approved while no gateway was
    /// serving it, are taken over, so that when the agent repeats the same call it gets that decision
    /// instead of a new approval.
    func adoptUnfinishedApprovals() async {
        do {
            for approval in try await store.listApprovals(status: nil, runId: runId)
            where approval.status == .pending || approval.status == .approved {
                guard let call = try await store.toolCall(id: approval.toolCallId), call.status == .awaitingApproval else { continue }
                adoptedApprovals.append(approval)
            }
            if !adoptedApprovals.isEmpty {
                logger.notice("resumed run \(runId) with \(adoptedApprovals.count) approval(s) awaiting their call again")
            }
        } catch {
            logger.error("could not load the run's approvals: \(error)")
        }
    }

    /// An adopted approval for exactly this tool and these arguments, removed from the list.
    func takeAdoptedApproval(tool: String, arguments: JSONValue) -> ApprovalRecord? {
        guard let index = adoptedApprovals.firstIndex(where: { $0.tool == tool && $0.arguments == arguments }) else { return nil }
        return adoptedApprovals.remove(at: index)
    }
}
