extension DecisionStep {
    /// The policy's argument rules (see ``ArgumentRules/evaluate(_:tool:arguments:)``): rewrites,
    /// then the first matching deny (rule `argument`) or requireApproval (rule named by
    /// ``ArgumentRule/description``). The decision carries the rewritten arguments, so a call
    /// approved later is forwarded as rewritten.
    public static let argumentRules = DecisionStep(name: "arguments") { context in
        let rules = context.policy.argumentRules
        guard !rules.isEmpty else { return .pass }
        let outcome = ArgumentRules.evaluate(rules, tool: context.tool, arguments: context.arguments)
        if let decision = outcome.decision { return .decideRewritten(decision, arguments: outcome.arguments) }
        return outcome.arguments == context.arguments ? .pass : .rewrite(outcome.arguments)
    }
}
