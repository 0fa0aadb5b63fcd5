import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Lists the upstream's tools (all pages) so that calls can be classified by their annotations
    /// and checked against their pins. The upstream may take as long as it needs (a slow start
    /// holds the first calls, never empties the listing); an error answer is tried again.
    func refreshCatalogue() {
        // Stateless protocol revisions need the client's protocol envelope on every request.
        let envelope = protocolEnvelope
        catalogueGeneration += 1
        catalogueReady = false
        let generation = catalogueGeneration
        catalogueLoad = Task {
            defer { if self.catalogueGeneration == generation { self.catalogueReady = true } }
            for attempt in 1...Self.listingAttempts {
                if let definitions = await self.listUpstreamTools(envelope: envelope) {
                    self.toolCatalogue = definitions
                    await self.checkPins(definitions)
                    return
                }
                guard attempt < Self.listingAttempts, !self.shuttingDown else { break }
                try? await Task.sleep(for: .milliseconds(500 * attempt))
            }
            self.logger.warning("could not list the upstream's tools; unknown tools are classified as \"write\"")
            self.pinsUnverified = true
        }
    }

    /// How many times the gateway asks for the upstream's tools before it gives up.
    static let listingAttempts = 3

    /// Every page of the upstream's tools by name, or `nil` when a page could not be read.
    func listUpstreamTools(envelope: JSONValue?) async -> [String: JSONValue]? {
        var cursor: JSONValue?
        var definitions: [String: JSONValue] = [:]
        for _ in 0..<100 {
            var params: [String: JSONValue] = [:]
            if let cursor { params["cursor"] = cursor }
            if let envelope { params["_meta"] = envelope }
            guard let response = try? await internalRequest(method: "tools/list", params: .object(params)),
                  let tools = response["result"]?["tools"]?.arrayValue
            else { return nil }
            for tool in tools { if let name = tool["name"]?.stringValue { definitions[name] = tool } }
            cursor = response["result"]?["nextCursor"]
            if cursor == nil || cursor == .null { break }
        }
        return definitions
    }

    /// The client's own `tools/list` answer: a whole listing (one page) is checked against the
    /// pins at once, so the client is never answered from a listing the gateway has not finished;
    /// a page of a longer one waits for the gateway's own listing.
    func observeListing(_ body: JSONValue) async {
        guard let result = body["result"], let tools = result["tools"]?.arrayValue else { return }
        let next = result["nextCursor"]
        if (next == nil || next == .null) && !catalogueReady {
            var definitions = toolCatalogue
            for tool in tools { if let name = tool["name"]?.stringValue { definitions[name] = tool } }
            toolCatalogue = definitions
            await checkPins(definitions)
            return
        }
        if catalogueLoad == nil { refreshCatalogue() }
        await catalogueLoad?.value
    }

    /// Sends a request of the gateway's own to the upstream, under an id from the gateway's id
    /// space; waits until it is answered or the upstream goes away.
    func internalRequest(method: String, params: JSONValue) async throws -> JSONValue {
        lastUpstreamId += 1
        let upstreamId = lastUpstreamId
        let message = JSONRPC.encode(["jsonrpc": "2.0", "id": .integer(upstreamId), "method": .string(method), "params": params])
        return try await withCheckedThrowingContinuation { continuation in
            pendingUpstream[upstreamId] = PendingUpstream(kind: .internalRequest(continuation))
            if !upstream.writeLine(message) {
                pendingUpstream.removeValue(forKey: upstreamId)
                continuation.resume(throwing: UpstreamSpawnError(command: configuration.upstreamCommand.first ?? "", reason: "not running"))
            }
        }
    }

    /// A `tools/list` response with only the tools the policy allows (and, under `toolPinning:
    /// enforce`, whose definition is the one pinned; under `spec.tasks: off`, without
    /// `execution.taskSupport`), or `nil` to forward it unchanged.
    func filteredToolsList(_ body: JSONValue) -> [UInt8]? {
        guard case .object(var members) = body, case .object(var result)? = members["result"],
              let tools = result["tools"]?.arrayValue
        else { return nil }
        for tool in tools { if let name = tool["name"]?.stringValue { toolCatalogue[name] = tool } }
        let enforcePins = configuration.policy.toolPinning == .enforce
        var allowed = tools.filter { tool in
            guard let name = tool["name"]?.stringValue, configuration.policy.allows(tool: name) else { return false }
            return !enforcePins || ToolDefinition(tool: tool)?.hash == toolPins[name]?.pinnedHash
        }
        if configuration.policy.tasks == .off { allowed = allowed.map(Self.withoutTaskSupport) }
        guard allowed != tools else { return nil }
        result["tools"] = .array(allowed)
        members["result"] = .object(result)
        return JSONRPC.encode(.object(members))
    }
}
