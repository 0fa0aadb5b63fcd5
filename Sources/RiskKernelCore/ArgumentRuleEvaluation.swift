/// Applies a policy's argument rules to one call.
public enum ArgumentRules {
    /// What the rules conclude: the arguments after every rewrite, and the decision of the first
    /// deny or requireApproval rule that matched, if one did.
    public struct Outcome: Sendable, Hashable {
        public var arguments: JSONValue
        public var decision: Decision?

        public init(arguments: JSONValue, decision: Decision?) {
            self.arguments = arguments
            self.decision = decision
        }
    }

    /// Rewrites first, in file order, each judged on the arguments as earlier rewrites left them;
    /// then deny and requireApproval rules, in file order, on the rewritten arguments: the first
    /// that matches decides. A rewrite whose pointer cannot be set (it runs through a string,
    /// number or boolean, or past the end of an array) refuses the call rather than forward it
    /// unrewritten.
    public static func evaluate(_ rules: [ArgumentRule], tool: String, arguments: JSONValue) -> Outcome {
        var arguments = arguments
        for rule in rules {
            guard case .rewrite(let value) = rule.action, rule.matches(tool: tool, arguments: arguments) else { continue }
            guard let rewritten = rule.argument.setting(value, in: arguments) else {
                return Outcome(arguments: arguments, decision: .deny(rule: "argument", reason: unsettableReason(rule, tool: tool)))
            }
            arguments = rewritten
        }
        for rule in rules where rule.matches(tool: tool, arguments: arguments) {
            switch rule.action {
            case .rewrite: continue
            case .deny: return Outcome(arguments: arguments, decision: .deny(rule: "argument", reason: refusalReason(rule, tool: tool)))
            case .requireApproval: return Outcome(arguments: arguments, decision: .needsApproval(rule: rule.description))
            }
        }
        return Outcome(arguments: arguments, decision: nil)
    }

    /// `argument /path of tool "fs.read" refused: REASON`, or without a reason in the rule,
    /// `argument /path of tool "fs.read" refused: the value is not allowed (rule RULE)`.
    static func refusalReason(_ rule: ArgumentRule, tool: String) -> String {
        let why = rule.reason.flatMap { $0.isEmpty ? nil : $0 }
        return "\(subject(rule, tool: tool)) refused: " + (why ?? "the value is not allowed (rule \(rule))")
    }

    static func unsettableReason(_ rule: ArgumentRule, tool: String) -> String {
        "\(subject(rule, tool: tool)) could not be rewritten as the policy requires (rule \(rule)): "
            + "the arguments hold a string, number, boolean or too short a list on the way, so the call was not sent"
    }

    static func subject(_ rule: ArgumentRule, tool: String) -> String {
        let argument = rule.argument.tokens.isEmpty ? "the arguments" : "argument \(rule.argument)"
        return "\(argument) of tool \"\(tool)\""
    }
}
