import Foundation

/// The canonical JSON encoding that the ledger's hash chain and pin hashes are computed over, and
/// the encoding of every message the gateway writes.
///
/// The rule (also in Protocol/canonical-json.md):
/// - no whitespace outside strings;
/// - object members sorted by key, comparing the keys' UTF-8 bytes;
/// - strings escape only `"`, `\` and control characters below U+0020 (as `\b \f \n \r \t` where
///   those exist, otherwise `\u00XX` in lower-case hex); everything else is written as UTF-8;
/// - integers in decimal without sign for non-negative values, without leading zeros;
/// - a double with an integral value whose magnitude is below 2^53 is written as that integer;
///   any other double is written in Swift's shortest round-trip form (`1.5`, `1e-07`, `1.2e+20`);
/// - a number the parser kept as text (``JSONValue/number(_:)``) is written as the double nearest
///   its value, as above (``Numbers/doubles``, for hashes and digests), or as its text
///   (``Numbers/asWritten``, for messages passed on and values stored);
/// - `true`, `false`, `null` as literals.
public enum CanonicalJSON {
    /// How ``JSONValue/number(_:)`` values are written; every other value is written the same way
    /// by both.
    public enum Numbers: Sendable, Hashable {
        /// As the double nearest the number's value: the same bytes as before numbers kept their
        /// text, and the same bytes for `1`, `1.0` and `1e0`. Hashes and digests (the event chain,
        /// tool pins, `argumentsDigest`, `payloadDigest`) are computed over this form.
        case doubles
        /// As the text the number was written in, byte for byte: the form for messages passed on
        /// to a peer and for values stored and given back, so that no number changes on the way
        /// (`18446744073709551615` stays that, not `1.8446744073709552e+19`).
        case asWritten
    }

    /// The rule a hash or digest is computed under. Every hash written now uses ``rfc8785``; an event
    /// written before records no rule and was hashed under ``riskkernelV1``, which verification still
    /// accepts for it (see ``EventChain/rule(of:)``).
    public enum Rule: String, Sendable, Hashable, CaseIterable {
        /// RFC 8785, the JSON Canonicalization Scheme (JCS): members sorted by their keys' UTF-16
        /// code units (§3.2.3), numbers written as ECMAScript's `Number.prototype.toString` writes the
        /// nearest double (§3.2.2.3), strings escaped as §3.2.2.2 says. Standard libraries (Python's
        /// `rfc8785`, Java's and Go's JCS packages) give the same bytes.
        case rfc8785
        /// The form hashes were computed over before RFC 8785: keys sorted by UTF-8 bytes, doubles in
        /// Swift's shortest form (`1e-07`), integers beyond 2^53 exact.
        case riskkernelV1 = "riskkernel-v1"

        /// The rule new hashes and digests are computed under.
        public static let current: Rule = .rfc8785
    }

    /// The canonical bytes of `value`, numbers as doubles (the ``Rule/riskkernelV1`` form).
    public static func encode(_ value: JSONValue) -> [UInt8] { encode(value, numbers: .doubles) }

    /// The canonical bytes of `value` under a hash rule: what a hash or digest is computed over.
    public static func encode(_ value: JSONValue, rule: Rule) -> [UInt8] {
        switch rule {
        case .riskkernelV1: return encode(value, numbers: .doubles)
        case .rfc8785:
            var output: [UInt8] = []
            output.reserveCapacity(256)
            RFC8785.write(value, into: &output)
            return output
        }
    }

    /// The canonical text of `value` under a hash rule.
    public static func string(_ value: JSONValue, rule: Rule) -> String {
        String(decoding: encode(value, rule: rule), as: UTF8.self)
    }

    /// The canonical bytes of `value`, numbers in the given form.
    public static func encode(_ value: JSONValue, numbers: Numbers) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, numbers: numbers, into: &output)
        return output
    }

    /// The canonical text of `value`, numbers as doubles.
    public static func string(_ value: JSONValue) -> String { string(value, numbers: .doubles) }

    /// The canonical text of `value`, numbers in the given form.
    public static func string(_ value: JSONValue, numbers: Numbers) -> String {
        String(decoding: encode(value, numbers: numbers), as: UTF8.self)
    }

    /// Writes `value` in canonical form to the end of `output`.
    public static func write(_ value: JSONValue, numbers: Numbers = .doubles, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number): output.append(contentsOf: format(number).utf8)
        case .number(let text):
            switch numbers {
            case .asWritten: output.append(contentsOf: text.utf8)
            case .doubles: output.append(contentsOf: format(Double(text) ?? .nan).utf8)
            }
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, numbers: numbers, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, index) in sortedPositions(of: members, by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(members.keys[index], into: &output)
                output.append(UInt8(ascii: ":"))
                write(members.values[index], numbers: numbers, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The positions of `members`, in the order `precedes` gives their keys. The keys are copied
    /// once into an array and positions are sorted, not members: no member is looked up again by
    /// its key, and moving a position copies nothing that is reference counted.
    static func sortedPositions(
        of members: [String: JSONValue], by precedes: (String, String) -> Bool
    ) -> [Dictionary<String, JSONValue>.Index] {
        let positions = Array(members.indices)
        guard positions.count > 1 else { return positions }
        let keys = Array(members.keys)
        var order = Array(keys.indices)
        keys.withUnsafeBufferPointer { keys in order.sort { precedes(keys[$0], keys[$1]) } }
        return order.map { positions[$0] }
    }

    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 {
            return String(Int64(number))
        }
        return "\(number)"
    }

    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Room for the string, its closing quote and what follows, growing as appends do (an
            // exact reservation would make the next append copy the whole output again).
            let needed = output.count + bytes.count + 16
            if output.capacity < needed { output.reserveCapacity(Swift.max(needed, output.capacity * 2)) }
            // Runs of bytes that need no escape are copied whole.
            var runStart = 0
            var index = JSONStringBytes.firstSpecial(in: bytes, from: 0)
            while index < bytes.count {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                writeEscape(bytes[index], into: &output)
                runStart = index + 1
                index = JSONStringBytes.firstSpecial(in: bytes, from: runStart)
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// The escape of a quote, a backslash or a control character.
    static func writeEscape(_ byte: UInt8, into output: inout [UInt8]) {
        switch byte {
        case 0x22: output.append(contentsOf: [0x5C, 0x22])
        case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
        case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            output.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }
}
