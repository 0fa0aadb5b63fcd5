import Foundation
import RiskKernelCore

/// A row of a query, read by column name: what GRDB's rows (through ``NamedColumns``) and
/// postgres-nio's rows (``PGRow``) both give, so that each record is read from a row once, here.
/// Times are integer milliseconds since 1970 and JSON is stored as text, in both stores.
protocol RecordRow {
    func text(_ column: String) throws -> String
    func optionalText(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64
    func optionalInteger(_ column: String) throws -> Int64?
    func flag(_ column: String) throws -> Bool
    func optionalReal(_ column: String) throws -> Double?
}

extension RecordRow {
    func time(_ column: String) throws -> Date { Timestamps.date(milliseconds: try integer(column)) }
    func optionalTime(_ column: String) throws -> Date? { try optionalInteger(column).map(Timestamps.date(milliseconds:)) }
    /// The column's JSON text parsed; `nil` for NULL or text that is not JSON.
    func json(_ column: String) throws -> JSONValue? {
        guard let text = try optionalText(column) else { return nil }
        return try? JSONParser.parse(text)
    }
}

extension LedgerEntry {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), runId: try row.text("run_id"), kind: try row.text("kind"), provider: try row.optionalText("provider"),
            model: try row.optionalText("model"), tool: try row.optionalText("tool"), promptTokens: try row.integer("prompt_tokens"),
            completionTokens: try row.integer("completion_tokens"), cachedPromptTokens: try row.integer("cached_prompt_tokens"),
            dollars: Money(micros: try row.integer("dollars_micros")), priced: try row.flag("priced"), responseId: try row.optionalText("response_id"),
            step: try row.optionalInteger("step_index"), createdAt: try row.time("created_at"))
    }
}

extension StepRecord {
    init(row: some RecordRow) throws {
        self.init(
            runId: try row.text("run_id"), index: try row.integer("step_index"), ledgerEntryId: try row.optionalText("ledger_entry_id"),
            createdAt: try row.time("created_at"))
    }
}

extension ToolCallRecord {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), runId: try row.text("run_id"), requestId: try row.text("request_id"), tool: try row.text("tool"),
            sideEffect: try row.text("side_effect"), arguments: try row.json("arguments") ?? .null, decision: try row.text("decision"),
            rule: try row.optionalText("rule"), reason: try row.optionalText("reason"), approvalId: try row.optionalText("approval_id"),
            status: ToolCallStatus(rawValue: try row.text("status")) ?? .failed, result: try row.json("result"),
            resultDigest: try row.optionalText("result_digest"), resultBytes: try row.optionalInteger("result_bytes"), isError: try row.flag("is_error"),
            durationMs: try row.optionalReal("duration_ms"), createdAt: try row.time("created_at"), completedAt: try row.optionalTime("completed_at"))
        forwardedArguments = try row.json("forwarded_arguments")
    }
}

extension ApprovalRecord {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), runId: try row.text("run_id"), toolCallId: try row.text("tool_call_id"), tool: try row.text("tool"),
            sideEffect: try row.text("side_effect"), arguments: try row.json("arguments") ?? .null, rule: try row.text("rule"),
            status: ApprovalStatus(rawValue: try row.text("status")) ?? .expired, decidedBy: try row.optionalText("decided_by"),
            reason: try row.optionalText("reason"), createdAt: try row.time("created_at"), decidedAt: try row.optionalTime("decided_at"),
            expiresAt: try row.optionalTime("expires_at"), forwardedArguments: try row.json("forwarded_arguments"),
            matchKey: try row.optionalText("match_key"), consumedBy: try row.optionalText("consumed_by"), consumedAt: try row.optionalTime("consumed_at"),
            server: try row.optionalText("server"))
    }
}

extension GrantRecord {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), scope: GrantScope(rawValue: try row.text("scope")) ?? .run, server: try row.text("server"),
            tool: try row.text("tool"), rootRunId: try row.optionalText("root_run_id"), approvalId: try row.text("approval_id"),
            grantedBy: try row.optionalText("granted_by"), createdAt: try row.time("created_at"), expiresAt: try row.optionalTime("expires_at"),
            revokedAt: try row.optionalTime("revoked_at"))
    }
}

extension FactRecord {
    init(row: some RecordRow) throws {
        self.init(
            namespace: try row.text("namespace"), key: try row.text("key"), value: try row.json("value") ?? .null, runId: try row.optionalText("run_id"),
            createdAt: try row.time("created_at"), updatedAt: try row.time("updated_at"))
    }
}

extension CheckpointRecord {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), runId: try row.text("run_id"), name: try row.text("name"), payload: try row.json("payload") ?? .null,
            sequence: try row.integer("sequence"), createdAt: try row.time("created_at"))
    }
}

extension EventRecord {
    init(row: some RecordRow) throws {
        self.init(
            runId: try row.text("run_id"), sequence: try row.integer("sequence"), kind: try row.text("kind"), body: try row.json("body") ?? .null,
            previousHash: try row.text("previous_hash"), hash: try row.text("hash"), createdAt: try row.time("created_at"))
    }
}

extension AttributionRecord {
    init(row: some RecordRow) throws {
        self.init(
            id: try row.text("id"), runId: try row.text("run_id"), author: try row.text("author"),
            authorType: AuthorType(rawValue: try row.text("author_type")) ?? .agent, file: try row.text("file"),
            linesAdded: try row.integer("lines_added"), linesRemoved: try row.integer("lines_removed"), tokens: try row.integer("tokens"),
            baseRef: try row.text("base_ref"), createdAt: try row.time("created_at"))
    }
}
