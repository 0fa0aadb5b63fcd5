/// RFC 8785 bytes made straight from JSON text, in one pass over it, without building its tree:
/// the form a large tool result is digested in (`resultDigest`) without parsing it into a
/// ``JSONValue`` and encoding it again.
///
/// The bytes are the same as ``RFC8785/encode(_:)`` of ``JSONParser/parse(_:maxDepth:)``'s value,
/// and the text is refused exactly when the parser refuses it (RFC 8259, strict UTF-8, no
/// duplicate key, nesting at most `maxDepth`, finite numbers, nothing after the value), with a
/// ``JSONParseError``. How it gets there:
/// - a run of a string without escapes is checked as UTF-8 and copied as it is (RFC 8785 writes
///   every character raw except the quote, the backslash and controls, none of which a run holds);
///   an escape is decoded and written in RFC 8785's form (`\/` as `/`, `\u00e9` as `é`);
/// - a number is read as the parser reads it and written by ``RFC8785``'s number rule (copied as
///   it is where that rule would write the same: a short integer, a short plain decimal);
/// - an object's members are written in the order they came, each key also kept decoded; when the
///   object ends, members out of RFC 8785's order (§3.2.3, ``RFC8785/keyPrecedes(_:_:)``) are moved
///   into it. Keys are compared as the parser's dictionary compares them (Swift `String`
///   equality, canonical equivalence) to refuse duplicates.
public enum RFC8785Transcoder {
    /// The RFC 8785 bytes of the JSON text `bytes` (surrounding whitespace allowed).
    ///
    /// Throws ``JSONParseError`` for text the strict parser refuses.
    public static func canonical(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) throws -> [UInt8] {
        var transcoding = Transcoding(bytes: bytes, maxDepth: maxDepth)
        transcoding.skipWhitespace()
        try transcoding.value(depth: 0)
        transcoding.skipWhitespace()
        guard transcoding.index == bytes.count else { throw transcoding.error("unexpected content after the JSON value") }
        return transcoding.output
    }

    /// The RFC 8785 bytes of the JSON text `bytes`; see ``canonical(_:maxDepth:)-(UnsafeBufferPointer<UInt8>,_)``.
    public static func canonical(_ bytes: some Collection<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) throws -> [UInt8] {
        if let result = try bytes.withContiguousStorageIfAvailable({ try canonical($0, maxDepth: maxDepth) }) { return result }
        return try Array(bytes).withUnsafeBufferPointer { try canonical($0, maxDepth: maxDepth) }
    }
}

/// The state of one ``RFC8785Transcoder`` pass: where it reads, what it wrote, and the members
/// and decoded keys of the objects still open (each a stack in one array, so that an object
/// allocates nothing of its own).
private struct Transcoding {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var output: [UInt8] = []
    var keys: [UInt8] = []
    var members: [Member] = []
    /// Where an object's members are copied to while they are put in order.
    var scratch: [UInt8] = []

