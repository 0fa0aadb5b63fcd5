import Foundation
import RiskKernelCore
import RiskKernelStore

/// A task the gateway owns (MCP 2025-11-25 tasks): the answer to a held `tools/call` that asked
/// for a task (`params.task`). It waits in `input_required` for a person's decision, is `working`
/// once the call is forwarded, and ends `completed`, `failed` (a refusal, an error, a result with
/// `isError`) or `cancelled` (`tasks/cancel`). Pure: the session does the I/O.
struct OwnedTask: Sendable, Equatable {
    /// The prefix of the gateway's task ids, which keeps them apart from the upstream's.
    static let idPrefix = "riskkernel-task-"
    /// The poll interval suggested to the client, in milliseconds.
    static let pollInterval: Int64 = 1000
    /// `_meta` key that ties a message to its task (MCP 2025-11-25).
    static let relatedTaskKey = "io.modelcontextprotocol/related-task"

    let taskId: String
    /// The request id key of the call the task answers.
    let callKey: String
    let tool: String
    private(set) var status: String
    private(set) var statusMessage: String?
    let createdAt: Date
    private(set) var lastUpdatedAt: Date
    /// Milliseconds from creation the task is kept.
    let ttl: Int64
    /// The call's final answer (`{"result": …}` or `{"error": …}`), once the task has ended.
    private(set) var outcome: JSONValue?

    /// A task for a call held for `approval`; it is kept for the longer of the client's `ttl`
    /// and the approval's remaining life.
    init(taskId: String, callKey: String, tool: String, approval: ApprovalRecord, requestedTTL: Int64?, now: Date) {
        self.taskId = taskId
        self.callKey = callKey
        self.tool = tool
        status = "input_required"
        statusMessage = ApprovalTexts.awaiting(tool: tool, approvalId: approval.id)
        createdAt = now
        lastUpdatedAt = now
        let approvalLife = approval.expiresAt.map { Int64(max(0, $0.timeIntervalSince(now)) * 1000) } ?? 3_600_000
        ttl = max(requestedTTL ?? 0, approvalLife)
    }

    static let terminalStatuses: Set<String> = ["completed", "failed", "cancelled"]

    var isTerminal: Bool { Self.terminalStatuses.contains(status) }

    /// Whether the task's time to live has passed.
    func isExpired(at now: Date) -> Bool { now.timeIntervalSince(createdAt) * 1000 > Double(ttl) }

    /// The call was forwarded on its approval.
    mutating func working(at now: Date) -> Bool {
        guard status == "input_required" else { return false }
        status = "working"
        statusMessage = "approved; tool \"\(tool)\" is running"
        lastUpdatedAt = now
        return true
    }

    /// The call ended with `response` (a JSON-RPC response body); `false` when the task had
    /// already ended (a cancelled task stays cancelled).
    mutating func finish(with response: JSONValue, at now: Date) -> Bool {
        guard !isTerminal else { return false }
        if let error = response["error"] {
            status = "failed"
            statusMessage = error["message"]?.stringValue
            outcome = ["error": error]
        } else {
            let result = response["result"] ?? .object([:])
            status = result["isError"]?.boolValue == true ? "failed" : "completed"
            statusMessage = status == "failed" ? Self.text(of: result) : nil
            outcome = ["result": result]
        }
        lastUpdatedAt = now
        return true
    }

    /// `tasks/cancel`; `false` when the task had already ended.
    mutating func cancel(at now: Date) -> Bool {
        guard !isTerminal else { return false }
        status = "cancelled"
        statusMessage = "cancelled by the client; the call did not run to its end"
        outcome = ["result": [
            "content": [["type": "text", "text": .string("RiskKernel: the task of tool \"\(tool)\" was cancelled by the client")]],
            "isError": true,
        ]]
        lastUpdatedAt = now
        return true
    }

    /// The task as `tasks/get`, `tasks/list` and `notifications/tasks/status` show it.
    var snapshot: JSONValue {
        var members: [String: JSONValue] = [
            "taskId": .string(taskId), "status": .string(status),
            "createdAt": .string(Timestamps.iso8601(createdAt)), "lastUpdatedAt": .string(Timestamps.iso8601(lastUpdatedAt)),
            "ttl": .integer(ttl), "pollInterval": .integer(Self.pollInterval),
        ]
        if let statusMessage { members["statusMessage"] = .string(statusMessage) }
        return .object(members)
    }

    /// The `tasks/result` answer for a request with `id` once the task has ended: the call's own
    /// result (or error), its `_meta` naming the task.
    func resultResponse(id: JSONValue) -> JSONValue? {
        guard let outcome else { return nil }
        if let error = outcome["error"] { return ["jsonrpc": "2.0", "id": id, "error": error] }
        guard case .object(var result)? = outcome["result"] else { return nil }
        var meta = result["_meta"]?.objectValue ?? [:]
        meta[Self.relatedTaskKey] = ["taskId": .string(taskId)]
        result["_meta"] = .object(meta)
        return ["jsonrpc": "2.0", "id": id, "result": .object(result)]
    }

    private static func text(of result: JSONValue) -> String? {
        result["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.first
    }
}
