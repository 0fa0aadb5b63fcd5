import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func recordAttributions(runId: String, baseRef: String, _ changes: [NewAttribution]) async throws -> [AttributionRecord] {
        let now = Timestamps.now()
        return try await write { connection in
            guard let run = try await Self.fetchRun(connection, id: runId, lock: true) else { throw StoreError.notFound("run \(runId)") }
            var records: [AttributionRecord] = []
            for change in changes {
                let record = AttributionRecord(
                    id: Identifiers.make("attr"), runId: runId, author: change.author, authorType: change.authorType, file: change.file,
                    linesAdded: change.linesAdded, linesRemoved: change.linesRemoved, tokens: run.treeUsage.totalTokens, baseRef: baseRef,
                    createdAt: now)
                try await Self.insert(connection, record)
                records.append(record)
            }
            let digest = EventChain.digest(of: .array(records.map(\.json)))
            try await Self.appendEvent(
                connection, runId: runId, kind: "attribution.captured",
                data: ["count": .integer(Int64(records.count)), "baseRef": .string(baseRef), "attributionsDigest": .string(digest)], at: now)
            return records
        }
    }

    public func attributions(runId: String) async throws -> [AttributionRecord] {
        try await read { connection in
            try await connection.rows("SELECT * FROM attributions WHERE run_id = \(runId) ORDER BY created_at, rowid").map(Self.attributionRecord)
        }
    }

    public func provenanceRecords(runIds: [String]) async throws -> ProvenanceRecords {
        try await read { connection in
            var records = ProvenanceRecords()
            for runId in runIds {
                guard let run = try await Self.fetchRun(connection, id: runId) else { throw StoreError.notFound("run \(runId)") }
                records.runs.append(run)
                records.steps += try await connection.rows("SELECT * FROM steps WHERE run_id = \(runId) ORDER BY step_index").map(Self.stepRecord)
                records.events += try await connection.rows("SELECT * FROM events WHERE run_id = \(runId) ORDER BY sequence").map(Self.eventRecord)
                if let head = try await connection.row("SELECT chain_length, chain_head FROM runs WHERE id = \(runId)") {
                    records.heads[runId] = ChainHead(length: try head["chain_length"], hash: try head["chain_head"])
                }
                records.toolCalls += try await connection.rows(Self.toolCallsOfRun(runId))
                    .map(Self.toolCallRecord)
                records.ledger += try await connection.rows("SELECT * FROM ledger_entries WHERE run_id = \(runId) ORDER BY created_at, rowid")
                    .map(Self.ledgerEntry)
                records.approvals += try await connection.rows("SELECT * FROM approvals WHERE run_id = \(runId) ORDER BY created_at, rowid")
                    .map(Self.approvalRecord)
                records.checkpoints += try await connection.rows("SELECT * FROM checkpoints WHERE run_id = \(runId) ORDER BY sequence")
                    .map(Self.checkpointRecord)
                records.attributions += try await connection.rows("SELECT * FROM attributions WHERE run_id = \(runId) ORDER BY created_at, rowid")
                    .map(Self.attributionRecord)
            }
            return records
        }
    }

    public func importProvenance(_ records: ProvenanceRecords) async throws {
        try await write { connection -> Void in
            for run in records.runs where try await Self.fetchRun(connection, id: run.id) != nil {
                throw StoreError.invalidArgument("run \(run.id) already exists in this database; nothing was imported")
            }
            // Parents first, so that the parent reference holds.
            let ids = Set(records.runs.map(\.id))
            var remaining = records.runs
            while !remaining.isEmpty {
                var ready: [RunRecord] = []
                for run in remaining {
                    if let parent = run.parentRunId, ids.contains(parent), try await Self.fetchRun(connection, id: parent) == nil { continue }
                    ready.append(run)
                }
                guard !ready.isEmpty else { throw StoreError.invalidArgument("the bundle's runs form a cycle") }
                for run in ready { try await Self.insert(connection, run, head: records.heads[run.id]) }
                remaining.removeAll { candidate in ready.contains { $0.id == candidate.id } }
            }
            for event in records.events {
                try await connection.rows("""
                    INSERT INTO events (run_id, sequence, kind, body, previous_hash, hash, created_at)
                    VALUES (\(event.runId), \(event.sequence), \(event.kind), \(CanonicalJSON.string(event.body, rule: EventChain.rule(of: event.body) ?? .riskkernelV1)), \(event.previousHash), \(event.hash),
                        \(Self.ms(event.createdAt)))
                    """)
            }
            for step in records.steps {
                try await connection.rows("""
                    INSERT INTO steps (run_id, step_index, ledger_entry_id, created_at)
                    VALUES (\(step.runId), \(step.index), \(step.ledgerEntryId), \(Self.ms(step.createdAt)))
                    """)
            }
            for entry in records.ledger {
                try await connection.rows("""
                    INSERT INTO ledger_entries (id, run_id, kind, provider, model, tool, prompt_tokens, completion_tokens,
                        cached_prompt_tokens, dollars_micros, priced, response_id, step_index, created_at)
                    VALUES (\(entry.id), \(entry.runId), \(entry.kind), \(entry.provider), \(entry.model), \(entry.tool), \(entry.promptTokens),
                        \(entry.completionTokens), \(entry.cachedPromptTokens), \(entry.dollars.micros), \(entry.priced), \(entry.responseId),
                        \(entry.step), \(Self.ms(entry.createdAt)))
                    """)
            }
            for call in records.toolCalls {
                let result: String? = call.result.map(Self.text)
                let completedAt: Int64? = call.completedAt.map(Self.ms)
                try await connection.rows("""
                    INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, decision, rule, reason, approval_id,
                        status, result, result_digest, result_bytes, is_error, duration_ms, created_at, completed_at)
                    VALUES (\(call.id), \(call.runId), \(call.requestId), \(call.tool), \(call.sideEffect), \(Self.text(call.arguments)),
                        \(call.decision), \(call.rule), \(call.reason), \(call.approvalId), \(call.status.rawValue), \(result),
                        \(call.resultDigest), \(call.resultBytes), \(call.isError), \(call.durationMs), \(Self.ms(call.createdAt)), \(completedAt))
                    """)
            }
            for approval in records.approvals {
                let decidedAt: Int64? = approval.decidedAt.map(Self.ms)
                let expiresAt: Int64? = approval.expiresAt.map(Self.ms)
                try await connection.rows("""
                    INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, rule, status, decided_by, reason,
                        created_at, decided_at, expires_at)
                    VALUES (\(approval.id), \(approval.runId), \(approval.toolCallId), \(approval.tool), \(approval.sideEffect),
                        \(Self.text(approval.arguments)), \(approval.rule), \(approval.status.rawValue), \(approval.decidedBy), \(approval.reason),
                        \(Self.ms(approval.createdAt)), \(decidedAt), \(expiresAt))
                    """)
            }
            for checkpoint in records.checkpoints {
                try await connection.rows("""
                    INSERT INTO checkpoints (id, run_id, name, payload, sequence, created_at)
                    VALUES (\(checkpoint.id), \(checkpoint.runId), \(checkpoint.name), \(Self.text(checkpoint.payload)), \(checkpoint.sequence),
                        \(Self.ms(checkpoint.createdAt)))
                    """)
            }
            for attribution in records.attributions { try await Self.insert(connection, attribution) }
        }
    }

    static func insert(_ connection: PostgresConnection, _ run: RunRecord, head: ChainHead?) async throws {
        let usage = run.usage
        let tree = run.treeUsage
        let metadata = text(.object(run.metadata.mapValues(JSONValue.string)))
        let endedAt: Int64? = run.endedAt.map(ms)
        let chainLength: Int64 = head?.length ?? 0
        let chainHead: String = head?.hash ?? EventChain.genesisHash
        try await connection.rows("""
            INSERT INTO runs (id, name, parent_run_id, policy_ref, budget_tokens, budget_dollars_micros, budget_loops, budget_seconds,
                prompt_tokens, completion_tokens, cached_prompt_tokens, dollars_micros, loops, model_calls, tool_calls,
                tree_prompt_tokens, tree_completion_tokens, tree_cached_prompt_tokens, tree_dollars_micros, tree_loops,
                tree_model_calls, tree_tool_calls, status, halt_reason, metadata, created_at, updated_at, ended_at,
                chain_length, chain_head)
            VALUES (\(run.id), \(run.name), \(run.parentRunId), \(run.policyRef), \(run.budget.tokens), \(run.budget.dollars?.micros),
                \(run.budget.loops), \(run.budget.seconds), \(usage.promptTokens), \(usage.completionTokens), \(usage.cachedPromptTokens),
                \(usage.dollars.micros), \(usage.loops), \(usage.modelCalls), \(usage.toolCalls), \(tree.promptTokens), \(tree.completionTokens),
                \(tree.cachedPromptTokens), \(tree.dollars.micros), \(tree.loops), \(tree.modelCalls), \(tree.toolCalls), \(run.status.rawValue),
                \(run.haltReason), \(metadata), \(ms(run.createdAt)), \(ms(run.updatedAt)), \(endedAt), \(chainLength), \(chainHead))
            """)
    }

    static func insert(_ connection: PostgresConnection, _ record: AttributionRecord) async throws {
        try await connection.rows("""
            INSERT INTO attributions (id, run_id, author, author_type, file, lines_added, lines_removed, tokens, base_ref, created_at)
            VALUES (\(record.id), \(record.runId), \(record.author), \(record.authorType.rawValue), \(record.file), \(record.linesAdded),
                \(record.linesRemoved), \(record.tokens), \(record.baseRef), \(ms(record.createdAt)))
            """)
    }

    static func attributionRecord(_ row: PGRow) throws -> AttributionRecord { try AttributionRecord(row: row) }
}
