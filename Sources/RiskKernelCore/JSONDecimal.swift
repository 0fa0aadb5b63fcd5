/// The exact value of a JSON number's text, with no rounding: a sign, the significant digits and a
/// power of ten. `1.50e2` is +15 × 10^1; `0`, `-0.0` and `0e5` are zero.
///
/// Used to judge a ``JSONValue/number(_:)`` by what its text says rather than by the nearest double.
struct JSONDecimal: Sendable, Hashable {
    /// Whether a minus sign was written (also for zero).
    var negative: Bool
    /// The significant digits as ASCII, without leading or trailing zeros; empty for zero.
    var digits: [UInt8]
    /// The value is `digits` × 10^`exponent` (0 for zero).
    var exponent: Int

    /// Exponents are kept within this magnitude; a text beyond it is not read.
    static let exponentLimit = 1_000_000_000

    /// Reads a number in JSON's syntax (RFC 8259 §6); `nil` for anything else, or for an exponent
    /// beyond ±10^9.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        var index = 0
        negative = bytes.first == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                mantissa.append(byte)
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        guard !mantissa.isEmpty else { return nil }
        var written = 0
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return nil }
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count else { return nil }
            while index < bytes.count {
                let byte = bytes[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                written = written * 10 + Int(byte - UInt8(ascii: "0"))
                guard written <= Self.exponentLimit else { return nil }
                index += 1
            }
            if exponentNegative { written = -written }
        }
        guard let first = mantissa.firstIndex(where: { $0 != UInt8(ascii: "0") }),
              let last = mantissa.lastIndex(where: { $0 != UInt8(ascii: "0") })
        else {
            digits = []
            exponent = 0
            return
        }
        digits = Array(mantissa[first...last])
        exponent = written - fractionDigits + (mantissa.count - 1 - last)
    }

    /// Whether the value is a whole number.
    var isInteger: Bool { digits.isEmpty || exponent >= 0 }

    /// The value when it is a whole number within `Int64`.
    var int64Value: Int64? {
        if digits.isEmpty { return 0 }
        guard exponent >= 0, digits.count + exponent <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in digits + Array(repeating: UInt8(ascii: "0"), count: exponent) {
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            let (sum, carry) = shifted.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !carry else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}
