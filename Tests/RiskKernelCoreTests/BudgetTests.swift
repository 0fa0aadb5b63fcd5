import Foundation
import RiskKernelCore
import Testing

@Suite("Budget")
struct BudgetTests {
    func dollars(_ text: String) -> Money { Money(dollars: text)! }

    // MARK: Unlimited

    @Test func unlimitedBudgetIsNeverExhausted() {
        let usage = Usage(promptTokens: 1 << 40, completionTokens: 1 << 40, dollars: Money(micros: Int64.max / 2), loops: 1 << 40)
        #expect(Budget.unlimited.exhaustion(of: usage, elapsedSeconds: 1e9) == nil)
        #expect(Budget() == Budget.unlimited)
    }

    // MARK: Each dimension

    @Test func tokensCountPromptPlusCompletion() {
        let budget = Budget(tokens: 1000)
        #expect(budget.exhaustion(of: Usage(promptTokens: 600, completionTokens: 399), elapsedSeconds: 0) == nil)
        #expect(budget.exhaustion(of: Usage(promptTokens: 600, completionTokens: 400), elapsedSeconds: 0) == .tokens(used: 1000, limit: 1000))
        #expect(budget.exhaustion(of: Usage(promptTokens: 1500), elapsedSeconds: 0) == .tokens(used: 1500, limit: 1000))
    }

    @Test func cachedPromptTokensAreNotCountedTwice() {
        // Cached tokens are part of promptTokens, not extra.
        let usage = Usage(promptTokens: 900, completionTokens: 50, cachedPromptTokens: 800)
        #expect(usage.totalTokens == 950)
        #expect(Budget(tokens: 951).exhaustion(of: usage, elapsedSeconds: 0) == nil)
        #expect(Budget(tokens: 950).exhaustion(of: usage, elapsedSeconds: 0) == .tokens(used: 950, limit: 950))
    }

