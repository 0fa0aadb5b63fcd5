import Foundation
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// The error code a denied sampling request is answered with: MCP's "user rejected sampling
    /// request" (-1).
    static let samplingRejected: Int64 = -1

    /// `sampling/createMessage` from the upstream: recorded in the ledger (method, model hints,
    /// whether tools were offered; no content), then relayed to the client, or answered with an
    /// error under `spec.sampling: deny`.
    func governSampling(id: JSONValue, params: JSONValue?, raw: [UInt8]) {
        let hints = params?["modelPreferences"]?["hints"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        let offered = params?["tools"]?.arrayValue.map { !$0.isEmpty } ?? false
        let allowed = configuration.policy.sampling == .allow
        let request = SamplingRequest(method: "sampling/createMessage", modelHints: hints, toolsOffered: offered, decision: allowed ? "allow" : "deny")
        spawn { session in
            var refusal = allowed ? nil : "the policy denies sampling (spec.sampling: deny)"
            do {
                try await session.store.recordSampling(runId: session.runId, request)
            } catch {
                // Nothing reaches the client's model unrecorded.
                session.logger.error("could not record a sampling request of the upstream server: \(error)")
                refusal = "it could not be recorded: \(error)"
            }
            if let refusal {
                session.logger.notice("refused the upstream's sampling/createMessage: \(refusal)")
                session.sendUpstream(JSONRPC.errorResponse(id: id, code: Self.samplingRejected, message: "RiskKernel refused the sampling request: \(refusal)"))
            } else {
                session.relayRequestToClient(raw, upstreamId: id)
            }
        }
    }
}
