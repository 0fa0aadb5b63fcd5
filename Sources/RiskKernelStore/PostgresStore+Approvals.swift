import Foundation
import NIOCore
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    /// The channel on which a decided approval's id is announced (`NOTIFY`, sent at COMMIT).
    static let decisionsChannel = "riskkernel_approval_decided"
    /// The channel on which a new pending approval's id is announced.
    static let requestsChannel = "riskkernel_approval_requested"

    public func approval(id: String) async throws -> ApprovalRecord? {
        try await read { connection in try await Self.fetchApproval(connection, id: id) }
    }

    public func listApprovals(status: ApprovalStatus?, runId: String?) async throws -> [ApprovalRecord] {
        let now = Date()
        // A pending approval past its expiry reads as expired, so the status is filtered after reading.
        let records = try await read { connection in
            if let runId {
                return try await connection.rows("SELECT * FROM approvals WHERE run_id = \(runId) ORDER BY created_at DESC, rowid DESC")
                    .map(Self.approvalRecord)
            }
            return try await connection.rows("SELECT * FROM approvals ORDER BY created_at DESC, rowid DESC").map(Self.approvalRecord)
        }
        return records.map { $0.asOf(now) }.filter { status == nil || $0.status == status }
    }

    public func resolveApproval(id: String, status: ApprovalStatus, decidedBy: String?, reason: String?) async throws -> ApprovalRecord {
        guard status != .pending else { throw StoreError.invalidArgument("an approval can only be decided as approved, denied or expired") }
        let now = Timestamps.now()
        return try await write { connection in
            let changed = try await connection.rows("""
                UPDATE approvals SET status = \(status.rawValue), decided_by = \(decidedBy), reason = \(reason), decided_at = \(Self.ms(now))
                WHERE id = \(id) AND status = 'pending' AND (expires_at IS NULL OR expires_at > \(Self.ms(now))) RETURNING id
                """)
            guard let approval = try await Self.fetchApproval(connection, id: id) else { throw StoreError.notFound("approval \(id)") }
            guard !changed.isEmpty else { throw StoreError.notPending(id: id, status: approval.asOf(now).status.rawValue) }
            var data: [String: JSONValue] = [
                "approvalId": .string(id), "callId": .string(approval.toolCallId), "status": .string(status.rawValue),
            ]
            if let decidedBy { data["decidedBy"] = .string(decidedBy) }
            if let reason { data["reason"] = .string(reason) }
            try await Self.appendEvent(connection, runId: approval.runId, kind: "approval.decided", data: .object(data), at: now)
            // Delivered to every listening gateway when this transaction commits.
            try await connection.rows("SELECT pg_notify(\(Self.decisionsChannel), \(id))")
            return approval
        }
    }

    /// Waits for the approval to be decided: woken by the `NOTIFY` of the decision (from any
    /// process or host), and reading it again every ``PostgresStoreConfiguration/decisionPollInterval``
    /// in case a notification was missed (say, while the listening connection was being re-made).
    public func waitForDecision(approvalId: String, until deadline: Date) async throws -> ApprovalRecord {
        try await ready()
        await signals.startListening(configuration, channel: Self.decisionsChannel)
        while true {
            let ticket = await signals.register(approvalId)
            do {
                guard let approval = try await approval(id: approvalId)?.asOf(Date()) else { throw StoreError.notFound("approval \(approvalId)") }
                let remaining = deadline.timeIntervalSinceNow
                if approval.status != .pending || remaining <= 0 {
                    await signals.unregister(ticket)
                    return approval
                }
                let poll = configuration.decisionPollInterval
                let pause = min(Duration.milliseconds(Int64(remaining * 1000) + 1), poll)
                await signals.wait(ticket, for: pause)
                await signals.unregister(ticket)
                try Task.checkCancellation()
            } catch {
                await signals.unregister(ticket)
                throw error
            }
        }
    }

    nonisolated(nonsending) public func consumeApproval(id: String, requestId: String) async throws -> ApprovalRecord {
        let now = Timestamps.now()
        return try await write { connection in
            let changed = try await connection.rows("""
                UPDATE approvals SET consumed_by = \(requestId), consumed_at = \(Self.ms(now))
                WHERE id = \(id) AND status = 'approved' AND consumed_by IS NULL AND (expires_at IS NULL OR expires_at > \(Self.ms(now)))
                RETURNING id
                """)
            guard let approval = try await Self.fetchApproval(connection, id: id) else { throw StoreError.notFound("approval \(id)") }
            guard !changed.isEmpty else { throw StoreError.notPending(id: id, status: ApprovalUse.unusableStatus(approval, at: now)) }
            try await connection.rows("UPDATE tool_calls SET status = 'forwarded' WHERE id = \(approval.toolCallId)")
            try await Self.appendEvent(connection, runId: approval.runId, kind: "approval.consumed", data: ApprovalUse.event(approval, requestId: requestId), at: now)
            return approval
        }
    }

    public func approvalMatchSecret() async throws -> [UInt8] {
        let name = ApprovalUse.secretName
        // A read at start-up; the one write is the store's first.
        let existing: String? = try await read { connection in
            try await connection.row("SELECT value FROM store_secrets WHERE name = \(name)").map { try $0["value"] as String }
        }
        if let existing, let secret = ApprovalUse.bytes(hex: existing) { return secret }
        let fresh = ApprovalUse.hex(ApprovalMatchKey.newSecret())
        let stored: String? = try await write { connection in
            try await connection.rows("INSERT INTO store_secrets (name, value) VALUES (\(name), \(fresh)) ON CONFLICT (name) DO NOTHING")
            return try await connection.row("SELECT value FROM store_secrets WHERE name = \(name)").map { try $0["value"] as String }
        }
        guard let stored, let secret = ApprovalUse.bytes(hex: stored) else { throw StoreError.unavailable("the store's approval secret is unreadable") }
        return secret
    }

    public func createGrant(_ grant: NewGrant) async throws -> GrantRecord {
        let now = Timestamps.now()
        return try await write { connection in
            guard let approval = try await Self.fetchApproval(connection, id: grant.approvalId) else { throw StoreError.notFound("approval \(grant.approvalId)") }
            guard approval.status == .approved else { throw StoreError.notPending(id: approval.id, status: approval.asOf(now).status.rawValue) }
            let root = try await Self.ancestry(connection, runId: approval.runId).last?.id ?? approval.runId
            let record = GrantRecord(
                id: Identifiers.make("grt"), scope: grant.scope, server: approval.server ?? "", tool: approval.tool,
                rootRunId: grant.scope == .run ? root : nil, approvalId: approval.id, grantedBy: grant.grantedBy, createdAt: now,
                expiresAt: grant.expiresAt.map { Timestamps.date(milliseconds: Self.ms($0)) }, revokedAt: nil)
            let expires: Int64? = record.expiresAt.map(Self.ms)
            try await connection.rows("""
                INSERT INTO grants (id, scope, server, tool, root_run_id, approval_id, granted_by, created_at, expires_at)
                VALUES (\(record.id), \(record.scope.rawValue), \(record.server), \(record.tool), \(record.rootRunId), \(record.approvalId),
                    \(record.grantedBy), \(Self.ms(now)), \(expires))
                """)
            try await Self.appendEvent(connection, runId: approval.runId, kind: "grant.created", data: GrantWrites.createdEvent(record), at: now)
            return record
        }
    }

    public func listGrants() async throws -> [GrantRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM grants ORDER BY created_at DESC, rowid DESC").map(Self.grantRecord)
        }
    }

    public func revokeGrant(id: String) async throws -> GrantRecord {
        let now = Timestamps.now()
        return try await write { connection in
            let changed = try await connection.rows("UPDATE grants SET revoked_at = \(Self.ms(now)) WHERE id = \(id) AND revoked_at IS NULL RETURNING id")
            guard let grant = try await connection.row("SELECT * FROM grants WHERE id = \(id)").map(Self.grantRecord) else {
                throw StoreError.notFound("grant \(id)")
            }
            if !changed.isEmpty, let approval = try await Self.fetchApproval(connection, id: grant.approvalId) {
                try await Self.appendEvent(connection, runId: approval.runId, kind: "grant.revoked", data: GrantWrites.revokedEvent(grant), at: now)
            }
            return grant
        }
    }

    /// The first active grant for the query's tool, of its server or of the run tree rooted at `rootRunId`.
    static func activeGrant(_ connection: PostgresConnection, _ query: GrantQuery, rootRunId: String, at now: Date) async throws -> GrantRecord? {
        var bindings = PostgresBindings()
        bindings.append(query.tool)
        bindings.append(query.server)
        bindings.append(rootRunId)
        bindings.append(ms(now))
        return try await connection.rows(PostgresQuery(unsafeSQL: GrantWrites.active, binds: bindings)).first.map(grantRecord)
    }

    static func grantRecord(_ row: PGRow) throws -> GrantRecord { try GrantRecord(row: row) }

    /// The newest unused approval of the run's tree with `key`.
    static func matchingApproval(_ connection: PostgresConnection, runId: String, key: String) async throws -> ApprovalRecord? {
        var bindings = PostgresBindings()
        bindings.append(runId)
        bindings.append(key)
        return try await connection.rows(PostgresQuery(unsafeSQL: RunTreeSQL.matchingApproval, binds: bindings)).first.map(approvalRecord)
    }

    static func fetchApproval(_ connection: PostgresConnection, id: String) async throws -> ApprovalRecord? {
        try await connection.row("SELECT * FROM approvals WHERE id = \(id)").map(approvalRecord)
    }

    static func approvalRecord(_ row: PGRow) throws -> ApprovalRecord { try ApprovalRecord(row: row) }
}

