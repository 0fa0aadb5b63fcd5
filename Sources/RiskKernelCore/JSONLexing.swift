/// The pieces of RFC 8259's grammar that the strict parser (``JSONParser``) and the RFC 8785
/// transcoder (``RFC8785Transcoder``) read alike: an escape after its backslash, and a number's
/// parts. Each reads `bytes` from `index`, moves `index` past what it read, and throws
/// ``JSONParseError`` (at `index`) for what RFC 8259 does not allow.
enum JSONLexing {
    /// The character an escape stands for, read after its backslash: `\" \\ \/ \b \f \n \r \t`, or
    /// `\uXXXX` (a surrogate pair as two escapes; an unpaired surrogate is an error).
    static func escape(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws -> Unicode.Scalar {
        guard index < bytes.count else { throw JSONParseError(offset: index, reason: "unterminated escape") }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{8}"
        case UInt8(ascii: "f"): return "\u{C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"): return try unicodeEscape(bytes, &index)
        default: throw JSONParseError(offset: index, reason: "invalid escape")
        }
    }

    /// The character of a `\u` escape, read after its `u`.
    static func unicodeEscape(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws -> Unicode.Scalar {
        let first = try hex4(bytes, &index)
        if (0xD800...0xDBFF).contains(first) {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONParseError(offset: index, reason: "unpaired surrogate in \\u escape")
            }
            index += 2
            let second = try hex4(bytes, &index)
            guard (0xDC00...0xDFFF).contains(second), let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) else {
                throw JSONParseError(offset: index, reason: "unpaired surrogate in \\u escape")
            }
            return scalar
        }
        guard let scalar = Unicode.Scalar(first) else { throw JSONParseError(offset: index, reason: "unpaired surrogate in \\u escape") }
        return scalar
    }

    static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError(offset: index, reason: "short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError(offset: index, reason: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Where a number's parts lie: its integer digits (after any `-`), its fraction's digits (empty
    /// without a point), and whether it has an exponent.
    struct NumberParts {
        var integer: Range<Int>
        var fraction: Range<Int>
        var hasExponent: Bool
        var isInteger: Bool { fraction.isEmpty && !hasExponent }

        /// Whether the number is a decimal without exponent whose digits are its shortest form's:
        /// at most 15 significant digits (any 15 digits survive a double), no trailing zero in the
        /// fraction, and, when the integer part is 0, at most `maxLeadingZeros` zeros after the point
        /// (how small a value a formatter still writes without an exponent). `false` means "not
        /// decided here".
        func isShortDecimal(in bytes: UnsafeBufferPointer<UInt8>, maxLeadingZeros: Int) -> Bool {
            guard !hasExponent, !fraction.isEmpty, bytes[fraction.upperBound - 1] != UInt8(ascii: "0") else { return false }
            if integer.count == 1, bytes[integer.lowerBound] == UInt8(ascii: "0") {
                var zeros = 0
                while bytes[fraction.lowerBound + zeros] == UInt8(ascii: "0") { zeros += 1 }
                return zeros <= maxLeadingZeros && fraction.count - zeros <= 15
            }
            return integer.count + fraction.count <= 15
        }
    }

    /// Reads a number (`-`? int frac? exp?) starting at `index`.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws -> NumberParts {
        func skipDigits() {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw JSONParseError(offset: index, reason: "invalid number") }
        let integerStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
            skipDigits()
        } else {
            throw JSONParseError(offset: index, reason: "invalid number")
        }
        var parts = NumberParts(integer: integerStart..<index, fraction: index..<index, hasExponent: false)
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            skipDigits()
            guard index > digits else { throw JSONParseError(offset: index, reason: "invalid number: no digits after '.'") }
            parts.fraction = digits..<index
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            parts.hasExponent = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            skipDigits()
            guard index > digits else { throw JSONParseError(offset: index, reason: "invalid number: no digits in exponent") }
        }
        return parts
    }
}
