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
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(trimmed)
        let negative = digits.hasPrefix("-")
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty || parts.count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 6, parts.count == 1 || !fraction.isEmpty else { return nil }
        guard let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])),
              let fractional = Int64(fraction.padding(toLength: 6, withPad: "0", startingAt: 0)),
              whole <= Int64.max / Self.microsPerDollar - 1
        else { return nil }
        let magnitude = whole * Self.microsPerDollar + fractional
        micros = negative ? -magnitude : magnitude
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
