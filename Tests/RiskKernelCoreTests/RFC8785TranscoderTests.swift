import Foundation
import RiskKernelCore
import RandomJSON
import SeededRandom
import Testing

/// `RFC8785Transcoder` makes the same bytes as parsing and encoding, and refuses what the parser
/// refuses.
@Suite("RFC 8785 from JSON text")
struct RFC8785TranscoderTests {
    /// What the tree path makes of `text`: `nil` when the parser refuses it.
    func viaTree(_ text: [UInt8]) -> [UInt8]? { (try? JSONParser.parse(text)).map { RFC8785.encode($0) } }

    func transcoded(_ text: [UInt8]) -> [UInt8]? { try? RFC8785Transcoder.canonical(text) }

    /// RFC 8785 §3.2.3's example input, with its escapes, numbers and members out of order.
    @Test func theRFCsExample() throws {
        let input = #"""
        {
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(String(decoding: try RFC8785Transcoder.canonical(Array(input.utf8)), as: UTF8.self) == expected)
    }

    /// §3.2.3: keys sorted by UTF-16 code units, which puts an emoji (a surrogate pair from
    /// U+D83D) before U+E000, though its UTF-8 bytes come after.
    @Test func keysInUTF16Order() throws {
        let input = #"{"😀":1,"\ue000":2,"b":3,"a":{"z":[],"y":{}},"\u0000":4}"#
        #expect(String(decoding: try RFC8785Transcoder.canonical(Array(input.utf8)), as: UTF8.self)
            == "{\"\\u0000\":4,\"a\":{\"y\":{},\"z\":[]},\"b\":3,\"😀\":1,\"\u{E000}\":2}")
    }

    /// Integers and decimals short enough to be copied, and those at the edges of that: the tree
    /// path's bytes.
    @Test func integers() throws {
        let input = "[0, -0, 10, -10, 20, 100, 123456789012345, -123456789012345, 1234567890123456, 9007199254740993, -9223372036854775808, 18446744073709551616]"
        let expected = "[0,0,10,-10,20,100,123456789012345,-123456789012345,1234567890123456,9007199254740992,-9223372036854776000,18446744073709552000]"
        #expect(String(decoding: try RFC8785Transcoder.canonical(Array(input.utf8)), as: UTF8.self) == expected)
        #expect(viaTree(Array(input.utf8)) == Array(expected.utf8))
        let decimals = "[0.5, -0.5, 0.000001, 0.0000001, -0.0000015, 1.50, 123456789012345.6, 12345678901234.56, 0.1000000000000001, 0.100000000000001, 3.14]"
        let written = "[0.5,-0.5,0.000001,1e-7,-0.0000015,1.5,123456789012345.6,12345678901234.56,0.1000000000000001,0.100000000000001,3.14]"
        #expect(String(decoding: try RFC8785Transcoder.canonical(Array(decimals.utf8)), as: UTF8.self) == written)
        #expect(viaTree(Array(decimals.utf8)) == Array(written.utf8))
    }

