import RiskKernelCore

/// Bounds on one model call's counts, so that no reported number (however large) can overflow a
/// run's 64-bit totals: an overflowing sum would wrap to a negative spend (raising the budget) in
/// Swift, or turn into a floating-point value in SQLite that no reader could decode.
public enum SpendLimits {
    /// The most tokens of one kind one call may report: a million million.
    public static let maxTokensPerCall: Int64 = 1_000_000_000_000
    /// The most one call may cost: a billion dollars, in micro-dollars.
    public static let maxMicrosPerCall: Int64 = 1_000_000_000_000_000

    /// Refuses counts that are negative or beyond the limits.
    static func check(_ call: NewModelCall) throws {
        for (name, count) in [("promptTokens", call.promptTokens), ("completionTokens", call.completionTokens), ("cachedPromptTokens", call.cachedPromptTokens)] {
            guard count >= 0 else { throw StoreError.invalidArgument("token counts must not be negative (\(name) is \(count))") }
            guard count <= maxTokensPerCall else {
                throw StoreError.invalidArgument("\(name) must be at most \(maxTokensPerCall) (got \(count))")
            }
        }
        guard call.dollars.micros >= 0, call.dollars.micros <= maxMicrosPerCall else {
            throw StoreError.invalidArgument("the cost of one call must be between $0 and $\(Money(micros: maxMicrosPerCall).decimalString) (got \(call.dollars.decimalString))")
        }
    }

    /// Refuses a spend that would overflow the totals of any of `runs`.
    static func checkRoom(for spend: Usage, in runs: [RunRecord]) throws {
        for run in runs {
            for (total, added) in [
                (run.treeUsage.promptTokens, spend.promptTokens), (run.treeUsage.completionTokens, spend.completionTokens),
                (run.treeUsage.cachedPromptTokens, spend.cachedPromptTokens), (run.treeUsage.dollars.micros, spend.dollars.micros),
                (run.treeUsage.promptTokens &+ run.treeUsage.completionTokens, spend.promptTokens &+ spend.completionTokens),
            ] where total.addingReportingOverflow(added).overflow || total &+ added < 0 {
                throw StoreError.limitReached("run \(run.id) cannot record more spend: its totals would overflow")
            }
        }
    }
}
