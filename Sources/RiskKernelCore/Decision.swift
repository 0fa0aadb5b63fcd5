/// The outcome for one `tools/call`.
public enum Decision: Sendable, Hashable {
    case allow
    /// Refused; `rule` names what refused it (`budget`, `allowlist`, ...), `reason` says why.
    case deny(rule: String, reason: String)
    /// Held until a person decides; `rule` is the approval rule that matched.
    case needsApproval(rule: String)

    /// `allow`, `deny` or `approval`, as stored in the ledger.
    public var kind: String {
        switch self {
        case .allow: return "allow"
        case .deny: return "deny"
        case .needsApproval: return "approval"
        }
    }
}

/// Everything a decision step may look at. Built by the gateway; no I/O happens inside a step.
public struct ToolCallContext: Sendable {
    public var tool: String
    public var arguments: JSONValue
    public var sideEffect: String
    public var policy: Policy
    /// The budgets in force: the run's own first, then each ancestor's (a parent's budget caps its
    /// whole tree), each with the spend of the subtree it covers.
    public var budgets: [BudgetScope]
    /// Why the run (or an ancestor) is halted, if it is.
    public var haltReason: String?
    /// Finds credentials (built from the policy's `spec.secrets.allow`).
    public var secretScanner: SecretScanner?
    /// How the tool's definition compares with its pin; `nil` when pins are not checked.
    public var pinStatus: ToolPinStatus?
    /// The calls of the run tree within the longest rate-limit window; `nil` when not counted.
    public var recentToolCalls: RecentToolCalls?
    /// The identity of the server that offers the tool, as `riskkernel tools approve --server` takes it.
    public var server: String
    /// The store options of commands a refusal prints (`--db /abs/path.sqlite`), as shell text.
    public var storeOptions: String = ""

    public init(
        tool: String, arguments: JSONValue = .object([:]), sideEffect: String, policy: Policy, budgets: [BudgetScope] = [],
        haltReason: String? = nil, secretScanner: SecretScanner? = nil, pinStatus: ToolPinStatus? = nil, server: String = "",
        recentToolCalls: RecentToolCalls? = nil
    ) {
        self.recentToolCalls = recentToolCalls
        self.tool = tool
        self.arguments = arguments
        self.sideEffect = sideEffect
        self.policy = policy
        self.budgets = budgets
        self.haltReason = haltReason
        self.secretScanner = secretScanner
        self.pinStatus = pinStatus
        self.server = server
    }
}

/// One budget that applies to a call: the run's own, or an ancestor's, with the spend it is measured against.
public struct BudgetScope: Sendable, Hashable {
    public var runId: String
    public var budget: Budget
    /// The spend of the run that owns the budget and all its descendants.
    public var usage: Usage
    /// Seconds since the owning run started.
    public var elapsedSeconds: Double
    /// Whether this is the calling run's own budget.
    public var isOwn: Bool

    public init(runId: String, budget: Budget, usage: Usage, elapsedSeconds: Double, isOwn: Bool) {
        self.runId = runId
        self.budget = budget
        self.usage = usage
        self.elapsedSeconds = elapsedSeconds
        self.isOwn = isOwn
    }
}

/// What one step of the pipeline concludes.
public enum StepVerdict: Sendable, Hashable {
    /// No objection; the next step decides.
    case pass
    /// This step decides the call.
    case decide(Decision)
    /// The call goes on with these arguments instead; later steps judge the rewritten ones.
    case rewrite(JSONValue)
    /// This step decides the call, which carries these (rewritten) arguments: a call held for
    /// approval is forwarded with them once approved.
    case decideRewritten(Decision, arguments: JSONValue)
}

/// The pipeline's conclusion: the decision and the arguments to forward (rewritten or not).
public struct DecisionResult: Sendable, Hashable {
    public var decision: Decision
    public var arguments: JSONValue
}

