import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func approval(id: String) async throws -> ApprovalRecord? {
        try await pool.read { db in try Self.fetchApproval(db, id: id) }
    }

    public func listApprovals(status: ApprovalStatus?, runId: String?) async throws -> [ApprovalRecord] {
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        if let status {
            conditions.append("status = ?")
            arguments.append(status.rawValue)
        }
        if let runId {
            conditions.append("run_id = ?")
            arguments.append(runId)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let statementArguments = StatementArguments(arguments)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM approvals \(filter) ORDER BY created_at DESC, rowid DESC", arguments: statementArguments)
                .map(Self.approvalRecord)
        }
    }

    public func resolveApproval(id: String, status: ApprovalStatus, decidedBy: String?, reason: String?) async throws -> ApprovalRecord {
        guard status != .pending else { throw StoreError.invalidArgument("an approval can only be decided as approved, denied or expired") }
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE approvals SET status = ?, decided_by = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'").execute(arguments: [status.rawValue, decidedBy, reason, Self.ms(now), id])
            guard let approval = try Self.fetchApproval(db, id: id) else { throw StoreError.notFound("approval \(id)") }
            guard db.changesCount > 0 else { throw StoreError.notPending(id: id, status: approval.status.rawValue) }
            var data: [String: JSONValue] = [
                "approvalId": .string(id), "callId": .string(approval.toolCallId), "status": .string(status.rawValue),
            ]
            if let decidedBy { data["decidedBy"] = .string(decidedBy) }
            if let reason { data["reason"] = .string(reason) }
            try Self.appendEvent(db, runId: approval.runId, kind: "approval.decided", data: .object(data), at: now)
            return approval
        }
    }

    public func waitForDecision(approvalId: String, until deadline: Date) async throws -> ApprovalRecord {
        while true {
            guard let approval = try await approval(id: approvalId) else { throw StoreError.notFound("approval \(approvalId)") }
            if approval.status != .pending || Date() >= deadline { return approval }
            try await Task.sleep(for: decisionPollInterval)
        }
    }

    static func fetchApproval(_ db: Database, id: String) throws -> ApprovalRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM approvals WHERE id = ?"), arguments: [id]).map(approvalRecord)
    }

    static func approvalRecord(_ row: Row) -> ApprovalRecord {
        let row = NamedColumns(row)
        return ApprovalRecord(
            id: row["id"], runId: row["run_id"], toolCallId: row["tool_call_id"], tool: row["tool"], sideEffect: row["side_effect"],
            arguments: json(row["arguments"]) ?? .null, rule: row["rule"], status: ApprovalStatus(rawValue: row["status"]) ?? .expired,
            decidedBy: row["decided_by"], reason: row["reason"], createdAt: date(row["created_at"])!,
            decidedAt: date(row["decided_at"]), expiresAt: date(row["expires_at"]))
    }
}
