/// Where the members of one JSON object lie in its text, so that a member can be added, replaced
/// or removed while every other byte stays as it was.
///
/// A scanner, not a parser: it expects text that ``JSONParser`` accepts (callers parse first) and
/// returns `nil` when it meets anything else.
public struct JSONObjectMembers: Sendable, Hashable {
    /// One member: its key (unescaped) and the byte ranges of the key's string and of its value.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var keyStart: Int
        public var valueStart: Int
        /// One past the value's last byte.
        public var valueEnd: Int
    }

    /// The offset of the object's `{`.
    public var open: Int
    /// The offset of the object's `}`.
    public var close: Int
    public var members: [Member]

    /// Scans the object that starts at or after `start` (after whitespace) in `bytes`.
    public init?(_ bytes: [UInt8], from start: Int = 0) {
        var scanner = Scanner(bytes: bytes, position: start)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { return nil }
        open = scanner.position
        scanner.position += 1
        members = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            close = scanner.position
            return
        }
        while true {
            scanner.skipWhitespace()
            let keyStart = scanner.position
            guard scanner.peek == UInt8(ascii: "\""), let keyEnd = scanner.skipString() else { return nil }
            guard let key = try? JSONParser.parse(bytes[keyStart..<keyEnd]).stringValue else { return nil }
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: ":") else { return nil }
            scanner.position += 1
            scanner.skipWhitespace()
            let valueStart = scanner.position
            guard scanner.skipValue() else { return nil }
            members.append(Member(key: key, keyStart: keyStart, valueStart: valueStart, valueEnd: scanner.position))
            scanner.skipWhitespace()
            guard let next = scanner.peek else { return nil }
            scanner.position += 1
            if next == UInt8(ascii: "}") {
                close = scanner.position - 1
                return
            }
            guard next == UInt8(ascii: ",") else { return nil }
        }
    }

    /// The member named `key` (the last, if the text repeats it, as ``JSONParser`` keeps the last).
    public func member(_ key: String) -> Member? { members.last { $0.key == key } }

    /// `bytes` without every member named `key`, commas and the whitespace between kept valid.
    public func removing(_ key: String, from bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        // From the last to the first, so that earlier offsets stay right.
        for index in members.indices.reversed() where members[index].key == key {
            let member = members[index]
            let range: Range<Int>
            if index > 0 {
                range = members[index - 1].valueEnd..<member.valueEnd
            } else if members.count > 1 {
                range = member.keyStart..<members[1].keyStart
            } else {
                range = member.keyStart..<member.valueEnd
            }
            result.removeSubrange(range)
        }
        return result
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position: Int

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
        }

        /// Skips a string starting at `position`; returns the offset after its closing quote.
        mutating func skipString() -> Int? {
            position += 1
            while let byte = peek {
                position += 1
                if byte == UInt8(ascii: "\\") {
                    position += 1
                } else if byte == UInt8(ascii: "\"") {
                    return position
                }
            }
            return nil
        }

        mutating func skipValue() -> Bool {
            guard let first = peek else { return false }
            if first == UInt8(ascii: "\"") { return skipString() != nil }
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                var depth = 0
                while let byte = peek {
                    if byte == UInt8(ascii: "\"") {
                        guard skipString() != nil else { return false }
                        continue
                    }
                    position += 1
                    if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                    if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { return true }
                    }
                }
                return false
            }
            // A number, true, false or null: up to the next delimiter.
            let start = position
            while let byte = peek, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(byte) {
                position += 1
            }
            return position > start
        }
    }
}
