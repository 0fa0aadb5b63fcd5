import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func submit<Verdict: Sendable>(
        _ writes: [LedgerWrite<Verdict>], start: GroupStart, then: @escaping @Sendable ([Result<LedgerWritten<Verdict>, any Error>]) -> Void
    ) {
        guard !writes.isEmpty else { return then([]) }
        let totals = chainedTotals
        let entry = Entry(count: writes.count, make: { db, isolation in
            let results = try Self.writeItems(db, writes, isolation: isolation) { db, write in try Self.write(db, write, totals) }
            return { then(results) }
        }, fail: { error in then(Array(repeating: .failure(error), count: writes.count)) })
        groupCommit.add(entry, start: start) { [pool] entries, onCallingThread, written in
            Self.writeGroup(pool, entries, onCallingThread: onCallingThread, written: written)
        }
    }

    /// Makes one write: a decision (judged on totals checked against the chains, `totals`), an
    /// outcome or a model call.
    static func write<Verdict: Sendable>(_ db: Database, _ write: LedgerWrite<Verdict>, _ totals: ChainedTotals) throws -> LedgerWritten<Verdict> {
        switch write {
        case .decision(let request): return .decision(try decide(db, request, totals))
        case .completion(let completion):
            try complete(db, completion, at: Timestamps.now(), chain: totals)
            return .completion
        case .modelCall(let runId, let call):
            try SpendLimits.check(call)
            return .modelCall(try recordModelCall(db, runId: runId, call, at: Timestamps.now(), chain: totals))
        }
    }

    /// Decides and records one call; the budgets are judged on totals checked against the chains (`totals`).
    static func decide<Verdict: Sendable>(_ db: Database, _ request: DecisionRequest<Verdict>, _ totals: ChainedTotals) throws -> RecordedDecision<Verdict> {
        let now = Timestamps.now()
        let (ancestry, anchors) = try checkedAncestry(db, runId: request.runId, totals)
        let recent = try request.recentSince.map { try recentToolCalls(db, runId: request.runId, since: $0) }
        let matching = try request.approvalMatchKey.flatMap { try matchingApproval(db, runId: request.runId, key: $0) }?.asOf(now)
        let grant = try request.grantQuery.flatMap { try activeGrant(db, $0, rootRunId: ancestry[ancestry.count - 1].id, at: now) }
        let (call, verdict) = try request.decide(DecisionInputs(
            state: GovernanceState(ancestry: ancestry, now: now), recentCalls: recent, now: now, matchingApproval: matching, grant: grant))
        guard let call else { return RecordedDecision(verdict: verdict, call: nil, approval: nil) }
        let (record, approval) = try insertToolCall(
            db, call, ancestry: ancestry, approvalExpiresAt: request.approvalExpiresAt, at: now, chain: totals, anchors: anchors)
        return RecordedDecision(verdict: verdict, call: record, approval: approval)
    }

    nonisolated(nonsending) public func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?) {
        try await pool.write { db in
            let (ancestry, anchors) = try Self.ancestryAndAnchors(db, runId: call.runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(call.runId)") }
            return try Self.insertToolCall(db, call, ancestry: ancestry, approvalExpiresAt: approvalExpiresAt, at: Timestamps.now(), anchors: anchors)
        }
    }

    /// Stores a decided call, its usage, its `tool.decided` event and (for `needsApproval`) its
    /// pending approval; returns the call as written. `anchors` as read with `ancestry`.
    static func insertToolCall(
        _ db: Database, _ call: NewToolCall, ancestry: [RunRecord], approvalExpiresAt: Date?, at now: Date, chain: ChainedTotals? = nil,
        anchors: [String: ChainAnchor]
    ) throws -> (ToolCallRecord, ApprovalRecord?) {
        let (written, plan) = try LedgerWrites.toolCall(call, ancestry: ancestry, approvalExpiresAt: approvalExpiresAt, at: now)
        try execute(db, plan, at: now, chain: chain, anchors: anchors)
        return (written.record(at: now), try written.approvalId.flatMap { try fetchApproval(db, id: $0) })
    }

    nonisolated(nonsending) public func markToolCallForwarded(id: String) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE tool_calls SET status = 'forwarded' WHERE id = ?").execute(arguments: [id])
        }
    }

    static func complete(_ db: Database, _ completion: ToolCallCompletion, at now: Date, chain: ChainedTotals? = nil) throws {
        let outcome = completion.outcome
        // The run's chain anchor comes back with the update, for the event appended next.
        let updated = try db.cachedStatement(sql: """
            UPDATE tool_calls SET status = ?, result = ?, result_digest = ?, result_bytes = ?, is_error = ?,
                reason = COALESCE(?, reason), duration_ms = ?, completed_at = ? WHERE id = ? AND completed_at IS NULL
            RETURNING run_id, (SELECT chain_length FROM runs WHERE runs.id = tool_calls.run_id),
                (SELECT chain_head FROM runs WHERE runs.id = tool_calls.run_id)
            """).firstRow([
                .text(outcome.status.rawValue), SQLValue(outcome.result.map(text)), SQLValue(outcome.resultDigest), SQLValue(outcome.resultBytes),
                .bool(outcome.isError), SQLValue(outcome.reason), .real(outcome.durationMs), .integer(ms(now)), .text(completion.id),
            ]) { row in (runId: row.text(0), anchor: row.isNull(1) || row.isNull(2) ? nil : ChainAnchor(length: row.int64(1), head: row.text(2))) }
        guard let (runId, anchor) = updated else {
            // A call completes once: the first outcome stands.
            if try db.cachedStatement(sql: "SELECT 1 FROM tool_calls WHERE id = ?").firstRow([.text(completion.id)], { _ in true }) != nil { return }
            throw StoreError.notFound("tool call \(completion.id)")
        }
        try appendEvent(db, runId: runId, kind: "tool.completed", data: ToolCallOutcome.event(callId: completion.id, outcome), at: now, chain: chain, anchor: anchor)
    }

    public func toolCall(id: String) async throws -> ToolCallRecord? {
        try await pool.read { db in try Self.fetchToolCall(db, id: id) }
    }

    public func toolCalls(runId: String) async throws -> [ToolCallRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: Self.toolCallsOfRun, arguments: [runId])
                .map(Self.toolCallRecord)
        }
    }

    static func fetchToolCall(_ db: Database, id: String) throws -> ToolCallRecord? {
        try Row.fetchOne(db.cachedStatement(sql: ToolCallRows.select + " WHERE tool_calls.id = ?"), arguments: [id]).map(toolCallRecord)
    }

    static let toolCallsOfRun = ToolCallRows.select + " WHERE tool_calls.run_id = ? ORDER BY tool_calls.created_at, tool_calls.rowid"

    static func toolCallRecord(_ row: Row) throws -> ToolCallRecord { try ToolCallRecord(row: NamedColumns(row)) }
}
