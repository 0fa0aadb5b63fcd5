import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Answers a held call that asked for a task with a task the gateway owns, in
    /// `input_required` until a person decides; its `_meta` carries the pending approval (as a
    /// pending result's does) and the text a host may give the model at once.
    func answerWithOwnedTask(key: String, approval: ApprovalRecord) {
        guard let call = calls[key] else { return }
        let request = call.request
        let task = OwnedTask(
            taskId: OwnedTask.idPrefix + UUID().uuidString.lowercased(), callKey: key, tool: request.tool, approval: approval,
            requestedTTL: request.taskTTL, now: Date())
        ownedTasks[task.taskId] = task
        calls[key]?.ownedTaskId = task.taskId
        let pending = ApprovalTexts.pendingResult(tool: request.tool, approval: approval, modern: false)
        var meta = pending["_meta"]?.objectValue ?? [:]
        meta["io.modelcontextprotocol/model-immediate-response"] = pending["content"]?.arrayValue?.first?["text"] ?? .null
        logger.notice("tool \(request.tool) is held for approval \(approval.id) as task \(task.taskId)")
        sendToClient(JSONRPC.resultResponse(id: request.id, result: ["task": task.snapshot, "_meta": .object(meta)]))
    }

    /// The call of an owned task was forwarded: the task is `working`.
    func ownedTaskForwarded(_ taskId: String) {
        guard var task = ownedTasks[taskId], task.working(at: Date()) else { return }
        ownedTasks[taskId] = task
        sendTaskStatus(task)
    }

    /// The call of an owned task ended with `response` (a JSON-RPC response): the task ends and
    /// every `tasks/result` waiting on it is answered.
    func finishOwnedTask(_ taskId: String, response: [UInt8]) {
        guard var task = ownedTasks[taskId], let body = try? JSONParser.parse(response), task.finish(with: body, at: Date()) else { return }
        ownedTasks[taskId] = task
        sendTaskStatus(task)
        answerResultWaiters(of: task)
    }

    /// Answers the `tasks/result` requests waiting on an owned task that has ended.
    func answerResultWaiters(of task: OwnedTask) {
        for id in taskResultWaiters.removeValue(forKey: task.taskId) ?? [] {
            if let response = task.resultResponse(id: id) { sendToClient(JSONRPC.encode(response)) }
        }
    }

    /// `notifications/tasks/status` for an owned task that changed.
    func sendTaskStatus(_ task: OwnedTask) {
        sendToClient(JSONRPC.notification(method: "notifications/tasks/status", params: task.snapshot))
    }

    /// The upstream answered the forwarded call of an owned task with a task of its own (a tool
    /// that requires tasks): the gateway asks for that task's result and goes on with it as the
    /// call's answer.
    func followUpstreamTask(_ upstreamTaskId: String, for pending: PendingUpstream, body: JSONValue) {
        spawn { session in
            let final: JSONValue
            do {
                final = try await session.internalRequest(method: "tasks/result", params: ["taskId": .string(upstreamTaskId)])
            } catch {
                final = Self.errorBody(id: body["id"] ?? .null, code: JSONRPCErrorCode.upstreamUnavailable, message: "\(error)")
            }
            session.answered(pending, body: final, raw: JSONRPC.encode(final))
        }
    }

    /// `tasks/get`, `tasks/result` or `tasks/cancel` of a task the gateway owns; `false` when the
    /// gateway does not own `taskId`.
    func answerOwnedTaskRequest(id: JSONValue, method: String, taskId: String) -> Bool {
        let now = Date()
        for (ownedId, task) in ownedTasks where task.isTerminal && task.isExpired(at: now) { ownedTasks.removeValue(forKey: ownedId) }
        guard var task = ownedTasks[taskId] else { return false }
        switch method {
        case "tasks/get":
            sendToClient(JSONRPC.resultResponse(id: id, result: task.snapshot))
        case "tasks/result":
            if let response = task.resultResponse(id: id) {
                sendToClient(JSONRPC.encode(response))
            } else {
                // MCP: tasks/result blocks until the task ends.
                taskResultWaiters[taskId, default: []].append(id)
            }
        case "tasks/cancel":
            guard task.cancel(at: now) else {
                sendToClient(JSONRPC.errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: task \(taskId) has already ended (\(task.status))"))
                return true
            }
            ownedTasks[taskId] = task
            // The held call stops waiting (its approval stays pending) or, forwarded, is cancelled upstream.
            if calls[task.callKey] != nil {
                let upstreamId = upstreamIds[task.callKey]
                step(task.callKey) { $0.cancelled() }
                if let upstreamId, pendingUpstream[upstreamId] == nil {
                    sendUpstream(JSONRPC.notification(
                        method: "notifications/cancelled", params: ["requestId": .integer(upstreamId), "reason": "the client cancelled the task"]))
                }
            }
            sendToClient(JSONRPC.resultResponse(id: id, result: task.snapshot))
            sendTaskStatus(task)
            answerResultWaiters(of: task)
        default:
            sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.methodNotFound, message: "Method not found: \(method)"))
        }
        return true
    }

    /// The owned tasks as `tasks/list` shows them, newest first.
    var ownedTaskSnapshots: [JSONValue] {
        ownedTasks.values.sorted { $0.createdAt > $1.createdAt }.map(\.snapshot)
    }
}
