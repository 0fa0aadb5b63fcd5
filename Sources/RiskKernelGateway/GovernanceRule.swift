import Foundation
import RiskKernelCore
import RiskKernelStore

/// What the decision of one `tools/call` yielded beside the stored call.
struct GovernedCall: Sendable {
    /// The call as recorded: its arguments with every detected secret redacted.
    var call: NewToolCall
    /// The arguments to forward (rewritten by argument rules, secrets intact).
    var arguments: JSONValue
    /// Whether argument rules rewrote the arguments.
    var rewritten: Bool

    var decision: Decision { call.decision }
}

/// Everything the decision of one `tools/call` needs except the run's state, which the store
/// reads in the transaction that records the decision. Pure: ``decide(_:)`` does no I/O.
struct GovernanceRule: Sendable {
    var runId: String
    var requestKey: String
    var tool: String
    var arguments: JSONValue
    var sideEffect: String
    var policy: Policy
    var pipeline: DecisionPipeline
    var secretScanner: SecretScanner
    var pinStatus: ToolPinStatus?
    var server: String
    /// The recorded arguments of approvals of this tool that a resumed run adopted.
    var adoptable: [JSONValue]

    /// How far back the run tree's calls are needed, or `nil` when no rate limit applies to the tool.
    func rateLimitWindowStart(now: Date) -> Date? {
        policy.rateLimits.filter { $0.tool.matches(tool) }.map(\.per).max().map { now.addingTimeInterval(-$0.seconds) }
    }

    /// Runs the pipeline over the run's state; the call to record is `nil` when it repeats a call
    /// whose adopted approval it will reuse.
    func decide(_ inputs: DecisionInputs) -> (call: NewToolCall?, verdict: GovernedCall) {
        let context = ToolCallContext(
            tool: tool, arguments: arguments, sideEffect: sideEffect, policy: policy,
            budgets: inputs.state.budgets, haltReason: inputs.state.haltReason, secretScanner: secretScanner,
            pinStatus: pinStatus, server: server, recentToolCalls: inputs.recentCalls.map { RecentToolCalls(now: inputs.now, calls: $0) })
        let result = pipeline.decide(context)
        let rewritten = result.arguments != arguments
        // The ledger, approvals and exports never hold a detected secret.
        let recorded = secretScanner.redacting(arguments)
        let call = NewToolCall(
            runId: runId, requestId: requestKey, tool: tool, sideEffect: sideEffect, arguments: recorded,
            forwardedArguments: rewritten ? secretScanner.redacting(result.arguments) : nil, decision: result.decision)
        let verdict = GovernedCall(call: call, arguments: result.arguments, rewritten: rewritten)
        if case .needsApproval = result.decision, adoptable.contains(recorded) { return (nil, verdict) }
        return (call, verdict)
    }
}