    /// One member of an object being written: its decoded key in `keys`, its bytes (`"key":value`)
    /// in `output`, and where its key began in the input (for the duplicate key's error).
    struct Member {
        var key: Range<Int>
        var bytes: Range<Int>
        var keyOffset: Int
    }

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        output.reserveCapacity(bytes.count)
    }

    func error(_ reason: String, at offset: Int? = nil) -> JSONParseError { JSONParseError(offset: offset ?? index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try object(depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""): try string(keepingKey: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ literal: StaticString) throws {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, expected.indices.allSatisfy({ bytes[index + $0] == expected[$0] }) else {
            throw error("invalid literal")
        }
        output.append(contentsOf: expected)
        index += expected.count
    }

    /// Opens an array or object at `index` (its `open` byte), one level deeper; returns `true`, with
    /// `close` written, when it is empty.
    mutating func opened(_ open: UInt8, empty close: UInt8, depth: Int) throws -> Bool {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        index += 1
        output.append(open)
        skipWhitespace()
        guard index < bytes.count, bytes[index] == close else { return false }
        index += 1
        output.append(close)
        return true
    }

    mutating func array(depth: Int) throws {
        if try opened(UInt8(ascii: "["), empty: UInt8(ascii: "]"), depth: depth) { return }
        while true {
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            index += 1
            switch bytes[index - 1] {
            case UInt8(ascii: ","): output.append(UInt8(ascii: ","))
            case UInt8(ascii: "]"): output.append(UInt8(ascii: "]")); return
            default: index -= 1; throw error("expected ',' or ']'")
            }
        }
    }

    mutating func object(depth: Int) throws {
        if try opened(UInt8(ascii: "{"), empty: UInt8(ascii: "}"), depth: depth) { return }
        let keysStart = keys.count
        let membersStart = members.count
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyOffset = index
            let memberStart = output.count
            let keyStart = keys.count
            try string(keepingKey: true)
            let key = keyStart..<keys.count
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            output.append(UInt8(ascii: ":"))
            skipWhitespace()
            try value(depth: depth)
            members.append(Member(key: key, bytes: memberStart..<output.count, keyOffset: keyOffset))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                output.append(UInt8(ascii: ","))
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                break
            }
            throw error("expected ',' or '}'")
        }
        try order(membersStart..<members.count)
        keys.removeSubrange(keysStart...)
        members.removeSubrange(membersStart...)
        output.append(UInt8(ascii: "}"))
    }

    func precedes(_ a: Member, _ b: Member) -> Bool {
        keys.withUnsafeBufferPointer { keys in
            RFC8785.keyPrecedes(UnsafeBufferPointer(rebasing: keys[a.key]), UnsafeBufferPointer(rebasing: keys[b.key]))
        }
    }

    /// Puts the object's members (`range` of ``members``, written in the order they came) into
    /// RFC 8785's order; refuses a duplicate key.
    mutating func order(_ range: Range<Int>) throws {
        guard range.count > 1 else { return }
        let inOrder = range.dropFirst().allSatisfy { precedes(members[$0 - 1], members[$0]) }
        if !inOrder {
            let keys = keys
            keys.withUnsafeBufferPointer { keys in
                members[range].sort { RFC8785.keyPrecedes(UnsafeBufferPointer(rebasing: keys[$0.key]), UnsafeBufferPointer(rebasing: keys[$1.key])) }
            }
        }
        try refuseDuplicates(range)
        guard !inOrder else { return }
        let start = members[range].lazy.map(\.bytes.lowerBound).min()!
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: output[start...])
        output.removeSubrange(start...)
        for position in range {
            if position > range.lowerBound { output.append(UInt8(ascii: ",")) }
            let member = members[position].bytes
            output.append(contentsOf: scratch[(member.lowerBound - start)..<(member.upperBound - start)])
        }
    }

    /// Throws for two keys the parser's dictionary holds as one: equal bytes (neighbours once
    /// sorted) or, among keys beyond ASCII, canonically equivalent strings (`é` and `e` + U+0301).
    func refuseDuplicates(_ range: Range<Int>) throws {
        var beyondASCII = false
        for position in range {
            let key = keys[members[position].key]
            if position > range.lowerBound, key.elementsEqual(keys[members[position - 1].key]) { throw duplicate(members[position]) }
            if !beyondASCII, key.contains(where: { $0 >= 0x80 }) { beyondASCII = true }
        }
        guard beyondASCII else { return }
        var seen = Set<String>()
        for member in members[range].sorted(by: { $0.keyOffset < $1.keyOffset }) {
            guard seen.insert(String(decoding: keys[member.key], as: UTF8.self)).inserted else { throw duplicate(member) }
        }
    }

    func duplicate(_ member: Member) -> JSONParseError {
        error("duplicate key \"\(String(decoding: keys[member.key], as: UTF8.self))\"", at: member.keyOffset)
    }

    /// Writes the string at `index` in RFC 8785's form; when `keepingKey`, also appends its decoded
    /// UTF-8 to `keys`.
    mutating func string(keepingKey: Bool) throws {
        let start = index + 1
        index = start
        output.append(UInt8(ascii: "\""))
        while true {
            let runStart = index
            index = JSONStringBytes.firstSpecial(in: bytes, from: index)
            let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
            guard UTF8Validation.isValid(run) else { throw error("invalid UTF-8 in string", at: start) }
            output.append(contentsOf: run)
            if keepingKey { keys.append(contentsOf: run) }
            guard index < bytes.count else { throw error("unterminated string") }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                output.append(UInt8(ascii: "\""))
                return
            case UInt8(ascii: "\\"):
                index += 1
                let scalar = try JSONLexing.escape(bytes, &index)
                if keepingKey { keys.append(contentsOf: UTF8.encode(scalar)!) }
                writeCanonical(scalar)
            default:
                throw error("control character in string")
            }
        }
    }

    /// Writes one decoded character as RFC 8785 does (§3.2.2.2).
    mutating func writeCanonical(_ scalar: Unicode.Scalar) {
        if scalar.value < 0x20 || scalar == "\"" || scalar == "\\" {
            CanonicalJSON.writeEscape(UInt8(scalar.value), into: &output)
        } else {
            output.append(contentsOf: UTF8.encode(scalar)!)
        }
    }

    /// Reads a number as ``JSONParser`` does and writes it as ``RFC8785/write(_:into:)`` writes the
    /// value the parser makes of it.
    mutating func number() throws {
        let start = index
        let parts = try JSONLexing.number(bytes, &index)
        let isInteger = parts.isInteger
        let token = UnsafeBufferPointer(rebasing: bytes[start..<index])
        // An integer of at most 15 digits is below 2^53, where RFC 8785 writes it as it is (`-0` as `0`).
        if isInteger, token.count <= (token[0] == UInt8(ascii: "-") ? 16 : 15) {
            if token.count == 2, token[0] == UInt8(ascii: "-"), token[1] == UInt8(ascii: "0") {
                output.append(UInt8(ascii: "0"))
            } else {
                output.append(contentsOf: token)
            }
            return
        }
        // ECMAScript writes a value of at least 10^-6 without an exponent (five zeros after `0.`),
        // and every value with at most 15 digits before the point is below 10^21.
        if parts.isShortDecimal(in: bytes, maxLeadingZeros: 5) {
            output.append(contentsOf: token)
            return
        }
        let text = String(decoding: token, as: UTF8.self)
        if isInteger, let integer = Int64(text) {
            RFC8785.write(.integer(integer), into: &output)
            return
        }
        guard let value = Double(text), value.isFinite else { throw error("number out of range", at: start) }
        RFC8785.write(.double(value), into: &output)
    }
}
