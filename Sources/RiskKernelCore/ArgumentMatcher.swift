import Foundation

/// The test an argument rule applies to the value at its pointer.
///
/// How values are read:
/// - A string that is a path (see ``PathNormalizer``) is judged after normalisation, by every
///   matcher (`in`/`notIn` normalise the listed strings too).
/// - `matches`, `notMatches` and `regex` read a string as its text and any other value as its
///   canonical JSON text (`42`, `1.5`, `true`, `null`, `{"a":1}`, `["x"]`), so `notMatches` is
///   always the exact opposite of `matches` for a value that is there.
/// - `in` and `notIn` compare JSON values; numbers compare by value (`1` equals `1.0`).
/// - `greaterThan` and `lessThan` match numbers, and strings that are decimal numbers (`"150"`,
///   `" 2.5e3 "`), so an amount sent as text is judged like the number; other values never match.
/// - A missing argument matches nothing but `exists: false` (and a rule without a matcher).
public enum ArgumentMatcher: Sendable, Hashable, CustomStringConvertible {
    /// `matches: GLOB`: the whole text matches the glob.
    case matches(Glob)
    /// `notMatches: GLOB`: the whole text does not match the glob.
    case notMatches(Glob)
    /// `regex: RE`: the regular expression is found somewhere in the text (not anchored).
    case regex(ArgumentRegex)
    /// `in: [..]`: the value equals one of the listed values.
    case `in`([JSONValue])
    /// `notIn: [..]`: the value equals none of the listed values.
    case notIn([JSONValue])
    /// `greaterThan: N`: the value is a number above `N`.
    case greaterThan(JSONValue)
    /// `lessThan: N`: the value is a number below `N`.
    case lessThan(JSONValue)
    /// `exists: BOOL`: the argument is there (`true`) or missing (`false`).
    case exists(Bool)

    /// Whether `value` (the argument, or `nil` when missing) satisfies the matcher.
    public func matches(_ argument: JSONValue?) -> Bool {
        if case .exists(let wanted) = self { return (argument != nil) == wanted }
        guard let argument else { return false }
        let value = Self.normalized(argument)
        switch self {
        case .matches(let glob): return glob.matches(Self.text(of: value))
        case .notMatches(let glob): return !glob.matches(Self.text(of: value))
        case .regex(let regex): return regex.isFound(in: Self.text(of: value))
        case .in(let list): return list.contains { Self.equal(Self.normalized($0), value) }
        case .notIn(let list): return !list.contains { Self.equal(Self.normalized($0), value) }
        case .greaterThan(let bound): return Self.compare(Self.numeric(value), bound) == .orderedDescending
        case .lessThan(let bound): return Self.compare(Self.numeric(value), bound) == .orderedAscending
        case .exists: return true
        }
    }

    /// The matcher as written in a policy, e.g. `notMatches=/srv/data/*` or `in=["a","b"]`.
    public var description: String {
        switch self {
        case .matches(let glob): return "matches=\(glob.pattern)"
        case .notMatches(let glob): return "notMatches=\(glob.pattern)"
        case .regex(let regex): return "regex=\(regex.pattern)"
        case .in(let list): return "in=\(CanonicalJSON.string(.array(list)))"
        case .notIn(let list): return "notIn=\(CanonicalJSON.string(.array(list)))"
        case .greaterThan(let bound): return "greaterThan=\(CanonicalJSON.string(bound))"
        case .lessThan(let bound): return "lessThan=\(CanonicalJSON.string(bound))"
        case .exists(let flag): return "exists=\(flag)"
        }
    }

    static func normalized(_ value: JSONValue) -> JSONValue {
        if case .string(let text) = value { return .string(PathNormalizer.normalize(text)) }
        return value
    }

    /// A string that reads as a decimal number becomes that number; anything else is unchanged.
    static func numeric(_ value: JSONValue) -> JSONValue {
        guard case .string(let text) = value else { return value }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let integer = Int64(trimmed) { return .integer(integer) }
        let numberCharacters = Set("0123456789+-.eE")
        guard !trimmed.isEmpty, trimmed.allSatisfy(numberCharacters.contains), let number = Double(trimmed), number.isFinite else { return value }
        return .double(number)
    }

    static func text(of value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return CanonicalJSON.string(value)
    }

    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if left.doubleValue != nil, right.doubleValue != nil { return compare(left, right) == .orderedSame }
        return left == right
    }

    /// Orders two numbers (integers exactly, anything else as doubles); `nil` unless both are numbers.
    static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult? {
        if case .integer(let a) = left, case .integer(let b) = right {
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        }
        guard let a = left.doubleValue, let b = right.doubleValue, !a.isNaN, !b.isNaN else { return nil }
        return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
    }
}

/// A regular expression of an argument rule (ICU syntax, as `NSRegularExpression` reads it),
/// compiled once when the policy is read.
public struct ArgumentRegex: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public let pattern: String
    private let expression: NSRegularExpression

    /// Why a pattern is refused without being compiled.
    public struct EmptyPatternError: Error, Sendable, CustomStringConvertible {
        public var description: String { "an empty regular expression matches every value; leave the matcher out instead" }
    }

    /// Compiles `pattern`; throws when it is empty or not a valid regular expression.
    public init(_ pattern: String) throws {
        guard !pattern.isEmpty else { throw EmptyPatternError() }
        self.pattern = pattern
        expression = try NSRegularExpression(pattern: pattern)
    }

    /// Whether the expression matches anywhere in `text`.
    public func isFound(in text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    public static func == (left: ArgumentRegex, right: ArgumentRegex) -> Bool { left.pattern == right.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
    public var description: String { pattern }
}