/// One small, pure rule of the decision pipeline.
public struct DecisionStep: Sendable {
    /// A short name for logs and tests.
    public let name: String
    public let evaluate: @Sendable (ToolCallContext) -> StepVerdict

    public init(name: String, evaluate: @escaping @Sendable (ToolCallContext) -> StepVerdict) {
        self.name = name
        self.evaluate = evaluate
    }
}

/// The ordered steps that decide a `tools/call`; the first step that decides wins, and a call
/// that passes every step is allowed.
public struct DecisionPipeline: Sendable {
    public var steps: [DecisionStep]

    public init(steps: [DecisionStep]) { self.steps = steps }

    /// DESIGN.md's order: run halted, budget exhausted, allowlist, tool changed or new since it was
    /// pinned, secrets in the arguments, argument rules (rewrite, then deny or require approval),
    /// approval rules, with rate limits between pinning and secrets.
    public static let standard = DecisionPipeline(steps: [
        .runHalted, .budgetExhausted, .allowlist, .toolPinning, .rateLimits, .secretsInArguments, .argumentRules, .approvalRules,
    ])

    /// Runs the steps in order: the first that decides wins; a rewrite changes the arguments the
    /// following steps see; a call that passes every step is allowed.
    public func decide(_ context: ToolCallContext) -> DecisionResult {
        var context = context
        for step in steps {
            switch step.evaluate(context) {
            case .pass: continue
            case .rewrite(let arguments): context.arguments = arguments
            case .decide(let decision): return DecisionResult(decision: decision, arguments: context.arguments)
            case .decideRewritten(let decision, let arguments): return DecisionResult(decision: decision, arguments: arguments)
            }
        }
        return DecisionResult(decision: .allow, arguments: context.arguments)
    }
}

extension DecisionStep {
    /// A halted run forwards nothing.
    public static let runHalted = DecisionStep(name: "halted") { context in
        guard let reason = context.haltReason else { return .pass }
        return .decide(.deny(rule: "halted", reason: "the run is halted: \(reason)"))
    }

    /// A run that has used up any budget forwards nothing.
    public static let budgetExhausted = DecisionStep(name: "budget") { context in
        for scope in context.budgets {
            if let exhausted = scope.budget.exhaustion(of: scope.usage, elapsedSeconds: scope.elapsedSeconds) {
                let owner = scope.isOwn ? "" : " of ancestor run \(scope.runId)"
                return .decide(.deny(rule: "budget.\(exhausted.kind)", reason: exhausted.message + owner))
            }
        }
        return .pass
    }

    /// Tools not on the policy's allowlist are refused.
    public static let allowlist = DecisionStep(name: "allowlist") { context in
        guard !context.policy.allows(tool: context.tool) else { return .pass }
        return .decide(.deny(
            rule: "allowlist",
            reason: "tool \"\(context.tool)\" is not on the allowlist of policy \"\(context.policy.name)\""))
    }

    /// Credentials in the arguments: refused (`block`, the default) or replaced by
    /// `[REDACTED:<kind>]` (`redact`). The refusal names the kind of secret, never the secret.
    public static let secretsInArguments = DecisionStep(name: "secrets") { context in
        guard let scanner = context.secretScanner, context.policy.secrets.arguments != .off else { return .pass }
        let kinds = scanner.kinds(in: context.arguments)
        guard !kinds.isEmpty else { return .pass }
        if context.policy.secrets.arguments == .redact { return .rewrite(scanner.redacting(context.arguments)) }
        return .decide(.deny(
            rule: "secrets",
            reason: "the arguments contain a secret (\(kinds.joined(separator: ", "))); it was not sent. Remove it, or allow it in spec.secrets.allow"))
    }

    /// The first approval rule that matches the tool or its side effect holds the call.
    public static let approvalRules = DecisionStep(name: "approval") { context in
        guard let rule = context.policy.approvalRules.first(where: { $0.matches(tool: context.tool, sideEffect: context.sideEffect) }) else {
            return .pass
        }
        return .decide(.needsApproval(rule: rule.shown))
    }
}
