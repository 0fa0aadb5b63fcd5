import Foundation

/// One entry of `spec.rateLimits`: at most `calls` calls of the tools `tool` matches in any window
/// of `per`, counted over the whole run tree.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var tool: Glob
    public var calls: Int
    public var per: Duration
    /// `per` as written (`500ms`, `30s`, `1m`, `1h`), for messages.
    public var perText: String

    public init(tool: Glob, calls: Int, per: Duration, perText: String) {
        self.tool = tool
        self.calls = calls
        self.per = per
        self.perText = perText
    }

    /// `rateLimit tool=GLOB calls=N per=DURATION`, the rule's name in refusals and the ledger.
    public var description: String { "rateLimit tool=\(tool.pattern) calls=\(calls) per=\(perText)" }

    /// Reads `500ms`, `30s`, `1m`, `1h` or `1d` (a positive whole number and a unit).
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (unit, milliseconds) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            guard !number.isEmpty, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber),
                  let count = Int64(number), count > 0, count <= Int64.max / milliseconds / 1000
            else { return nil }
            return .milliseconds(count * milliseconds)
        }
        return nil
    }
}

/// A call of a run tree that rate limits count: one that was let through (not refused).
public struct RecentToolCall: Sendable, Hashable {
    public var tool: String
    public var at: Date

    public init(tool: String, at: Date) {
        self.tool = tool
        self.at = at
    }
}

/// The calls of a run tree within the longest window of the policy's rate limits, as of `now`.
public struct RecentToolCalls: Sendable, Hashable {
    public var now: Date
    public var calls: [RecentToolCall]

    public init(now: Date, calls: [RecentToolCall]) {
        self.now = now
        self.calls = calls
    }
}

extension DecisionStep {
    /// A call over a rate limit is refused, saying how many seconds until it may be retried.
    public static let rateLimits = DecisionStep(name: "rateLimit") { context in
        guard let recent = context.recentToolCalls else { return .pass }
        for limit in context.policy.rateLimits where limit.tool.matches(context.tool) {
            let window = limit.per.seconds
            let since = recent.now.addingTimeInterval(-window)
            let inWindow = recent.calls.filter { $0.at > since && limit.tool.matches($0.tool) }.map(\.at).sorted()
            guard inWindow.count >= limit.calls else { continue }
            // The call may go once enough of the oldest calls have left the window.
            let freedAt = inWindow[inWindow.count - limit.calls].addingTimeInterval(window)
            let retry = max(1, Int(freedAt.timeIntervalSince(recent.now).rounded(.up)))
            return .decide(.deny(
                rule: "rateLimit",
                reason: "rate limit: tool \"\(context.tool)\" may be called \(limit.calls) time\(limit.calls == 1 ? "" : "s") per \(limit.perText) "
                    + "(rule tool=\(limit.tool.pattern)); retry in \(retry) second\(retry == 1 ? "" : "s")"))
        }
        return .pass
    }
}

extension Duration {
    /// The duration in seconds, fractional.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
