import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

/// A `tools/call` being governed: what the gateway needs to decide it and to answer it.
struct ToolCallRequest: Sendable {
    var id: JSONValue
    /// The request id as a key (``JSONRPC/idKey(_:)``).
    var key: String
    var tool: String
    var arguments: JSONValue
    /// Whether the request stamps `_meta` with its protocol version (2026-07-28 on).
    var modern: Bool
    /// `params._meta.progressToken`: a held call sends progress with it while it waits.
    var progressToken: JSONValue?
    /// `params.task.ttl` in milliseconds, when the client asked for a task.
    var taskTTL: Int64?
    /// The request as received.
    var raw: [UInt8]
}

/// A governed call in progress: its state machine, and what the session's I/O for it needs.
struct CallInProgress {
    var machine: GovernedCallMachine
    var request: ToolCallRequest
    /// The task waiting for the tool catalogue or for a person; cancelled with the call.
    var waiter: Task<Void, Never>?
    /// The approval the call waits on or runs on.
    var approval: ApprovalRecord?
    /// The request as it is forwarded (arguments as the policy rewrote them).
    var forwarded: [UInt8]
    /// The ledger's call record it is forwarded under.
    var callId: String?
    /// The task the gateway answered the call with, when it is held as one.
    var ownedTaskId: String?
    /// Set once the client cancels the call while its decision waits for its group commit.
    let decisionCancellation = DecisionCancellation()
}

