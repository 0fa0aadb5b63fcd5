import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

/// One gateway process's view of the conversation between the client (agent) and the upstream
/// server: it forwards what it does not govern unchanged, governs `tools/call`, filters
/// `tools/list`, and answers the `riskkernel/` extension methods itself.
public actor GatewaySession {
    /// What a request sent upstream is waiting for.
    enum PendingUpstream {
        case toolCall(callId: String, tool: String, started: ContinuousClock.Instant)
        case toolsList
        /// Any other client request, tracked so it can be failed if the upstream goes away.
        case passthrough
        case internalRequest(CheckedContinuation<JSONValue, Error>)
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

    var pendingUpstream: [String: PendingUpstream] = [:]
    /// The tasks of calls waiting for something (the tool catalogue, a person's approval), by
    /// request id key; a cancellation cancels them.
    var heldCalls: [String: Task<Void, Never>] = [:]
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
    /// How long the gateway waits for the upstream to answer its own requests.
    let internalRequestTimeout: Duration = .seconds(5)
    var internalRequestCount = 0
    var shuttingDown = false
    /// Calls being decided or completed right now (their ledger writes are in flight).
    var activeWork = 0
    var checkpointLimitLogged = false
    /// Approvals of a resumed run still waiting for their call to be repeated.
    var adoptedApprovals: [ApprovalRecord] = []
    /// Receives spans of governed calls; `nil` when no OpenTelemetry exporter is configured.
    let tracer: (any GatewayTracer)?
    /// The spans of tool calls in progress, by request id key (empty without a tracer).
    var toolCallTraces: [String: any ToolCallTrace] = [:]
    /// The thread this actor runs on.
    let executor = DedicatedThreadExecutor(name: "riskkernel-gateway")
    /// Decisions waiting for their group's transaction.
    let decisionCommits = GroupCommit<DecisionRequest<GovernedCall>, RecordedDecision<GovernedCall>>()
    /// Calls whose decision waits for its group, by request id key.
    var decidingKeys: Set<String> = []
    /// Calls cancelled by the client while their decision waited for its group.
    var cancelledBeforeDecision: Set<String> = []
    /// Outcomes waiting for their group's transaction.
    let outcomeCommits = GroupCommit<ToolCallCompletion, Void>()

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(
        configuration: GatewayConfiguration, store: any Store, runId: String, client: LineWriter, upstream: LineWriter, logger: Logger,
        pipeline: DecisionPipeline = .standard, tracer: (any GatewayTracer)? = nil
    ) {
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
        case .oversized(let count, _):
            logger.warning("refused a client message of \(count) bytes (limit \(configuration.maxLineBytes))")
            sendToClient(JSONRPC.errorResponse(
                id: .null, code: JSONRPCErrorCode.invalidRequest,
                message: "Invalid Request: message of \(count) bytes exceeds the limit of \(configuration.maxLineBytes) bytes"))
        case .line(let bytes):
            switch JSONRPC.classify(bytes) {
            case .failure(let rejection):
                logger.warning("refused a client message: \(rejection.message)")
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
                Task { await self.answerExtension(id: id, method: method, params: params) }
            } else {
                pendingUpstream[JSONRPC.idKey(id)] = method == "tools/list" ? .toolsList : .passthrough
                sendUpstream(raw, failingRequest: id)
            }
        case .notification(let method, let params):
            if method.lowercased().hasPrefix(ExtensionMethods.prefix) {
                logger.warning("dropped notification \(method): riskkernel/ messages are never forwarded")
                return
            }
            if method == "notifications/cancelled", let requestId = params?["requestId"] {
                clientCancelled(requestId)
            }
            sendUpstream(raw, failingRequest: nil)
            if method == "notifications/initialized" { refreshCatalogue() }
        case .response:
            sendUpstream(raw, failingRequest: nil)
        }
    }

    // MARK: From the upstream

    /// Handles one line (or oversized line) from the upstream server.
    public func handleUpstreamEvent(_ event: LineEvent) {
        switch event {
        case .oversized(let count, let head):
            let reason = "the upstream server sent a message of \(count) bytes, over the limit of \(configuration.maxLineBytes) (--max-line-bytes)"
            logger.error("\(reason)")
            guard let id = JSONRPC.leadingId(in: head) else { return }
            let error: JSONValue = ["code": .integer(JSONRPCErrorCode.internalError), "message": .string(reason)]
            let body: JSONValue = ["jsonrpc": "2.0", "id": id, "error": error]
            handleUpstreamResponse(id: id, body: body, raw: JSONRPC.encode(body))
        case .line(let bytes):
            switch JSONRPC.classify(bytes) {
            case .failure(let rejection):
                logger.warning("dropped an invalid message from the upstream server: \(rejection.message)")
            case .success((.response(let id, let body), _)):
                handleUpstreamResponse(id: id, body: body, raw: bytes)
            case .success((.notification(let method, _), _)):
                sendToClient(bytes)
                if method == "notifications/tools/list_changed" { refreshCatalogue() }
            case .success((.request, _)):
                sendToClient(bytes)
            }
        }
    }

    func handleUpstreamResponse(id: JSONValue, body: JSONValue, raw: [UInt8]) {
        let key = JSONRPC.idKey(id)
        switch pendingUpstream.removeValue(forKey: key) {
        case .toolCall(let callId, let tool, let started)?:
            let elapsed = ContinuousClock.now - started
            let (checkedBody, checkedRaw) = withoutSecrets(body: body, raw: raw, tool: tool)
            traceUpstreamAnswered(key: key, body: checkedBody)
            activeWork += 1
            // Answered once the outcome is recorded, in the next group commit.
            let completion = ToolCallCompletion(id: callId, outcome: outcome(of: checkedBody, elapsed: elapsed))
            let startsGroup = outcomeCommits.add(completion, key: key) { [self] result in
                if case .failure(let error) = result { logger.error("could not record the outcome of tool \(tool) (call \(callId)): \(error)") }
                sendToClient(checkedRaw)
                traceToolCallEnded(key: key)
                activeWork -= 1
            }
            if startsGroup { afterQueuedWork { $0.writeOutcomes() } }
        case .toolsList?:
            // Filtered once the gateway's own listing has checked the pins.
            if catalogueLoad == nil { refreshCatalogue() }
            activeWork += 1
            Task {
                await self.catalogueLoad?.value
                self.sendToClient(self.filteredToolsList(body) ?? raw)
                self.activeWork -= 1
            }
        case .passthrough?:
            sendToClient(raw)
        case .internalRequest(let continuation)?:
            continuation.resume(returning: body)
        case nil:
            sendToClient(raw)
        }
    }

    /// A tool call's response with the credentials in its result redacted or the result withheld,
    /// as `spec.secrets.results` says; unchanged when there are none.
    func withoutSecrets(body: JSONValue, raw: [UInt8], tool: String) -> (JSONValue, [UInt8]) {
        let action = configuration.policy.secrets.results
        guard action != .off, case .object(var members) = body else { return (body, raw) }
        let field = members["result"] != nil ? "result" : "error"
        guard let payload = members[field] else { return (body, raw) }
        let kinds = secretScanner.kinds(in: payload)
        guard !kinds.isEmpty else { return (body, raw) }
        logger.warning("the result of tool \(tool) contained a secret (\(kinds.joined(separator: ", "))): \(action == .block ? "withheld" : "redacted")")
        if action == .redact || field == "error" {
            members[field] = secretScanner.redacting(payload)
        } else {
            members["result"] = [
                "content": [["type": "text", "text": .string("RiskKernel withheld the result of tool \"\(tool)\": it contained a secret (\(kinds.joined(separator: ", ")))")]],
                "isError": true,
            ]
        }
        let checked = JSONValue.object(members)
        return (checked, JSONRPC.encode(checked))
    }

    /// The upstream closed its output: everything still waiting on it fails.
    public func upstreamClosed(exitStatus: Int32?) async {
        let reason = exitStatus.map { "the upstream server exited with status \($0)" } ?? "the upstream server closed its output"
        let pending = pendingUpstream
        pendingUpstream = [:]
        for (key, kind) in pending {
            switch kind {
            case .toolCall(let callId, let tool, let started):
                try? await store.completeToolCall(
                    id: callId,
                    outcome: ToolCallOutcome(status: .failed, isError: true, reason: reason, durationMs: (ContinuousClock.now - started).milliseconds))
                logger.error("tool \(tool) failed: \(reason)")
                traceToolCallEnded(key: key, error: reason)
                sendToClient(JSONRPC.errorResponse(id: Self.id(fromKey: key), code: JSONRPCErrorCode.upstreamUnavailable, message: reason))
            case .toolsList, .passthrough:
                sendToClient(JSONRPC.errorResponse(id: Self.id(fromKey: key), code: JSONRPCErrorCode.upstreamUnavailable, message: reason))
            case .internalRequest(let continuation):
                continuation.resume(throwing: UpstreamSpawnError(command: configuration.upstreamCommand.first ?? "", reason: reason))
            }
        }
    }

    // MARK: Recording

    /// Writes the waiting decisions in one transaction, then continues each call.
    func writeDecisions() {
        var group = decisionCommits.take()
        // A call cancelled while it waited is not recorded.
        for (index, entry) in group.enumerated().reversed() where cancelledBeforeDecision.remove(entry.key) != nil {
            group.remove(at: index)
            entry.then(.failure(CancellationError()))
        }
        write(group, now: { try $0.decideToolCallsNow($1) }, later: { [store] in try await store.decideToolCalls($0) })
    }

    /// Writes the waiting outcomes in one transaction, then answers each call.
    func writeOutcomes() {
        write(outcomeCommits.take(), now: { try $0.completeToolCallsNow($1) }, later: { [store] in try await store.completeToolCalls($0) })
    }

    /// Writes a group on this thread when the store can (SQLite), else from a task; then runs each
    /// entry's continuation with its own result, or every one with the error of the transaction.
    private func write<Request: Sendable, Written: Sendable>(
        _ group: [GroupCommit<Request, Written>.Entry],
        now: (any SynchronousToolCallStore, [Request]) throws -> [Result<Written, any Error>],
        later: @escaping @Sendable ([Request]) async throws -> [Result<Written, any Error>]
    ) {
        guard !group.isEmpty else { return }
        let requests = group.map(\.request)
        if let store = store as? any SynchronousToolCallStore {
            deliver(Result { try now(store, requests) }, to: group)
            return
        }
        Task {
            do {
                deliver(.success(try await later(requests)), to: group)
            } catch {
                deliver(.failure(error), to: group)
            }
        }
    }

    private func deliver<Request, Written>(
        _ outcome: Result<[Result<Written, any Error>], any Error>, to group: [GroupCommit<Request, Written>.Entry]
    ) {
        for (entry, result) in zip(group, resultsPerItem(outcome, count: group.count)) { entry.then(result) }
    }

    /// Runs `work` on the session's thread after everything already queued there.
    nonisolated func afterQueuedWork(_ work: @escaping @Sendable (isolated GatewaySession) -> Void) {
        executor.submit { [self] in assumeIsolated { work($0) } }
    }

    // MARK: Writing

    func sendToClient(_ bytes: [UInt8]) {
        client.writeLine(bytes)
    }

    /// Forwards to the upstream; a request that cannot be delivered is answered with an error.
    func sendUpstream(_ bytes: [UInt8], failingRequest id: JSONValue?) {
        guard upstream.writeLine(bytes) else {
            if let id {
                pendingUpstream.removeValue(forKey: JSONRPC.idKey(id))
                traceToolCallEnded(key: JSONRPC.idKey(id), error: "the upstream server is not running")
                sendToClient(JSONRPC.errorResponse(
                    id: id, code: JSONRPCErrorCode.upstreamUnavailable, message: "the upstream server is not running"))
            }
            return
        }
    }

    static func id(fromKey key: String) -> JSONValue {
        (try? JSONParser.parse(key)) ?? .null
    }

    // MARK: Tool catalogue and tools/list

    /// Lists the upstream's tools (all pages) so that calls can be classified by their annotations.
    func refreshCatalogue() {
        // Stateless protocol revisions need the client's protocol envelope on every request.
        let envelope = protocolEnvelope
        catalogueGeneration += 1
        catalogueReady = false
        let generation = catalogueGeneration
        catalogueLoad = Task {
            defer { if self.catalogueGeneration == generation { self.catalogueReady = true } }
            var cursor: JSONValue?
            var definitions: [String: JSONValue] = [:]
            for _ in 0..<100 {
                var params: [String: JSONValue] = [:]
                if let cursor { params["cursor"] = cursor }
                if let envelope { params["_meta"] = envelope }
                guard let response = try? await self.internalRequest(method: "tools/list", params: .object(params)),
                      let tools = response["result"]?["tools"]?.arrayValue
                else {
                    self.logger.warning("could not list the upstream's tools; unknown tools are classified as \"write\"")
                    self.pinsUnverified = true
                    return
                }
                for tool in tools { if let name = tool["name"]?.stringValue { definitions[name] = tool } }
                cursor = response["result"]?["nextCursor"]
                if cursor == nil || cursor == .null { break }
            }
            self.toolCatalogue = definitions
            await self.checkPins(definitions)
        }
    }

    /// Sends a request of the gateway's own upstream; fails after ``internalRequestTimeout``.
    func internalRequest(method: String, params: JSONValue) async throws -> JSONValue {
        internalRequestCount += 1
        let id = JSONValue.string("riskkernel-internal-\(internalRequestCount)")
        let key = JSONRPC.idKey(id)
        let message = JSONRPC.encode(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params])
        let timeout = internalRequestTimeout
        let expiry = Task {
            try await Task.sleep(for: timeout)
            self.expireInternalRequest(key: key, method: method)
        }
        defer { expiry.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pendingUpstream[key] = .internalRequest(continuation)
            if !upstream.writeLine(message) {
                pendingUpstream.removeValue(forKey: key)
                continuation.resume(throwing: UpstreamSpawnError(command: configuration.upstreamCommand.first ?? "", reason: "not running"))
            }
        }
    }

    func expireInternalRequest(key: String, method: String) {
        guard case .internalRequest(let continuation)? = pendingUpstream.removeValue(forKey: key) else { return }
        continuation.resume(throwing: UpstreamSpawnError(
            command: configuration.upstreamCommand.first ?? "", reason: "no answer to \(method) within \(internalRequestTimeout)"))
    }

    /// A `tools/list` response with only the tools the policy allows (and, under `toolPinning:
    /// enforce`, whose definition is the one pinned), or `nil` to forward it unchanged.
    func filteredToolsList(_ body: JSONValue) -> [UInt8]? {
        guard case .object(var members) = body, case .object(var result)? = members["result"],
              let tools = result["tools"]?.arrayValue
        else { return nil }
        for tool in tools { if let name = tool["name"]?.stringValue { toolCatalogue[name] = tool } }
        let enforcePins = configuration.policy.toolPinning == .enforce
        let allowed = tools.filter { tool in
            guard let name = tool["name"]?.stringValue, configuration.policy.allows(tool: name) else { return false }
            return !enforcePins || ToolDefinition(tool: tool)?.hash == toolPins[name]?.pinnedHash
        }
        guard allowed.count != tools.count else { return nil }
        result["tools"] = .array(allowed)
        members["result"] = .object(result)
        return JSONRPC.encode(.object(members))
    }
}

extension Duration {
    /// The duration in milliseconds, fractional.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
