import Foundation
import RiskKernelCore
import RandomJSON
import SeededRandom
import Testing

@Suite("RFC 8785 canonical JSON")
struct RFC8785Tests {
    func jcs(_ value: JSONValue) -> String { CanonicalJSON.string(value, rule: .rfc8785) }

    // MARK: The RFC's own examples

    /// RFC 8785 Appendix B: IEEE 754 doubles (as bit patterns) and the text JCS writes for them.
    @Test func numbersOfAppendixB() {
        let vectors: [(UInt64, String)] = [
            (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"), (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"), (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
            (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"), (0x4340_0000_0000_0000, "9007199254740992"),
            (0xC340_0000_0000_0000, "-9007199254740992"), (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"), (0x44B5_2D02_C7E1_4AF6, "1e+23"),
            (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"), (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
            (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"), (0x444B_1AE4_D6E2_EF50, "1e+21"),
            (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"), (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
            (0x41B3_DE43_5555_5553, "333333333.3333332"), (0x41B3_DE43_5555_5554, "333333333.33333325"),
            (0x41B3_DE43_5555_5555, "333333333.3333333"), (0x41B3_DE43_5555_5556, "333333333.3333334"),
            (0x41B3_DE43_5555_5557, "333333333.33333343"), (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
            (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
        ]
        for (bits, expected) in vectors {
            #expect(RFC8785.number(Double(bitPattern: bits)) == expected, "bits \(String(bits, radix: 16))")
        }
    }

    /// RFC 8785 §3.2.3: keys sorted by UTF-16 code units.
    @Test func keyOrderOfSection323() {
        let value: JSONValue = [
            "\u{20AC}": "Euro Sign", "\r": "Carriage Return", "\u{FB33}": "Hebrew Letter Dalet With Dagesh", "1": "One",
            "😀": "Emoji: Grinning Face", "\u{0080}": "Control", "\u{00F6}": "Latin Small Letter O With Diaeresis",
        ]
        let keys = ["\\r", "1", "\u{0080}", "\u{00F6}", "\u{20AC}", "😀", "\u{FB33}"]
        let expected = "{" + keys.map { key in
            let name = value[key == "\\r" ? "\r" : key]!.stringValue!
            return "\"\(key)\":\"\(name)\""
        }.joined(separator: ",") + "}"
        #expect(jcs(value) == expected)
    }

    /// RFC 8785 §3.2.2 example: literals, escapes and numbers together.
    @Test func exampleOfSection322() throws {
        let input = #"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(jcs(try JSONParser.parse(input)) == expected)
    }

    /// The case the old form got wrong: a checkpoint payload a JCS library hashes differently.
    @Test func theIssuesPayload() throws {
        let payload = try JSONParser.parse(#"{"x": 1e-7, "😀": 1, "\ue000": 2}"#)
        #expect(jcs(payload) == "{\"x\":1e-7,\"😀\":1,\"\u{E000}\":2}")
        #expect(CanonicalJSON.string(payload, rule: .riskkernelV1) == "{\"x\":1e-07,\"\u{E000}\":2,\"😀\":1}")
    }

    @Test func integersAreWrittenAsTheirDouble() {
        #expect(jcs(.integer(9_007_199_254_740_993)) == "9007199254740992")
        #expect(jcs(.integer(-42)) == "-42")
        #expect(jcs(.integer(Int64.max)) == "9223372036854776000")
        #expect(jcs(.number("1e21")) == "1e+21")
        #expect(jcs(.number("-0")) == "0")
        #expect(jcs(.number("1.10")) == "1.1")
    }

    /// Integers up to 2^53 (and integral doubles) are written as their digits without the
    /// shortest-digits search: the same text as the independent writer gives their double, at
    /// every magnitude, on both sides of 2^53, for both signs.
    @Test func integersMatchTheIndependentWriterAroundTheExactLimit() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let limit: Int64 = 1 << 53
        var integers: [Int64] = [0, 1, -1, limit - 1, limit, limit + 1, -limit, -limit - 1, Int64.max, Int64.min]
        for _ in 0..<20000 {
            let magnitude = Int64.random(in: 0...(1 << Int64(random.int(1...62))), using: &random)
            integers.append(random.chance(0.5) ? magnitude : -magnitude)
        }
        for integer in integers {
            #expect(jcs(.integer(integer)) == ReferenceJCS.number(Double(integer)), "seed \(seed): \(integer)")
            let double = Double(integer)
            #expect(jcs(.double(double)) == ReferenceJCS.number(double), "seed \(seed): \(double)")
        }
        #expect(jcs(.double(-0.0)) == "0")
        #expect(jcs(.double(0.5)) == "0.5")
    }

    // MARK: Property: equal to an independent RFC 8785 writer on random JSON

    @Test func randomValuesMatchAnIndependentWriter() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for round in 0..<3000 {
            let value = RandomJSON.value(depth: 3, using: &random)
            let ours = jcs(value)
            let reference = ReferenceJCS.string(value)
            #expect(ours == reference, "seed \(seed), round \(round)")
            if ours != reference { return }
            // What JCS writes reads back to the same value.
            let reread = try JSONParser.parse(ours)
            #expect(jcs(reread) == ours, "seed \(seed), round \(round)")
        }
    }

    /// ``RFC8785/keyPrecedes(_:_:)`` (UTF-8 bytes, with the one range where their order differs
    /// from UTF-16's turned round) gives the order of the UTF-16 code units, for keys that share
    /// prefixes and differ in characters of every UTF-8 length.
    @Test func keyOrderFromUTF8MatchesUTF16() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for _ in 0..<20_000 {
            let prefix = RandomJSON.string(using: &random)
            let a = prefix + RandomJSON.string(using: &random)
            let b = random.chance(0.2) ? a : prefix + RandomJSON.string(using: &random)
            let expected = a.utf16.lexicographicallyPrecedes(b.utf16)
            let answer = RFC8785.keyPrecedes(a, b)
            #expect(answer == expected, "seed \(seed): \(a.unicodeScalars.map(\.value)) vs \(b.unicodeScalars.map(\.value))")
            if answer != expected { return }
        }
    }

    // MARK: Property: one encoding for the store and the digest

    /// Where ``RFC8785/agreesWithAsWritten(_:)`` says so, the stored form is the RFC 8785 form
    /// byte for byte; and it says so for the values calls mostly carry (texts, small integers).
    @Test func agreementWithTheStoredFormIsNeverClaimedWrongly() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        var agreed = 0
        for round in 0..<6000 {
            let value = round.isMultiple(of: 2) ? RandomJSON.value(depth: 3, using: &random) : RandomJSON.plainValue(depth: 3, using: &random)
            guard RFC8785.agreesWithAsWritten(value) else { continue }
            agreed += 1
            let stored = CanonicalJSON.encode(value, numbers: .asWritten), canonical = CanonicalJSON.encode(value, rule: .rfc8785)
            #expect(stored == canonical, "seed \(seed), round \(round): \(String(decoding: stored, as: UTF8.self))")
            if stored != canonical { return }
        }
        #expect(agreed > 1000, "seed \(seed): only \(agreed) values agreed")
        #expect(RFC8785.agreesWithAsWritten(["path": "/srv/a", "count": 3, "flags": [true, .null], "text": "é😀\u{E000}\n"]))
        #expect(!RFC8785.agreesWithAsWritten(["n": .number("1.10")]))
        #expect(!RFC8785.agreesWithAsWritten(["n": .double(1e-7)]))
        #expect(!RFC8785.agreesWithAsWritten(["\u{E000}": 1, "😀": 2]))
    }

    @Test func randomDoublesMatchTheShortestRoundTrip() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for _ in 0..<20000 {
            let value = RandomJSON.double(using: &random)
            let text = RFC8785.number(value)
            #expect(Double(text) == value || (value == 0 && text == "0"), "seed \(seed): \(value) written \(text)")
            #expect(text == ReferenceJCS.number(value), "seed \(seed): \(value)")
        }
    }
}


/// RFC 8785 written from the RFC's text, apart from the implementation: digits found with
/// `printf`'s correctly rounded `%.*e` at rising precision, keys compared as `[UInt16]`, strings
/// escaped scalar by scalar.
enum ReferenceJCS {
    static func string(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return self.number(Double(number))
        case .double(let number): return self.number(number)
        case .number(let text): return self.number(Double(text)!)
        case .string(let text): return quoted(text)
        case .array(let elements): return "[" + elements.map(string).joined(separator: ",") + "]"
        case .object(let members):
            let keys = members.keys.sorted { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) }
            return "{" + keys.map { quoted($0) + ":" + string(members[$0]!) }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0..<0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// ECMA-262 Number::toString(x) for radix 10.
    static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value < 0 { return "-" + number(-value) }
        // The fewest significant digits k whose correctly rounded form reads back as `value`.
        var scientific = ""
        for precision in 0...17 {
            scientific = String(format: "%.\(precision)e", value)
            if Double(scientific) == value { break }
        }
        let parts = scientific.split(separator: "e")
        var digits = parts[0].replacingOccurrences(of: ".", with: "")
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let k = digits.count
        let n = Int(parts[1])! + 1
        let zeros = { (count: Int) in String(repeating: "0", count: count) }
        if k <= n && n <= 21 { return digits + zeros(n - k) }
        if 0 < n && n <= 21 { return String(digits.prefix(n)) + "." + String(digits.dropFirst(n)) }
        if -6 < n && n <= 0 { return "0." + zeros(-n) + digits }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        return (k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())) + "e" + sign + String(abs(e))
    }
}
