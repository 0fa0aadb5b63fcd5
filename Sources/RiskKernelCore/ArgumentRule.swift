/// One entry of `spec.argumentRules`: a test on one argument of the tools a glob matches, and what
/// to do when it holds.
public struct ArgumentRule: Sendable, Hashable, CustomStringConvertible {
    /// `tool`: the tools the rule applies to (the whole name must match).
    public var tool: Glob
    /// `argument`: where the argument is in the call's arguments; `""` is all of them.
    public var argument: JSONPointer
    /// The test on the argument; `nil` (no matcher in the file) always holds.
    public var matcher: ArgumentMatcher?
    /// `action` (and `value` for a rewrite).
    public var action: ArgumentAction
    /// `reason`: why the rule exists, quoted in refusals.
    public var reason: String?

    public init(tool: Glob, argument: JSONPointer, matcher: ArgumentMatcher? = nil, action: ArgumentAction, reason: String? = nil) {
        self.tool = tool
        self.argument = argument
        self.matcher = matcher
        self.action = action
        self.reason = reason
    }

    /// Whether the rule applies to a call of `tool` with `arguments`: the tool glob matches and the
    /// matcher holds for the value at the pointer (see ``ArgumentMatcher`` for missing values).
    public func matches(tool name: String, arguments: JSONValue) -> Bool {
        guard tool.matches(name) else { return false }
        guard let matcher else { return true }
        return matcher.matches(argument.value(in: arguments))
    }

    /// `tool=GLOB argument=POINTER` and the matcher if any, e.g.
    /// `tool=payments.* argument=/amount greaterThan=100`: the rule's name in approvals and the ledger.
    public var description: String {
        (["tool=\(tool.pattern)", "argument=\(argument)"] + (matcher.map { [$0.description] } ?? [])).joined(separator: " ")
    }
}

/// What an argument rule does when it matches.
public enum ArgumentAction: Sendable, Hashable {
    /// Refuse the call.
    case deny
    /// Hold the call until a person approves it.
    case requireApproval
    /// Put this value at the rule's pointer (replacing or adding the argument) and go on.
    case rewrite(JSONValue)

    /// The action as written in a policy: `deny`, `requireApproval` or `rewrite`.
    public var name: String {
        switch self {
        case .deny: return "deny"
        case .requireApproval: return "requireApproval"
        case .rewrite: return "rewrite"
        }
    }
}
