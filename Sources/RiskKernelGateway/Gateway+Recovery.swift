import Foundation
import Logging
import RiskKernelStore

extension Gateway {
    /// How long past its expiry a pending approval is left to the gateway that may still wait for it,
    /// before any other gateway expires it.
    static let expiryGrace: TimeInterval = 60

    /// Records this process as the run's gateway, so that a later start can tell if it died.
    static func claim(_ runId: String, store: any Store, logger: Logger) async {
        do {
            try await store.claimRun(id: runId, owner: GatewayOwner.current())
        } catch {
            logger.warning("could not record this gateway as the owner of run \(runId): \(error)")
        }
    }

    /// Ends the runs of dead gateways on this host (their runs `failed`, their pending approvals
    /// expired, their in-flight calls failed); logs what it ended, never fails. The run being
    /// served, resumed or new, is spared, so a resumed run keeps its pending approvals.
    public static func recoverAbandonedRuns(store: any Store, sparing runId: String?, logger: Logger) async {
        do {
            let report = try await store.recoverAbandonedRuns(
                host: GatewayOwner.currentHost(), sparing: runId, expiredBefore: Date().addingTimeInterval(-expiryGrace),
                isRunning: { $0.isRunning() })
            if !report.isEmpty {
                logger.notice("""
                    recovered after gateways that died: \(report.failedRuns.count) run(s) marked failed, \
                    \(report.expiredApprovals.count) approval(s) expired, \(report.endedToolCalls.count) tool call(s) ended
                    """)
            }
        } catch {
            logger.warning("could not look for runs of gateways that died: \(error)")
        }
    }
}
