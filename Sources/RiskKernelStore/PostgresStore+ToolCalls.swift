import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func submit<Verdict: Sendable>(
        _ writes: [LedgerWrite<Verdict>], start: GroupStart, then: @escaping @Sendable ([Result<LedgerWritten<Verdict>, any Error>]) -> Void
    ) {
        guard !writes.isEmpty else { return then([]) }
        let totals = chainedTotals
        let entry = Entry(count: writes.count, make: { connection, savepoints in
            let results = try await Self.writeItems(connection, writes, savepoints: savepoints) { connection, write in
                try await Self.write(connection, write, totals)
            }
            return { then(results) }
        }, fail: { error in then(Array(repeating: .failure(error), count: writes.count)) })
        if case .now = start {
            // A write begun at once (a model call) locks only its own run tree. On PostgreSQL's
            // many connections it is written in a transaction of its own, beside the others: it
            // neither waits behind another tree's group nor shares a transaction with another
            // tree, which could deadlock with another process's group locking the trees the
            // other way round. The gateway's groups (decisions, outcomes) are all of its own tree.
            Task { await writeGroup([entry]) }
            return
        }
        groupCommit.add(entry, start: start) { [self] entries, _, written in
            // Every group is written from a task: a PostgreSQL write never blocks a thread.
            Task {
                await writeGroup(entries)
                written()
            }
        }
    }

    /// One caller's writes in the group commit.
    typealias Entry = GroupEntry<@Sendable (PostgresConnection, _ savepoints: Bool) async throws -> GroupReport>

    /// Writes a group in one transaction (retried whole on a conflict with another transaction,
    /// as a lone write is) and tells each entry.
    private func writeGroup(_ entries: [Entry]) async {
        let savepoints = Entry.keepsWritesApart(entries)
        do {
            var reports: [GroupReport] = []
            try await write { connection in
                reports = []
                for entry in entries { reports.append(try await entry.make(connection, savepoints)) }
            }
            for report in reports { report() }
        } catch {
            for entry in entries { entry.fail(error) }
        }
    }

    /// Makes one write: a decision (judged on totals checked against the chains, `totals`), an
    /// outcome or a model call.
    static func write<Verdict: Sendable>(_ connection: PostgresConnection, _ write: LedgerWrite<Verdict>, _ totals: ChainedTotals) async throws -> LedgerWritten<Verdict> {
        switch write {
        case .decision(let request): return .decision(try await decide(connection, request, totals))
        case .completion(let completion):
            try await complete(connection, completion, chain: totals)
            return .completion
        case .modelCall(let runId, let call):
            return .modelCall(try await recordModelCall(connection, runId: runId, call, chain: totals))
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

    /// Writes the items inside the caller's transaction, as ``SQLiteStore/writeItems(_:_:isolation:_:)``
    /// does with `.savepoints` (PostgreSQL ends a transaction at its first error, so every write of
    /// a group has its savepoint): with `savepoints`, one failing item fails alone; a conflict with
    /// another transaction is thrown, so that the whole group is retried, as a lone write would be.
    static func writeItems<Item, Written>(
        _ connection: PostgresConnection, _ items: [Item], savepoints: Bool, _ body: (PostgresConnection, Item) async throws -> Written
    ) async throws -> [Result<Written, any Error>] {
        var results: [Result<Written, any Error>] = []
        for item in items {
            guard savepoints else {
                results.append(.success(try await body(connection, item)))
                continue
            }
            try await connection.rows("SAVEPOINT item")
            do {
                results.append(.success(try await body(connection, item)))
            } catch {
                if PostgresErrors.isRetryable(error) { throw error }
                try await connection.rows("ROLLBACK TO SAVEPOINT item")
                results.append(.failure(error))
            }
            try await connection.rows("RELEASE SAVEPOINT item")
        }
        return results
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
            try await connection.rows(Self.toolCallsOfRun(runId)).map(Self.toolCallRecord)
        }
    }

    static func fetchToolCall(_ connection: PostgresConnection, id: String) async throws -> ToolCallRecord? {
        try await connection.row("\(unescaped: ToolCallRows.select) WHERE tool_calls.id = \(id)").map(toolCallRecord)
    }

    static func toolCallsOfRun(_ runId: String) -> PostgresQuery {
        "\(unescaped: ToolCallRows.select) WHERE tool_calls.run_id = \(runId) ORDER BY tool_calls.created_at, tool_calls.rowid"
    }

    static func toolCallRecord(_ row: PGRow) throws -> ToolCallRecord { try ToolCallRecord(row: row) }
}
