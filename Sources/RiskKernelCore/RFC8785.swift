import Foundation

/// RFC 8785, the JSON Canonicalization Scheme: the form every hash and digest is computed over
/// (``CanonicalJSON/Rule/rfc8785``).
///
/// - Objects: members sorted by key, comparing the keys as arrays of UTF-16 code units (§3.2.3),
///   so `"😀"` sorts before `"\u{E000}"` (U+D83D U+DE00 is below U+E000 as code units, but its
///   UTF-8 bytes are above).
/// - Strings (§3.2.2.2): `"` and `\` escaped, U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n
///   \f \r`, other controls below U+0020 as `\u00xx` (lower-case hex), everything else raw UTF-8.
/// - Numbers (§3.2.2.3): the nearest IEEE 754 double, written as ECMAScript's
///   `Number.prototype.toString` writes it (ECMA-262 §6.1.6.1.20): the shortest digits that read back
///   as the same double, in plain notation for a decimal exponent from -6 to 20 (`0.000001`,
///   `100000000000000000000`), otherwise as `1e-7` or `1.5e+21`; `-0` is `0`. An integer beyond
///   2^53 is written as its nearest double (`9007199254740993` → `9007199254740992`). A non-finite
///   double (which no parsed input holds) is written as `null`.
public enum RFC8785 {
    /// The RFC 8785 bytes of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, into: &output)
        return output
    }

    /// Writes `value` in RFC 8785 form to the end of `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer) where integer.magnitude <= exactIntegerLimit:
            output.append(contentsOf: String(integer).utf8)
        case .integer(let integer): output.append(contentsOf: number(Double(integer)).utf8)
        case .double(let value) where value.rounded(.towardZero) == value && value.magnitude <= Double(exactIntegerLimit):
            output.append(contentsOf: String(Int64(value)).utf8)
        case .double(let value): output.append(contentsOf: number(value).utf8)
        case .number(let text): output.append(contentsOf: number(Double(text) ?? .nan).utf8)
        case .string(let text): CanonicalJSON.writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, index) in CanonicalJSON.sortedPositions(of: members, by: keyPrecedes).enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(members.keys[index], into: &output)
                output.append(UInt8(ascii: ":"))
                write(members.values[index], into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Whether key `a` sorts before key `b`: their UTF-16 code units compared in order (§3.2.3),
    /// found from their UTF-8 bytes without transcoding. UTF-8 byte order is code point order, and
    /// that is UTF-16 order except between a character at U+E000...U+FFFF (lead byte 0xEE or 0xEF)
    /// and one above U+FFFF (lead byte 0xF0 or above, a surrogate pair from U+D800 in UTF-16),
    /// whose order it reverses. So the bytes decide, unless the first characters that differ are
    /// one of each.
    public static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        // Most keys differ in their first byte; below 0xEE that byte decides.
        if let x = a.utf8.first, let y = b.utf8.first, x != y, x < 0xEE, y < 0xEE { return x < y }
        var a = a
        var b = b
        return a.withUTF8 { x in b.withUTF8 { y in keyPrecedes(x, y) } }
    }

    /// ``keyPrecedes(_:_:)-(String,String)`` of two keys' UTF-8 bytes (well-formed).
    public static func keyPrecedes(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(x.count, y.count)
        var index = 0
        while index < common, x[index] == y[index] { index += 1 }
        guard index < common else { return x.count < y.count }
        // The first differing characters begin at the same offset: the bytes before are the same
        // characters.
        var start = index
        while start > 0, x[start] & 0xC0 == 0x80 { start -= 1 }
        let (leadX, leadY) = (x[start], y[start])
        if leadX >= 0xF0, leadY == 0xEE || leadY == 0xEF { return true }
        if leadY >= 0xF0, leadX == 0xEE || leadX == 0xEF { return false }
        return x[index] < y[index]
    }

    /// Whether `value`'s canonical form with numbers as written (``CanonicalJSON/encode(_:numbers:)``
    /// with ``CanonicalJSON/Numbers/asWritten``, the form stored) is byte for byte its RFC 8785
    /// form, so that one encoding serves both the store and a digest. Both write strings, `true`,
    /// `false` and `null` alike; they can differ only in numbers and in the order of keys. So this
    /// holds when every number is an integer (or an integral double) of magnitude below 2^53, and no
    /// key has a character at or above U+E000 (below it, UTF-8 byte order and UTF-16 code unit
    /// order agree). It answers `false` for some values whose forms agree (`1.5`, say), never
    /// `true` for one whose forms differ. Walks the value once without looking inside its strings.
    public static func agreesWithAsWritten(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .string: return true
        case .integer(let integer): return integer.magnitude < exactIntegerLimit
        case .double(let value): return value.rounded() == value && value.magnitude < Double(exactIntegerLimit)
        case .number: return false
        case .array(let elements): return elements.allSatisfy(agreesWithAsWritten)
        case .object(let members):
            // U+E000 is the first character whose UTF-8 lead byte is 0xEE or above.
            return members.allSatisfy { key, member in key.utf8.allSatisfy { $0 < 0xEE } && agreesWithAsWritten(member) }
        }
    }

    /// 2^53: every integer of at most this magnitude is a double exactly, and below 10^21
    /// `Number.prototype.toString` writes an integral double as its plain decimal digits, so such an
    /// integer is written as itself, with no shortest-digits search (`-0` as `0`).
    static let exactIntegerLimit: UInt64 = 1 << 53

    /// `value` as ECMAScript's `Number.prototype.toString` writes it (radix 10), `null` when it is
    /// not finite.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == 0 { return "0" }
        let (digits, pointPosition) = shortestDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        let k = digits.count
        let n = pointPosition
        if k <= n && n <= 21 {
            return sign + digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return sign + digits.prefix(n) + "." + digits.dropFirst(n)
        }
        if -6 < n && n <= 0 {
            return sign + "0." + String(repeating: "0", count: -n) + digits
        }
        let exponent = n - 1
        let mantissa = k == 1 ? digits : digits.prefix(1) + "." + digits.dropFirst(1)
        return sign + mantissa + "e" + (exponent > 0 ? "+" : "-") + String(abs(exponent))
    }

    /// The shortest decimal digits that read back as `value` (positive, finite), without leading or
    /// trailing zeros, and `n` such that `value` is `0.digits × 10^n`. Swift's `description` of a
    /// double is its shortest round-trip form, closest to the value when several are as short.
    static func shortestDigits(_ value: Double) -> (digits: String, pointPosition: Int) {
        let text = value.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0]
        let integerPart: Substring
        let fraction: Substring
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fraction = mantissa[mantissa.index(after: dot)...]
        } else {
            integerPart = mantissa
            fraction = ""
        }
        var digits = Array(integerPart + fraction)
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), pointPosition)
    }
}
