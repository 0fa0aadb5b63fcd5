import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func chainHead(runId: String) async throws -> ChainHead? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT chain_length, chain_head FROM runs WHERE id = ?", arguments: [runId]).map {
                ChainHead(length: $0["chain_length"], hash: $0["chain_head"])
            }
        }
    }

    public func recordAttributions(runId: String, baseRef: String, _ changes: [NewAttribution]) async throws -> [AttributionRecord] {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let run = try Self.fetchRun(db, id: runId) else { throw StoreError.notFound("run \(runId)") }
            var records: [AttributionRecord] = []
            for change in changes {
                let record = AttributionRecord(
                    id: Identifiers.make("attr"), runId: runId, author: change.author, authorType: change.authorType, file: change.file,
                    linesAdded: change.linesAdded, linesRemoved: change.linesRemoved, tokens: run.treeUsage.totalTokens, baseRef: baseRef,
                    createdAt: now)
                try Self.insert(db, record)
                records.append(record)
            }
            let digest = EventChain.digest(of: .array(records.map(\.json)))
            try Self.appendEvent(
                db, runId: runId, kind: "attribution.captured",
                data: ["count": .integer(Int64(records.count)), "baseRef": .string(baseRef), "attributionsDigest": .string(digest)], at: now)
            return records
        }
    }

    public func attributions(runId: String) async throws -> [AttributionRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attributions WHERE run_id = ? ORDER BY created_at, rowid", arguments: [runId])
                .map(Self.attributionRecord)
        }
    }

    public func provenanceRecords(runIds: [String]) async throws -> ProvenanceRecords {
        try await pool.read { db in
            var records = ProvenanceRecords()
            for runId in runIds {
                guard let run = try Self.fetchRun(db, id: runId) else { throw StoreError.notFound("run \(runId)") }
                records.runs.append(run)
                let arguments: StatementArguments = [runId]
                records.steps += try Row.fetchAll(db, sql: "SELECT * FROM steps WHERE run_id = ? ORDER BY step_index", arguments: arguments).map { try StepRecord(row: NamedColumns($0)) }
                records.events += try Row.fetchAll(db, sql: "SELECT * FROM events WHERE run_id = ? ORDER BY sequence", arguments: arguments)
                    .map(Self.eventRecord)
                if let head = try Row.fetchOne(db, sql: "SELECT chain_length, chain_head FROM runs WHERE id = ?", arguments: arguments) {
                    records.heads[runId] = ChainHead(length: head["chain_length"], hash: head["chain_head"])
                }
                records.toolCalls += try Row.fetchAll(db, sql: Self.toolCallsOfRun, arguments: arguments)
                    .map(Self.toolCallRecord)
                records.ledger += try Row.fetchAll(db, sql: "SELECT * FROM ledger_entries WHERE run_id = ? ORDER BY created_at, rowid", arguments: arguments)
                    .map(Self.ledgerEntry)
                records.approvals += try Row.fetchAll(db, sql: "SELECT * FROM approvals WHERE run_id = ? ORDER BY created_at, rowid", arguments: arguments)
                    .map(Self.approvalRecord)
                records.checkpoints += try Row.fetchAll(db, sql: "SELECT * FROM checkpoints WHERE run_id = ? ORDER BY sequence", arguments: arguments)
                    .map(Self.checkpointRecord)
                records.attributions += try Row.fetchAll(db, sql: "SELECT * FROM attributions WHERE run_id = ? ORDER BY created_at, rowid", arguments: arguments)
                    .map(Self.attributionRecord)
            }
            return records
        }
    }

    public func importProvenance(_ records: ProvenanceRecords) async throws {
        try await pool.write { db in
            for run in records.runs where try Self.fetchRun(db, id: run.id) != nil {
                throw StoreError.invalidArgument("run \(run.id) already exists in this database; nothing was imported")
            }
            // Parents first, so that the parent reference holds.
            let ids = Set(records.runs.map(\.id))
            var remaining = records.runs
            while !remaining.isEmpty {
                let ready = remaining.filter { $0.parentRunId == nil || !ids.contains($0.parentRunId!) || (try? Self.fetchRun(db, id: $0.parentRunId!)) != nil }
                guard !ready.isEmpty else { throw StoreError.invalidArgument("the bundle's runs form a cycle") }
                for run in ready { try Self.insert(db, run, head: records.heads[run.id]) }
                remaining.removeAll { candidate in ready.contains { $0.id == candidate.id } }
            }
            for event in records.events {
                try db.execute(
                    sql: "INSERT INTO events (run_id, sequence, kind, body, previous_hash, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [event.runId, event.sequence, event.kind, CanonicalJSON.string(event.body, rule: EventChain.rule(of: event.body) ?? .riskkernelV1), event.previousHash, event.hash, Self.ms(event.createdAt)])
            }
            for step in records.steps {
                try db.execute(
                    sql: "INSERT INTO steps (run_id, step_index, ledger_entry_id, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [step.runId, step.index, step.ledgerEntryId, Self.ms(step.createdAt)])
            }
            for entry in records.ledger {
                try db.execute(
                    sql: """
                        INSERT INTO ledger_entries (id, run_id, kind, provider, model, tool, prompt_tokens, completion_tokens,
                            cached_prompt_tokens, dollars_micros, priced, response_id, step_index, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        entry.id, entry.runId, entry.kind, entry.provider, entry.model, entry.tool, entry.promptTokens, entry.completionTokens,
                        entry.cachedPromptTokens, entry.dollars.micros, entry.priced, entry.responseId, entry.step, Self.ms(entry.createdAt),
                    ])
            }
            for call in records.toolCalls {
                try db.execute(
                    sql: """
                        INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, decision, rule, reason, approval_id,
                            status, result, result_digest, result_bytes, is_error, duration_ms, created_at, completed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        call.id, call.runId, call.requestId, call.tool, call.sideEffect, Self.text(call.arguments), call.decision, call.rule,
                        call.reason, call.approvalId, call.status.rawValue, call.result.map(Self.text), call.resultDigest, call.resultBytes,
                        call.isError, call.durationMs, Self.ms(call.createdAt), call.completedAt.map(Self.ms),
                    ])
            }
            for approval in records.approvals {
                try db.execute(
                    sql: """
                        INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, rule, status, decided_by, reason,
                            created_at, decided_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        approval.id, approval.runId, approval.toolCallId, approval.tool, approval.sideEffect, Self.text(approval.arguments),
                        approval.rule, approval.status.rawValue, approval.decidedBy, approval.reason, Self.ms(approval.createdAt),
                        approval.decidedAt.map(Self.ms), approval.expiresAt.map(Self.ms),
                    ])
            }
            for checkpoint in records.checkpoints {
                try db.execute(
                    sql: "INSERT INTO checkpoints (id, run_id, name, payload, sequence, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [checkpoint.id, checkpoint.runId, checkpoint.name, Self.text(checkpoint.payload), checkpoint.sequence, Self.ms(checkpoint.createdAt)])
            }
            for attribution in records.attributions { try Self.insert(db, attribution) }
        }
    }

    static func insert(_ db: Database, _ run: RunRecord, head: ChainHead?) throws {
        let usage = run.usage
        let tree = run.treeUsage
        try db.execute(
            sql: """
                INSERT INTO runs (id, name, parent_run_id, policy_ref, budget_tokens, budget_dollars_micros, budget_loops, budget_seconds,
                    prompt_tokens, completion_tokens, cached_prompt_tokens, dollars_micros, loops, model_calls, tool_calls,
                    tree_prompt_tokens, tree_completion_tokens, tree_cached_prompt_tokens, tree_dollars_micros, tree_loops,
                    tree_model_calls, tree_tool_calls, status, halt_reason, metadata, created_at, updated_at, ended_at,
                    chain_length, chain_head)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                run.id, run.name, run.parentRunId, run.policyRef, run.budget.tokens, run.budget.dollars?.micros, run.budget.loops,
                run.budget.seconds, usage.promptTokens, usage.completionTokens, usage.cachedPromptTokens, usage.dollars.micros, usage.loops,
                usage.modelCalls, usage.toolCalls, tree.promptTokens, tree.completionTokens, tree.cachedPromptTokens, tree.dollars.micros,
                tree.loops, tree.modelCalls, tree.toolCalls, run.status.rawValue, run.haltReason,
                text(.object(run.metadata.mapValues(JSONValue.string))), ms(run.createdAt), ms(run.updatedAt), run.endedAt.map(ms),
                head?.length ?? 0, head?.hash ?? EventChain.genesisHash,
            ])
    }

    static func insert(_ db: Database, _ record: AttributionRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO attributions (id, run_id, author, author_type, file, lines_added, lines_removed, tokens, base_ref, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, record.runId, record.author, record.authorType.rawValue, record.file, record.linesAdded, record.linesRemoved,
                record.tokens, record.baseRef, ms(record.createdAt),
            ])
    }

    static func attributionRecord(_ row: Row) throws -> AttributionRecord { try AttributionRecord(row: NamedColumns(row)) }

    static func eventRecord(_ row: Row) throws -> EventRecord { try EventRecord(row: NamedColumns(row)) }
}
