import Foundation
import RiskKernelCore
import SeededRandom
import Testing

@Suite("Money")
struct MoneyTests {
    // MARK: Parsing decimal text

    @Test func parsesWholeAndFractionalDollars() {
        #expect(Money(dollars: "5")?.micros == 5_000_000)
        #expect(Money(dollars: "0")?.micros == 0)
        #expect(Money(dollars: "0.25")?.micros == 250_000)
        #expect(Money(dollars: "12.000001")?.micros == 12_000_001)
        #expect(Money(dollars: "0.000001")?.micros == 1)
        #expect(Money(dollars: "1.123456")?.micros == 1_123_456)
        #expect(Money(dollars: "007.5")?.micros == 7_500_000)
        #expect(Money(dollars: ".5")?.micros == 500_000)
    }

    /// The parse as it was written first (Foundation's trimming, splitting and `Int64` parsing),
    /// kept as the reference that the one-pass parse must agree with.
    static func reference(_ text: String) -> Int64? {
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
              whole <= Int64.max / Money.microsPerDollar - 1
        else { return nil }
        let magnitude = whole * Money.microsPerDollar + fractional
        return negative ? -magnitude : magnitude
    }

    @Test func randomTextsParseAsTheReferenceParses() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let pieces = ["0", "1", "5", "9", "9", "00", ".", ".", "-", "+", " ", "\t", "\u{00A0}", "\u{3000}", "a", "e", "٣", "9223372036854", "1e2", "\n"]
        for round in 0..<20000 {
            let text = (0..<random.int(0...8)).map { _ in random.pick(pieces) }.joined()
            #expect(Money(dollars: text)?.micros == Self.reference(text), "seed \(seed), round \(round): \(text.debugDescription)")
        }
        for text in ["9223372036853.999999", "9223372036854", "-9223372036853", "99999999999999999999", "0.1234567", "-.5", "5.", "."] {
            #expect(Money(dollars: text)?.micros == Self.reference(text), "\(text)")
        }
    }

    @Test func parsesNegativeAmounts() {
        #expect(Money(dollars: "-0.5")?.micros == -500_000)
        #expect(Money(dollars: "-3")?.micros == -3_000_000)
        #expect(Money(dollars: "-0.000001")?.micros == -1)
        #expect(Money(dollars: "-0")?.micros == 0)
    }

    @Test func trimsSurroundingSpaces() {
        #expect(Money(dollars: "  3.5 ")?.micros == 3_500_000)
        #expect(Money(dollars: "\t1\t")?.micros == 1_000_000)
    }

    @Test func atMostSixDecimals() {
        #expect(Money(dollars: "0.1234567") == nil)
        #expect(Money(dollars: "1.0000000") == nil)
        #expect(Money(dollars: "0.0000001") == nil)
        #expect(Money(dollars: "1.000000")?.micros == 1_000_000)
    }

    @Test(arguments: [
        "", " ", ".", "5.", "-", "-.", "+5", "--1", "- 5", "1e3", "1E-2", "1,000", "1_000", "abc", "1.2.3", "$5", "5$",
        "0x10", "١", "½", "٣.٥", "5 . 0", "NaN", "inf",
    ])
    func refusesAnythingElse(text: String) {
        #expect(Money(dollars: text) == nil, "\"\(text)\"")
    }

    @Test func refusesAmountsOutOfRange() {
        #expect(Money(dollars: "9223372036853.999999")?.micros == 9_223_372_036_853_999_999)
        #expect(Money(dollars: "-9223372036853.999999")?.micros == -9_223_372_036_853_999_999)
        #expect(Money(dollars: "9223372036854") == nil)
        #expect(Money(dollars: "99999999999999999999999") == nil)
    }

    // MARK: Converting numbers

    @Test func convertsDoublesExactly() {
        #expect(Money(dollars: 0.1)?.micros == 100_000)
        #expect(Money(dollars: 0.25)?.micros == 250_000)
        #expect(Money(dollars: 2.5)?.micros == 2_500_000)
        #expect(Money(dollars: 0.3)?.micros == 300_000)
        #expect(Money(dollars: 1.15)?.micros == 1_150_000)
        #expect(Money(dollars: 12.000001)?.micros == 12_000_001)
        #expect(Money(dollars: 0.000001)?.micros == 1)
        #expect(Money(dollars: 0.075)?.micros == 75_000)
        #expect(Money(dollars: -1.5)?.micros == -1_500_000)
        #expect(Money(dollars: 0.0)?.micros == 0)
        #expect(Money(dollars: 1e12)?.micros == 1_000_000_000_000_000_000)
    }

    @Test func doublesWithMoreThanSixDecimalsAreRefused() {
        #expect(Money(dollars: 0.1234567) == nil)
        #expect(Money(dollars: 1e-7) == nil)
        #expect(Money(dollars: 3.0000005) == nil)
    }

    @Test func nonFiniteAndHugeDoublesAreRefused() {
        #expect(Money(dollars: Double.nan) == nil)
        #expect(Money(dollars: Double.infinity) == nil)
        #expect(Money(dollars: -Double.infinity) == nil)
        // Would overflow Int64 micro-dollars; must not wrap or become zero.
        #expect(Money(dollars: 1e15) == nil)
        #expect(Money(dollars: -1e15) == nil)
        #expect(Money(dollars: 1e300) == nil)
    }

    // MARK: Formatting

    @Test func decimalStringHasSixDecimals() {
        #expect(Money(micros: 12_500).decimalString == "0.012500")
        #expect(Money(micros: 0).decimalString == "0.000000")
        #expect(Money(micros: 1).decimalString == "0.000001")
        #expect(Money(micros: 5_000_000).decimalString == "5.000000")
        #expect(Money(micros: 1_234_567_890).decimalString == "1234.567890")
        #expect(Money(micros: -1).decimalString == "-0.000001")
        #expect(Money(micros: -2_500_000).decimalString == "-2.500000")
    }

    @Test func decimalStringAtTheExtremes() {
        #expect(Money(micros: Int64.max).decimalString == "9223372036854.775807")
        #expect(Money(micros: Int64.min).decimalString == "-9223372036854.775808")
    }

    @Test func descriptionHasDollarSign() {
        #expect(Money(micros: 12_500).description == "$0.012500")
        #expect(Money(micros: -7_000_000).description == "$-7.000000")
        #expect("\(Money.zero)" == "$0.000000")
    }

    @Test func decimalStringParsesBack() {
        for micros: Int64 in [0, 1, -1, 999_999, 1_000_000, 123_456_789, -987_654_321, 9_223_372_036_853_999_999] {
            let money = Money(micros: micros)
            #expect(Money(dollars: money.decimalString) == money, "\(micros)")
        }
    }

    @Test func dollarsIsExactDecimal() {
        #expect(Money(micros: 1_500_000).dollars == Decimal(string: "1.5"))
        #expect(Money(micros: 1).dollars == Decimal(string: "0.000001"))
        #expect(Money(micros: -250_000).dollars == Decimal(string: "-0.25"))
    }

    // MARK: Arithmetic and comparison

    @Test func arithmeticIsExact() {
        let tenth = Money(dollars: "0.1")!
        let fifth = Money(dollars: "0.2")!
        #expect(tenth + fifth == Money(dollars: "0.3"))
        #expect(fifth - tenth == tenth)
        #expect(tenth - fifth == Money(micros: -100_000))
        var total = Money.zero
        for _ in 0..<10 { total += tenth }
        #expect(total == Money(dollars: "1"))
        #expect(total.micros == Money.microsPerDollar)
    }

    @Test func comparison() {
        let small = Money(micros: 1)
        let large = Money(micros: 2)
        #expect(small < large)
        #expect(large > small)
        #expect(small <= small)
        #expect(Money(micros: -5) < .zero)
        #expect([large, Money(micros: -1), small].sorted() == [Money(micros: -1), small, large])
        #expect(max(small, large) == large)
    }

    @Test func constants() {
        #expect(Money.zero.micros == 0)
        #expect(Money.microsPerDollar == 1_000_000)
    }

    // MARK: Codable

    @Test func encodesAsIntegerMicros() throws {
        let data = try JSONEncoder().encode(["price": Money(micros: 12_500)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"price":12500}"#)
        let decoded = try JSONDecoder().decode([String: Money].self, from: Data(#"{"price":-42}"#.utf8))
        #expect(decoded["price"] == Money(micros: -42))
    }

    @Test func decodingRefusesNonIntegers() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Money].self, from: Data(#"["1.5"]"#.utf8))
        }
    }
}
