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
    /// An approval asked for earlier for exactly this call (same match key, same run tree) that
    /// the call goes on with instead of asking again: `pending` (the call waits on it) or
    /// `approved` (the call runs on it, once). Nothing new is recorded for the call then.
    var priorApproval: ApprovalRecord?

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
    /// The store options of commands a refusal prints.
    var storeOptions: String = ""
    /// The store's secret for approval match keys.
    var approvalSecret: [UInt8]
    /// Whether the arguments may hold a credential (``SecretScanner/mayFind(inJSON:)`` over the
    /// request's bytes, outside the transaction): when they cannot, neither the secrets step nor
    /// the ledger's redaction walks them.
    var argumentsMayHoldSecrets = true

    /// How far back the run tree's calls are needed, or `nil` when no rate limit applies to the tool.
    func rateLimitWindowStart(now: Date) -> Date? {
        policy.rateLimits.filter { $0.tool.matches(tool) }.map(\.per).max().map { now.addingTimeInterval(-$0.seconds) }
    }

    func context(_ inputs: DecisionInputs?) -> ToolCallContext {
        var context = ToolCallContext(
            tool: tool, arguments: arguments, sideEffect: sideEffect, policy: policy,
            budgets: inputs?.state.budgets ?? [], haltReason: inputs?.state.haltReason, secretScanner: argumentsMayHoldSecrets ? secretScanner : nil,
            pinStatus: pinStatus, server: server, recentToolCalls: inputs.flatMap { inputs in inputs.recentCalls.map { RecentToolCalls(now: inputs.now, calls: $0) } })
        context.storeOptions = storeOptions
        return context
    }

    /// The match key of the call if the policy holds it for approval, worked out before the run's
    /// state is read: the steps that read the state never rewrite arguments, so the arguments a
    /// held call will forward are known already. `nil` for a call no approval rule holds.
    func approvalMatchKey() -> String? {
        // Most calls meet no rule that can hold them: they pay for no second pass.
        guard !policy.approvalRules.isEmpty || policy.argumentRules.contains(where: { $0.action == .requireApproval }) else { return nil }
        let preview = pipeline.decide(context(nil))
        guard case .needsApproval = preview.decision else { return nil }
        return ApprovalMatchKey.make(secret: approvalSecret, server: server, tool: tool, arguments: preview.arguments)
    }

    /// The grants a held call looks for: this tool's, of this server or this run tree.
    var grantQuery: GrantQuery { GrantQuery(tool: tool, server: server) }

    /// Runs the pipeline over the run's state. A call held for approval goes on with the run tree's
    /// approval for exactly this call when there is one: it waits on a pending one, runs on an
    /// approved one (nothing new is recorded, the call to record is `nil`), and is refused for the
    /// rest of the life of a denied one; an expired (or no) approval asks anew.
    ///
    /// The store reads the matching approval by the key ``approvalMatchKey()`` worked out before
    /// the transaction; it is used only if the arguments decided here give the same key.
    func decide(_ inputs: DecisionInputs) -> (call: NewToolCall?, verdict: GovernedCall) {
        let result = pipeline.decide(context(inputs))
        let rewritten = result.arguments != arguments
        // The ledger, approvals and exports never hold a detected secret.
        let recorded = argumentsMayHoldSecrets ? secretScanner.redacting(arguments) : arguments
        var call = NewToolCall(
            runId: runId, requestId: requestKey, tool: tool, sideEffect: sideEffect, arguments: recorded,
            forwardedArguments: rewritten ? Optional(secretScanner.redacting(result.arguments)) : nil, decision: result.decision)
        var verdict = GovernedCall(call: call, arguments: result.arguments, rewritten: rewritten)
        guard case .needsApproval = result.decision else { return (call, verdict) }
        call.server = server
        let matchKey = ApprovalMatchKey.make(secret: approvalSecret, server: server, tool: tool, arguments: result.arguments)
        call.approvalMatchKey = matchKey
        verdict.call = call
        // An approval past its expiry is neither waited on nor used: the call asks anew.
        let prior = inputs.matchingApproval.flatMap { $0.matchKey == matchKey && !$0.isPastExpiry(inputs.now) ? $0 : nil }
        // The identical retry of an approved call runs on its approval (and uses it up); any other
        // call of a tool with a standing grant (this run tree's, or this server's) is let through,
        // and the decision's ledger event names the grant.
        if prior?.status != .approved, let grant = inputs.grant, grant.isActive(at: inputs.now) {
            call.decision = .allow
            call.grantId = grant.id
            call.approvalMatchKey = nil
            call.server = nil
            verdict.call = call
            return (call, verdict)
        }
        guard let prior else { return (call, verdict) }
        switch prior.status {
        case .pending, .approved:
            verdict.priorApproval = prior
            return (nil, verdict)
        case .denied:
            let until = prior.expiresAt.map { " until \(Timestamps.iso8601($0))" } ?? ""
            call.decision = .deny(
                rule: "approval",
                reason: ApprovalTexts.denial(prior) + "; identical calls are refused\(until) (approval \(prior.id))")
            call.approvalMatchKey = nil
            verdict.call = call
            return (call, verdict)
        case .expired:
            return (call, verdict)
        }
    }
}