    @Test func dollarsAreComparedExactly() {
        let budget = Budget(dollars: dollars("5"))
        #expect(budget.exhaustion(of: Usage(dollars: dollars("4.999999")), elapsedSeconds: 0) == nil)
        #expect(budget.exhaustion(of: Usage(dollars: dollars("5")), elapsedSeconds: 0) == .dollars(used: dollars("5"), limit: dollars("5")))
        #expect(budget.exhaustion(of: Usage(dollars: dollars("5.000001")), elapsedSeconds: 0)
            == .dollars(used: dollars("5.000001"), limit: dollars("5")))
    }

    @Test func loopsLimitStepsTaken() {
        let budget = Budget(loops: 10)
        #expect(budget.exhaustion(of: Usage(loops: 9), elapsedSeconds: 0) == nil)
        #expect(budget.exhaustion(of: Usage(loops: 10), elapsedSeconds: 0) == .loops(used: 10, limit: 10))
    }

    @Test func secondsLimitWallClock() {
        let budget = Budget(seconds: 60)
        #expect(budget.exhaustion(of: .zero, elapsedSeconds: 59.999) == nil)
        #expect(budget.exhaustion(of: .zero, elapsedSeconds: 60) == .seconds(used: 60, limit: 60))
        // Used seconds are whole seconds, truncated.
        #expect(budget.exhaustion(of: .zero, elapsedSeconds: 61.7) == .seconds(used: 61, limit: 60))
    }

    @Test func zeroLimitIsExhaustedFromTheStart() {
        #expect(Budget(tokens: 0).exhaustion(of: .zero, elapsedSeconds: 0) == .tokens(used: 0, limit: 0))
        #expect(Budget(dollars: .zero).exhaustion(of: .zero, elapsedSeconds: 0) == .dollars(used: .zero, limit: .zero))
        #expect(Budget(loops: 0).exhaustion(of: .zero, elapsedSeconds: 0) == .loops(used: 0, limit: 0))
        #expect(Budget(seconds: 0).exhaustion(of: .zero, elapsedSeconds: 0) == .seconds(used: 0, limit: 0))
    }

    @Test func otherDimensionsDoNotInterfere() {
        // Lots of tokens, dollars and time do not exhaust a loop-only budget.
        let usage = Usage(promptTokens: 1_000_000, dollars: dollars("1000"), loops: 3)
        #expect(Budget(loops: 4).exhaustion(of: usage, elapsedSeconds: 99_999) == nil)
        #expect(Budget(tokens: 2_000_000, dollars: dollars("2000"), loops: 4, seconds: 100_000).exhaustion(of: usage, elapsedSeconds: 99_999) == nil)
    }

    @Test func firstExhaustedDimensionIsReportedInFixedOrder() {
        let budget = Budget(tokens: 10, dollars: dollars("1"), loops: 1, seconds: 1)
        let all = Usage(promptTokens: 10, dollars: dollars("1"), loops: 1)
        #expect(budget.exhaustion(of: all, elapsedSeconds: 5)?.kind == "tokens")
        let noTokens = Usage(promptTokens: 9, dollars: dollars("1"), loops: 1)
        #expect(budget.exhaustion(of: noTokens, elapsedSeconds: 5)?.kind == "dollars")
        let onlyLoopsAndTime = Usage(promptTokens: 9, dollars: dollars("0.5"), loops: 1)
        #expect(budget.exhaustion(of: onlyLoopsAndTime, elapsedSeconds: 5)?.kind == "loops")
        let onlyTime = Usage(promptTokens: 9, dollars: dollars("0.5"), loops: 0)
        #expect(budget.exhaustion(of: onlyTime, elapsedSeconds: 5) == .seconds(used: 5, limit: 1))
    }

    // MARK: Overrides

    @Test func overridesReplaceOnlyTheLimitsTheySet() {
        let base = Budget(tokens: 1000, dollars: dollars("5"), loops: 10, seconds: 60)
        let overridden = base.overridden(by: Budget(dollars: dollars("1.5"), seconds: 30))
        #expect(overridden == Budget(tokens: 1000, dollars: dollars("1.5"), loops: 10, seconds: 30))
        #expect(base.overridden(by: .unlimited) == base)
        #expect(Budget.unlimited.overridden(by: base) == base)
        // An override can tighten to zero.
        #expect(base.overridden(by: Budget(loops: 0)).loops == 0)
    }

    // MARK: Usage

    @Test func usageAddsEveryField() {
        let first = Usage(promptTokens: 100, completionTokens: 20, cachedPromptTokens: 50, dollars: dollars("0.01"), loops: 1, modelCalls: 1, toolCalls: 2)
        let second = Usage(promptTokens: 7, completionTokens: 3, cachedPromptTokens: 1, dollars: dollars("0.002"), loops: 2, modelCalls: 3, toolCalls: 4)
        let sum = first + second
        #expect(sum == Usage(promptTokens: 107, completionTokens: 23, cachedPromptTokens: 51, dollars: dollars("0.012"), loops: 3, modelCalls: 4, toolCalls: 6))
        #expect(sum.totalTokens == 130)
        #expect(first + .zero == first)
    }

    @Test func usageZero() {
        #expect(Usage.zero.totalTokens == 0)
        #expect(Usage.zero.dollars == .zero)
        #expect(Usage.zero == Usage())
    }

    // MARK: HaltReason

    @Test func haltReasonMessagesAndKinds() {
        let tokens = HaltReason.tokens(used: 1200, limit: 1000)
        #expect(tokens.message == "token budget exhausted (1200 of 1000 tokens)")
        #expect(tokens.kind == "tokens")

        let money = HaltReason.dollars(used: dollars("5.25"), limit: dollars("5"))
        #expect(money.message == "dollar budget exhausted ($5.250000 of $5.000000)")
        #expect(money.kind == "dollars")

        let loops = HaltReason.loops(used: 10, limit: 10)
        #expect(loops.message == "loop budget exhausted (10 of 10 steps)")
        #expect(loops.kind == "loops")

        let seconds = HaltReason.seconds(used: 61, limit: 60)
        #expect(seconds.message == "time budget exhausted (61 of 60 seconds)")
        #expect(seconds.kind == "seconds")

        let manual = HaltReason.manual("stopped by operator")
        #expect(manual.message == "stopped by operator")
        #expect(manual.kind == "manual")
    }

    // MARK: Codable

    @Test func budgetRoundTripsThroughJSON() throws {
        let budget = Budget(tokens: 5000, dollars: dollars("2.5"), loops: nil, seconds: 300)
        let data = try JSONEncoder().encode(budget)
        let object = try JSONParser.parse(data)
        #expect(object["dollars"] == .integer(2_500_000))
        #expect(object["tokens"] == .integer(5000))
        #expect(try JSONDecoder().decode(Budget.self, from: data) == budget)
    }
}