extension GatewaySession {
    /// Validates a `tools/call` and starts governing it.
    func startToolCall(id: JSONValue, params: JSONValue?, raw: [UInt8]) {
        guard case .object(let members)? = params, case .string(let tool)? = members["name"], !tool.isEmpty else {
            sendToClient(JSONRPC.errorResponse(
                id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: tools/call needs params.name, a non-empty string"))
            return
        }
        let arguments = members["arguments"] ?? .object([:])
        let modern = members["_meta"]?[Self.protocolVersionMetaKey] != nil
        guard case .object = arguments else {
            sendToClient(JSONRPC.errorResponse(
                id: id, code: JSONRPCErrorCode.invalidParams, message: "Invalid params: tools/call params.arguments must be an object"))
            return
        }
        guard !shuttingDown else {
            sendToClient(JSONRPC.errorResponse(id: id, code: JSONRPCErrorCode.upstreamUnavailable, message: "the gateway is shutting down"))
            return
        }
        let key = JSONRPC.idKey(id)
        guard calls[key] == nil else {
            // JSON-RPC ids name one request at a time; a second would make the answers ambiguous.
            sendToClient(JSONRPC.errorResponse(
                id: id, code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: a request with id \(key) is still in progress"))
            return
        }
        // Under `spec.tasks: off` the upstream is asked plainly, so its answer is the result itself.
        let tasksOn = configuration.policy.tasks == .govern
        let raw = !tasksOn && members["task"] != nil ? Self.withoutTaskParameter(raw) ?? raw : raw
        let wantsTask = tasksOn && members["task"]?.objectValue != nil
        let call = ToolCallRequest(
            id: id, key: key, tool: tool, arguments: arguments, modern: modern, progressToken: members["_meta"]?["progressToken"],
            taskTTL: members["task"]?["ttl"]?.int64Value, raw: raw)
        calls[key] = CallInProgress(machine: GovernedCallMachine(wantsTask: wantsTask), request: call, forwarded: raw)
        traceToolCallStarted(key: key, tool: tool, params: members, arguments: arguments)
        // Clients of the stateless protocol revisions never send notifications/initialized:
        // the catalogue is then loaded on the first call.
        if catalogueLoad == nil { refreshCatalogue() }
        if catalogueReady {
            step(key) { $0.catalogueReady() }
            return
        }
        calls[key]?.waiter = Task {
            await catalogueLoad?.value
            guard !Task.isCancelled else { return }
            step(key) { $0.catalogueReady() }
        }
    }

    /// Feeds the call's state machine one event and performs the action it returns; a call that
    /// has ended is then forgotten.
    func step(_ key: String, _ event: (inout GovernedCallMachine) -> GovernedCallMachine.Action) {
        perform(transition(key, event), key: key)
        endIfFinished(key)
    }

    /// Feeds the call's state machine one event and returns its action (`.none` for a call the
    /// session no longer knows).
    func transition(_ key: String, _ event: (inout GovernedCallMachine) -> GovernedCallMachine.Action) -> GovernedCallMachine.Action {
        guard var call = calls[key] else { return .none }
        let action = event(&call.machine)
        if call.machine.state == .deciding(cancelRequested: true) { call.decisionCancellation.cancel() }
        calls[key] = call
        return action
    }

    /// Forgets a call that has ended; its span ends unless it completed (that span ends with the
    /// recorded outcome).
    func endIfFinished(_ key: String) {
        guard let call = calls[key], call.machine.isFinished else { return }
        calls.removeValue(forKey: key)
        if call.machine.state != .completed { traceToolCallEnded(key: key) }
        resumeIdleWaitersIfIdle()
    }

    func perform(_ action: GovernedCallMachine.Action, key: String) {
        guard let call = calls[key] else { return }
        let request = call.request
        switch action {
        case .submitDecision:
            submitDecision(request)
        case .forward:
            forward(call)
        case .refuse(let reason, let recordRefused):
            // A refusal by the decision itself was logged with its rule when it was decided.
            if call.approval != nil { logger.notice("refused tool \(request.tool): \(reason)") }
            if recordRefused, let approval = call.approval {
                recordOutcome(
                    callId: approval.toolCallId, tool: request.tool, outcome: ToolCallOutcome(status: .refused, isError: true, reason: reason, durationMs: 0))
            }
            answer(call, Self.refusal(id: request.id, tool: request.tool, modern: request.modern, reason: reason))
        case .fail(let message):
            logger.error("refused tool \(request.tool): \(message)")
            answer(call, JSONRPC.errorResponse(id: request.id, code: JSONRPCErrorCode.internalError, message: message))
        case .hold(let announce, let asTask):
            guard let approval = call.approval else { return }
            if asTask {
                answerWithOwnedTask(key: key, approval: approval)
                // The client asked the gateway for a task; the upstream is asked for one only
                // where its tool offers tasks (else its answer is the result itself).
                let support = toolCatalogue[request.tool]?["execution"]?["taskSupport"]?.stringValue
                if support != "optional", support != "required" {
                    calls[key]?.forwarded = Self.withoutTaskParameter(call.forwarded) ?? call.forwarded
                }
            }
            if announce { announceApproval(approval, tool: request.tool) }
            askClientToDecide(approval, tool: request.tool, taskId: calls[key]?.ownedTaskId)
            traceApprovalStarted(key: key, rule: approval.rule)
            waitForPerson(key: key, approval: approval)
        case .waitAgain:
            guard let approval = call.approval else { return }
            waitForPerson(key: key, approval: approval)
        case .consume:
            consumeApproval(key: key)
        case .answerPending:
            guard let approval = call.approval else { return }
            logger.notice("tool \(request.tool) is still awaiting approval \(approval.id); answered with a pending result")
            answer(call, JSONRPC.resultResponse(id: request.id, result: ApprovalTexts.pendingResult(tool: request.tool, approval: approval, modern: request.modern)))
        case .stopWaiting(let answerShutdown):
            call.waiter?.cancel()
            if let approval = call.approval {
                logger.notice("the wait of tool \(request.tool) for approval \(approval.id) ended (\(answerShutdown ? "shutdown" : "cancelled by the client")); the approval stays pending")
            }
            guard answerShutdown else { return }
            if let approval = call.approval {
                answer(call, JSONRPC.resultResponse(id: request.id, result: ApprovalTexts.pendingResult(tool: request.tool, approval: approval, modern: request.modern)))
            } else {
                answer(call, Self.refusal(id: request.id, tool: request.tool, modern: request.modern, reason: "the gateway is shutting down"))
            }
        case .recordCancelled(let callId):
            recordOutcome(
                callId: callId, tool: request.tool,
                outcome: ToolCallOutcome(status: .cancelled, isError: true, reason: "cancelled by the client before it was forwarded", durationMs: 0))
        case .cancelForwarded(let callId):
            guard let upstreamId = upstreamIds.removeValue(forKey: key),
                  case .toolCall(_, _, let started)? = pendingUpstream.removeValue(forKey: upstreamId)?.kind
            else { return }
            recordOutcome(
                callId: callId, tool: request.tool,
                outcome: ToolCallOutcome(
                    status: .cancelled, isError: true, reason: "cancelled by the client after it was forwarded",
                    durationMs: (ContinuousClock.now - started).milliseconds))
        case .deliver, .none:
            break
        }
    }

    /// Sends a call's answer: to the client, or to the task the gateway answered it with.
    func answer(_ call: CallInProgress, _ response: [UInt8]) {
        if let taskId = call.ownedTaskId {
            finishOwnedTask(taskId, response: response)
        } else {
            sendToClient(response)
        }
    }

    /// Adds the call's decision to the next group commit; the call's machine goes on once it is recorded.
    func submitDecision(_ call: ToolCallRequest) {
        let annotations = toolCatalogue[call.tool].map(ToolAnnotations.init(tool:))
        let sideEffect = SideEffectClassifier.classify(tool: call.tool, annotations: annotations, policy: configuration.policy)
        let pinStatus = pinStatus(of: call.tool)
        if let pinStatus, pinStatus != .pinned, configuration.policy.toolPinning == .warn {
            logger.warning("tool \(call.tool) is \(pinStatus.rawValue) (not pinned); forwarding under toolPinning: warn")
        }
        let rule = GovernanceRule(
            runId: runId, requestKey: call.key, tool: call.tool, arguments: call.arguments, sideEffect: sideEffect, policy: configuration.policy,
            pipeline: pipeline, secretScanner: secretScanner, pinStatus: pinStatus, server: configuration.serverName,
            storeOptions: configuration.storeCommandOptions ?? "", approvalSecret: approvalSecret,
            argumentsMayHoldSecrets: secretScanner.mayFind(inJSON: call.raw))
        let matchKey = rule.approvalMatchKey()
        let request = DecisionRequest(
            runId: runId, recentSince: rule.rateLimitWindowStart(now: Date()),
            approvalExpiresAt: Date().addingTimeInterval(configuration.approvalTimeout.seconds), approvalMatchKey: matchKey,
            grantQuery: matchKey == nil ? nil : rule.grantQuery
        ) { [cancellation = calls[call.key]?.decisionCancellation] inputs in
            // A call cancelled before its group was written records nothing.
            if cancellation?.isCancelled == true { throw CancellationError() }
            return rule.decide(inputs)
        }
        queueWrite(.decision(request)) { session, result in
            let outcome = session.decisionOutcome(call, result.flatMap { written in Result { try written.decision() } })
            session.step(call.key) { $0.decided(outcome) }
        }
    }

    /// What a recorded decision means for the call; keeps what the call's later steps need.
    func decisionOutcome(_ call: ToolCallRequest, _ result: Result<RecordedDecision<GovernedCall>, any Error>) -> GovernedCallMachine.DecisionOutcome {
        let recorded: RecordedDecision<GovernedCall>
        switch result {
        case .success(let value):
            recorded = value
        case .failure(let error):
            return .unrecorded(error: "RiskKernel could not record the decision for tool \"\(call.tool)\", so the call was not forwarded: \(error)")
        }
        let verdict = recorded.verdict
        traceDecided(key: call.key, decision: verdict.decision)
        if verdict.rewritten { calls[call.key]?.forwarded = Self.replacingArguments(in: call.raw, with: verdict.arguments) }
        if let prior = verdict.priorApproval {
            // An identical retry: it waits on the approval asked for before, or runs on it.
            logger.notice("tool \(call.tool) repeats the call of approval \(prior.id) (\(prior.status.rawValue))")
            calls[call.key]?.approval = prior
            return .hold(approvalId: prior.id, announce: false)
        }
        guard let record = recorded.call else {
            return .unrecorded(error: "RiskKernel recorded no call for tool \"\(call.tool)\", so it was not forwarded")
        }
        switch verdict.decision {
        case .allow:
            calls[call.key]?.callId = record.id
            return .allow(callId: record.id)
        case .deny(let rule, let reason):
            logger.notice("refused tool \(call.tool) (rule \(rule)): \(reason)")
            return .deny(reason: reason)
        case .needsApproval:
            guard let approval = recorded.approval else {
                return .unrecorded(error: "RiskKernel recorded no approval for tool \"\(call.tool)\", so it was not forwarded")
            }
            calls[call.key]?.approval = approval
            return .hold(approvalId: approval.id, announce: true)
        }
    }

    func forward(_ call: CallInProgress) {
        guard let callId = call.callId ?? call.approval?.toolCallId else { return }
        let request = call.request
        sendRequestUpstream(
            traceUpstreamStarted(key: request.key, raw: call.forwarded), clientId: request.id,
            kind: .toolCall(callId: callId, tool: request.tool, started: .now))
        if let price = configuration.policy.price(of: request.tool) { charge(price, callId: callId, tool: request.tool) }
        if let taskId = call.ownedTaskId { ownedTaskForwarded(taskId) }
    }

    /// Adds a priced tool's call to the run's spend (which may halt the run, as model spend does).
    func charge(_ price: Money, callId: String, tool: String) {
        spawn { session in
            do {
                let spent = try await session.store.recordToolSpend(runId: session.runId, callId: callId, tool: tool, dollars: price)
                if let reason = spent.haltReason { session.logger.warning("run halted: \(reason)") }
            } catch {
                session.logger.error("could not record the price of tool \(tool) (call \(callId)): \(error)")
            }
        }
    }

    /// How a forwarded call ended, as the ledger keeps it.
    ///
    /// `response` is the message the client got; its payload is its `error`, else the value at
    /// `resultPath` (a task's inline result is one level down). The payload is redacted whatever
    /// `spec.secrets.results` says (kept as it is, without a walk, when `mayHoldSecrets` is false:
    /// the message's bytes cannot spell a credential), and kept when its canonical JSON is at
    /// most `maxStoredResultBytes` long; `resultDigest` is the SHA-256 (lowercase hex) of that
    /// canonical JSON and `resultBytes` its length. `withheld`: why the client did not get the result.
    static func outcome(
        of response: JSONValue, mayHoldSecrets: Bool, resultPath: [String] = ["result"], scanner: SecretScanner,
        maxStoredResultBytes: Int, elapsed: Duration, withheld: String? = nil
    ) -> ToolCallOutcome {
        let error = response["error"]
        let payload = (error != nil ? ["error"] : resultPath).reduce(response as JSONValue?) { $0?[$1] } ?? .null
        let kept = mayHoldSecrets ? scanner.redacting(payload) : payload
        let canonical = CanonicalJSON.encode(kept, rule: .current)
        return outcome(
            canonical: canonical, stored: canonical.count > maxStoredResultBytes ? nil : kept,
            isError: error != nil || payload["isError"]?.boolValue == true, reason: error?["message"]?.stringValue ?? withheld, elapsed: elapsed)
    }

    /// The outcome of a call whose payload (its result or error, redacted as needed) has the RFC 8785
    /// bytes `canonical`; `stored` is the payload to keep, if any.
    static func outcome(canonical: [UInt8], stored: JSONValue?, isError: Bool, reason: String?, elapsed: Duration) -> ToolCallOutcome {
        ToolCallOutcome(
            status: isError ? .failed : .succeeded, result: stored, resultDigest: EventChain.hexDigest(canonical),
            resultBytes: Int64(canonical.count), isError: isError, reason: reason, durationMs: elapsed.milliseconds)
    }

    /// A tool result with `isError: true` whose text names the tool and the reason. Requests of
    /// protocol revisions that stamp `_meta` with their version (2026-07-28 on) require
    /// `resultType: "complete"` in every result.
    static func refusal(id: JSONValue, tool: String, modern: Bool, reason: String) -> [UInt8] {
        var result: [String: JSONValue] = [
            "content": [["type": "text", "text": .string("RiskKernel refused the call to tool \"\(tool)\": \(reason)")]],
            "isError": true,
        ]
        if modern { result["resultType"] = "complete" }
        return JSONRPC.resultResponse(id: id, result: .object(result))
    }

    /// The request with `params.arguments` replaced (everything else kept).
    static func replacingArguments(in raw: [UInt8], with arguments: JSONValue) -> [UInt8] {
        guard case .object(var message)? = try? JSONParser.parse(raw), case .object(var params)? = message["params"] else { return raw }
        params["arguments"] = arguments
        message["params"] = .object(params)
        return JSONRPC.encode(.object(message))
    }

    static let protocolVersionMetaKey = "io.modelcontextprotocol/protocolVersion"
}
