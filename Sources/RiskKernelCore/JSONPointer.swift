import Foundation

/// A JSON Pointer (RFC 6901): a path to one value inside a JSON document.
///
/// `""` points at the whole document; `/a/b` at member `b` of member `a`; `/list/0` at the first
/// element of an array. In a token, `~1` stands for `/` and `~0` for `~`. An array index is
/// written in decimal without leading zeros; `-` (the element after the last) is never found by
/// ``value(in:)`` and appends in ``setting(_:in:)``.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The reference tokens, unescaped, in order.
    public let tokens: [String]

    /// Why a text is not a JSON Pointer.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let pointer: String
        public let reason: String
        public var description: String { "invalid JSON Pointer \"\(pointer)\": \(reason)" }
    }

    /// Parses `text`, which is empty or starts with `/`; a `~` must be followed by `0` or `1`.
    public init(_ text: String) throws {
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw SyntaxError(pointer: text, reason: "must be empty or start with \"/\"")
        }
        tokens = try text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { raw in
            var token = ""
            var characters = raw.makeIterator()
            while let character = characters.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch characters.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw SyntaxError(pointer: text, reason: "\"~\" must be followed by 0 or 1")
                }
            }
            return token
        }
    }

    /// A pointer made of already unescaped tokens.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// The pointer as written, with `~` and `/` in tokens escaped again.
    public var description: String {
        tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    /// The value the pointer refers to in `document`, or `nil` when there is none.
    public func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let member = members[token] else { return nil }
                current = member
            case .array(let elements):
                guard let index = Self.index(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// `document` with the value at the pointer replaced by `value`, or added when missing.
    ///
    /// Missing objects on the way (and `null`s in their place) are created as empty objects; in an
    /// array, an index equal to the length, or `-`, appends. Returns `nil` when the pointer cannot
    /// lead anywhere: through a string, number or boolean, to an array index past the end, or to a
    /// token that is not an index in an array.
    public func setting(_ value: JSONValue, in document: JSONValue) -> JSONValue? {
        Self.set(value, in: document, tokens: tokens[...])
    }

    private static func set(_ value: JSONValue, in node: JSONValue, tokens: ArraySlice<String>) -> JSONValue? {
        guard let token = tokens.first else { return value }
        let rest = tokens.dropFirst()
        switch node {
        case .null:
            return set(value, in: .object([:]), tokens: tokens)
        case .object(var members):
            guard let child = set(value, in: members[token] ?? .null, tokens: rest) else { return nil }
            members[token] = child
            return .object(members)
        case .array(var elements):
            let position = token == "-" ? elements.count : index(token)
            guard let position, position <= elements.count else { return nil }
            guard let child = set(value, in: position < elements.count ? elements[position] : .null, tokens: rest) else { return nil }
            if position < elements.count { elements[position] = child } else { elements.append(child) }
            return .array(elements)
        default:
            return nil
        }
    }

    /// The array index a token spells (`0`, or digits without a leading zero), or `nil`.
    private static func index(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy(\.isASCIIDigitCharacter), token == "0" || !token.hasPrefix("0") else { return nil }
        return Int(token)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
