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
    /// The request as received.
    var raw: [UInt8]
}

extension GatewaySession {
    /// Validates a `tools/call` and submits its decision.
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
        // Under `spec.tasks: off` the upstream is asked plainly, so its answer is the result itself.
        let raw = configuration.policy.tasks == .off && members["task"] != nil ? Self.withoutTaskParameter(raw) ?? raw : raw
        activeWork += 1
        let call = ToolCallRequest(
            id: id, key: JSONRPC.idKey(id), tool: tool, arguments: arguments, modern: modern, progressToken: members["_meta"]?["progressToken"],
            raw: raw)
        traceToolCallStarted(key: call.key, tool: tool, params: members, arguments: arguments)
        // Clients of the stateless protocol revisions never send notifications/initialized:
        // the catalogue is then loaded on the first call.
        if catalogueLoad == nil { refreshCatalogue() }
        if catalogueReady {
            submitDecision(call)
            return
        }
        heldCalls[call.key] = Task {
            await catalogueLoad?.value
            heldCalls.removeValue(forKey: call.key)
            if Task.isCancelled {
                endGovernance(call, cancelled: true)
                return
            }
            submitDecision(call)
        }
    }

    /// Adds the call's decision to the next group commit; ``decided(_:_:)`` goes on once it is recorded.
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
            storeOptions: configuration.storeCommandOptions ?? "", approvalSecret: approvalSecret)
        let matchKey = rule.approvalMatchKey()
        let request = DecisionRequest(
            runId: runId, recentSince: rule.rateLimitWindowStart(now: Date()),
            approvalExpiresAt: Date().addingTimeInterval(configuration.approvalTimeout.seconds), approvalMatchKey: matchKey,
            grantQuery: matchKey == nil ? nil : rule.grantQuery
        ) { rule.decide($0) }
        decidingKeys.insert(call.key)
        let startsGroup = decisionCommits.add(request, key: call.key) { [self] result in
            decidingKeys.remove(call.key)
            if cancelledBeforeDecision.remove(call.key) != nil {
                // Cancelled while its group was being written (a store that writes off this thread).
                cancelAfterDecision(call, result)
                return
            }
            decided(call, result)
        }
        if startsGroup { afterQueuedWork { $0.writeDecisions() } }
    }

    /// Ends a call the client cancelled while its decision was being written: nothing is
    /// forwarded; a call that was recorded is recorded `cancelled`, except one held for approval,
    /// whose approval stays pending for the agent's retry.
    func cancelAfterDecision(_ call: ToolCallRequest, _ result: Result<RecordedDecision<GovernedCall>, any Error>) {
        if case .success(let recorded) = result, let record = recorded.call, recorded.approval == nil, case .allow = recorded.verdict.decision {
            let outcome = ToolCallOutcome(status: .cancelled, isError: true, reason: "cancelled by the client before it was forwarded", durationMs: 0)
            recordOutcome(callId: record.id, tool: call.tool, outcome: outcome)
        }
        endGovernance(call, cancelled: true)
    }

    /// Goes on with a call once its decision is recorded (or could not be).
    func decided(_ call: ToolCallRequest, _ result: Result<RecordedDecision<GovernedCall>, any Error>) {
        let recorded: RecordedDecision<GovernedCall>
        switch result {
        case .success(let value):
            recorded = value
        case .failure(let error) where error is CancellationError:
            endGovernance(call, cancelled: true)
            return
        case .failure(let error):
            refuseUnrecorded(id: call.id, tool: call.tool, modern: call.modern, error: error)
            endGovernance(call)
            return
        }
        let verdict = recorded.verdict
        let forwarded = verdict.rewritten ? Self.replacingArguments(in: call.raw, with: verdict.arguments) : call.raw
        traceDecided(key: call.key, decision: verdict.decision)
        if let prior = verdict.priorApproval {
            // An identical retry: it waits on the approval asked for before, or runs on it.
            logger.notice("tool \(call.tool) repeats the call of approval \(prior.id) (\(prior.status.rawValue))")
            hold(call, approval: prior, announce: false, forwarded: forwarded)
            return
        }
        guard let record = recorded.call else {
            endGovernance(call)
            return
        }
        switch verdict.decision {
        case .allow:
            forward(id: call.id, key: call.key, callId: record.id, tool: call.tool, raw: forwarded)
        case .deny(let rule, let reason):
            logger.notice("refused tool \(call.tool) (rule \(rule)): \(reason)")
            sendToClient(Self.refusal(id: call.id, tool: call.tool, modern: call.modern, reason: reason))
        case .needsApproval:
            if let approval = recorded.approval {
                hold(call, approval: approval, announce: true, forwarded: forwarded)
                return
            }
        }
        endGovernance(call)
    }

    /// Holds a call for its approval on a task of its own, which a cancellation stops (the request
    /// is then detached: the approval stays pending for the agent's retry).
    func hold(_ call: ToolCallRequest, approval: ApprovalRecord, announce: Bool, forwarded: [UInt8]) {
        heldCalls[call.key] = Task {
            await holdForApproval(call, approval: approval, announce: announce, forwarded: forwarded)
            endGovernance(call)
        }
    }

    /// The call's governance is over (forwarded, refused, or dropped): its span ends and the
    /// gateway stops counting it as work in progress. A call cancelled before its decision gets
    /// no response, unless the gateway is shutting down.
    func endGovernance(_ call: ToolCallRequest, cancelled: Bool = false) {
        if cancelled, shuttingDown {
            sendToClient(Self.refusal(id: call.id, tool: call.tool, modern: call.modern, reason: "the gateway is shutting down"))
        }
        heldCalls.removeValue(forKey: call.key)
        traceGovernanceEnded(key: call.key)
        activeWork -= 1
    }

    /// Answers a call whose decision could not be recorded (it is never forwarded).
    func refuseUnrecorded(id: JSONValue, tool: String, modern: Bool, error: any Error) {
        logger.error("refused tool \(tool): its decision could not be recorded: \(error)")
        sendToClient(JSONRPC.errorResponse(
            id: id, code: JSONRPCErrorCode.internalError,
            message: "RiskKernel could not record the decision for tool \"\(tool)\", so the call was not forwarded: \(error)"))
    }

    func forward(id: JSONValue, key: String, callId: String, tool: String, raw: [UInt8]) {
        sendRequestUpstream(traceUpstreamStarted(key: key, raw: raw), clientId: id, kind: .toolCall(callId: callId, tool: tool, started: .now))
        if let price = configuration.policy.price(of: tool) { charge(price, callId: callId, tool: tool) }
    }

    /// Adds a priced tool's call to the run's spend (which may halt the run, as model spend does).
    func charge(_ price: Money, callId: String, tool: String) {
        activeWork += 1
        Task {
            do {
                let spent = try await store.recordToolSpend(runId: runId, callId: callId, tool: tool, dollars: price)
                if let reason = spent.haltReason { logger.warning("run halted: \(reason)") }
            } catch {
                logger.error("could not record the price of tool \(tool) (call \(callId)): \(error)")
            }
            self.activeWork -= 1
        }
    }

    /// Waits for a person's decision for at most the hold window (`--approval-hold`), sending
    /// progress when the request carries a `progressToken`; then runs the call on its approval
    /// (once), refuses it, or answers with a pending result naming the approval.
    func holdForApproval(_ call: ToolCallRequest, approval: ApprovalRecord, announce: Bool, forwarded: [UInt8]) async {
        if announce { announceApproval(approval, tool: call.tool) }
        traceApprovalStarted(key: call.key, rule: approval.rule)
        var machine = HeldCallMachine(approvalId: approval.id)
        let holdEnd = min(Date().addingTimeInterval(configuration.approvalHold.seconds), approval.expiresAt ?? .distantFuture)
        var latest = approval
        var action: HeldCallMachine.Action
        do {
            latest = try await waitForDecision(approval, until: holdEnd, call: call)
            traceApprovalEnded(key: call.key, status: latest.asOf(Date()).status)
            action = machine.waitEnded(latest, at: Date())
        } catch {
            logger.notice("the wait of tool \(call.tool) for approval \(approval.id) ended (\(shuttingDown ? "shutdown" : "cancelled by the client")); the approval stays pending")
            action = machine.cancelled(shuttingDown: shuttingDown)
        }
        while true {
            switch action {
            case .consume:
                do {
                    _ = try await store.consumeApproval(id: approval.id, requestId: call.key)
                    action = machine.consumed()
                } catch StoreError.notPending(_, let status) {
                    action = machine.consumeFailed(status: status, error: "")
                } catch {
                    action = machine.consumeFailed(
                        status: nil, error: "RiskKernel could not record the approval of tool \"\(call.tool)\", so the call was not forwarded: \(error)")
                }
            case .forward:
                logger.notice("approval \(approval.id) granted by \(latest.decidedBy ?? "unknown"); forwarding tool \(call.tool)")
                forward(id: call.id, key: call.key, callId: approval.toolCallId, tool: call.tool, raw: forwarded)
                return
            case .answerPending:
                logger.notice("tool \(call.tool) is still awaiting approval \(approval.id); answered with a pending result")
                sendToClient(JSONRPC.resultResponse(id: call.id, result: ApprovalTexts.pendingResult(tool: call.tool, approval: latest, modern: call.modern)))
                return
            case .refuse(let reason, let recordRefused):
                logger.notice("refused tool \(call.tool): \(reason)")
                // The approval's call ends refused (once: a call completes once, whichever waiter sees it first).
                if recordRefused {
                    recordOutcome(
                        callId: approval.toolCallId, tool: call.tool, outcome: ToolCallOutcome(status: .refused, isError: true, reason: reason, durationMs: 0))
                }
                sendToClient(Self.refusal(id: call.id, tool: call.tool, modern: call.modern, reason: reason))
                return
            case .fail(let message):
                sendToClient(JSONRPC.errorResponse(id: call.id, code: JSONRPCErrorCode.internalError, message: message))
                return
            case .detach, .none:
                return
            }
        }
    }

    /// Waits for the approval's decision until `deadline`, sending `notifications/progress` every
    /// few seconds meanwhile when the request asked for progress.
    func waitForDecision(_ approval: ApprovalRecord, until deadline: Date, call: ToolCallRequest) async throws -> ApprovalRecord {
        let store = self.store
        guard let token = call.progressToken else { return try await store.waitForDecision(approvalId: approval.id, until: deadline) }
        return try await withThrowingTaskGroup(of: ApprovalRecord?.self) { group in
            group.addTask { try await store.waitForDecision(approvalId: approval.id, until: deadline) }
            group.addTask {
                var count = 0
                while !Task.isCancelled {
                    count += 1
                    await self.sendToClient(JSONRPC.notification(
                        method: "notifications/progress", params: ApprovalTexts.progress(token: token, count: count, tool: call.tool, approvalId: approval.id)))
                    try await Task.sleep(for: Self.progressInterval)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let decided = next { return decided }
            }
            throw CancellationError()
        }
    }

    /// How often a held call with a `progressToken` is sent progress: below the 5 s the MCP
    /// clients that reset their timeout on progress need.
    static let progressInterval: Duration = .seconds(4)

    /// Tells the client (a log message) and the gateway's log how to decide a new approval.
    func announceApproval(_ approval: ApprovalRecord, tool: String) {
        let approveCommand = approvalCommand("approve", approval.id)
        let denyCommand = approvalCommand("deny", approval.id) + " --reason TEXT"
        logger.notice("tool \(tool) needs approval (rule \(approval.rule)): approve with `\(approveCommand)` or deny with `\(denyCommand)`")
        notifier.notify(ApprovalNotice(approval: approval, approveCommand: approveCommand, denyCommand: denyCommand))
        sendToClient(JSONRPC.notification(method: "notifications/message", params: [
            "level": "warning", "logger": "riskkernel",
            "data": [
                "message": .string("RiskKernel is holding tool \"\(tool)\" for approval (rule \(approval.rule)). Approve: \(approveCommand)"),
                "approvalId": .string(approval.id), "tool": .string(tool), "rule": .string(approval.rule),
                "approveCommand": .string(approveCommand), "denyCommand": .string(denyCommand),
            ],
        ]))
    }

    func approvalCommand(_ verb: String, _ approvalId: String) -> String {
        var command = "riskkernel approvals \(verb) \(approvalId)"
        if let options = configuration.storeCommandOptions { command += " " + options }
        return command
    }

    /// How a forwarded call ended, as the ledger keeps it (only the redacted result, whatever
    /// `spec.secrets.results` says).
    func outcome(of body: JSONValue, elapsed: Duration) -> ToolCallOutcome {
        let isError: Bool
        let status: ToolCallStatus
        let payload: JSONValue
        if let error = body["error"] {
            (isError, status, payload) = (true, .failed, error)
        } else {
            let result = body["result"] ?? .null
            let flagged = result["isError"]?.boolValue ?? false
            (isError, status, payload) = (flagged, flagged ? .failed : .succeeded, result)
        }
        let stored = secretScanner.redacting(payload)
        let bytes = CanonicalJSON.encode(stored)
        return ToolCallOutcome(
            status: status, result: bytes.count <= configuration.maxStoredResultBytes ? stored : nil,
            resultDigest: EventChain.hexDigest(bytes), resultBytes: Int64(bytes.count), isError: isError,
            reason: body["error"]?["message"]?.stringValue, durationMs: elapsed.milliseconds)
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

/// Quoting for commands shown to people.
enum ShellQuoting {
    static func quote(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+")
        if !text.isEmpty, text.allSatisfy({ safe.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
