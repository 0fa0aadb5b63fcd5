import Foundation

/// An exact amount of US dollars, held as integer micro-dollars (1 dollar = 1,000,000 micros).
///
/// Never a `Double`: budgets are compared and summed exactly.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Millionths of a dollar.
    public var micros: Int64

    public static let zero = Money(micros: 0)
    public static let microsPerDollar: Int64 = 1_000_000

    public init(micros: Int64) { self.micros = micros }

    /// Parses a decimal dollar amount such as `"5"`, `"0.25"` or `"12.000001"`.
    /// Returns `nil` for anything else, including more than six decimal places.
    public init?(dollars text: String) {
        // Surrounding whitespace (spaces, tabs, other Unicode spaces) is trimmed only when the
        // text does not read as it is: the ledger's own amounts never carry any.
        guard let micros = Self.micros(dollars: text.utf8) ?? Self.micros(dollars: text.trimmingCharacters(in: .whitespaces).utf8) else {
            return nil
        }
        self.micros = micros
    }

    /// `[-]DIGITS[.DIGITS]` in ASCII digits, with at least one digit, at most six after the point
    /// and none missing after it (`5.` is refused, `.5` taken), as micro-dollars; `nil` for any
    /// other byte or an amount beyond `Int64.max` micro-dollars. One pass over the bytes: the
    /// ledger reads an amount this way for every model call it chains.
    static func micros(dollars bytes: String.UTF8View) -> Int64? {
        var negative = false, sawPoint = false
        var whole: Int64 = 0, wholeDigits = 0, fraction: Int64 = 0, fractionDigits = 0
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where offset == 0:
                negative = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int64(byte - UInt8(ascii: "0"))
                if sawPoint {
                    fractionDigits += 1
                    guard fractionDigits <= 6 else { return nil }
                    fraction = fraction * 10 + digit
                } else {
                    wholeDigits += 1
                    let (shifted, overflow) = whole.multipliedReportingOverflow(by: 10)
                    guard !overflow, shifted <= Int64.max - digit else { return nil }
                    whole = shifted + digit
                }
            case UInt8(ascii: ".") where !sawPoint:
                sawPoint = true
            default:
                return nil
            }
        }
        guard wholeDigits + fractionDigits > 0, !sawPoint || fractionDigits > 0, whole <= Int64.max / microsPerDollar - 1 else { return nil }
        for _ in fractionDigits..<6 { fraction *= 10 }
        let magnitude = whole * microsPerDollar + fraction
        return negative ? -magnitude : magnitude
    }

    /// Converts a JSON or YAML number exactly by way of its decimal text (the shortest text that
    /// reads back as `value`). Returns `nil` for more than six decimal places or an amount out of range.
    public init?(dollars value: Double) {
        guard value.isFinite, abs(value) < 9_223_372_036_853,
              let decimal = Decimal(string: "\(value)", locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        var scaled = decimal * Decimal(Self.microsPerDollar)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled else { return nil }
        micros = NSDecimalNumber(decimal: rounded).int64Value
    }

    /// Converts the text of a JSON number exactly (`5.10`, `1e2`, `0.000001`, `-0`). Returns `nil`
    /// for more than six decimal places or an amount out of range.
    init?(jsonNumber text: String) {
        guard var decimal = JSONDecimal(text) else { return nil }
        if !decimal.digits.isEmpty { decimal.exponent += 6 }
        guard let micros = decimal.int64Value else { return nil }
        self.init(micros: micros)
    }

    /// The amount as a decimal number of dollars.
    public var dollars: Decimal { Decimal(micros) / Decimal(Self.microsPerDollar) }

    /// Dollars with six decimals, e.g. `"0.012500"`.
    public var decimalString: String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let whole = magnitude / UInt64(Self.microsPerDollar)
        let fraction = magnitude % UInt64(Self.microsPerDollar)
        let fractionText = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: 6 - fractionText.count))\(fractionText)"
    }

    /// `"$0.012500"`.
    public var description: String { "$" + decimalString }

    public static func + (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros &+ rhs.micros) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros &- rhs.micros) }
    public static func += (lhs: inout Money, rhs: Money) { lhs.micros &+= rhs.micros }
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }

    public init(from decoder: Decoder) throws {
        micros = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(micros)
    }
}
