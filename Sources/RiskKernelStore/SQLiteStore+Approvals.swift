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
        // A pending approval past its expiry reads as expired, so both are read for either.
        if let status {
            conditions.append(status == .pending || status == .expired ? "status IN ('pending', 'expired')" : "status = ?")
            if status != .pending, status != .expired { arguments.append(status.rawValue) }
        }
        if let runId {
            conditions.append("run_id = ?")
            arguments.append(runId)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let statementArguments = StatementArguments(arguments)
        let now = Date()
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM approvals \(filter) ORDER BY created_at DESC, rowid DESC", arguments: statementArguments)
                .map { try Self.approvalRecord($0).asOf(now) }
        }.filter { status == nil || $0.status == status }
    }

    public func resolveApproval(id: String, status: ApprovalStatus, decidedBy: String?, reason: String?) async throws -> ApprovalRecord {
        guard status != .pending else { throw StoreError.invalidArgument("an approval can only be decided as approved, denied or expired") }
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.cachedStatement(sql: """
                UPDATE approvals SET status = ?, decided_by = ?, reason = ?, decided_at = ?
                WHERE id = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)
                """).execute(arguments: [status.rawValue, decidedBy, reason, Self.ms(now), id, Self.ms(now)])
            guard let approval = try Self.fetchApproval(db, id: id) else { throw StoreError.notFound("approval \(id)") }
            guard db.changesCount > 0 else { throw StoreError.notPending(id: id, status: approval.asOf(now).status.rawValue) }
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
            guard let approval = try await approval(id: approvalId)?.asOf(Date()) else { throw StoreError.notFound("approval \(approvalId)") }
            if approval.status != .pending || Date() >= deadline { return approval }
            try await Task.sleep(for: decisionPollInterval)
        }
    }

    nonisolated(nonsending) public func consumeApproval(id: String, requestId: String) async throws -> ApprovalRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.cachedStatement(sql: """
                UPDATE approvals SET consumed_by = ?, consumed_at = ?
                WHERE id = ? AND status = 'approved' AND consumed_by IS NULL AND (expires_at IS NULL OR expires_at > ?)
                """).execute(arguments: [requestId, Self.ms(now), id, Self.ms(now)])
            guard let approval = try Self.fetchApproval(db, id: id) else { throw StoreError.notFound("approval \(id)") }
            guard db.changesCount > 0 else { throw StoreError.notPending(id: id, status: ApprovalUse.unusableStatus(approval, at: now)) }
            try db.cachedStatement(sql: "UPDATE tool_calls SET status = 'forwarded' WHERE id = ?").execute(arguments: [approval.toolCallId])
            try Self.appendEvent(db, runId: approval.runId, kind: "approval.consumed", data: ApprovalUse.event(approval, requestId: requestId), at: now)
            return approval
        }
    }

    public func approvalMatchSecret() async throws -> [UInt8] {
        // A read at start-up; the one write is the store's first.
        let existing = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_secrets WHERE name = ?", arguments: [ApprovalUse.secretName])
        }
        if let existing, let secret = ApprovalUse.bytes(hex: existing) { return secret }
        let fresh = ApprovalUse.hex(ApprovalMatchKey.newSecret())
        let stored = try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO store_secrets (name, value) VALUES (?, ?)", arguments: [ApprovalUse.secretName, fresh])
            return try String.fetchOne(db, sql: "SELECT value FROM store_secrets WHERE name = ?", arguments: [ApprovalUse.secretName])
        }
        guard let stored, let secret = ApprovalUse.bytes(hex: stored) else { throw StoreError.unavailable("the store's approval secret is unreadable") }
        return secret
    }

    public func createGrant(_ grant: NewGrant) async throws -> GrantRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let approval = try Self.fetchApproval(db, id: grant.approvalId) else { throw StoreError.notFound("approval \(grant.approvalId)") }
            guard approval.status == .approved else { throw StoreError.notPending(id: approval.id, status: approval.asOf(now).status.rawValue) }
            let root = try Self.ancestry(db, runId: approval.runId).last?.id ?? approval.runId
            let record = GrantRecord(
                id: Identifiers.make("grt"), scope: grant.scope, server: approval.server ?? "", tool: approval.tool,
                rootRunId: grant.scope == .run ? root : nil, approvalId: approval.id, grantedBy: grant.grantedBy, createdAt: now,
                expiresAt: grant.expiresAt.map { Timestamps.date(milliseconds: Self.ms($0)) }, revokedAt: nil)
            try db.execute(
                sql: """
                    INSERT INTO grants (id, scope, server, tool, root_run_id, approval_id, granted_by, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.scope.rawValue, record.server, record.tool, record.rootRunId, record.approvalId, record.grantedBy,
                    Self.ms(now), record.expiresAt.map(Self.ms),
                ])
            try Self.appendEvent(db, runId: approval.runId, kind: "grant.created", data: GrantWrites.createdEvent(record), at: now)
            return record
        }
    }

    public func listGrants() async throws -> [GrantRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM grants ORDER BY created_at DESC, rowid DESC").map(Self.grantRecord)
        }
    }

    public func revokeGrant(id: String) async throws -> GrantRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            try db.execute(sql: "UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Self.ms(now), id])
            let changed = db.changesCount > 0
            guard let grant = try Row.fetchOne(db, sql: "SELECT * FROM grants WHERE id = ?", arguments: [id]).map(Self.grantRecord) else {
                throw StoreError.notFound("grant \(id)")
            }
            if changed, let runId = try String.fetchOne(db, sql: "SELECT run_id FROM approvals WHERE id = ?", arguments: [grant.approvalId]) {
                try Self.appendEvent(db, runId: runId, kind: "grant.revoked", data: GrantWrites.revokedEvent(grant), at: now)
            }
            return grant
        }
    }

    /// The first active grant for the query's tool, of its server or of the run tree rooted at `rootRunId`.
    static func activeGrant(_ db: Database, _ query: GrantQuery, rootRunId: String, at now: Date) throws -> GrantRecord? {
        try Row.fetchOne(db.cachedStatement(sql: GrantWrites.active), arguments: [query.tool, query.server, rootRunId, ms(now)]).map(grantRecord)
    }

    static func grantRecord(_ row: Row) throws -> GrantRecord { try GrantRecord(row: NamedColumns(row)) }

    /// The newest unused approval of the run's tree with `key`.
    static func matchingApproval(_ db: Database, runId: String, key: String) throws -> ApprovalRecord? {
        try Row.fetchOne(db.cachedStatement(sql: RunTreeSQL.matchingApproval), arguments: [runId, key]).map(approvalRecord)
    }

    static func fetchApproval(_ db: Database, id: String) throws -> ApprovalRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM approvals WHERE id = ?"), arguments: [id]).map(approvalRecord)
    }

    static func approvalRecord(_ row: Row) throws -> ApprovalRecord { try ApprovalRecord(row: NamedColumns(row)) }
}
