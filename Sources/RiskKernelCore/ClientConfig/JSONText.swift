/// A JSON document parsed with the byte range of every value, so that a change can replace just
/// those bytes and leave the rest of the text (order, spacing, comments) as it was.
///
/// Also reads JSONC, as VS Code's settings files are written: `//` and `/* */` comments and a
/// comma after the last member or element. Values are not interpreted beyond what editing needs:
/// strings are decoded, everything else is a ``JSONText/Node/Kind/scalar``.
public struct JSONText: Sendable {
    /// The document's UTF-8 bytes; every range in the tree indexes into them.
    public let bytes: [UInt8]
    /// The top-level value.
    public let root: Node

    /// A value and where it is.
    public struct Node: Sendable {
        /// What the value is.
        public enum Kind: Sendable {
            case object([Member])
            case array([Node])
            case string(String)
            /// A number, `true`, `false` or `null`, kept as text only.
            case scalar
        }

        /// What the value is, with its members, elements or decoded string.
        public var kind: Kind
        /// The value's bytes, from its first to its last character.
        public var range: Range<Int>

        /// The members of an object, in the order they are written; empty for other values.
        public var members: [Member] {
            if case .object(let members) = kind { return members }
            return []
        }

        /// The elements of an array; empty for other values.
        public var elements: [Node] {
            if case .array(let elements) = kind { return elements }
            return []
        }

        /// The decoded string, for a string value.
        public var string: String? {
            if case .string(let value) = kind { return value }
            return nil
        }

        /// Whether the value is an object.
        public var isObject: Bool {
            if case .object = kind { return true }
            return false
        }

        /// Whether the value is an array.
        public var isArray: Bool {
            if case .array = kind { return true }
            return false
        }

        /// The value of the member named `key` (the last one, as JSON readers take, when a key repeats).
        public subscript(key: String) -> Node? { members.last { $0.key == key }?.value }

        /// The member named `key` (the last one when a key repeats).
        public func member(_ key: String) -> Member? { members.last { $0.key == key } }
    }

    /// One `"key": value` of an object.
    public struct Member: Sendable {
        /// The decoded key.
        public var key: String
        /// The key's bytes, quotes included.
        public var keyRange: Range<Int>
        /// The member's value.
        public var value: Node
    }

    /// Parses `text`; throws ``JSONParseError`` with the byte offset of the first problem.
    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        var reader = Reader(bytes: bytes)
        reader.skipTrivia()
        let root = try reader.value(depth: 0)
        reader.skipTrivia()
        guard reader.index == bytes.count else { throw reader.error("unexpected content after the JSON value") }
        self.bytes = bytes
        self.root = root
    }

    /// The text of `range`.
    public func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The whole document.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        let maxDepth = 256

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

        /// Skips whitespace and comments.
        mutating func skipTrivia() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D:
                    index += 1
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/"):
                    while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                    index += 2
                    while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                    index = min(index + 2, bytes.count)
                case 0xEF where index == 0 && bytes.count >= 3 && bytes[1] == 0xBB && bytes[2] == 0xBF:
                    index += 3  // a byte order mark
                default:
                    return
                }
            }
        }

        mutating func value(depth: Int) throws -> Node {
            guard depth < maxDepth else { throw error("nested too deeply") }
            guard index < bytes.count else { throw error("unexpected end of the document") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""):
                let (value, range) = try string()
                return Node(kind: .string(value), range: range)
            default: return try scalar()
            }
        }

        mutating func object(depth: Int) throws -> Node {
            let start = index
            index += 1
            var members: [Member] = []
            skipTrivia()
            while true {
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: "}") { break }
                guard bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                let (key, keyRange) = try string()
                skipTrivia()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
                index += 1
                skipTrivia()
                members.append(Member(key: key, keyRange: keyRange, value: try value(depth: depth + 1)))
                skipTrivia()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    skipTrivia()
                } else if bytes[index] != UInt8(ascii: "}") {
                    throw error("expected ',' or '}' in an object")
                }
            }
            index += 1
            return Node(kind: .object(members), range: start..<index)
        }

        mutating func array(depth: Int) throws -> Node {
            let start = index
            index += 1
            var elements: [Node] = []
            skipTrivia()
            while true {
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: "]") { break }
                elements.append(try value(depth: depth + 1))
                skipTrivia()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    skipTrivia()
                } else if bytes[index] != UInt8(ascii: "]") {
                    throw error("expected ',' or ']' in an array")
                }
            }
            index += 1
            return Node(kind: .array(elements), range: start..<index)
        }

        mutating func string() throws -> (String, Range<Int>) {
            let start = index
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    let range = start..<index
                    guard case .string(let value) = try? JSONParser.parse(bytes[range]) else {
                        throw JSONParseError(offset: start, reason: "invalid string")
                    }
                    return (value, range)
                default: index += 1
                }
            }
            throw JSONParseError(offset: start, reason: "unterminated string")
        }

        mutating func scalar() throws -> Node {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let isWordByte = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "E")
                guard isWordByte else { break }
                index += 1
            }
            let range = start..<index
            guard !range.isEmpty, (try? JSONParser.parse(bytes[range])) != nil else {
                index = start
                throw error("expected a value")
            }
            return Node(kind: .scalar, range: range)
        }
    }
}

/// A replacement of some bytes of a ``JSONText``.
public struct JSONTextEdit: Sendable, Equatable {
    /// The bytes replaced (empty to insert at `range.lowerBound`).
    public var range: Range<Int>
    /// The text written in their place.
    public var replacement: String

    public init(range: Range<Int>, replacement: String) {
        self.range = range
        self.replacement = replacement
    }

    /// `bytes` with every edit made; edits must not overlap.
    public static func apply(_ edits: [JSONTextEdit], to bytes: [UInt8]) -> String {
        var result = bytes
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            result.replaceSubrange(edit.range, with: Array(edit.replacement.utf8))
        }
        return String(decoding: result, as: UTF8.self)
    }
}
