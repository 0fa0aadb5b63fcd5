import Foundation
import RiskKernelCore
import Testing

@Suite("CanonicalJSON")
struct CanonicalJSONTests {
    func canonical(_ value: JSONValue) -> String { CanonicalJSON.string(value) }

    // MARK: Layout and key order

    @Test func noWhitespaceAndSortedKeys() {
        let value: JSONValue = ["b": 1, "a": [true, false, .null], "c": ["z": "last", "y": "first"]]
        #expect(canonical(value) == #"{"a":[true,false,null],"b":1,"c":{"y":"first","z":"last"}}"#)
    }

    @Test func emptyContainers() {
        #expect(canonical(.object([:])) == "{}")
        #expect(canonical(.array([])) == "[]")
        #expect(canonical(["a": .object([:]), "b": .array([])]) == #"{"a":{},"b":[]}"#)
    }

    @Test func arraysKeepTheirOrder() {
        #expect(canonical([3, 1, 2, "b", "a"]) == #"[3,1,2,"b","a"]"#)
    }

    @Test func keysSortByUTF8BytesNotByLocaleOrCase() {
        // Upper case (0x41..) sorts before lower case (0x61..); non-ASCII after ASCII; a prefix before longer keys.
        let value: JSONValue = ["b": 1, "a": 2, "B": 3, "é": 4, "ab": 5, "_": 6, "1": 7, "": 8]
        #expect(canonical(value) == #"{"":8,"1":7,"B":3,"_":6,"a":2,"ab":5,"b":1,"é":4}"#)
    }

    @Test func keysSortByUTF8BytesNotByUTF16Units() {
        // U+FF61 is EF BD A1 in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 the
        // emoji's surrogate D83D would sort first.
        let value: JSONValue = ["😀": 1, "\u{FF61}": 2]
        #expect(canonical(value) == "{\"\u{FF61}\":2,\"😀\":1}")
    }

    @Test func insertionOrderDoesNotMatter() {
        var first: [String: JSONValue] = [:]
        var second: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { first[key] = .string(key) }
        for key in keys.reversed() { second[key] = .string(key) }
        #expect(CanonicalJSON.encode(.object(first)) == CanonicalJSON.encode(.object(second)))
    }

    // MARK: Strings

    @Test func escapesOnlyQuoteBackslashAndControlCharacters() {
        #expect(canonical("say \"hi\"") == #""say \"hi\"""#)
        #expect(canonical("back\\slash") == #""back\\slash""#)
        #expect(canonical("a/b") == #""a/b""#)
        #expect(canonical("\u{7F}") == "\"\u{7F}\"")
    }

    @Test func namedControlEscapes() {
        #expect(canonical("\u{08}\u{0C}\n\r\t") == #""\b\f\n\r\t""#)
    }

    @Test func otherControlCharactersUseLowerCaseHex() {
        #expect(canonical("\u{00}") == #""\u0000""#)
        #expect(canonical("\u{01}\u{1F}") == #""\u0001\u001f""#)
        #expect(canonical("\u{0B}\u{1B}") == #""\u000b\u001b""#)
    }

    @Test func nonASCIIIsWrittenAsRawUTF8() {
        #expect(CanonicalJSON.encode("é") == [0x22, 0xC3, 0xA9, 0x22])
        #expect(CanonicalJSON.encode("😀") == [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22])
        #expect(canonical("\u{2028}中") == "\"\u{2028}中\"")
    }

    @Test func keysAreEscapedLikeStrings() {
        #expect(canonical(["a\"b": 1, "c\nd": 2]) == #"{"a\"b":1,"c\nd":2}"#)
    }

    // MARK: Numbers and literals

    @Test func literals() {
        #expect(canonical(.null) == "null")
        #expect(canonical(true) == "true")
        #expect(canonical(false) == "false")
    }

    @Test func integers() {
        #expect(canonical(0) == "0")
        #expect(canonical(42) == "42")
        #expect(canonical(-5) == "-5")
        #expect(canonical(.integer(Int64.max)) == "9223372036854775807")
        #expect(canonical(.integer(Int64.min)) == "-9223372036854775808")
    }

    @Test func integralDoublesBelowTwoToThe53AreWrittenAsIntegers() {
        #expect(canonical(.double(1.0)) == "1")
        #expect(canonical(.double(-2.0)) == "-2")
        #expect(canonical(.double(-0.0)) == "0")
        #expect(canonical(.double(1e15)) == "1000000000000000")
        #expect(canonical(.double(9_007_199_254_740_991)) == "9007199254740991")
        #expect(canonical(.double(-9_007_199_254_740_991)) == "-9007199254740991")
    }

    @Test func otherDoublesUseShortestRoundTripForm() {
        #expect(canonical(.double(1.5)) == "1.5")
        #expect(canonical(.double(0.1)) == "0.1")
        #expect(canonical(.double(-0.25)) == "-0.25")
        #expect(canonical(.double(1e-7)) == "1e-07")
        #expect(canonical(.double(1.2e20)) == "1.2e+20")
        // 2^53 itself is not below 2^53, so it keeps Swift's double form.
        #expect(canonical(.double(9_007_199_254_740_992)) == "9007199254740992.0")
        #expect(canonical(.double(-9_007_199_254_740_992)) == "-9007199254740992.0")
        #expect(canonical(.double(1e16)) == "1e+16")
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(canonical(.double(.nan)) == "null")
        #expect(canonical(.double(.infinity)) == "null")
        #expect(canonical(.double(-.infinity)) == "null")
    }

    // MARK: Entry points and round trips

    @Test func encodeStringAndWriteAgree() {
        let value: JSONValue = ["tool": "fs.read", "args": ["path": "/tmp/x", "n": 3]]
        #expect(CanonicalJSON.string(value) == String(decoding: CanonicalJSON.encode(value), as: UTF8.self))
        var buffer = Array("prefix:".utf8)
        CanonicalJSON.write(value, into: &buffer)
        #expect(buffer == Array("prefix:".utf8) + CanonicalJSON.encode(value))
    }

    @Test func canonicalTextParsesBackToTheSameValue() throws {
        let value: JSONValue = [
            "id": .integer(9_007_199_254_740_993),
            "ratio": 0.125,
            "text": "line\nbreak \"quoted\" \u{01} é 😀",
            "list": [.null, true, ["nested": .array([])]],
        ]
        #expect(try JSONParser.parse(CanonicalJSON.encode(value)) == value)
    }

    @Test func canonicalisationIsIdempotentAndIgnoresInputFormatting() throws {
        let loose = try JSONParser.parse("{ \"b\" : [ 1 , 2.50 , \"\\u0041\" ],\n  \"a\" : { \"y\":null , \"x\":1e2 } }")
        let text = CanonicalJSON.string(loose)
        #expect(text == #"{"a":{"x":100,"y":null},"b":[1,2.5,"A"]}"#)
        #expect(CanonicalJSON.string(try JSONParser.parse(text)) == text)
    }
}
