import Foundation
import RiskKernelCore
import RiskKernelStore

/// A task that a governed `tools/call` of this run created (MCP 2025-11-25 tasks): its result
/// reaches the client through `tasks/result`, governed like the call's own response.
struct GovernedTask {
    var callId: String
    var tool: String
    var started: ContinuousClock.Instant
    /// The span of the call, kept open until the task's result is fetched.
    var trace: (any ToolCallTrace)?
    /// Whether the call's outcome is recorded (a task ends once).
    var ended = false
}

extension GatewaySession {
    /// The task statuses after which a task never changes.
    static let terminalTaskStatuses: Set<String> = ["completed", "failed", "cancelled"]

    /// `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/list` from the client: served only
    /// for tasks that governed calls of this run created; refused outright under `spec.tasks: off`.
    func routeTaskRequest(id: JSONValue, method: String, params: JSONValue?, raw: [UInt8]) {
        guard configuration.policy.tasks == .govern else {
            sendToClient(JSONRPC.errorResponse(
                id: id, code: JSONRPCErrorCode.methodNotFound, message: "Method not found: \(method) (tasks are turned off by the policy: spec.tasks: off)"))
            return
        }
        if method == "tasks/list" {
            sendRequestUpstream(raw, clientId: id, kind: .taskList)
            return
        }
        guard let taskId = params?["taskId"]?.stringValue else {
            sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: \(method) needs params.taskId, a string"))
            return
        }
        if answerOwnedTaskRequest(id: id, method: method, taskId: taskId) { return }
        guard governedTasks[taskId] != nil else {
            logger.warning("refused \(method) for task \(taskId), which no governed call of this run created")
            sendToClient(JSONRPC.errorResponse(
                id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: unknown task \(taskId) (no governed call of this run created it)"))
            return
        }
        sendRequestUpstream(raw, clientId: id, kind: .task(method: method, taskId: taskId))
    }

    /// The upstream answered a task request the client sent for a governed task.
    func answeredTask(method: String, taskId: String, key: String, body: JSONValue, raw: [UInt8]) {
        guard var task = governedTasks[taskId] else { return sendToClient(raw) }
        switch method {
        case "tasks/result":
            guard !task.ended else { return sendToClient(withoutSecrets(body: body, raw: raw, tool: task.tool).1) }
            // The call's span goes on under this request and ends with its result.
            if let trace = task.trace { toolCallTraces[key] = trace }
            task.ended = true
            task.trace = nil
            governedTasks[taskId] = task
            complete(callId: task.callId, tool: task.tool, key: key, started: task.started, body: body, raw: raw)
        default:
            // tasks/get and tasks/cancel answer with the task; a failed or cancelled one ends the
            // call, and so does a completed one whose result comes inline.
            if !task.ended, body["result"]?["status"]?.stringValue == "completed", body["result"]?["result"] != nil {
                task.ended = true
                task.trace?.ended(error: nil)
                task.trace = nil
                governedTasks[taskId] = task
                let outcome = Self.outcome(
                    of: body, mayHoldSecrets: secretScanner.mayFind(inJSON: raw), resultPath: ["result", "result"], scanner: secretScanner,
                    maxStoredResultBytes: configuration.maxStoredResultBytes, elapsed: ContinuousClock.now - task.started)
                recordOutcome(callId: task.callId, tool: task.tool, outcome: outcome)
            }
            endTaskIfTerminal(taskId, status: body["result"]?["status"]?.stringValue, message: body["result"]?["statusMessage"]?.stringValue)
            sendToClient(withoutSecrets(body: body, raw: raw, tool: task.tool).1)
        }
    }

    /// `notifications/tasks/status` from the upstream: relayed only for governed tasks (secrets
    /// redacted); a failed or cancelled task ends its call.
    func relayTaskStatus(params: JSONValue?, message: JSONValue, raw: [UInt8]) {
        guard configuration.policy.tasks == .govern, let taskId = params?["taskId"]?.stringValue, let task = governedTasks[taskId] else {
            logger.warning("dropped a task status notification for a task no governed call of this run created")
            return
        }
        endTaskIfTerminal(taskId, status: params?["status"]?.stringValue, message: params?["statusMessage"]?.stringValue)
        guard configuration.policy.secrets.results != .off, case .object(var members) = message, let payload = members["params"],
              !secretScanner.kinds(in: payload).isEmpty
        else { return sendToClient(raw) }
        logger.warning("a status notification of task \(taskId) (tool \(task.tool)) contained a secret: redacted")
        members["params"] = secretScanner.redacting(payload)
        sendToClient(JSONRPC.encode(.object(members)))
    }

    /// Records the call of a task that failed or was cancelled (a completed one is recorded when
    /// its result is fetched, with the result's digest).
    func endTaskIfTerminal(_ taskId: String, status: String?, message: String?) {
        guard var task = governedTasks[taskId], !task.ended, let status, status == "failed" || status == "cancelled" else { return }
        task.ended = true
        task.trace?.ended(error: message ?? "task \(status)")
        task.trace = nil
        governedTasks[taskId] = task
        recordOutcome(
            callId: task.callId, tool: task.tool,
            outcome: ToolCallOutcome(
                status: status == "failed" ? .failed : .cancelled, isError: true, reason: message ?? "task \(taskId) \(status)",
                durationMs: (ContinuousClock.now - task.started).milliseconds))
    }

    /// A `tasks/list` answer with only the governed tasks, the gateway's own first (also when the
    /// upstream has no tasks to list); `nil` to forward it unchanged.
    func governedTaskList(_ body: JSONValue) -> [UInt8]? {
        guard case .object(var members) = body else { return nil }
        guard case .object(var result)? = members["result"], let tasks = result["tasks"]?.arrayValue else {
            guard !ownedTasks.isEmpty else { return nil }
            members.removeValue(forKey: "error")
            members["result"] = ["tasks": .array(ownedTaskSnapshots)]
            return JSONRPC.encode(.object(members))
        }
        let governed = tasks.filter { $0["taskId"]?.stringValue.map { governedTasks[$0] != nil } ?? false }
        guard governed.count != tasks.count || !ownedTasks.isEmpty else { return nil }
        result["tasks"] = .array(ownedTaskSnapshots + governed)
        members["result"] = .object(result)
        return JSONRPC.encode(.object(members))
    }

    /// The task id of a `CreateTaskResult` (`{"result": {"task": {"taskId": …}}}`, no content).
    static func createdTaskId(_ body: JSONValue) -> String? {
        guard let result = body["result"], result["content"] == nil else { return nil }
        return result["task"]?["taskId"]?.stringValue
    }

    /// An `initialize` answer without `capabilities.tasks`; `nil` when it has none.
    static func withoutTaskCapability(_ body: JSONValue) -> [UInt8]? {
        guard case .object(var members) = body, case .object(var result)? = members["result"],
              case .object(var capabilities)? = result["capabilities"], capabilities.removeValue(forKey: "tasks") != nil
        else { return nil }
        result["capabilities"] = .object(capabilities)
        members["result"] = .object(result)
        return JSONRPC.encode(.object(members))
    }

    /// A tool definition without `execution.taskSupport` (under `spec.tasks: off`).
    static func withoutTaskSupport(_ tool: JSONValue) -> JSONValue {
        guard case .object(var members) = tool, case .object(var execution)? = members["execution"],
              execution.removeValue(forKey: "taskSupport") != nil
        else { return tool }
        if execution.isEmpty {
            members.removeValue(forKey: "execution")
        } else {
            members["execution"] = .object(execution)
        }
        return .object(members)
    }

    /// A `tools/call` request without `params.task` (under `spec.tasks: off`), or `nil` when it has none.
    static func withoutTaskParameter(_ raw: [UInt8]) -> [UInt8]? {
        guard case .object(var message)? = try? JSONParser.parse(raw), case .object(var params)? = message["params"],
              params.removeValue(forKey: "task") != nil
        else { return nil }
        message["params"] = .object(params)
        return JSONRPC.encode(.object(message))
    }
}
