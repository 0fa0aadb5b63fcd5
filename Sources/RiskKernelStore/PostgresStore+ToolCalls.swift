import Foundation
import PostgresNIO
import RiskKernelCore

extension PostgresStore {
    public func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?) {
        let now = Timestamps.now()
        let (rule, reason, status): (String?, String?, ToolCallStatus)
        switch call.decision {
        case .allow: (rule, reason, status) = (nil, nil, .forwarded)
        case .deny(let denyRule, let denyReason): (rule, reason, status) = (denyRule, denyReason, .refused)
        case .needsApproval(let approvalRule): (rule, reason, status) = (approvalRule, nil, .awaitingApproval)
        }
        let approvalId: String? = if case .needsApproval = call.decision { Identifiers.make("apr") } else { nil }
        let arguments = Self.text(call.arguments)
        let forwarded = call.forwardedArguments.map(Self.text)
        let result = try await write { connection -> (ToolCallRecord, ApprovalRecord?) in
            let ancestry = try await Self.lockAncestry(connection, runId: call.runId)
            guard !ancestry.isEmpty else { throw StoreError.notFound("run \(call.runId)") }
            try await connection.rows("""
                INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, forwarded_arguments, decision, rule, reason,
                    approval_id, status, is_error, created_at)
                VALUES (\(call.id), \(call.runId), \(call.requestId), \(call.tool), \(call.sideEffect), \(arguments), \(forwarded),
                    \(call.decision.kind),
                    \(rule), \(reason), \(approvalId), \(status.rawValue), \(status == .refused), \(Self.ms(now)))
                """)
            try await Self.addUsage(connection, Usage(toolCalls: 1), runId: call.runId, ancestry: ancestry, at: now)
            var data: [String: JSONValue] = [
                "callId": .string(call.id), "requestId": .string(call.requestId), "tool": .string(call.tool),
                "sideEffect": .string(call.sideEffect), "argumentsDigest": .string(EventChain.hexDigest(arguments.utf8)),
                "decision": .string(call.decision.kind),
            ]
            if let forwarded { data["forwardedArgumentsDigest"] = .string(EventChain.hexDigest(forwarded.utf8)) }
            if let rule { data["rule"] = .string(rule) }
            if let reason { data["reason"] = .string(reason) }
            try await Self.appendEvent(connection, runId: call.runId, kind: "tool.decided", data: .object(data), at: now)
            var approval: ApprovalRecord?
            if let approvalId, let rule {
                let expires: Int64? = approvalExpiresAt.map(Self.ms)
                try await connection.rows("""
                    INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, rule, status, created_at, expires_at)
                    VALUES (\(approvalId), \(call.runId), \(call.id), \(call.tool), \(call.sideEffect), \(arguments), \(rule), 'pending',
                        \(Self.ms(now)), \(expires))
                    """)
                try await Self.appendEvent(
                    connection, runId: call.runId, kind: "approval.requested",
                    data: ["approvalId": .string(approvalId), "callId": .string(call.id), "rule": .string(rule)], at: now)
                // Watchers (`approvals watch`) on any host may follow new requests.
                try await connection.rows("SELECT pg_notify(\(Self.requestsChannel), \(approvalId))")
                approval = try await Self.fetchApproval(connection, id: approvalId)
            }
            return (try await Self.fetchToolCall(connection, id: call.id)!, approval)
        }
        return result
    }

    public func markToolCallForwarded(id: String) async throws {
        try await write { connection -> Void in
            _ = try await connection.rows("UPDATE tool_calls SET status = 'forwarded' WHERE id = \(id)")
        }
    }

    public func completeToolCall(id: String, outcome: ToolCallOutcome) async throws -> ToolCallRecord {
        let now = Timestamps.now()
        return try await write { connection in
            guard let call = try await Self.fetchToolCall(connection, id: id) else { throw StoreError.notFound("tool call \(id)") }
            let result: String? = outcome.result.map(Self.text)
            try await connection.rows("""
                UPDATE tool_calls SET status = \(outcome.status.rawValue), result = \(result), result_digest = \(outcome.resultDigest),
                    result_bytes = \(outcome.resultBytes), is_error = \(outcome.isError), reason = COALESCE(\(outcome.reason), reason),
                    duration_ms = \(outcome.durationMs), completed_at = \(Self.ms(now)) WHERE id = \(id)
                """)
            var data: [String: JSONValue] = [
                "callId": .string(id), "status": .string(outcome.status.rawValue), "isError": .bool(outcome.isError),
                "durationMs": .integer(Int64(outcome.durationMs.rounded())),
            ]
            if let digest = outcome.resultDigest { data["resultDigest"] = .string(digest) }
            if let reason = outcome.reason { data["reason"] = .string(reason) }
            try await Self.appendEvent(connection, runId: call.runId, kind: "tool.completed", data: .object(data), at: now)
            return try await Self.fetchToolCall(connection, id: id)!
        }
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

    static func toolCallRecord(_ row: PGRow) throws -> ToolCallRecord {
        let status: String = try row["status"]
        var record = ToolCallRecord(
            id: try row["id"], runId: try row["run_id"], requestId: try row["request_id"], tool: try row["tool"],
            sideEffect: try row["side_effect"], arguments: json(try row["arguments"] as String) ?? .null, decision: try row["decision"],
            rule: try row["rule"], reason: try row["reason"], approvalId: try row["approval_id"],
            status: ToolCallStatus(rawValue: status) ?? .failed, result: json(try row["result"] as String?),
            resultDigest: try row["result_digest"], resultBytes: try row["result_bytes"], isError: try row["is_error"],
            durationMs: try row["duration_ms"], createdAt: date(try row["created_at"] as Int64),
            completedAt: date(try row["completed_at"] as Int64?))
        record.forwardedArguments = json(try row["forwarded_arguments"] as String?)
        return record
    }
}
