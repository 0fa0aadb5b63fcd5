import Foundation
import RiskKernelCore

/// A request sent to the client under an id the gateway assigned.
enum PendingClientRequest {
    /// The upstream's request (sampling, elicitation, roots, ping), known upstream by `id`.
    case upstream(id: JSONValue)
    /// The gateway's own request; `answered` gets the client's response (or `nil` when the client
    /// went away or the request was withdrawn).
    case own(answered: @Sendable (isolated GatewaySession, JSONValue?) -> Void)
}

extension GatewaySession {
    /// Relays a request of the upstream's to the client under an id from the gateway's id space
    /// toward the client, so that the gateway's own requests there never collide with the
    /// upstream's; the client's answer goes back under the upstream's id.
    func relayRequestToClient(_ raw: [UInt8], upstreamId: JSONValue) {
        let clientId = nextClientRequestId(.upstream(id: upstreamId))
        clientRequestIds[JSONRPC.idKey(upstreamId)] = clientId
        sendToClient(TopLevelId.replacing(in: raw, with: .integer(clientId)) ?? raw)
    }

    /// Sends a request of the gateway's own to the client; `answered` runs on the session with
    /// the response, or with `nil` if the request is withdrawn (``withdrawClientRequest(_:)``).
    /// Returns the request's id.
    @discardableResult
    func requestFromClient(
        method: String, params: JSONValue, answered: @escaping @Sendable (isolated GatewaySession, JSONValue?) -> Void
    ) -> Int64 {
        let clientId = nextClientRequestId(.own(answered: answered))
        sendToClient(JSONRPC.encode(["jsonrpc": "2.0", "id": .integer(clientId), "method": .string(method), "params": params]))
        return clientId
    }

    /// Withdraws a request of the gateway's own (`notifications/cancelled` to the client).
    func withdrawClientRequest(_ clientId: Int64, reason: String) {
        guard case .own(let answered)? = pendingClient.removeValue(forKey: clientId) else { return }
        sendToClient(JSONRPC.notification(method: "notifications/cancelled", params: ["requestId": .integer(clientId), "reason": .string(reason)]))
        answered(self, nil)
    }

    private func nextClientRequestId(_ pending: PendingClientRequest) -> Int64 {
        lastClientRequestId += 1
        pendingClient[lastClientRequestId] = pending
        return lastClientRequestId
    }

    /// The client answered a request sent to it: an upstream's request gets the answer under its
    /// own id; the gateway's own request goes on with it. An answer to no such request is dropped.
    func clientResponded(id: JSONValue, body: JSONValue, raw: [UInt8]) {
        guard case .integer(let clientId) = id, let pending = pendingClient.removeValue(forKey: clientId) else {
            logger.warning("dropped a response from the client with id \(JSONRPC.idKey(id)), which answers no request sent to it")
            return
        }
        switch pending {
        case .upstream(let upstreamId):
            clientRequestIds.removeValue(forKey: JSONRPC.idKey(upstreamId))
            sendUpstream(TopLevelId.replacing(in: raw, with: upstreamId) ?? raw)
        case .own(let answered):
            answered(self, body)
        }
    }

    /// The upstream cancelled a request it sent to the client: the notification reaches the
    /// client under the id the client knows it by.
    func upstreamCancelled(params: JSONValue?, raw: [UInt8]) {
        guard let requestId = params?["requestId"], let clientId = clientRequestIds.removeValue(forKey: JSONRPC.idKey(requestId)) else {
            sendToClient(raw)
            return
        }
        pendingClient.removeValue(forKey: clientId)
        var members = params?.objectValue ?? [:]
        members["requestId"] = .integer(clientId)
        sendToClient(JSONRPC.notification(method: "notifications/cancelled", params: .object(members)))
    }

    /// The client sent something the gateway cannot read whole in answer to a request sent to it:
    /// the upstream's request is answered with an error that says so (so it never waits forever).
    func clientAnswerUnreadable(id: JSONValue, reason: String) {
        guard case .integer(let clientId) = id, let pending = pendingClient.removeValue(forKey: clientId) else { return }
        switch pending {
        case .upstream(let upstreamId):
            clientRequestIds.removeValue(forKey: JSONRPC.idKey(upstreamId))
            sendUpstream(JSONRPC.errorResponse(id: upstreamId, code: JSONRPCErrorCode.internalError, message: reason))
        case .own(let answered):
            answered(self, nil)
        }
    }
}
