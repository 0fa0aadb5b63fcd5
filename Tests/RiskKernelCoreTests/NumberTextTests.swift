import Foundation
import RiskKernelCore
import SeededRandom
import Testing

/// Numbers of every size through parse → encode: as written for messages passed on, and as before
/// (nearest double) for hashes, so that stored hashes keep verifying.
@Suite("numbers keep their text")
struct NumberTextTests {
    /// A fixed seed: the same numbers on every run.
    typealias Generator = SeededRandom

    /// A JSON number: an optional sign, 1 to 60 integer digits, an optional fraction of 1 to 40
    /// digits (trailing zeros allowed), an optional exponent in either case with or without a sign.
    static func number(_ random: inout Generator) -> String {
        func digits(_ count: Int, leadingZero: Bool) -> String {
            String((0..<count).map { index in
                Character(String(index == 0 && !leadingZero ? Int.random(in: 1...9, using: &random) : Int.random(in: 0...9, using: &random)))
            })
        }
        var text = Bool.random(using: &random) ? "-" : ""
        switch Int.random(in: 0..<4, using: &random) {
        case 0: text += "0"
        case 1: text += digits(Int.random(in: 1...18, using: &random), leadingZero: false)
        default: text += digits(Int.random(in: 1...60, using: &random), leadingZero: false)
        }
        if Int.random(in: 0..<3, using: &random) > 0 {
            text += "." + digits(Int.random(in: 1...40, using: &random), leadingZero: true)
        }
        if Bool.random(using: &random) {
            text += Bool.random(using: &random) ? "e" : "E"
            text += ["", "+", "-"].randomElement(using: &random)!
            text += String(Int.random(in: 0...(Bool.random(using: &random) ? 20 : 330), using: &random))
        }
        return text
    }

    /// The canonical text of a number as the encoder wrote it before numbers kept their text: the
    /// rule of Protocol/canonical-json.md, from the number's text.
    static func doublesForm(_ text: String) -> String {
        if !text.contains(where: { ".eE".contains($0) }), let integer = Int64(text) { return String(integer) }
        let value = Double(text)!
        if value.rounded() == value, abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    @Test("parse → encode keeps every number's text; the hashed form is the nearest double's, as before")
    func everySize() throws {
        var random = Generator(seed: 16)
        var kept = 0
        for _ in 0..<20_000 {
            let text = Self.number(&random)
            guard let double = Double(text), double.isFinite else {
                #expect(throws: JSONParseError.self, "\(text) is beyond a double and should be refused") { try JSONParser.parse(text) }
                continue
            }
            let value = try JSONParser.parse(text)
            #expect(CanonicalJSON.string(value, numbers: .asWritten) == text)
            #expect(CanonicalJSON.string(value) == Self.doublesForm(text), "the hashed form of \(text) changed")
            #expect(value.doubleValue == double)
            if !text.contains(where: { ".eE".contains($0) }), let integer = Int64(text) {
                #expect(value.int64Value == integer)
            }
            // Inside a message, and read back from what was written.
            let message = try JSONParser.parse(#"{"id":1,"params":{"n":\#(text),"list":[\#(text),"x"]}}"#)
            let written = CanonicalJSON.encode(message, numbers: .asWritten)
            #expect(String(decoding: written, as: UTF8.self) == #"{"id":1,"params":{"list":[\#(text),"x"],"n":\#(text)}}"#)
            #expect(try JSONParser.parse(written) == message)
            if case .number = value { kept += 1 }
        }
        #expect(kept > 5_000, "the generator should make many numbers that a double writes differently")
    }

    @Test("the numbers of issue 16 and their neighbours")
    func examples() throws {
        let cases: [(text: String, doubles: String)] = [
            ("18446744073709551615", "1.8446744073709552e+19"),
            ("18446744073709551616", "1.8446744073709552e+19"),
            ("-18446744073709551616", "-1.8446744073709552e+19"),
            ("9223372036854775807", "9223372036854775807"),
            ("9223372036854775808", "9.223372036854776e+18"),
            ("1.10", "1.1"),
            ("1.0", "1"),
            ("1e2", "100"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("0.10000000000000000001", "0.1"),
            ("2.7e-05", "2.7e-05"),
            ("0.00054", "0.00054"),
            ("1e-400", "0"),
        ]
        for (text, doubles) in cases {
            let value = try JSONParser.parse(text)
            #expect(CanonicalJSON.string(value, numbers: .asWritten) == text)
            #expect(CanonicalJSON.string(value) == doubles)
        }
        // Two integers that one double holds are two values, with two texts.
        #expect(try JSONParser.parse("18446744073709551615") != JSONParser.parse("18446744073709551616"))
    }

    @Test("values that already read back exactly are written the same by both forms")
    func unchangedForms() throws {
        let document = #"{"a":[1,-2,0,1.5,0.1,-0.25,1e-07,1.2e+20,9007199254740992.0,9223372036854775807],"b":{"c":true,"d":null,"e":"1.10"}}"#
        let value = try JSONParser.parse(document)
        #expect(CanonicalJSON.string(value) == document)
        #expect(CanonicalJSON.string(value, numbers: .asWritten) == document)
    }

    @Test("a price file reads exact dollars from any number text")
    func dollarsFromNumberText() throws {
        func input(_ number: String) throws -> Money? {
            let json = #"{"models": [{"provider": "p", "model": "m", "input": \#(number), "output": 0}]}"#
            return try PriceTable.load(data: Data(json.utf8), file: nil).price(provider: "p", model: "m")?.input
        }
        #expect(try input("2.50") == Money(dollars: "2.5"))
        #expect(try input("1e2") == Money(dollars: "100"))
        #expect(try input("0.000001") == Money(micros: 1))
        #expect(try input("12345678.100000") == Money(dollars: "12345678.1"))
        #expect(throws: PriceTableError.self) { try input("0.0000001") }
        #expect(throws: PriceTableError.self) { try input("100000000000000000000") }
    }
}
