import Foundation
import RiskKernelCore
import Testing

@Suite("rate limits and tool prices")
struct RateLimitAndPriceTests {
    static let policyText = """
        apiVersion: riskkernel/v1
        kind: Policy
        metadata: {name: ops}
        spec:
          rateLimits:
            - {tool: "search_*", calls: 3, per: 1m}
            - {tool: fetch, calls: 1, per: 500ms}
          toolPrices:
            "search_*": 0.01
            search_web: "0.05"
            "s*": 1
        """

    @Test("durations: ms, s, m, h, d; anything else is refused")
    func durations() {
        #expect(RateLimit.parseDuration("500ms") == .milliseconds(500))
        #expect(RateLimit.parseDuration("30s") == .seconds(30))
        #expect(RateLimit.parseDuration("1m") == .seconds(60))
        #expect(RateLimit.parseDuration("1h") == .seconds(3600))
        #expect(RateLimit.parseDuration("2d") == .seconds(172_800))
        for bad in ["", "s", "0s", "-1s", "1.5s", "1 s", "1", "1w", "m1", "１s", "99999999999999999999h"] {
            #expect(RateLimit.parseDuration(bad) == nil, "\(bad)")
        }
    }

    @Test("parsing, and errors that name the field")
    func parsing() throws {
        let policy = try #require(try PolicyParser.parse(Self.policyText).first)
        #expect(policy.rateLimits.map(\.description) == ["rateLimit tool=search_* calls=3 per=1m", "rateLimit tool=fetch calls=1 per=500ms"])
        #expect(policy.rateLimits[1].per == .milliseconds(500))
        func error(_ spec: String) -> PolicyError? {
            do {
                _ = try PolicyParser.parse("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n" + spec)
                return nil
            } catch let error as PolicyError { return error } catch { return nil }
        }
        #expect(error("  rateLimits: [{tool: a, calls: 0, per: 1s}]\n")?.field == "spec.rateLimits[1].calls")
        #expect(error("  rateLimits: [{tool: a, calls: 2, per: soon}]\n")?.field == "spec.rateLimits[1].per")
        #expect(error("  rateLimits: [{tool: a, per: 1s}]\n")?.field == "spec.rateLimits[1].calls")
        #expect(error("  rateLimits: [{tool: a, calls: 1, per: 1s, burst: 2}]\n") != nil)
        #expect(error("  toolPrices: {a: -1}\n")?.field == "spec.toolPrices.a")
        #expect(error("  toolPrices: {a: 0.0000001}\n")?.field == "spec.toolPrices.a")
        #expect(error("  toolPrices: {\"[a\": 1}\n")?.field == "spec.toolPrices.[a")
    }

    @Test("an exact name's price wins over a glob, then the longest glob")
    func prices() throws {
        let policy = try #require(try PolicyParser.parse(Self.policyText).first)
        #expect(policy.price(of: "search_web") == Money(dollars: "0.05"))
        #expect(policy.price(of: "search_news") == Money(dollars: "0.01"))
        #expect(policy.price(of: "summarize") == Money(dollars: "1"))
        #expect(policy.price(of: "fetch") == nil)
    }

    func decide(_ tool: String, _ calls: [(String, Double)], policy: Policy) -> Decision {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let recent = RecentToolCalls(now: now, calls: calls.map { RecentToolCall(tool: $0.0, at: now.addingTimeInterval(-$0.1)) })
        return DecisionPipeline.standard.decide(ToolCallContext(tool: tool, sideEffect: "read", policy: policy, recentToolCalls: recent)).decision
    }

    @Test("the call over the limit is refused with the seconds until it may retry; older calls and other tools do not count")
    func limits() throws {
        let policy = try #require(try PolicyParser.parse(Self.policyText).first)
        #expect(decide("search_web", [("search_web", 10), ("search_news", 20)], policy: policy) == .allow)
        #expect(decide("search_web", [("search_web", 10), ("search_news", 20), ("search_web", 59.5)], policy: policy) == .deny(
            rule: "rateLimit",
            reason: "rate limit: tool \"search_web\" may be called 3 times per 1m (rule tool=search_*); retry in 1 second"))
        guard case .deny(_, let reason) = decide("search_x", [("search_web", 10), ("search_news", 20), ("search_web", 30)], policy: policy) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.hasSuffix("retry in 30 seconds"))
        #expect(decide("search_web", [("search_web", 61), ("search_news", 70), ("search_web", 80)], policy: policy) == .allow)
        #expect(decide("search_web", [("fetch", 1), ("fetch", 2), ("fetch", 3)], policy: policy) == .allow)
        #expect(decide("fetch", [("fetch", 0.2)], policy: policy) == .deny(
            rule: "rateLimit", reason: "rate limit: tool \"fetch\" may be called 1 time per 500ms (rule tool=fetch); retry in 1 second"))
        #expect(decide("fetch", [("fetch", 0.6)], policy: policy) == .allow)
        // Without counts (nothing recorded yet) the step passes.
        #expect(DecisionPipeline.standard.decide(ToolCallContext(tool: "fetch", sideEffect: "read", policy: policy)).decision == .allow)
    }
}
