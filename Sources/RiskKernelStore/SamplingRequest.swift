import Foundation
import RiskKernelCore

/// A request of the upstream server to the client's model (`sampling/createMessage`), as the
/// ledger keeps it: what was asked for, never the messages themselves.
public struct SamplingRequest: Sendable, Hashable {
    /// `sampling/createMessage`.
    public var method: String
    /// `params.modelPreferences.hints[].name`, in order.
    public var modelHints: [String]
    /// Whether the request offered the model tools (`params.tools`, MCP 2025-11-25).
    public var toolsOffered: Bool
    /// `allow` (relayed to the client) or `deny` (answered with an error), as `spec.sampling` says.
    public var decision: String

    public init(method: String, modelHints: [String], toolsOffered: Bool, decision: String) {
        self.method = method
        self.modelHints = modelHints
        self.toolsOffered = toolsOffered
        self.decision = decision
    }

    /// The `sampling.requested` event's data.
    var event: JSONValue {
        [
            "method": .string(method), "modelHints": .array(modelHints.map(JSONValue.string)), "toolsOffered": .bool(toolsOffered),
            "decision": .string(decision),
        ]
    }
}