    /// The parser's refusals, one of each kind: the transcoder refuses them too.
    @Test func refusesWhatTheParserRefuses() {
        let refused = [
            #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, "{\"\u{E9}\":1,\"e\u{301}\":2}", "{\"K\":1,\"\u{212A}\":2}", #"[1,]"#, #"{"a" 1}"#,
            #""\ud800""#, #""\udc00\ud800""#, #""\x""#, "\"\u{1}\"", #"01"#, #"1."#, #"1e"#, #"-"#, #"1e400"#, #"tru"#, #"nul"#,
            #"[1] 2"#, #""abc"#, #"{"a":1"#, String(repeating: "[", count: 129) + String(repeating: "]", count: 129),
        ]
        for text in refused {
            #expect(transcoded(Array(text.utf8)) == nil, "\(text)")
            #expect(viaTree(Array(text.utf8)) == nil, "\(text)")
        }
        for bytes: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xFF, 0x22]] {
            #expect(transcoded(bytes) == nil)
            #expect(viaTree(bytes) == nil)
        }
        let deepest = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(transcoded(Array(deepest.utf8)) == viaTree(Array(deepest.utf8)))
        #expect(transcoded(Array(deepest.utf8)) != nil)
    }

    // MARK: Properties

    /// Random values written with random spacing, member order, escapes and number spellings:
    /// the transcoder's bytes are the tree path's.
    @Test func randomTextsMatchTheTreePath() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for _ in 0..<3000 {
            let value = RandomJSON.value(depth: 4, using: &random)
            let text = Array(NoisyJSON.text(value, using: &random).utf8)
            let expected = try #require(viaTree(text), "seed \(seed): \(String(decoding: text, as: UTF8.self))")
            #expect(try RFC8785Transcoder.canonical(text) == expected, "seed \(seed): \(String(decoding: text, as: UTF8.self))")
            #expect(expected == RFC8785.encode(value), "seed \(seed)")
        }
    }

    /// The same texts broken at random (a byte removed, added or changed, a member repeated, the
    /// end cut): the transcoder accepts exactly what the parser accepts, with the same bytes.
    @Test func brokenTextsAreJudgedAsTheParserJudgesThem() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let insertions: [[UInt8]] = [
            [0x22], [0x5C], [0x7B], [0x7D], [0x5B], [0x5D], [0x2C], [0x3A], [0x30], [0x2D], [0x2E], [0x65], [0x75], [0x01], [0x20],
            [0xC3], [0xA9], [0xED, 0xA0, 0x80], [0xF0, 0x9F], [0xFF], Array(#"\ud83d"#.utf8), Array(#"\u0000"#.utf8),
        ]
        var accepted = 0
        for _ in 0..<5000 {
            var text = Array(NoisyJSON.text(RandomJSON.value(depth: 3, using: &random), using: &random).utf8)
            for _ in 0..<random.int(1...3) where !text.isEmpty {
                let at = random.int(0...(text.count - 1))
                switch random.int(0...4) {
                case 0: text.remove(at: at)
                case 1: text.insert(contentsOf: random.pick(insertions), at: at)
                case 2: text[at] = random.pick(insertions)[0]
                case 3: text = Array(text.prefix(at))
                default:
                    // A member written twice, if there is one to repeat.
                    if let colon = text[at...].firstIndex(of: 0x3A), let quote = text[..<colon].lastIndex(of: 0x22),
                       let open = text[..<quote].lastIndex(of: 0x22) {
                        let member = Array(text[open...colon]) + [0x30, 0x2C]
                        text.insert(contentsOf: member, at: open)
                    }
                }
            }
            let expected = viaTree(text)
            if expected != nil { accepted += 1 }
            #expect(transcoded(text) == expected, "seed \(seed): \(text)")
        }
        // Both outcomes were tried.
        #expect(accepted > 100 && accepted < 4900, "seed \(seed): \(accepted) of 5000 accepted")
    }
}

@Suite("UTF-8 in JSON strings")
struct UTF8ValidationTests {
    /// Random bytes, mostly high ones, in a string: the transcoder and the parser judge them as
    /// `String(validating:)` does.
    @Test func agreesWithTheStandardLibrary() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        for round in 0..<20000 {
            // Every fourth string opens with a run of ASCII long enough to be passed in vector registers.
            let opening = (0..<(round % 4 == 0 ? random.int(0...80) : 0)).map { _ in UInt8(ascii: "a") + UInt8(random.int(0...25)) }
            let bytes = opening + (0..<random.int(0...24)).map { _ in
                random.chance(0.3) ? UInt8(random.int(0...0x7F)) : UInt8(random.int(0x80...0xFF))
            }
            let quoted = [0x22] + bytes + [0x22]
            let parsed = try? JSONParser.parse(quoted)
            let valid = String(validating: bytes, as: UTF8.self) != nil
            #expect((parsed != nil) == (valid && !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C })), "seed \(seed): \(bytes)")
            #expect((try? RFC8785Transcoder.canonical(quoted)) == parsed.map { RFC8785.encode($0) }, "seed \(seed): \(bytes)")
        }
    }
}
