import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

/// One gateway process's view of the conversation between the client (agent) and the upstream
/// server: it forwards what it does not govern unchanged, governs `tools/call`, filters
/// `tools/list`, and answers the `riskkernel/` extension methods itself.
public actor GatewaySession {
    /// What a request sent upstream is waiting for.
    enum PendingKind {
        case toolCall(callId: String, tool: String, started: ContinuousClock.Instant)
        case toolsList
        /// `initialize`: its capabilities lose `tasks` under `spec.tasks: off`.
        case initialize
        /// `tasks/get`, `tasks/result` or `tasks/cancel` of a task a governed call created.
        case task(method: String, taskId: String)
        /// `tasks/list`: only the tasks governed calls of this run created are shown.
        case taskList
        /// Any other client request, tracked so it can be failed if the upstream goes away.
        case passthrough
        case internalRequest(CheckedContinuation<JSONValue, Error>)
    }

    /// A request sent upstream under an id the gateway assigned.
    struct PendingUpstream {
        var kind: PendingKind
        /// The client's id for it, and that id's key; `nil` for the gateway's own requests.
        var clientId: JSONValue?
        var clientKey: String?
    }

    let configuration: GatewayConfiguration
    let store: any Store
    let logger: Logger
    let client: LineWriter
    let upstream: LineWriter
    let pipeline: DecisionPipeline
    /// Finds credentials in arguments and results (the policy's `spec.secrets.allow` applied).
    let secretScanner: SecretScanner
    /// The run this gateway records into.
    public let runId: String

    /// Requests sent upstream and not answered yet, by the id the gateway gave them.
    var pendingUpstream: [Int64: PendingUpstream] = [:]
    /// The upstream id of each forwarded client request, by the client's id key.
    var upstreamIds: [String: Int64] = [:]
    /// The last id the gateway gave a request to the upstream.
    var lastUpstreamId: Int64 = 0
    /// Requests sent to the client and not answered yet, by the id the gateway gave them.
    var pendingClient: [Int64: PendingClientRequest] = [:]
    /// The client-side id of each upstream request relayed to the client, by the upstream's id key.
    var clientRequestIds: [String: Int64] = [:]
    /// The last id the gateway gave a request to the client.
    var lastClientRequestId: Int64 = 0
    /// The client's `initialize` params (`clientInfo`, `capabilities`).
    var clientInitialize: JSONValue?
    /// The gateway's open `elicitation/create` requests to the client, by approval id.
    var elicitations: [String: Int64] = [:]
    /// The governed calls in progress, by request id key: each one's state machine and I/O handles.
    var calls: [String: CallInProgress] = [:]
    /// The tasks the gateway answered held calls with, by task id.
    var ownedTasks: [String: OwnedTask] = [:]
    /// The ids of `tasks/result` requests waiting for an owned task to end, by task id.
    var taskResultWaiters: [String: [JSONValue]] = [:]
    /// The tasks that governed calls of this run created, by task id.
    var governedTasks: [String: GovernedTask] = [:]
    /// Tool definitions by name, from the upstream's `tools/list`.
    var toolCatalogue: [String: JSONValue] = [:]
    var catalogueLoad: Task<Void, Never>?
    /// Counts refreshes, so that only the latest one marks the catalogue ready.
    var catalogueGeneration = 0
    /// Whether the latest refresh has ended (calls then need not wait for it).
    var catalogueReady = false
    /// The upstream's tool pins by tool name, as the store last reported them.
    var toolPins: [String: ToolPinRecord] = [:]
    /// Whether the latest listing of the upstream's tools failed, so no definition can be checked.
    var pinsUnverified = false
    /// The `io.modelcontextprotocol/` members of the latest client request's `_meta` (the
    /// 2026-07-28 revision's per-request protocol envelope), repeated on the gateway's own requests.
    var protocolEnvelope: JSONValue?
    var shuttingDown = false
    /// Side work not yet ended (``spawn(_:)``, and outcomes waiting for their group commit).
    var sideWorkInProgress = 0
    /// The side work's queue, which ``runSideWork()`` takes into one task group.
    let sideWork = AsyncStream.makeStream(of: SideWorkItem.self)
    /// Who waits for the session to be idle (``waitUntilIdle(timeout:)``).
    var idleWaiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    var checkpointLimitLogged = false
    /// The store's secret for approval match keys (``ApprovalMatchKey``).
    let approvalSecret: [UInt8]
    /// Tells people of new approvals (`--notify…`).
    let notifier: ApprovalNotifier
    /// Receives spans of governed calls; `nil` when no OpenTelemetry exporter is configured.
    let tracer: (any GatewayTracer)?
    /// The spans of tool calls in progress, by request id key (empty without a tracer).
    var toolCallTraces: [String: any ToolCallTrace] = [:]
    /// The thread this actor runs on.
    let executor = DedicatedThreadExecutor(name: "riskkernel-gateway")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(
        configuration: GatewayConfiguration, store: any Store, runId: String, client: LineWriter, upstream: LineWriter, logger: Logger,
        approvalSecret: [UInt8], pipeline: DecisionPipeline = .standard, tracer: (any GatewayTracer)? = nil
    ) {
        self.approvalSecret = approvalSecret
        notifier = ApprovalNotifier(targets: configuration.approvalNotify, logger: logger)
        self.configuration = configuration
        self.store = store
        self.runId = runId
        self.client = client
        self.upstream = upstream
        self.logger = logger
        self.pipeline = pipeline
        self.tracer = tracer
        // The policy parser has already checked the allow patterns.
        secretScanner = (try? SecretScanner(allow: configuration.policy.secrets.allow)) ?? (try! SecretScanner())
    }

    // MARK: From the client

    /// Reads the client's lines from `fileDescriptor` on a thread of their own and handles each on
    /// the session's thread, in order, with no task per line; `onEnd` runs on the session's thread
    /// after the last one.
    public nonisolated func serveClient(from fileDescriptor: Int32, onEnd: @escaping @Sendable () -> Void) {
        serve(fileDescriptor, handle: { $0.handleClientEvent($1) }, onEnd: onEnd)
    }

    /// As ``serveClient(from:onEnd:)``, for the upstream's lines.
    public nonisolated func serveUpstream(from fileDescriptor: Int32, onEnd: @escaping @Sendable () -> Void) {
        serve(fileDescriptor, handle: { $0.handleUpstreamEvent($1) }, onEnd: onEnd)
    }

    private nonisolated func serve(
        _ fileDescriptor: Int32, handle: @escaping @Sendable (isolated GatewaySession, LineEvent) -> Void, onEnd: @escaping @Sendable () -> Void
    ) {
        LineReader.read(
            from: fileDescriptor, maxLineBytes: configuration.maxLineBytes,
            onEvent: { [self] event in afterQueuedWork { handle($0, event) } },
            onEnd: { [executor] in executor.submit(onEnd) })
    }

    /// Handles one line (or oversized line) from the client.
    public func handleClientEvent(_ event: LineEvent) {
        switch event {
        case .oversized(let count, let head, _):
            logger.warning("refused a client message of \(count) bytes (limit \(configuration.maxLineBytes))")
            sendToClient(JSONRPC.errorResponse(
                id: JSONRPC.leadingId(in: head) ?? .null, code: JSONRPCErrorCode.invalidRequest,
                message: "Invalid Request: message of \(count) bytes exceeds the limit of \(configuration.maxLineBytes) bytes"))
        case .line(let bytes):
            switch JSONRPC.classify(bytes) {
            case .failure(let rejection):
                logger.warning("refused a client message: \(rejection.message)")
                if case .integer(let id) = rejection.id, pendingClient[id] != nil, case .object(let members)? = try? JSONParser.parse(bytes),
                   members["method"] == nil {
                    // An unreadable answer to a request sent to the client: that request fails.
                    clientAnswerUnreadable(id: rejection.id, reason: "the client's answer is not valid JSON-RPC (\(rejection.message))")
                    return
                }
                sendToClient(JSONRPC.errorResponse(id: rejection.id, code: rejection.code, message: rejection.message))
            case .success((let message, _)):
                route(message, raw: bytes)
            }
        }
    }

    func route(_ message: JSONRPCMessage, raw: [UInt8]) {
        switch message {
        case .request(let id, let method, let params):
            if case .object(let meta)? = params?["_meta"] {
                let envelope = meta.filter { $0.key.hasPrefix("io.modelcontextprotocol/") }
                if !envelope.isEmpty { protocolEnvelope = .object(envelope) }
            }
            if method == "tools/call" {
                startToolCall(id: id, params: params, raw: raw)
            } else if method.lowercased().trimmingCharacters(in: .whitespaces) == "tools/call" {
                sendToClient(JSONRPC.errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: method \"\(method)\" is not \"tools/call\""))
            } else if method.hasPrefix(ExtensionMethods.prefix) || method.lowercased().hasPrefix(ExtensionMethods.prefix) {
                spawn { await $0.answerExtension(id: id, method: method, params: params) }
            } else if method.hasPrefix("tasks/") {
                routeTaskRequest(id: id, method: method, params: params, raw: raw)
            } else if method.lowercased().trimmingCharacters(in: .whitespaces).hasPrefix("tasks/") {
                // An odd spelling of a task method is refused, never relayed around the task checks.
                sendToClient(JSONRPC.errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: method \"\(method)\" is not a tasks/ method"))
            } else {
                if method == "initialize" { clientInitialize = params }
                let kind: PendingKind = switch method {
                case "tools/list": .toolsList
                case "initialize": .initialize
                default: .passthrough
                }
                sendRequestUpstream(raw, clientId: id, kind: kind)
            }
        case .notification(let method, let params):
            if method.lowercased().hasPrefix(ExtensionMethods.prefix) {
                logger.warning("dropped notification \(method): riskkernel/ messages are never forwarded")
                return
            }
            if method == "notifications/cancelled", let requestId = params?["requestId"] {
                // The upstream knows the request by the gateway's id, if it saw it at all.
                guard let upstreamId = clientCancelled(requestId) else { return }
                var members = params?.objectValue ?? [:]
                members["requestId"] = .integer(upstreamId)
                sendUpstream(JSONRPC.notification(method: method, params: .object(members)))
                return
            }
            sendUpstream(raw)
            if method == "notifications/initialized" { refreshCatalogue() }
        case .response(let id, let body):
            // An answer to a request sent to the client: the upstream's (sampling, elicitation,
            // roots) or the gateway's own.
            clientResponded(id: id, body: body, raw: raw)
        }
    }

    // MARK: From the upstream

    /// Handles one line (or oversized line) from the upstream server.
    public func handleUpstreamEvent(_ event: LineEvent) {
        switch event {
        case .oversized(let count, let head, let tail):
            let reason = "the upstream server sent a message of \(count) bytes, over the limit of \(configuration.maxLineBytes) (--max-line-bytes)"
            logger.error("\(reason)")
            guard let id = TopLevelId.value(head: head, tail: tail) else { return }
            answerUnreadable(upstreamId: id, reason: reason, forward: nil)
        case .line(let bytes):
            // A tool result too large to keep goes through without its tree when it can.
            if bytes.count > configuration.maxStoredResultBytes, let envelope = ResultEnvelope(bytes), answeredWithoutTree(envelope, raw: bytes) {
                return
            }
            switch JSONRPC.classify(bytes) {
            case .failure(let rejection):
                // Not a message the gateway can read whole; its id decides who waits for it.
                guard let id = TopLevelId.value(in: bytes) else {
                    logger.warning("dropped an invalid message from the upstream server: \(rejection.message)")
                    return
                }
                answerUnreadable(upstreamId: id, reason: "the upstream server's answer is not valid JSON-RPC (\(rejection.message))", forward: bytes)
            case .success((.response(let id, let body), _)):
                handleUpstreamResponse(id: id, body: body, raw: bytes)
            case .success((.notification(let method, let params), let message)):
                if method == "notifications/tasks/status" {
                    relayTaskStatus(params: params, message: message, raw: bytes)
                    return
                }
                if method == "notifications/cancelled" {
                    upstreamCancelled(params: params, raw: bytes)
                    return
                }
                sendToClient(bytes)
                if method == "notifications/tools/list_changed" { refreshCatalogue() }
            case .success((.request(let id, let method, let params), _)):
                if method == "sampling/createMessage" {
                    governSampling(id: id, params: params, raw: bytes)
                    return
                }
                relayRequestToClient(bytes, upstreamId: id)
            }
        }
    }

    /// Takes the request the upstream answered with `id`; an id the gateway did not give (or gave
    /// and saw answered) is dropped with a log line, never forwarded.
    func takePending(upstreamId id: JSONValue) -> PendingUpstream? {
        guard case .integer(let number) = id, let pending = pendingUpstream.removeValue(forKey: number) else {
            logger.warning("dropped a response from the upstream server with id \(JSONRPC.idKey(id)), which answers no request the gateway sent")
            return nil
        }
        if let clientKey = pending.clientKey { upstreamIds.removeValue(forKey: clientKey) }
        defer { resumeIdleWaitersIfIdle() }
        return pending
    }

    /// An answer the gateway cannot read whole (over the size limit, or refused by the strict
    /// parser). A request the gateway need not look inside gets the bytes unchanged (`forward`)
    /// when there are any; a governed one (a tool call, a listing) is answered with an error that
    /// names why, and a tool call's outcome is recorded.
    func answerUnreadable(upstreamId: JSONValue, reason: String, forward bytes: [UInt8]?) {
        guard let pending = takePending(upstreamId: upstreamId) else { return }
        let errorBody = Self.errorBody(id: upstreamId, code: JSONRPCErrorCode.internalError, message: reason)
        switch pending.kind {
        case .passthrough:
            if let bytes, let clientId = pending.clientId, let spliced = TopLevelId.replacing(in: bytes, with: clientId) {
                sendToClient(spliced)
            } else {
                answered(pending, body: errorBody, raw: JSONRPC.encode(errorBody))
            }
        default:
            logger.error("answered a request with an error: \(reason)")
            answered(pending, body: errorBody, raw: JSONRPC.encode(errorBody))
        }
    }

    func handleUpstreamResponse(id: JSONValue, body: JSONValue, raw: [UInt8]) {
        guard let pending = takePending(upstreamId: id) else { return }
        answered(pending, body: body, raw: raw)
    }

    /// Goes on with a request the upstream answered: `body` and `raw` carry the gateway's id, and
    /// what reaches the client carries the client's.
    func answered(_ pending: PendingUpstream, body upstreamBody: JSONValue, raw upstreamRaw: [UInt8]) {
        if case .internalRequest(let continuation) = pending.kind {
            continuation.resume(returning: upstreamBody)
            return
        }
        guard let clientId = pending.clientId, let key = pending.clientKey else { return }
        var body = upstreamBody
        if case .object(var members) = body {
            members["id"] = clientId
            body = .object(members)
        }
        let raw = TopLevelId.replacing(in: upstreamRaw, with: clientId) ?? JSONRPC.encode(body)
        switch pending.kind {
        case .toolCall(let callId, let tool, let started):
            let ownedTaskId = calls[key]?.ownedTaskId
            if let upstreamTaskId = Self.createdTaskId(body), ownedTaskId != nil {
                // The upstream made a task of a call the gateway already answered with its own:
                // the gateway fetches its result and finishes its own task with it.
                followUpstreamTask(upstreamTaskId, for: pending, body: body)
                return
            }
            guard transition(key, { $0.answered() }) == .deliver else { return }
            defer { endIfFinished(key) }
            if let taskId = Self.createdTaskId(body) {
                // A task handle, not the result: the result comes through tasks/result, governed there.
                governedTasks[taskId] = GovernedTask(callId: callId, tool: tool, started: started, trace: toolCallTraces.removeValue(forKey: key))
                sendToClient(withoutSecrets(body: body, raw: raw, tool: tool).1)
                return
            }
            complete(callId: callId, tool: tool, key: key, started: started, body: body, raw: raw, ownedTaskId: ownedTaskId)
        case .initialize:
            sendToClient(configuration.policy.tasks == .off ? Self.withoutTaskCapability(body) ?? raw : raw)
        case .task(let method, let taskId):
            answeredTask(method: method, taskId: taskId, key: key, body: body, raw: raw)
        case .taskList:
            sendToClient(governedTaskList(body) ?? raw)
        case .toolsList:
            // The client's own listing is answered from the upstream's answer to it: its tools are
            // checked against their pins here, so a slow first listing never leaves it empty.
            let listing = body
            spawn { session in
                await session.observeListing(listing)
                session.sendToClient(session.filteredToolsList(listing) ?? raw)
            }
        case .passthrough:
            sendToClient(raw)
        case .internalRequest:
            break
        }
    }

    /// Answers the client with a call's result (credentials redacted or withheld as the policy
    /// says), then records its outcome in the next group commit: the decision is the one durable
    /// write before the call runs, and the outcome (its digest included) is worked out after the
    /// answer is sent, on another thread for a large result. A gateway that dies in between leaves
    /// the call `forwarded`, and recovery records it `unknown` (never missing, never left pending).
    func complete(
        callId: String, tool: String, key: String, started: ContinuousClock.Instant, body: JSONValue, raw: [UInt8], ownedTaskId: String? = nil
    ) {
        let elapsed = ContinuousClock.now - started
        // One pass over the bytes serves the client's copy and the ledger's.
        let mayHoldSecrets = secretScanner.mayFind(inJSON: raw)
        let (checkedBody, checkedRaw, withheld) = withoutSecrets(body: body, raw: raw, tool: tool, mayHoldSecrets: mayHoldSecrets)
        traceUpstreamAnswered(key: key, body: checkedBody)
        let (scanner, maxStored) = (secretScanner, configuration.maxStoredResultBytes)
        deliver(checkedRaw, callId: callId, tool: tool, key: key, ownedTaskId: ownedTaskId) {
            Self.outcome(
                of: checkedBody, mayHoldSecrets: mayHoldSecrets, scanner: scanner, maxStoredResultBytes: maxStored, elapsed: elapsed, withheld: withheld)
        }
    }

    /// A tool call's plain result too large to be kept in the ledger, answered without building its
    /// tree: its bytes are checked and made into RFC 8785 form in one pass (``ResultEnvelope``),
    /// forwarded as they came (with the client's id), and digested in that form. Returns `false`,
    /// having changed nothing, for anything that needs the tree: another kind of request, a task
    /// (created by the upstream, or the gateway's own), a result that may hold a credential, a
    /// tracer that records results, a line the strict parser would refuse.
    func answeredWithoutTree(_ envelope: ResultEnvelope, raw: [UInt8]) -> Bool {
        guard case .integer(let number) = envelope.id, let pending = pendingUpstream[number],
              case .toolCall(let callId, let tool, let started) = pending.kind, let clientId = pending.clientId, let key = pending.clientKey,
              calls[key]?.ownedTaskId == nil, toolCallTraces[key] == nil || tracer?.includesContent != true,
              !secretScanner.mayFind(inJSON: raw), let canonical = try? envelope.canonicalResult(in: raw)
        else { return false }
        let (isError, hasTask) = ResultEnvelope.flags(of: canonical)
        guard !hasTask, let forwarded = TopLevelId.replacing(in: raw, with: clientId) else { return false }
        _ = takePending(upstreamId: envelope.id)
        guard transition(key, { $0.answered() }) == .deliver else { return true }
        defer { endIfFinished(key) }
        let elapsed = ContinuousClock.now - started
        toolCallTraces[key]?.upstreamEnded(error: isError ? Self.toolReportedError : nil, result: nil)
        // Kept only when its canonical form is small enough (a result sent with much whitespace).
        let stored = canonical.count > configuration.maxStoredResultBytes ? nil : try? JSONParser.parse(raw[envelope.result])
        deliver(forwarded, callId: callId, tool: tool, key: key, ownedTaskId: nil) {
            Self.outcome(canonical: canonical, stored: stored, isError: isError, reason: nil, elapsed: elapsed)
        }
        return true
    }

    /// Sends a call's answer to the client (or finishes the gateway's own task with it), then adds
    /// its outcome, worked out by `outcome` (on another thread when the answer is large), to the
    /// group commit, as side work that shutdown waits for.
    private func deliver(
        _ response: [UInt8], callId: String, tool: String, key: String, ownedTaskId: String?, outcome: @escaping @Sendable () -> ToolCallOutcome
    ) {
        beginSideWork()
        if let ownedTaskId {
            finishOwnedTask(ownedTaskId, response: response)
        } else {
            sendToClient(response)
        }
        guard response.count > Self.outcomeOffThreadBytes else {
            queueOutcome(ToolCallCompletion(id: callId, outcome: outcome()), key: key, tool: tool)
            return
        }
        spawn { session in
            let completion = ToolCallCompletion(id: callId, outcome: await Self.offThread(outcome))
            session.queueOutcome(completion, key: key, tool: tool)
        }
    }

    /// Above this many bytes a result's outcome (its scan and digest) is worked out on another
    /// thread than the session's, so the next message is not kept waiting.
    static let outcomeOffThreadBytes = 64 * 1024

    /// Runs `work` on the global concurrent executor.
    @concurrent static func offThread<Value: Sendable>(_ work: @Sendable () -> Value) async -> Value { work() }

    /// Adds a call's outcome to the store's group commit (see ``queueWrite(_:then:)``); ends the
    /// side work begun for it once written.
    private func queueOutcome(_ completion: ToolCallCompletion, key: String, tool: String) {
        queueWrite(.completion(completion)) { session, result in
            if case .failure(let error) = result { session.logger.error("could not record the outcome of tool \(tool) (call \(completion.id)): \(error)") }
            session.traceToolCallEnded(key: key)
            session.endSideWork()
        }
    }

    /// A tool call's response with the credentials in its result redacted or the result withheld,
    /// as `spec.secrets.results` says; unchanged when there are none. `withheld` says why a result
    /// was withheld (the call's recorded reason), `nil` when it was not. A response whose bytes
    /// hold nothing a credential could be made of is cleared in one pass over them
    /// (`mayHoldSecrets`, when the caller made that pass already).
    func withoutSecrets(body: JSONValue, raw: [UInt8], tool: String, mayHoldSecrets: Bool? = nil) -> (JSONValue, [UInt8], withheld: String?) {
        let action = configuration.policy.secrets.results
        guard action != .off, mayHoldSecrets ?? secretScanner.mayFind(inJSON: raw), case .object(var members) = body else { return (body, raw, nil) }
        let field = members["result"] != nil ? "result" : "error"
        guard let payload = members[field] else { return (body, raw, nil) }
        let kinds = secretScanner.kinds(in: payload)
        guard !kinds.isEmpty else { return (body, raw, nil) }
        var withheld: String?
        logger.warning("the result of tool \(tool) contained a secret (\(kinds.joined(separator: ", "))): \(action == .block ? "withheld" : "redacted")")
        if action == .redact || field == "error" {
            members[field] = secretScanner.redacting(payload)
        } else {
            withheld = "result withheld: it contained a secret (\(kinds.joined(separator: ", ")))"
            members["result"] = [
                "content": [["type": "text", "text": .string("RiskKernel withheld the result of tool \"\(tool)\": it contained a secret (\(kinds.joined(separator: ", ")))")]],
                "isError": true,
            ]
        }
        let checked = JSONValue.object(members)
        return (checked, JSONRPC.encode(checked), withheld)
    }

    /// The upstream closed its output: everything still waiting on it fails, a tool call with its
    /// outcome recorded.
    public func upstreamClosed(exitStatus: Int32?) async {
        let reason = exitStatus.map { "the upstream server exited with status \($0)" } ?? "the upstream server closed its output"
        let pending = pendingUpstream
        pendingUpstream = [:]
        upstreamIds = [:]
        for (upstreamId, request) in pending.sorted(by: { $0.key < $1.key }) {
            if case .internalRequest(let continuation) = request.kind {
                continuation.resume(throwing: UpstreamSpawnError(command: configuration.upstreamCommand.first ?? "", reason: reason))
                continue
            }
            if case .toolCall(_, let tool, _) = request.kind { logger.error("tool \(tool) failed: \(reason)") }
            let body = Self.errorBody(id: .integer(upstreamId), code: JSONRPCErrorCode.upstreamUnavailable, message: reason)
            answered(request, body: body, raw: JSONRPC.encode(body))
        }
        resumeIdleWaitersIfIdle()
    }

    /// A JSON-RPC error response as a value.
    static func errorBody(id: JSONValue, code: Int64, message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": ["code": .integer(code), "message": .string(message)]]
    }

    /// Runs `work` on the session's thread after everything already queued there.
    nonisolated func afterQueuedWork(_ work: @escaping @Sendable (isolated GatewaySession) -> Void) {
        executor.submit { [self] in assumeIsolated { work($0) } }
    }

    // MARK: Writing

    func sendToClient(_ bytes: [UInt8]) {
        client.writeLine(bytes)
    }

    /// Forwards a notification or a response to the upstream.
    func sendUpstream(_ bytes: [UInt8]) {
        _ = upstream.writeLine(bytes)
    }

    /// Forwards a client request under an id the gateway assigns (the client's id comes back on
    /// the response); a request that cannot be delivered is answered with an error. Returns the id.
    @discardableResult
    func sendRequestUpstream(_ raw: [UInt8], clientId: JSONValue, kind: PendingKind) -> Int64 {
        lastUpstreamId += 1
        let upstreamId = lastUpstreamId
        let clientKey = JSONRPC.idKey(clientId)
        pendingUpstream[upstreamId] = PendingUpstream(kind: kind, clientId: clientId, clientKey: clientKey)
        upstreamIds[clientKey] = upstreamId
        let bytes = TopLevelId.replacing(in: raw, with: .integer(upstreamId)) ?? raw
        if !upstream.writeLine(bytes), let pending = takePending(upstreamId: .integer(upstreamId)) {
            // Answered as the upstream would have been, had it said it is gone.
            let body = Self.errorBody(id: .integer(upstreamId), code: JSONRPCErrorCode.upstreamUnavailable, message: "the upstream server is not running")
            answered(pending, body: body, raw: JSONRPC.encode(body))
        }
        return upstreamId
    }
}

extension Duration {
    /// The duration in milliseconds, fractional.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
