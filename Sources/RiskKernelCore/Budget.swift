import Foundation

/// Limits on what a run may spend. A `nil` limit is no limit.
public struct Budget: Sendable, Hashable, Codable {
    /// Prompt plus completion tokens.
    public var tokens: Int64?
    public var dollars: Money?
    /// Agent steps (each recorded model call opens one).
    public var loops: Int64?
    /// Wall-clock seconds since the run started.
    public var seconds: Int64?

    public init(tokens: Int64? = nil, dollars: Money? = nil, loops: Int64? = nil, seconds: Int64? = nil) {
        self.tokens = tokens
        self.dollars = dollars
        self.loops = loops
        self.seconds = seconds
    }

    public static let unlimited = Budget()

    /// This budget with every limit that `overrides` sets replacing this one's.
    public func overridden(by overrides: Budget) -> Budget {
        Budget(
            tokens: overrides.tokens ?? tokens,
            dollars: overrides.dollars ?? dollars,
            loops: overrides.loops ?? loops,
            seconds: overrides.seconds ?? seconds)
    }

    /// The first limit that `usage` has reached, or `nil` when there is room left.
    ///
    /// A limit counts as reached when usage is at or over it: a run with a budget of 10 loops
    /// that has taken 10 steps may not take an eleventh.
    public func exhaustion(of usage: Usage, elapsedSeconds: Double) -> HaltReason? {
        if let tokens, usage.totalTokens >= tokens {
            return .tokens(used: usage.totalTokens, limit: tokens)
        }
        if let dollars, usage.dollars >= dollars {
            return .dollars(used: usage.dollars, limit: dollars)
        }
        if let loops, usage.loops >= loops {
            return .loops(used: usage.loops, limit: loops)
        }
        if let seconds, elapsedSeconds >= Double(seconds) {
            return .seconds(used: Int64(elapsedSeconds), limit: seconds)
        }
        return nil
    }
}

/// What a run has spent so far.
public struct Usage: Sendable, Hashable, Codable {
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cachedPromptTokens: Int64
    /// Model and tool spend together.
    public var dollars: Money
    /// Steps taken (recorded model calls).
    public var loops: Int64
    public var modelCalls: Int64
    public var toolCalls: Int64

    public init(
        promptTokens: Int64 = 0, completionTokens: Int64 = 0, cachedPromptTokens: Int64 = 0,
        dollars: Money = .zero, loops: Int64 = 0, modelCalls: Int64 = 0, toolCalls: Int64 = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.dollars = dollars
        self.loops = loops
        self.modelCalls = modelCalls
        self.toolCalls = toolCalls
    }

    public static let zero = Usage()

    public var totalTokens: Int64 { promptTokens + completionTokens }

    public static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens,
            cachedPromptTokens: lhs.cachedPromptTokens + rhs.cachedPromptTokens,
            dollars: lhs.dollars + rhs.dollars,
            loops: lhs.loops + rhs.loops,
            modelCalls: lhs.modelCalls + rhs.modelCalls,
            toolCalls: lhs.toolCalls + rhs.toolCalls)
    }
}

/// Why a run was halted.
public enum HaltReason: Sendable, Hashable {
    case tokens(used: Int64, limit: Int64)
    case dollars(used: Money, limit: Money)
    case loops(used: Int64, limit: Int64)
    case seconds(used: Int64, limit: Int64)
    case manual(String)

    /// A sentence for people and for the model, e.g. "token budget exhausted (1200 of 1000 tokens)".
    public var message: String {
        switch self {
        case .tokens(let used, let limit): return "token budget exhausted (\(used) of \(limit) tokens)"
        case .dollars(let used, let limit): return "dollar budget exhausted (\(used) of \(limit))"
        case .loops(let used, let limit): return "loop budget exhausted (\(used) of \(limit) steps)"
        case .seconds(let used, let limit): return "time budget exhausted (\(used) of \(limit) seconds)"
        case .manual(let reason): return reason
        }
    }

    /// The budget dimension, or `manual`.
    public var kind: String {
        switch self {
        case .tokens: return "tokens"
        case .dollars: return "dollars"
        case .loops: return "loops"
        case .seconds: return "seconds"
        case .manual: return "manual"
        }
    }
}
