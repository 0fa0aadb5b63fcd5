import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Validates a `tools/call` and decides it off the reader's path.
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
        let key = JSONRPC.idKey(id)
        traceToolCallStarted(key: key, tool: tool, params: members, arguments: arguments)
        let task = Task {
            await self.governToolCall(id: id, key: key, tool: tool, arguments: arguments, modern: modern, raw: raw)
            self.activeWork -= 1
        }
        // Registered before the task can reach its wait, so a cancellation always finds it.
        heldCalls[key] = task
    }

    func governToolCall(id: JSONValue, key: String, tool: String, arguments: JSONValue, modern: Bool, raw: [UInt8]) async {
        defer { heldCalls.removeValue(forKey: key) }
        defer { traceGovernanceEnded(key: key) }
        // Clients of the stateless protocol revisions never send notifications/initialized:
        // the catalogue is then loaded on the first call.
        if catalogueLoad == nil { refreshCatalogue() }
        if !catalogueReady { await catalogueLoad?.value }
        let annotations = toolCatalogue[tool].map(ToolAnnotations.init(tool:))
        let sideEffect = SideEffectClassifier.classify(tool: tool, annotations: annotations, policy: configuration.policy)
        let pinStatus = pinStatus(of: tool)
        if let pinStatus, pinStatus != .pinned, configuration.policy.toolPinning == .warn {
            logger.warning("tool \(tool) is \(pinStatus.rawValue) (not pinned); forwarding under toolPinning: warn")
        }
        let expiresAt = Date().addingTimeInterval(configuration.approvalTimeout.seconds)
        let recorded: RecordedDecision<GovernedCall>
        do {
            let rule = GovernanceRule(
                runId: runId, requestKey: key, tool: tool, arguments: arguments, sideEffect: sideEffect, policy: configuration.policy,
                pipeline: pipeline, secretScanner: secretScanner, pinStatus: pinStatus, server: configuration.serverName,
                adoptable: adoptedApprovals.filter { $0.tool == tool }.map(\.arguments))
            recorded = try await store.decideToolCall(
                runId: runId, recentSince: rule.rateLimitWindowStart(now: Date()), approvalExpiresAt: expiresAt) { rule.decide($0) }
        } catch {
            refuseUnrecorded(id: id, tool: tool, modern: modern, error: error)
            return
        }
        let verdict = recorded.verdict
        let decision = verdict.decision
        let forwarded = verdict.rewritten ? Self.replacingArguments(in: raw, with: verdict.arguments) : raw
        let record: ToolCallRecord
        let approval: ApprovalRecord?
        if let written = recorded.call {
            (record, approval) = (written, recorded.approval)
        } else if case .needsApproval(let rule) = decision, let adopted = takeAdoptedApproval(tool: tool, arguments: verdict.call.arguments) {
            // Repeats a call whose approval a resumed run adopted.
            logger.notice("tool \(tool) repeats the call of approval \(adopted.id) (\(adopted.status.rawValue)); reusing it")
            await holdForApproval(id: id, key: key, callId: adopted.toolCallId, tool: tool, rule: rule, approval: adopted, modern: modern, raw: forwarded)
            return
        } else {
            // A concurrent repeat took the adopted approval first: this call is recorded as new.
            do {
                (record, approval) = try await store.beginToolCall(verdict.call, approvalExpiresAt: expiresAt)
            } catch {
                refuseUnrecorded(id: id, tool: tool, modern: modern, error: error)
                return
            }
        }
        traceDecided(key: key, decision: decision)
        switch decision {
        case .allow:
            forward(id: id, key: key, callId: record.id, tool: tool, raw: forwarded)
        case .deny(let rule, let reason):
            logger.notice("refused tool \(tool) (rule \(rule)): \(reason)")
            sendToClient(Self.refusal(id: id, tool: tool, modern: modern, reason: reason))
        case .needsApproval(let rule):
            guard let approval else { return }
            await holdForApproval(id: id, key: key, callId: record.id, tool: tool, rule: rule, approval: approval, modern: modern, raw: forwarded)
        }
    }

    /// Answers a call whose decision could not be recorded (it is never forwarded).
    func refuseUnrecorded(id: JSONValue, tool: String, modern: Bool, error: any Error) {
        if Task.isCancelled {
            // Cancelled by the client: no response. Cancelled by shutdown: the client still hears.
            if shuttingDown { sendToClient(Self.refusal(id: id, tool: tool, modern: modern, reason: "the gateway is shutting down")) }
            return
        }
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
                _ = try? await store.completeToolCall(id: callId, outcome: outcome)
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
            _ = try? await store.completeToolCall(
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

    /// Stores how a forwarded call ended.
    func recordOutcome(callId: String, tool: String, body: JSONValue, elapsed: Duration) async {
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
        // Whatever spec.secrets.results says, the ledger keeps only the redacted form.
        let stored = secretScanner.redacting(payload)
        let bytes = CanonicalJSON.encode(stored)
        let outcome = ToolCallOutcome(
            status: status, result: bytes.count <= configuration.maxStoredResultBytes ? stored : nil,
            resultDigest: EventChain.hexDigest(bytes), resultBytes: Int64(bytes.count), isError: isError,
            reason: body["error"]?["message"]?.stringValue, durationMs: elapsed.milliseconds)
        do {
            _ = try await store.completeToolCall(id: callId, outcome: outcome)
        } catch {
            logger.error("could not record the outcome of tool \(tool) (call \(callId)): \(error)")
        }
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
        return CanonicalJSON.encode(.object(message))
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
