/// A named policy bundle: what a run may call, what needs a person, and what it may spend.
public struct Policy: Sendable, Hashable {
    public static let apiVersion = "riskkernel/v1"
    public static let kind = "Policy"

    /// `metadata.name`.
    public var name: String
    /// `metadata.description`, if any.
    public var description: String?
    /// `spec.budget`.
    public var budget: Budget
    /// `spec.toolAllowlist`: `nil` allows every tool; an empty list allows none.
    public var toolAllowlist: [Glob]?
    /// `spec.approvalRules`, in file order.
    public var approvalRules: [ApprovalRule]
    /// `spec.sideEffects`: tool glob to side-effect label.
    public var sideEffects: [SideEffectMapping]
    /// `spec.secrets`: what happens to credentials found in arguments and results.
    public var secrets: SecretsPolicy = SecretsPolicy()
    /// `spec.argumentRules`, in file order.
    public var argumentRules: [ArgumentRule]
    /// `spec.rateLimits`, in file order.
    public var rateLimits: [RateLimit] = []
    /// `spec.toolPrices`: what each forwarded call of a tool costs.
    public var toolPrices: [ToolPrice] = []
    /// `spec.toolPinning`: what a changed or new tool meets; `enforce` unless the policy says otherwise.
    public var toolPinning: ToolPinningMode
    /// `spec.approvals`: the hold window and the life of an approval.
    public var approvals = ApprovalSettings()
    /// `spec.tasks`: MCP tasks governed (the default) or stripped.
    public var tasks: TaskMode = .govern
    /// `spec.sampling`: the upstream's requests to the client's model allowed (the default) or denied.
    public var sampling: SamplingMode = .allow
    /// The document the policy was read from, as JSON; this is what the store keeps.
    public var document: JSONValue

    public init(
        name: String, description: String? = nil, budget: Budget = .unlimited, toolAllowlist: [Glob]? = nil,
        approvalRules: [ApprovalRule] = [], sideEffects: [SideEffectMapping] = [], argumentRules: [ArgumentRule] = [],
        toolPinning: ToolPinningMode = .enforce, document: JSONValue? = nil
    ) {
        self.name = name
        self.description = description
        self.budget = budget
        self.toolAllowlist = toolAllowlist
        self.approvalRules = approvalRules
        self.sideEffects = sideEffects
        self.argumentRules = argumentRules
        self.toolPinning = toolPinning
        self.document = document ?? .object([
            "apiVersion": .string(Self.apiVersion), "kind": .string(Self.kind), "metadata": ["name": .string(name)],
        ])
    }

    /// A policy that allows every tool, requires no approval and sets no budget.
    public static let permissive = Policy(name: "permissive")

    /// Whether the allowlist lets `tool` through.
    public func allows(tool: String) -> Bool {
        guard let toolAllowlist else { return true }
        return toolAllowlist.contains { $0.matches(tool) }
    }
}

/// One entry of `spec.approvalRules`: calls it matches wait for a person.
public struct ApprovalRule: Sendable, Hashable, CustomStringConvertible {
    /// What a rule looks at.
    public enum Target: Sendable, Hashable {
        /// `{tool: GLOB}`: any tool whose name matches (as everywhere else in a policy).
        case tool(Glob)
        /// `{sideEffect: GLOB}`: any tool whose side-effect label matches.
        case sideEffect(Glob)
    }

    public var target: Target
    /// The rule's `description`: why it exists. The person asked to approve sees it with the rule.
    public var reason: String?

    public init(_ target: Target, reason: String? = nil) {
        self.target = target
        self.reason = reason
    }

    /// `{tool: GLOB}`.
    public static func tool(_ glob: Glob, reason: String? = nil) -> ApprovalRule { ApprovalRule(.tool(glob), reason: reason) }
    /// `{sideEffect: GLOB}`.
    public static func sideEffect(_ glob: Glob, reason: String? = nil) -> ApprovalRule { ApprovalRule(.sideEffect(glob), reason: reason) }

    public func matches(tool: String, sideEffect: String) -> Bool {
        switch target {
        case .tool(let glob): return glob.matches(tool)
        case .sideEffect(let glob): return glob.matches(sideEffect)
        }
    }

    /// `tool=GLOB` or `sideEffect=GLOB`, the rule's name.
    public var description: String {
        switch target {
        case .tool(let glob): return "tool=\(glob.pattern)"
        case .sideEffect(let glob): return "sideEffect=\(glob.pattern)"
        }
    }

    /// The rule as a held call names it (approvals, notices, the ledger): its name, then its
    /// description when it has one, e.g. `tool=send_message (a person checks every message)`.
    public var shown: String {
        guard let reason, !reason.isEmpty else { return description }
        return "\(description) (\(reason))"
    }
}

/// What to do with a credential found in a tool call's arguments or result.
public enum SecretAction: String, Sendable, Hashable, CaseIterable {
    /// Refuse the call (arguments) or withhold the result.
    case block
    /// Replace each credential with `[REDACTED:<kind>]` and go on.
    case redact
    /// Do nothing.
    case off
}

/// `spec.secrets`. The defaults are the safe choice: block arguments, redact results.
public struct SecretsPolicy: Sendable, Hashable {
    public var arguments: SecretAction = .block
    public var results: SecretAction = .redact
    /// Regular expressions; a finding whose whole text matches one is not a secret.
    public var allow: [String] = []

    public init(arguments: SecretAction = .block, results: SecretAction = .redact, allow: [String] = []) {
        self.arguments = arguments
        self.results = results
        self.allow = allow
    }
}

/// One entry of `spec.sideEffects`.
public struct SideEffectMapping: Sendable, Hashable {
    public var tool: Glob
    public var label: String

    public init(tool: Glob, label: String) {
        self.tool = tool
        self.label = label
    }
}
