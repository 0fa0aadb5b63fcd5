import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func claimRun(id: String, owner: GatewayOwner) async throws {
        try await write { connection -> Void in
            let changed = try await connection.rows("""
                UPDATE runs SET gateway_host = \(owner.host), gateway_pid = \(Int64(owner.pid)), gateway_process_start = \(owner.processStart)
                WHERE id = \(id) RETURNING id
                """)
            guard !changed.isEmpty else { throw StoreError.notFound("run \(id)") }
        }
    }

    public func recoverAbandonedRuns(
        host: String, sparing runId: String?, expiredBefore: Date, isRunning: @escaping @Sendable (GatewayOwner) -> Bool
    ) async throws -> RecoveryReport {
        let now = Timestamps.now()
        return try await write { connection in
            var report = RecoveryReport()
            var servedHere: Set<String> = []
            if let runId { servedHere.insert(runId) }
            let owned = try await connection.rows("""
                SELECT id, status, gateway_pid, gateway_process_start FROM runs
                WHERE gateway_host = \(host) AND gateway_pid IS NOT NULL AND status IN ('running', 'halted')
                """)
            for row in owned {
                let id: String = try row["id"]
                guard id != runId else { continue }
                let pid: Int64 = try row["gateway_pid"]
                let owner = GatewayOwner(host: host, pid: Int32(truncatingIfNeeded: pid), processStart: try row["gateway_process_start"])
                if isRunning(owner) {
                    servedHere.insert(id)
                    continue
                }
                // Whoever clears the owner does the recovery (another gateway may be starting too).
                let claimed = try await connection.rows(
                    "UPDATE runs SET gateway_pid = NULL WHERE id = \(id) AND gateway_pid = \(pid) RETURNING status")
                guard let status: String = try claimed.first?["status"] else { continue }
                for approval in try await connection.rows(
                    "SELECT id FROM approvals WHERE run_id = \(id) AND status = 'pending' ORDER BY created_at, rowid")
                {
                    try await Self.expireApproval(connection, id: try approval["id"], reason: RecoveryReasons.approvalAbandoned,
                                                  callReason: RecoveryReasons.callNotDecided, at: now, into: &report)
                }
                for call in try await connection.rows(
                    "SELECT id FROM tool_calls WHERE run_id = \(id) AND status = 'forwarded' ORDER BY created_at, rowid")
                {
                    let callId: String = try call["id"]
                    if try await Self.endAbandonedCall(connection, id: callId, runId: id, status: .unknown, reason: RecoveryReasons.callAbandoned, at: now) {
                        report.endedToolCalls.append(callId)
                    }
                }
                if status == RunStatus.running.rawValue {
                    try await connection.rows("""
                        UPDATE runs SET status = 'failed', halt_reason = \(RecoveryReasons.runFailed), updated_at = \(Self.ms(now)),
                            ended_at = \(Self.ms(now)) WHERE id = \(id)
                        """)
                    try await Self.appendEvent(connection, runId: id, kind: "run.status", data: [
                        "status": "failed", "from": "running", "reason": .string(RecoveryReasons.runFailed),
                    ], at: now)
                    report.failedRuns.append(id)
                }
            }
            for approval in try await connection.rows("""
                SELECT id, run_id FROM approvals WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at < \(Self.ms(expiredBefore))
                ORDER BY created_at, rowid
                """)
            where !servedHere.contains(try approval["run_id"] as String) {
                try await Self.expireApproval(connection, id: try approval["id"], reason: RecoveryReasons.approvalPastExpiry,
                                              callReason: RecoveryReasons.approvalPastExpiry, at: now, into: &report)
            }
            return report
        }
    }

    /// Expires a pending approval and cancels its call, with their events.
    static func expireApproval(
        _ connection: PostgresConnection, id: String, reason: String, callReason: String, at now: Date, into report: inout RecoveryReport
    ) async throws {
        let changed = try await connection.rows("""
            UPDATE approvals SET status = 'expired', decided_by = \(RecoveryReasons.decidedBy), reason = \(reason), decided_at = \(Self.ms(now))
            WHERE id = \(id) AND status = 'pending' RETURNING id
            """)
        guard !changed.isEmpty, let approval = try await fetchApproval(connection, id: id) else { return }
        try await appendEvent(connection, runId: approval.runId, kind: "approval.decided", data: [
            "approvalId": .string(id), "callId": .string(approval.toolCallId), "status": "expired",
            "decidedBy": .string(RecoveryReasons.decidedBy), "reason": .string(reason),
        ], at: now)
        try await connection.rows("SELECT pg_notify(\(decisionsChannel), \(id))")
        report.expiredApprovals.append(id)
        if try await endAbandonedCall(connection, id: approval.toolCallId, runId: approval.runId, status: .cancelled, reason: callReason, at: now,
                                      onlyIf: .awaitingApproval) {
            report.endedToolCalls.append(approval.toolCallId)
        }
    }

    /// Ends a tool call that nobody will complete; returns whether it was changed.
    static func endAbandonedCall(
        _ connection: PostgresConnection, id: String, runId: String, status: ToolCallStatus, reason: String, at now: Date,
        onlyIf current: ToolCallStatus? = nil
    ) async throws -> Bool {
        let required = current?.rawValue
        let changed = try await connection.rows("""
            UPDATE tool_calls SET status = \(status.rawValue), is_error = TRUE, reason = \(reason), duration_ms = 0, completed_at = \(Self.ms(now))
            WHERE id = \(id) AND (\(required)::TEXT IS NULL OR status = \(required)) RETURNING id
            """)
        guard !changed.isEmpty else { return false }
        try await appendEvent(connection, runId: runId, kind: "tool.completed", data: [
            "callId": .string(id), "status": .string(status.rawValue), "isError": true, "durationMs": 0, "reason": .string(reason),
        ], at: now)
        return true
    }
}
