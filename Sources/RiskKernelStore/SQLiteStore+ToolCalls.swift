import Foundation
import GRDB
import RiskKernelCore

extension SQLiteStore {
    public func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?) {
        let now = Timestamps.now()
        return try await pool.write { db in
            let (rule, reason, status): (String?, String?, ToolCallStatus)
            switch call.decision {
            case .allow: (rule, reason, status) = (nil, nil, .forwarded)
            case .deny(let denyRule, let denyReason): (rule, reason, status) = (denyRule, denyReason, .refused)
            case .needsApproval(let approvalRule): (rule, reason, status) = (approvalRule, nil, .awaitingApproval)
            }
            let approvalId: String? = if case .needsApproval = call.decision { Identifiers.make("apr") } else { nil }
            let arguments = Self.text(call.arguments)
            let forwarded = call.forwardedArguments.map(Self.text)
            try db.cachedStatement(sql: """
                    INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, forwarded_arguments, decision, rule, reason,
                        approval_id, status, is_error, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                    call.id, call.runId, call.requestId, call.tool, call.sideEffect, arguments, forwarded, call.decision.kind, rule, reason,
                    approvalId, status.rawValue, status == .refused, Self.ms(now),
                ])
            try Self.addUsage(db, Usage(toolCalls: 1), runId: call.runId, at: now)
            var data: [String: JSONValue] = [
                "callId": .string(call.id), "requestId": .string(call.requestId), "tool": .string(call.tool),
                "sideEffect": .string(call.sideEffect), "argumentsDigest": .string(EventChain.hexDigest(arguments.utf8)),
                "decision": .string(call.decision.kind),
            ]
            if let forwarded { data["forwardedArgumentsDigest"] = .string(EventChain.hexDigest(forwarded.utf8)) }
            if let rule { data["rule"] = .string(rule) }
            if let reason { data["reason"] = .string(reason) }
            try Self.appendEvent(db, runId: call.runId, kind: "tool.decided", data: .object(data), at: now)
            var approval: ApprovalRecord?
            if let approvalId, let rule {
                try db.cachedStatement(sql: """
                        INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, rule, status, created_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                        """).execute(arguments: [approvalId, call.runId, call.id, call.tool, call.sideEffect, arguments, rule, Self.ms(now), approvalExpiresAt.map(Self.ms)])
                try Self.appendEvent(
                    db, runId: call.runId, kind: "approval.requested",
                    data: ["approvalId": .string(approvalId), "callId": .string(call.id), "rule": .string(rule)], at: now)
                approval = try Self.fetchApproval(db, id: approvalId)
            }
            return (try Self.fetchToolCall(db, id: call.id)!, approval)
        }
    }

    public func markToolCallForwarded(id: String) async throws {
        try await pool.write { db in
            try db.cachedStatement(sql: "UPDATE tool_calls SET status = 'forwarded' WHERE id = ?").execute(arguments: [id])
        }
    }

    public func completeToolCall(id: String, outcome: ToolCallOutcome) async throws -> ToolCallRecord {
        let now = Timestamps.now()
        return try await pool.write { db in
            guard let call = try Self.fetchToolCall(db, id: id) else { throw StoreError.notFound("tool call \(id)") }
            try db.cachedStatement(sql: """
                    UPDATE tool_calls SET status = ?, result = ?, result_digest = ?, result_bytes = ?, is_error = ?,
                        reason = COALESCE(?, reason), duration_ms = ?, completed_at = ? WHERE id = ?
                    """).execute(arguments: [
                    outcome.status.rawValue, outcome.result.map(Self.text), outcome.resultDigest, outcome.resultBytes, outcome.isError,
                    outcome.reason, outcome.durationMs, Self.ms(now), id,
                ])
            var data: [String: JSONValue] = [
                "callId": .string(id), "status": .string(outcome.status.rawValue), "isError": .bool(outcome.isError),
                "durationMs": .integer(Int64(outcome.durationMs.rounded())),
            ]
            if let digest = outcome.resultDigest { data["resultDigest"] = .string(digest) }
            if let reason = outcome.reason { data["reason"] = .string(reason) }
            try Self.appendEvent(db, runId: call.runId, kind: "tool.completed", data: .object(data), at: now)
            return try Self.fetchToolCall(db, id: id)!
        }
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
