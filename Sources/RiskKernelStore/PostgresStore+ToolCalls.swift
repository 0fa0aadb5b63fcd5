import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    nonisolated(nonsending) public func writeToolCalls<Verdict: Sendable>(
        _ writes: [ToolCallWrite<Verdict>]
    ) async throws -> [Result<ToolCallWritten<Verdict>, any Error>] {
        let totals = chainedTotals
        return try await writeEach(writes) { connection, write in
            switch write {
            case .decision(let request): return .decision(try await Self.decide(connection, request, totals))
            case .completion(let completion):
                try await Self.complete(connection, completion, chain: totals)
                return .completion
            }
        }
    }

    /// Decides and records one call; the budgets are judged on totals checked against the chains (`totals`).
    static func decide<Verdict: Sendable>(
        _ connection: PostgresConnection, _ request: DecisionRequest<Verdict>, _ totals: ChainedTotals
    ) async throws -> RecordedDecision<Verdict> {
        let now = Timestamps.now()
        let ancestry = try await lockAncestry(connection, runId: request.runId)
        guard !ancestry.isEmpty else { throw StoreError.notFound("run \(request.runId)") }
        try await checkTotals(connection, rootRunId: ancestry[ancestry.count - 1].id, totals)
        var recent: [RecentToolCall]?
        if let since = request.recentSince { recent = try await recentToolCalls(connection, runId: request.runId, since: since) }
        var matching: ApprovalRecord?
        if let key = request.approvalMatchKey { matching = try await matchingApproval(connection, runId: request.runId, key: key)?.asOf(now) }
        var grant: GrantRecord?
        if let query = request.grantQuery { grant = try await activeGrant(connection, query, rootRunId: ancestry[ancestry.count - 1].id, at: now) }
        let (call, verdict) = try request.decide(DecisionInputs(
            state: GovernanceState(ancestry: ancestry, now: now), recentCalls: recent, now: now, matchingApproval: matching, grant: grant))
        guard let call else { return RecordedDecision(verdict: verdict, call: nil, approval: nil) }
        let (record, approval) = try await insertToolCall(connection, call, ancestry: ancestry, approvalExpiresAt: request.approvalExpiresAt, at: now, chain: totals)
        return RecordedDecision(verdict: verdict, call: record, approval: approval)
    }

    /// Writes each item in one transaction, each in a savepoint of its own, so that one failing
    /// item fails alone (a single item needs no savepoint: its error ends the transaction).
    func writeEach<Item, Written>(
        _ items: [Item], _ body: @escaping (PostgresConnection, Item) async throws -> Written
    ) async throws -> [Result<Written, any Error>] {
        guard items.count > 1 else {
            do {
                return [.success(try await write { connection in try await body(connection, items[0]) })]
            } catch {
                return [.failure(error)]
            }
        }
        return try await write { connection in
            var results: [Result<Written, any Error>] = []
            for item in items {
                try await connection.rows("SAVEPOINT item")
                let written: Written
                do {
                    written = try await body(connection, item)
                } catch {
                    // A conflict with another transaction retries the whole group, as a lone write would.
                    if PostgresErrors.isRetryable(error) { throw error }
                    try await connection.rows("ROLLBACK TO SAVEPOINT item")
                    try await connection.rows("RELEASE SAVEPOINT item")
                    results.append(.failure(error))
                    continue
                }
                try await connection.rows("RELEASE SAVEPOINT item")
                results.append(.success(written))
            }
            return results
        }
    }

    nonisolated(nonsending) public func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?) {
        try await write { connection -> (ToolCallRecord, ApprovalRecord?) in
            let ancestry = try await Self.lockAncestry(connection, runId: call.runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(call.runId)") }
            return try await Self.insertToolCall(connection, call, ancestry: ancestry, approvalExpiresAt: approvalExpiresAt, at: Timestamps.now())
        }
    }

    /// Stores a decided call, its usage, its `tool.decided` event and (for `needsApproval`) its
    /// pending approval; returns the call as written.
    static func insertToolCall(
        _ connection: PostgresConnection, _ call: NewToolCall, ancestry: [RunRecord], approvalExpiresAt: Date?, at now: Date, chain: ChainedTotals? = nil
    ) async throws -> (ToolCallRecord, ApprovalRecord?) {
        let (written, plan) = try LedgerWrites.toolCall(call, ancestry: ancestry, approvalExpiresAt: approvalExpiresAt, at: now)
        try await execute(connection, plan, at: now, chain: chain)
        guard let approvalId = written.approvalId else { return (written.record(at: now), nil) }
        // Watchers (`approvals watch`) on any host may follow new requests.
        try await connection.rows("SELECT pg_notify(\(requestsChannel), \(approvalId))")
        return (written.record(at: now), try await fetchApproval(connection, id: approvalId))
    }

    nonisolated(nonsending) public func markToolCallForwarded(id: String) async throws {
        try await write { connection -> Void in
            _ = try await connection.rows("UPDATE tool_calls SET status = 'forwarded' WHERE id = \(id)")
        }
    }

    static func complete(_ connection: PostgresConnection, _ completion: ToolCallCompletion, chain: ChainedTotals? = nil) async throws {
        let (id, outcome, now) = (completion.id, completion.outcome, Timestamps.now())
        let result: String? = outcome.result.map(Self.text)
        let rows = try await connection.rows("""
            UPDATE tool_calls SET status = \(outcome.status.rawValue), result = \(result), result_digest = \(outcome.resultDigest),
                result_bytes = \(outcome.resultBytes), is_error = \(outcome.isError), reason = COALESCE(\(outcome.reason), reason),
                duration_ms = \(outcome.durationMs), completed_at = \(Self.ms(now)) WHERE id = \(id) AND completed_at IS NULL RETURNING run_id
            """)
        guard let row = rows.first else {
            // A call completes once: the first outcome stands.
            if try await connection.row("SELECT 1 FROM tool_calls WHERE id = \(id)") != nil { return }
            throw StoreError.notFound("tool call \(id)")
        }
        let runId: String = try row["run_id"]
        try await Self.appendEvent(connection, runId: runId, kind: "tool.completed", data: ToolCallOutcome.event(callId: id, outcome), at: now, chain: chain)
    }

    public func toolCall(id: String) async throws -> ToolCallRecord? {
        try await read { connection in try await Self.fetchToolCall(connection, id: id) }
    }

    public func toolCalls(runId: String) async throws -> [ToolCallRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM tool_calls WHERE run_id = \(runId) ORDER BY created_at, rowid").map(Self.toolCallRecord)
        }
    }

    static func fetchToolCall(_ connection: PostgresConnection, id: String) async throws -> ToolCallRecord? {
        try await connection.row("SELECT * FROM tool_calls WHERE id = \(id)").map(toolCallRecord)
    }

    static func toolCallRecord(_ row: PGRow) throws -> ToolCallRecord { try ToolCallRecord(row: row) }
}
