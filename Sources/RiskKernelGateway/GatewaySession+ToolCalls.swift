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
        activeWork += 1
        let call = ToolCallRequest(id: id, key: JSONRPC.idKey(id), tool: tool, arguments: arguments, modern: modern, raw: raw)
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

    /// Adds the call's decision to the next group commit; ``decided(_:_:expiresAt:)`` goes on once
    /// it is recorded.
    func submitDecision(_ call: ToolCallRequest) {
        let annotations = toolCatalogue[call.tool].map(ToolAnnotations.init(tool:))
        let sideEffect = SideEffectClassifier.classify(tool: call.tool, annotations: annotations, policy: configuration.policy)
        let pinStatus = pinStatus(of: call.tool)
        if let pinStatus, pinStatus != .pinned, configuration.policy.toolPinning == .warn {
            logger.warning("tool \(call.tool) is \(pinStatus.rawValue) (not pinned); forwarding under toolPinning: warn")
        }
        let expiresAt = Date().addingTimeInterval(configuration.approvalTimeout.seconds)
        let rule = GovernanceRule(
            runId: runId, requestKey: call.key, tool: call.tool, arguments: call.arguments, sideEffect: sideEffect, policy: configuration.policy,
            pipeline: pipeline, secretScanner: secretScanner, pinStatus: pinStatus, server: configuration.serverName,
            adoptable: adoptedApprovals.filter { $0.tool == call.tool }.map(\.arguments))
        let request = DecisionRequest(runId: runId, recentSince: rule.rateLimitWindowStart(now: Date()), approvalExpiresAt: expiresAt) { rule.decide($0) }
        decidingKeys.insert(call.key)
        let startsGroup = decisionCommits.add(request, key: call.key) { [self] result in
            decidingKeys.remove(call.key)
            if cancelledBeforeDecision.remove(call.key) != nil {
                // Cancelled while its group was being written (a store that writes off this thread).
                cancelAfterDecision(call, result)
                return
            }
            decided(call, result, expiresAt: expiresAt)
        }
        if startsGroup { afterQueuedWork { $0.writeDecisions() } }
    }

    /// Ends a call the client cancelled while its decision was being written: nothing is
    /// forwarded, and a call that was recorded is recorded `cancelled`.
    func cancelAfterDecision(_ call: ToolCallRequest, _ result: Result<RecordedDecision<GovernedCall>, any Error>) {
        if case .success(let recorded) = result, let record = recorded.call {
            let outcome = ToolCallOutcome(status: .cancelled, isError: true, reason: "cancelled by the client before it was forwarded", durationMs: 0)
            if let approval = recorded.approval {
                activeWork += 1
                Task {
                    _ = try? await store.resolveApproval(id: approval.id, status: .expired, decidedBy: "riskkernel", reason: "cancelled by the client")
                    try? await store.completeToolCall(id: record.id, outcome: outcome)
                    activeWork -= 1
                }
            } else {
                recordCancellation(callId: record.id, tool: call.tool, outcome: outcome)
            }
        }
        endGovernance(call, cancelled: true)
    }

    /// Goes on with a call once its decision is recorded (or could not be).
    func decided(_ call: ToolCallRequest, _ result: Result<RecordedDecision<GovernedCall>, any Error>, expiresAt: Date) {
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
        if let record = recorded.call {
            act(on: verdict.decision, call, callId: record.id, approval: recorded.approval, forwarded: forwarded)
        } else if case .needsApproval(let rule) = verdict.decision, let adopted = takeAdoptedApproval(tool: call.tool, arguments: verdict.call.arguments) {
            // Repeats a call whose approval a resumed run adopted.
            logger.notice("tool \(call.tool) repeats the call of approval \(adopted.id) (\(adopted.status.rawValue)); reusing it")
            hold(call, callId: adopted.toolCallId, rule: rule, approval: adopted, forwarded: forwarded)
        } else {
            // A concurrent repeat took the adopted approval first: this call is recorded as new.
            heldCalls[call.key] = Task {
                do {
                    let (record, approval) = try await store.beginToolCall(verdict.call, approvalExpiresAt: expiresAt)
                    heldCalls.removeValue(forKey: call.key)
                    act(on: verdict.decision, call, callId: record.id, approval: approval, forwarded: forwarded)
                } catch is CancellationError {
                    endGovernance(call, cancelled: true)
                } catch {
                    refuseUnrecorded(id: call.id, tool: call.tool, modern: call.modern, error: error)
                    endGovernance(call)
                }
            }
        }
    }

    /// Forwards, refuses or holds a recorded call, as decided.
    func act(on decision: Decision, _ call: ToolCallRequest, callId: String, approval: ApprovalRecord?, forwarded: [UInt8]) {
        traceDecided(key: call.key, decision: decision)
        switch decision {
        case .allow:
            forward(id: call.id, key: call.key, callId: callId, tool: call.tool, raw: forwarded)
        case .deny(let rule, let reason):
            logger.notice("refused tool \(call.tool) (rule \(rule)): \(reason)")
            sendToClient(Self.refusal(id: call.id, tool: call.tool, modern: call.modern, reason: reason))
        case .needsApproval(let rule):
            if let approval {
                hold(call, callId: callId, rule: rule, approval: approval, forwarded: forwarded)
                return
            }
        }
        endGovernance(call)
    }

    /// Holds a call for its approval on a task of its own (which a cancellation stops).
    func hold(_ call: ToolCallRequest, callId: String, rule: String, approval: ApprovalRecord, forwarded: [UInt8]) {
        heldCalls[call.key] = Task {
            await holdForApproval(id: call.id, key: call.key, callId: callId, tool: call.tool, rule: rule, approval: approval, modern: call.modern, raw: forwarded)
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
        pendingUpstream[key] = .toolCall(callId: callId, tool: tool, started: .now)
        sendUpstream(traceUpstreamStarted(key: key, raw: raw), failingRequest: id)
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

    func holdForApproval(
        id: JSONValue, key: String, callId: String, tool: String, rule: String, approval: ApprovalRecord, modern: Bool, raw: [UInt8]
    ) async {
        let approveCommand = approvalCommand("approve", approval.id)
        let denyCommand = approvalCommand("deny", approval.id) + " --reason TEXT"
        logger.notice("tool \(tool) needs approval (rule \(rule)): approve with `\(approveCommand)` or deny with `\(denyCommand)`")
        sendToClient(JSONRPC.notification(method: "notifications/message", params: [
            "level": "warning", "logger": "riskkernel",
            "data": [
                "message": .string("RiskKernel is holding tool \"\(tool)\" for approval (rule \(rule)). Approve: \(approveCommand)"),
                "approvalId": .string(approval.id), "tool": .string(tool), "rule": .string(rule),
                "approveCommand": .string(approveCommand), "denyCommand": .string(denyCommand),
            ],
        ]))
        traceApprovalStarted(key: key, rule: rule)
        let started = ContinuousClock.now
        let deadline = approval.expiresAt ?? Date().addingTimeInterval(configuration.approvalTimeout.seconds)
        var decided: ApprovalRecord
        do {
            decided = try await store.waitForDecision(approvalId: approval.id, until: deadline)
        } catch {
            // Cancelled by the client (or shutdown): no response is sent for a cancelled request.
            let reason = shuttingDown ? "the gateway shut down" : "cancelled by the client"
            let store = self.store
            let outcome = ToolCallOutcome(status: .cancelled, isError: true, reason: reason, durationMs: (ContinuousClock.now - started).milliseconds)
            // Recorded from a task of its own: this one is cancelled, and the store honours cancellation.
            await Task {
                _ = try? await store.resolveApproval(id: approval.id, status: .expired, decidedBy: "riskkernel", reason: reason)
                try? await store.completeToolCall(id: callId, outcome: outcome)
            }.value
            logger.notice("approval \(approval.id) for tool \(tool) ended: \(reason)")
            if shuttingDown { sendToClient(Self.refusal(id: id, tool: tool, modern: modern, reason: "approval was not decided before \(reason)")) }
            return
        }
        if decided.status == .pending {
            let seconds = (configuration.approvalTimeout.seconds).formatted(.number.precision(.fractionLength(0...3)))
            do {
                decided = try await store.resolveApproval(
                    id: approval.id, status: .expired, decidedBy: "riskkernel", reason: "no decision within \(seconds) seconds")
            } catch StoreError.notPending {
                // Decided at the last moment: honour that decision.
                decided = (try? await store.approval(id: approval.id)) ?? decided
            } catch {
                logger.error("could not expire approval \(approval.id): \(error)")
            }
        }
        traceApprovalEnded(key: key, status: decided.status)
        switch decided.status {
        case .approved:
            logger.notice("approval \(approval.id) granted by \(decided.decidedBy ?? "unknown"); forwarding tool \(tool)")
            do {
                try await store.markToolCallForwarded(id: callId)
            } catch {
                sendToClient(JSONRPC.errorResponse(
                    id: id, code: JSONRPCErrorCode.internalError,
                    message: "RiskKernel could not record the approval of tool \"\(tool)\", so the call was not forwarded: \(error)"))
                return
            }
            forward(id: id, key: key, callId: callId, tool: tool, raw: raw)
        case .denied, .expired, .pending:
            let reason: String
            if decided.status == .denied {
                reason = "denied by \(decided.decidedBy ?? "an approver")" + (decided.reason.map { ": \($0)" } ?? "")
            } else {
                reason = "approval \(approval.id) expired: \(decided.reason ?? "no decision in time")"
            }
            try? await store.completeToolCall(
                id: callId, outcome: ToolCallOutcome(status: .refused, isError: true, reason: reason, durationMs: (ContinuousClock.now - started).milliseconds))
            logger.notice("refused tool \(tool): \(reason)")
            sendToClient(Self.refusal(id: id, tool: tool, modern: modern, reason: reason))
        }
    }

    func approvalCommand(_ verb: String, _ approvalId: String) -> String {
        var command = "riskkernel approvals \(verb) \(approvalId)"
        if let database = configuration.databaseHint { command += " --db \(ShellQuoting.quote(database))" }
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
