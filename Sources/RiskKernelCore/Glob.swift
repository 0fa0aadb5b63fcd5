/// A shell-style glob that must match a whole string.
///
/// Syntax:
/// - `*` matches any run of characters (including none, and including `/` and `.`);
/// - `?` matches exactly one character;
/// - `[abc]`, `[a-z]` match one character of the set or range; `[!abc]` or `[^abc]` one not in it;
///   a `]` right after `[` or `[!` is taken literally;
/// - `\` makes the next character literal (`\*` matches a star);
/// - everything else matches itself, case-sensitively.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let tokens: [Token]

    enum Token: Sendable, Hashable {
        case literal(Character)
        case any
        case anySequence
        case set(negated: Bool, items: [SetItem])
    }

    enum SetItem: Sendable, Hashable {
        case single(Character)
        case range(Character, Character)

        func contains(_ character: Character) -> Bool {
            switch self {
            case .single(let value): return value == character
            case .range(let low, let high): return low <= character && character <= high
            }
        }
    }

    /// Why a pattern is not a valid glob.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "invalid glob \"\(pattern)\": \(reason)" }
    }

    /// Compiles `pattern`, throwing ``SyntaxError`` for an unterminated `[` or a trailing `\`.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        var tokens: [Token] = []
        var characters = Array(pattern)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*":
                if tokens.last != .anySequence { tokens.append(.anySequence) }
            case "?":
                tokens.append(.any)
            case "\\":
                guard let escaped = characters.popFirst() else {
                    throw SyntaxError(pattern: pattern, reason: "trailing backslash")
                }
                tokens.append(.literal(escaped))
            case "[":
                tokens.append(try Self.parseSet(&characters, pattern: pattern))
            default:
                tokens.append(.literal(character))
            }
        }
        self.tokens = tokens
    }

    private static func parseSet(_ characters: inout ArraySlice<Character>, pattern: String) throws -> Token {
        var negated = false
        if let first = characters.first, first == "!" || first == "^" {
            negated = true
            characters.removeFirst()
        }
        var items: [SetItem] = []
        var isFirst = true
        while let character = characters.popFirst() {
            if character == "]" && !isFirst {
                guard !items.isEmpty else { throw SyntaxError(pattern: pattern, reason: "empty character class") }
                return .set(negated: negated, items: items)
            }
            isFirst = false
            var low = character
            if character == "\\" {
                guard let escaped = characters.popFirst() else {
                    throw SyntaxError(pattern: pattern, reason: "trailing backslash")
                }
                low = escaped
            }
            if characters.count >= 2, characters.first == "-", characters.dropFirst().first != "]" {
                characters.removeFirst()
                var high = characters.removeFirst()
                if high == "\\" {
                    guard let escaped = characters.popFirst() else {
                        throw SyntaxError(pattern: pattern, reason: "trailing backslash")
                    }
                    high = escaped
                }
                guard low <= high else {
                    throw SyntaxError(pattern: pattern, reason: "range \(low)-\(high) is reversed")
                }
                items.append(.range(low, high))
            } else {
                items.append(.single(low))
            }
        }
        throw SyntaxError(pattern: pattern, reason: "unterminated character class '['")
    }

    /// Whether the pattern contains no wildcard (`*`, `?` or a class), only literal characters.
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// Whether the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        let characters = Array(text)
        // Iterative matching with a single backtrack point for the last `*` (linear in practice,
        // never exponential).
        var textIndex = 0
        var tokenIndex = 0
        var starToken = -1
        var starText = 0
        while textIndex < characters.count {
            if tokenIndex < tokens.count {
                switch tokens[tokenIndex] {
                case .anySequence:
                    starToken = tokenIndex
                    starText = textIndex
                    tokenIndex += 1
                    continue
                case .any:
                    textIndex += 1
                    tokenIndex += 1
                    continue
                case .literal(let expected) where expected == characters[textIndex]:
                    textIndex += 1
                    tokenIndex += 1
                    continue
                case .set(let negated, let items) where items.contains(where: { $0.contains(characters[textIndex]) }) != negated:
                    textIndex += 1
                    tokenIndex += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            tokenIndex = starToken + 1
            starText += 1
            textIndex = starText
        }
        while tokenIndex < tokens.count, tokens[tokenIndex] == .anySequence { tokenIndex += 1 }
        return tokenIndex == tokens.count
    }

    public var description: String { pattern }
}
