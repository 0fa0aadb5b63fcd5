import Foundation
import RiskKernelCore
import Testing

@Suite("JSONParser")
struct JSONParserTests {
    // MARK: Helpers

    /// The error `parse` throws for `text`, recording an issue when it does not throw.
    func parseError(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth, sourceLocation: SourceLocation = #_sourceLocation) -> JSONParseError? {
        parseError(bytes: Array(text.utf8), maxDepth: maxDepth, sourceLocation: sourceLocation)
    }

    func parseError(bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth, sourceLocation: SourceLocation = #_sourceLocation) -> JSONParseError? {
        do {
            let value = try JSONParser.parse(bytes, maxDepth: maxDepth)
            Issue.record("expected a parse error for \(bytes), got \(value)", sourceLocation: sourceLocation)
            return nil
        } catch let error as JSONParseError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func nested(_ depth: Int, open: String = "[", close: String = "]") -> String {
        String(repeating: open, count: depth) + String(repeating: close, count: depth)
    }

    // MARK: Values

    @Test func parsesLiterals() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
    }

    @Test func parsesIntegersAsInt64() throws {
        #expect(try JSONParser.parse("0") == .integer(0))
        #expect(try JSONParser.parse("42") == .integer(42))
        #expect(try JSONParser.parse("-17") == .integer(-17))
        // `-0` would be written back as `0`: it keeps its text.
        #expect(try JSONParser.parse("-0") == .number("-0"))
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(Int64.min))
    }

    @Test func integersBeyondInt64KeepTheirText() throws {
        #expect(try JSONParser.parse("9223372036854775808") == .number("9223372036854775808"))
        #expect(try JSONParser.parse("-9223372036854775809") == .number("-9223372036854775809"))
        #expect(try JSONParser.parse("18446744073709551615").doubleValue == 18_446_744_073_709_551_615)
        #expect(try JSONParser.parse("18446744073709551615").int64Value == nil)
    }

    @Test func fractionsThatReadBackAreDoubles() throws {
        #expect(try JSONParser.parse("1.5") == .double(1.5))
        #expect(try JSONParser.parse("-0.25") == .double(-0.25))
        #expect(try JSONParser.parse("0.1") == .double(0.1))
        #expect(try JSONParser.parse("1e-07") == .double(1e-7))
    }

    @Test func otherNumbersKeepTheirText() throws {
        // Each of these would be written back differently from a Double.
        for text in ["42.0", "1e3", "1E+2", "2.5e-3", "1.10", "0.10000000000000000001", "1e-7", "123456789012345678901234567890"] {
            #expect(try JSONParser.parse(text) == .number(text))
        }
        #expect(try JSONParser.parse("42.0").int64Value == 42)
        #expect(try JSONParser.parse("1E+2").int64Value == 100)
        #expect(try JSONParser.parse("2.5e-3").doubleValue == 0.0025)
        #expect(try JSONParser.parse("2.5e-3").int64Value == nil)
    }

    @Test func numbersOutOfDoubleRangeAreErrors() throws {
        let error = try #require(parseError("1e400"))
        #expect(error.reason == "number out of range")
        #expect(error.offset == 0)
        let negative = try #require(parseError("[0, -1e309]"))
        #expect(negative.reason == "number out of range")
        #expect(negative.offset == 4)
        // Underflow to zero is not out of range; the number keeps its text.
        #expect(try JSONParser.parse("1e-400") == .number("1e-400"))
        #expect(try JSONParser.parse("1e-400").doubleValue == 0)
    }

    @Test(arguments: ["01", "00", "1.", ".5", "-", "-a", "1e", "1e+", "1.e5", "+1", "0x10", "NaN", "Infinity", "-Infinity", "1.5.2"])
    func malformedNumbersAreErrors(text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func parsesArraysAndObjects() throws {
        let value = try JSONParser.parse(#"{"name": "fs.read", "args": [1, 2.5, "x", null, true, {"deep": []}], "empty": {}}"#)
        #expect(value == .object([
            "name": .string("fs.read"),
            "args": .array([.integer(1), .double(2.5), .string("x"), .null, .bool(true), .object(["deep": .array([])])]),
            "empty": .object([:]),
        ]))
        #expect(value["name"]?.stringValue == "fs.read")
        #expect(value["args"]?.arrayValue?.count == 6)
        #expect(value["missing"] == nil)
    }

    @Test func allowsJSONWhitespaceOnly() throws {
        #expect(try JSONParser.parse(" \t\r\n[ 1 ,\n 2 ]\n\t ") == .array([1, 2]))
        #expect(try JSONParser.parse("{ \"a\" :\t1 }") == .object(["a": 1]))
        // Form feed and vertical tab are not JSON whitespace.
        #expect(parseError("\u{0C}1") != nil)
        #expect(parseError("1\u{0B}") != nil)
        // Neither is a non-breaking space.
        #expect(parseError("\u{A0}1") != nil)
    }

    @Test func bytesAndStringEntryPointsAgree() throws {
        let text = #"{"a":[1,"é",{"b":null}]}"#
        #expect(try JSONParser.parse(text) == JSONParser.parse(Array(text.utf8)))
        #expect(try JSONParser.parse(Data(text.utf8)) == JSONParser.parse(text))
    }

    // MARK: Strings

    @Test func decodesSimpleEscapes() throws {
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSONParser.parse(#""plain text""#) == .string("plain text"))
        #expect(try JSONParser.parse(#""""#) == .string(""))
    }

    @Test func decodesUnicodeEscapes() throws {
        #expect(try JSONParser.parse(#""\u00e9\u00C9""#) == .string("éÉ"))
        #expect(try JSONParser.parse(#""a\u0000b""#) == .string("a\u{0}b"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""x\uD83D\uDE00y""#) == .string("x😀y"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try JSONParser.parse("\"héllo wörld 😀 中文\"") == .string("héllo wörld 😀 中文"))
    }

    @Test func refusesBadEscapes() throws {
        #expect(try #require(parseError(#""\x""#)).reason == "invalid escape")
        #expect(try #require(parseError(#""\u12G4""#)).reason.contains("invalid hex digit"))
        #expect(try #require(parseError(#""\u12""#)).reason.contains("\\u escape"))
        #expect(try #require(parseError(#""abc\"#)).reason == "unterminated escape")
    }

    @Test func refusesUnpairedSurrogates() throws {
        // High surrogate alone, high followed by a non-surrogate, and a lone low surrogate.
        for text in [#""\ud83d""#, #""\ud83dabcdef""#, #""\ud83d\u0041""#, #""\ude00""#, #""\ud83d\ud83d""#] {
            let error = try #require(parseError(text), "\(text)")
            #expect(error.reason.contains("surrogate"), "\(text): \(error.reason)")
        }
    }

    @Test func refusesControlCharactersInStrings() throws {
        #expect(try #require(parseError("\"a\nb\"")).reason == "control character in string")
        #expect(try #require(parseError("\"a\u{1F}\"")).reason == "control character in string")
        // Also after an escape (the slow path).
        #expect(try #require(parseError("\"\\n\t\"")).reason == "control character in string")
        // DEL is not a control character for JSON.
        #expect(try JSONParser.parse("\"\u{7F}\"") == .string("\u{7F}"))
    }

    @Test func refusesInvalidUTF8() throws {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22],  // never valid
            [0x22, 0xC3, 0x22],  // truncated two-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
            [0x22, 0x80, 0x22],  // lone continuation byte
            [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // after an escape (slow path)
        ]
        for bytes in cases {
            let error = try #require(parseError(bytes: bytes), "\(bytes)")
            #expect(error.reason == "invalid UTF-8 in string", "\(bytes)")
            #expect(error.offset == 1, "\(bytes)")
        }
        // Invalid UTF-8 in a key is refused as well.
        let key = try #require(parseError(bytes: [0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D]))
        #expect(key.reason == "invalid UTF-8 in string")
    }

    @Test func refusesUnterminatedStrings() throws {
        #expect(try #require(parseError(#""abc"#)).reason == "unterminated string")
        #expect(try #require(parseError(#""a\nb"#)).reason == "unterminated string")
    }

    // MARK: Duplicate keys

    @Test func duplicateKeyIsAnError() throws {
        let error = try #require(parseError(#"{"a":1,"a":2}"#))
        #expect(error.reason == #"duplicate key "a""#)
        #expect(error.offset == 7)
    }

    @Test func duplicateKeyIsAnErrorEvenWithEqualValues() throws {
        #expect(try #require(parseError(#"{"a":1,"b":2,"a":1}"#)).reason == #"duplicate key "a""#)
    }

    @Test func duplicateKeyIsFoundAfterEscapeDecoding() throws {
        // "\u0061" is "a": two readers must not disagree about which value counts.
        #expect(try #require(parseError(#"{"a":1,"\u0061":2}"#)).reason == #"duplicate key "a""#)
    }

    @Test func duplicateKeyInNestedObjectIsAnError() throws {
        let error = try #require(parseError(#"{"outer":{"k":true,"k":false}}"#))
        #expect(error.reason == #"duplicate key "k""#)
        #expect(error.offset == 19)
    }

    @Test func sameKeyInSiblingObjectsIsFine() throws {
        #expect(try JSONParser.parse(#"[{"a":1},{"a":2}]"#) == .array([["a": 1], ["a": 2]]))
        #expect(try JSONParser.parse(#"{"a":{"a":1}}"#) == .object(["a": ["a": 1]]))
    }

    // MARK: Depth

    @Test func nestingUpToMaxDepthIsAccepted() throws {
        let value = try JSONParser.parse(nested(JSONParser.defaultMaxDepth))
        var depth = 0
        var current = value
        while case .array(let elements) = current {
            depth += 1
            guard let first = elements.first else { break }
            current = first
        }
        #expect(depth == 128)
    }

    @Test func nestingBeyondMaxDepthIsAnError() throws {
        let error = try #require(parseError(nested(JSONParser.defaultMaxDepth + 1)))
        #expect(error.reason == "nesting deeper than 128 levels")
        #expect(error.offset == 128)
    }

    @Test func customMaxDepthCountsArraysAndObjects() throws {
        #expect(try JSONParser.parse("[[1]]", maxDepth: 2) == .array([.array([1])]))
        #expect(try JSONParser.parse(#"{"a":[]}"#, maxDepth: 2) == .object(["a": .array([])]))
        #expect(parseError("[[[1]]]", maxDepth: 2) != nil)
        #expect(parseError(#"{"a":{"b":{}}}"#, maxDepth: 2) != nil)
        #expect(parseError(#"[{"b":[]}]"#, maxDepth: 2) != nil)
        // Scalars need no depth at all.
        #expect(try JSONParser.parse("\"x\"", maxDepth: 0) == .string("x"))
        #expect(parseError("[]", maxDepth: 0) != nil)
    }

    @Test func deepNestingDoesNotCrash() {
        #expect(parseError(nested(100_000)) != nil)
        #expect(parseError(nested(50_000, open: #"{"a":"#, close: "}")) != nil)
    }

    // MARK: Structure errors

    @Test func emptyInputIsAnError() throws {
        #expect(try #require(parseError("")).reason == "unexpected end of input")
        #expect(try #require(parseError("   \n")).reason == "unexpected end of input")
        #expect(try #require(parseError("[1,")).reason == "unexpected end of input")
    }

    @Test func trailingContentIsAnError() throws {
        for text in ["1 2", "{} x", "[1]]", "null null", "\"a\"\"b\"", "true,"] {
            let error = try #require(parseError(text), "\(text)")
            #expect(error.reason == "unexpected content after the JSON value", "\(text)")
        }
        #expect(try #require(parseError("{} x")).offset == 3)
    }

    @Test func trailingCommasAreErrors() throws {
        #expect(parseError("[1,]") != nil)
        #expect(try #require(parseError(#"{"a":1,}"#)).reason == "expected a string key")
        #expect(parseError("[,1]") != nil)
    }

    @Test func objectSyntaxErrors() throws {
        #expect(try #require(parseError(#"{1:2}"#)).reason == "expected a string key")
        #expect(try #require(parseError(#"{'a':2}"#)).reason == "expected a string key")
        #expect(try #require(parseError(#"{a:2}"#)).reason == "expected a string key")
        #expect(try #require(parseError(#"{"a" 2}"#)).reason == "expected ':'")
        #expect(try #require(parseError(#"{"a":2 "b":3}"#)).reason == "expected ',' or '}'")
        #expect(try #require(parseError(#"{"a":2"#)).reason == "unterminated object")
        #expect(try #require(parseError(#"{"a":}"#)).reason == "unexpected character")
    }

    @Test func arraySyntaxErrors() throws {
        #expect(try #require(parseError("[1 2]")).reason == "expected ',' or ']'")
        #expect(try #require(parseError("[1")).reason == "unterminated array")
        #expect(try #require(parseError("[1, x]")).offset == 4)
    }

    @Test(arguments: ["tru", "nul", "fals", "True", "NULL", "nulL", "truex", "undefined", "'a'"])
    func badLiteralsAreErrors(text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func errorDescriptionNamesReasonAndOffset() throws {
        let error = try #require(parseError("[1, x]"))
        #expect(error.description == "unexpected character at byte 4")
        #expect(error.offset == 4)
        #expect(error.reason == "unexpected character")
    }

    // MARK: JSONValue accessors

    @Test func nilIsAbsentNeverJSONNull() {
        // JSON null is `.null`; `nil` in a `JSONValue?` is absent, also from a conditional.
        func forwarded(_ rewritten: Bool) -> JSONValue? { rewritten ? ["dry_run": true] : nil }
        #expect(forwarded(false) == nil)
        #expect(forwarded(true) == ["dry_run": true])
        let members: [String: JSONValue] = ["a": .null]
        #expect(members["a"] == .some(.null) && members["b"] == nil)
    }

    @Test func jsonValueAccessors() {
        let value: JSONValue = ["s": "text", "i": 3, "d": 2.5, "b": true, "n": .null, "a": [1, 2]]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["i"]?.int64Value == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.int64Value == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["n"]?.isNull == true)
        #expect(value["a"]?.arrayValue == [1, 2])
        #expect(value.objectValue?.count == 6)
        #expect(value["s"]?["nested"] == nil)
        #expect(JSONValue.string("1").int64Value == nil)
        #expect(JSONValue.double(3.0).int64Value == 3)
        #expect(JSONValue.double(1e30).int64Value == nil)
        #expect(JSONValue.bool(true).doubleValue == nil)
        #expect(JSONValue.number("-0").int64Value == 0)
        #expect(JSONValue.number("-9223372036854775808.000").int64Value == Int64.min)
        #expect(JSONValue.number("9223372036854775808").int64Value == nil)
        #expect(JSONValue.number("1.0000000000000000001").int64Value == nil)
        #expect(JSONValue.number("1.0000000000000000001").isIntegralNumber == false)
        #expect(JSONValue.number("18446744073709551615").isIntegralNumber)
        #expect(JSONValue.number("12.5e1").isIntegralNumber)
        #expect(JSONValue.number("0.0e-5").isIntegralNumber)
        #expect(JSONValue.double(2.5).isIntegralNumber == false)
        #expect(JSONValue.string("1").isIntegralNumber == false)
    }
}
