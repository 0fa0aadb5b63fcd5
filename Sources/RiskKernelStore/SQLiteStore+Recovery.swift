import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func claimRun(id: String, owner: GatewayOwner) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE runs SET gateway_host = ?, gateway_pid = ?, gateway_process_start = ? WHERE id = ?",
                arguments: [owner.host, Int64(owner.pid), owner.processStart, id])
            guard db.changesCount > 0 else { throw StoreError.notFound("run \(id)") }
        }
    }

    public func recoverAbandonedRuns(
        host: String, sparing runId: String?, expiredBefore: Date, isRunning: @escaping @Sendable (GatewayOwner) -> Bool
    ) async throws -> RecoveryReport {
        let now = Timestamps.now()
        return try await pool.write { db in
            var report = RecoveryReport()
            var servedHere: Set<String> = []
            if let runId { servedHere.insert(runId) }
            let owned = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, status, gateway_pid, gateway_process_start FROM runs
                    WHERE gateway_host = ? AND gateway_pid IS NOT NULL AND status IN ('running', 'halted')
                    """,
                arguments: [host])
            for row in owned {
                let id: String = row["id"]
                guard id != runId else { continue }
                let owner = GatewayOwner(host: host, pid: Int32(truncatingIfNeeded: row["gateway_pid"] as Int64), processStart: row["gateway_process_start"])
                if isRunning(owner) {
                    servedHere.insert(id)
                    continue
                }
                try db.execute(sql: "UPDATE runs SET gateway_pid = NULL WHERE id = ? AND gateway_pid IS NOT NULL", arguments: [id])
                guard db.changesCount > 0 else { continue }
                for approval in try Row.fetchAll(
                    db, sql: "SELECT id FROM approvals WHERE run_id = ? AND status = 'pending' ORDER BY created_at, rowid", arguments: [id])
                {
                    try Self.expireApproval(db, id: approval["id"], reason: RecoveryReasons.approvalAbandoned,
                                            callReason: RecoveryReasons.callNotDecided, at: now, into: &report)
                }
                for call in try Row.fetchAll(
                    db, sql: "SELECT id FROM tool_calls WHERE run_id = ? AND status = 'forwarded' ORDER BY created_at, rowid", arguments: [id])
                {
                    try Self.endAbandonedCall(db, id: call["id"], runId: id, status: .unknown, reason: RecoveryReasons.callAbandoned, at: now)
                    report.endedToolCalls.append(call["id"])
                }
                if (row["status"] as String) == RunStatus.running.rawValue {
                    try db.execute(
                        sql: "UPDATE runs SET status = 'failed', halt_reason = ?, updated_at = ?, ended_at = ? WHERE id = ?",
                        arguments: [RecoveryReasons.runFailed, Self.ms(now), Self.ms(now), id])
                    try Self.appendEvent(db, runId: id, kind: "run.status", data: [
                        "status": "failed", "from": "running", "reason": .string(RecoveryReasons.runFailed),
                    ], at: now)
                    report.failedRuns.append(id)
                }
            }
            // Past their expiry, with no live gateway of this host serving their run: a gateway that
            // waits for an approval expires it itself at the deadline.
            for approval in try Row.fetchAll(
                db,
                sql: "SELECT id, run_id FROM approvals WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at < ? ORDER BY created_at, rowid",
                arguments: [Self.ms(expiredBefore)])
            where !servedHere.contains(approval["run_id"] as String) {
                try Self.expireApproval(db, id: approval["id"], reason: RecoveryReasons.approvalPastExpiry,
                                        callReason: RecoveryReasons.approvalPastExpiry, at: now, into: &report)
            }
            return report
        }
    }

    /// Expires a pending approval and cancels its call, with their events.
    static func expireApproval(_ db: Database, id: String, reason: String, callReason: String, at now: Date, into report: inout RecoveryReport) throws {
        try db.execute(
            sql: "UPDATE approvals SET status = 'expired', decided_by = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
            arguments: [RecoveryReasons.decidedBy, reason, ms(now), id])
        guard db.changesCount > 0, let approval = try fetchApproval(db, id: id) else { return }
        try appendEvent(db, runId: approval.runId, kind: "approval.decided", data: [
            "approvalId": .string(id), "callId": .string(approval.toolCallId), "status": "expired",
            "decidedBy": .string(RecoveryReasons.decidedBy), "reason": .string(reason),
        ], at: now)
        report.expiredApprovals.append(id)
        if try endAbandonedCall(db, id: approval.toolCallId, runId: approval.runId, status: .cancelled, reason: callReason, at: now,
                                onlyIf: ToolCallStatus.awaitingApproval) {
            report.endedToolCalls.append(approval.toolCallId)
        }
    }

    /// Ends a tool call that nobody will complete; returns whether it was changed.
    @discardableResult
    static func endAbandonedCall(
        _ db: Database, id: String, runId: String, status: ToolCallStatus, reason: String, at now: Date, onlyIf current: ToolCallStatus? = nil
    ) throws -> Bool {
        try db.execute(
            sql: "UPDATE tool_calls SET status = ?, is_error = 1, reason = ?, duration_ms = 0, completed_at = ? WHERE id = ? AND (? IS NULL OR status = ?)",
            arguments: [status.rawValue, reason, ms(now), id, current?.rawValue, current?.rawValue])
        guard db.changesCount > 0 else { return false }
        try appendEvent(db, runId: runId, kind: "tool.completed", data: [
            "callId": .string(id), "status": .string(status.rawValue), "isError": true, "durationMs": 0, "reason": .string(reason),
        ], at: now)
        return true
    }
}
