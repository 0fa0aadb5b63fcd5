import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore: SynchronousToolCallStore {
    nonisolated(nonsending) public func writeToolCalls<Verdict: Sendable>(
        _ writes: [ToolCallWrite<Verdict>]
    ) async throws -> [Result<ToolCallWritten<Verdict>, any Error>] {
        try await writeEach(writes, Self.write)
    }

    public func writeToolCallsNow<Verdict: Sendable>(_ writes: [ToolCallWrite<Verdict>]) throws -> [Result<ToolCallWritten<Verdict>, any Error>] {
        try writeEachNow(writes, Self.write)
    }

    @Sendable static func write<Verdict: Sendable>(_ db: Database, _ write: ToolCallWrite<Verdict>) throws -> ToolCallWritten<Verdict> {
        switch write {
        case .decision(let request): return .decision(try decide(db, request))
        case .completion(let completion):
            try complete(db, completion, at: Timestamps.now())
            return .completion
        }
    }

    static func decide<Verdict: Sendable>(_ db: Database, _ request: DecisionRequest<Verdict>) throws -> RecordedDecision<Verdict> {
        let now = Timestamps.now()
        let ancestry = try ancestry(db, runId: request.runId)
        guard !ancestry.isEmpty else { throw StoreError.notFound("run \(request.runId)") }
        let recent = try request.recentSince.map { try recentToolCalls(db, runId: request.runId, since: $0) }
        let matching = try request.approvalMatchKey.flatMap { try matchingApproval(db, runId: request.runId, key: $0) }?.asOf(now)
        let grant = try request.grantQuery.flatMap { try activeGrant(db, $0, rootRunId: ancestry[ancestry.count - 1].id, at: now) }
        let (call, verdict) = try request.decide(DecisionInputs(
            state: GovernanceState(ancestry: ancestry, now: now), recentCalls: recent, now: now, matchingApproval: matching, grant: grant))
        guard let call else { return RecordedDecision(verdict: verdict, call: nil, approval: nil) }
        let (record, approval) = try insertToolCall(db, call, ancestry: ancestry, approvalExpiresAt: request.approvalExpiresAt, at: now)
        return RecordedDecision(verdict: verdict, call: record, approval: approval)
    }

    nonisolated(nonsending) public func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?) {
        try await pool.write { db in
            let ancestry = try Self.ancestry(db, runId: call.runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(call.runId)") }
            return try Self.insertToolCall(db, call, ancestry: ancestry, approvalExpiresAt: approvalExpiresAt, at: Timestamps.now())
        }
    }

    /// Stores a decided call, its usage, its `tool.decided` event and (for `needsApproval`) its
    /// pending approval; returns the call as written.
    static func insertToolCall(
        _ db: Database, _ call: NewToolCall, ancestry: [RunRecord], approvalExpiresAt: Date?, at now: Date
    ) throws -> (ToolCallRecord, ApprovalRecord?) {
        let written = WrittenToolCall(call)
        let arguments = text(call.arguments)
        let forwarded = call.forwardedArguments.map(text)
        try db.cachedStatement(sql: """
                INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, forwarded_arguments, decision, rule, reason,
                    approval_id, status, is_error, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                call.id, call.runId, call.requestId, call.tool, call.sideEffect, arguments, forwarded, call.decision.kind, written.rule,
                written.reason, written.approvalId, written.status.rawValue, written.status == .refused, ms(now),
            ])
        try addUsage(db, Usage(toolCalls: 1), runId: call.runId, ancestry: ancestry, at: now)
        try appendEvent(db, runId: call.runId, kind: "tool.decided", data: written.event(), at: now)
        var approval: ApprovalRecord?
        if let approvalId = written.approvalId, let rule = written.rule {
            try db.cachedStatement(sql: """
                    INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, forwarded_arguments, match_key, server, rule,
                        status, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                    """).execute(arguments: [
                    approvalId, call.runId, call.id, call.tool, call.sideEffect, arguments, forwarded, call.approvalMatchKey, call.server, rule,
                    ms(now), approvalExpiresAt.map(ms),
                ])
            try appendEvent(
                db, runId: call.runId, kind: "approval.requested",
                data: ["approvalId": .string(approvalId), "callId": .string(call.id), "rule": .string(rule)], at: now)
            approval = try fetchApproval(db, id: approvalId)
        }
        return (written.record(at: now), approval)
    }

    nonisolated(nonsending) public func markToolCallForwarded(id: String) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE tool_calls SET status = 'forwarded' WHERE id = ?").execute(arguments: [id])
        }
    }

    static func complete(_ db: Database, _ completion: ToolCallCompletion, at now: Date) throws {
        let outcome = completion.outcome
        let runId = try String.fetchOne(
            db.cachedStatement(sql: """
                UPDATE tool_calls SET status = ?, result = ?, result_digest = ?, result_bytes = ?, is_error = ?,
                    reason = COALESCE(?, reason), duration_ms = ?, completed_at = ? WHERE id = ? AND completed_at IS NULL RETURNING run_id
                """),
            arguments: [
                outcome.status.rawValue, outcome.result.map(text), outcome.resultDigest, outcome.resultBytes, outcome.isError,
                outcome.reason, outcome.durationMs, ms(now), completion.id,
            ])
        guard let runId else {
            // A call completes once: the first outcome stands.
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM tool_calls WHERE id = ?"), arguments: [completion.id]) != nil { return }
            throw StoreError.notFound("tool call \(completion.id)")
        }
        try appendEvent(db, runId: runId, kind: "tool.completed", data: ToolCallOutcome.event(callId: completion.id, outcome), at: now)
    }

    public func toolCall(id: String) async throws -> ToolCallRecord? {
        try await pool.read { db in try Self.fetchToolCall(db, id: id) }
    }

    public func toolCalls(runId: String) async throws -> [ToolCallRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tool_calls WHERE run_id = ? ORDER BY created_at, rowid", arguments: [runId])
                .map(Self.toolCallRecord)
        }
    }

    static func fetchToolCall(_ db: Database, id: String) throws -> ToolCallRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tool_calls WHERE id = ?"), arguments: [id]).map(toolCallRecord)
    }

    static func toolCallRecord(_ row: Row) -> ToolCallRecord {
        let row = NamedColumns(row)
        var record = ToolCallRecord(
            id: row["id"], runId: row["run_id"], requestId: row["request_id"], tool: row["tool"], sideEffect: row["side_effect"],
            arguments: json(row["arguments"]) ?? .null, decision: row["decision"], rule: row["rule"], reason: row["reason"],
            approvalId: row["approval_id"], status: ToolCallStatus(rawValue: row["status"]) ?? .failed, result: json(row["result"]),
            resultDigest: row["result_digest"], resultBytes: row["result_bytes"], isError: row["is_error"],
            durationMs: row["duration_ms"], createdAt: date(row["created_at"])!, completedAt: date(row["completed_at"]))
        record.forwardedArguments = json(row["forwarded_arguments"])
        return record
    }
}