/// Wakes the waiters of an approval when its decision is announced.
///
/// One connection per store LISTENs (made on the first wait, and made again after it drops). A
/// waiter registers before it reads the approval, so a notification that arrives between the read
/// and the wait is not lost.
actor PostgresApprovalSignals {
    private struct Entry {
        var approvalId: String
        var notified = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private var entries: [UInt64: Entry] = [:]
    private var nextTicket: UInt64 = 0
    private var listener: Task<Void, Never>?
    private var connection: PostgresConnection?
    private var listening = false
    private var listeningWaiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false

    func register(_ approvalId: String) -> UInt64 {
        nextTicket += 1
        entries[nextTicket] = Entry(approvalId: approvalId)
        return nextTicket
    }

    func unregister(_ ticket: UInt64) {
        entries.removeValue(forKey: ticket)?.continuation?.resume()
    }

    /// Returns when the approval of `ticket` was announced since it registered, or after `duration`.
    func wait(_ ticket: UInt64, for duration: Duration) async {
        guard let entry = entries[ticket], !entry.notified else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: duration)
            await self?.wake(ticket)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if let entry = entries[ticket], !entry.notified {
                    entries[ticket]?.continuation = continuation
                } else {
                    continuation.resume()
                }
            }
        } onCancel: {
            Task { await self.wake(ticket) }
        }
        timer.cancel()
    }

    private func wake(_ ticket: UInt64) {
        entries[ticket]?.notified = true
        if let continuation = entries[ticket]?.continuation {
            entries[ticket]?.continuation = nil
            continuation.resume()
        }
    }

    func notify(_ approvalId: String) {
        for (ticket, entry) in entries where entry.approvalId == approvalId { wake(ticket) }
    }

    /// Every waiter reads again (after the listening connection was made again).
    func notifyAll() {
        for ticket in entries.keys { wake(ticket) }
    }

    /// Starts the listening connection if it is not running, and waits (at most a second) until it
    /// listens; when it cannot, waiters fall back to reading on a timer.
    func startListening(_ configuration: PostgresStoreConfiguration, channel: String) async {
        if stopped || listening { return }
        if listener == nil {
            listener = Task { [self] in await Self.listen(self, configuration, channel: channel) }
        }
        let timeout = Task { [weak self] in
            try? await Task.sleep(for: .seconds(1))
            await self?.releaseListeningWaiters()
        }
        await withCheckedContinuation { continuation in
            if listening || stopped { continuation.resume() } else { listeningWaiters.append(continuation) }
        }
        timeout.cancel()
    }

    private func releaseListeningWaiters() {
        for waiter in listeningWaiters { waiter.resume() }
        listeningWaiters.removeAll()
    }

    private func setListening(_ value: Bool) {
        listening = value
        if value {
            releaseListeningWaiters()
            notifyAll()
        }
    }

    private func setConnection(_ connection: PostgresConnection?) -> Bool {
        if stopped {
            if let connection { PostgresConnectionPool.close(connection) }
            return false
        }
        self.connection = connection
        return true
    }

    private var isStopped: Bool { stopped }

    private func dropConnection() {
        if let connection { PostgresConnectionPool.close(connection) }
        connection = nil
        listening = false
        releaseListeningWaiters()
    }

    /// Listens until the store stops, making the connection again (every half second) when it drops.
    private nonisolated static func listen(_ signals: PostgresApprovalSignals, _ configuration: PostgresStoreConfiguration, channel: String) async {
        while !(await signals.isStopped) {
            do {
                let connection = try await PostgresConnectionPool.connect(configuration, id: 0)
                guard await signals.setConnection(connection) else { return }
                try await connection.listen(on: channel) { notifications in
                    await signals.setListening(true)
                    for try await notification in notifications { await signals.notify(notification.payload) }
                }
            } catch {
                // Dropped or unreachable: waiters poll until the connection is made again.
            }
            await signals.dropConnection()
            if await signals.isStopped { return }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    func stop() {
        stopped = true
        listener?.cancel()
        if let connection { PostgresConnectionPool.close(connection) }
        connection = nil
        releaseListeningWaiters()
        for ticket in entries.keys { wake(ticket) }
    }
}
