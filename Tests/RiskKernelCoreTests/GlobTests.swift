import RiskKernelCore
import Testing

@Suite("Glob")
struct GlobTests {
    /// Checks every `(text, expected)` pair against `pattern`.
    func check(_ pattern: String, _ cases: [(String, Bool)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let glob = try Glob(pattern)
        for (text, expected) in cases {
            #expect(glob.matches(text) == expected, "pattern \"\(pattern)\" against \"\(text)\"", sourceLocation: sourceLocation)
        }
    }

    func syntaxError(_ pattern: String, sourceLocation: SourceLocation = #_sourceLocation) -> Glob.SyntaxError? {
        do {
            let glob = try Glob(pattern)
            Issue.record("expected a syntax error for \"\(pattern)\", got \(glob)", sourceLocation: sourceLocation)
            return nil
        } catch let error as Glob.SyntaxError {
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: Literals and whole-string matching

    @Test func literalPatternMatchesOnlyTheWholeString() throws {
        try check("fs.read", [
            ("fs.read", true), ("fs.read_file", false), ("xfs.read", false), ("fs.rea", false), ("", false),
            ("FS.READ", false), ("fs.Read", false),
        ])
    }

    @Test func emptyPatternMatchesOnlyEmptyString() throws {
        try check("", [("", true), ("a", false), (" ", false)])
    }

    // MARK: *

    @Test func starMatchesAnyRunIncludingNothingSlashesAndDots() throws {
        try check("*", [("", true), ("a", true), ("fs.read", true), ("a/b/c.d", true), ("😀", true)])
        try check("fs.*", [("fs.", true), ("fs.read", true), ("fs.dir/sub.file", true), ("fs", false), ("xfs.read", false), ("fsxread", false)])
        try check("*.delete", [(".delete", true), ("db.delete", true), ("a.b.delete", true), ("db.delete.all", false), ("delete", false)])
    }

    @Test func starsInTheMiddleBacktrack() throws {
        try check("a*b*c", [("abc", true), ("aXbYc", true), ("abbbc", true), ("abcbc", true), ("acb", false), ("ab", false), ("abcd", false)])
        try check("a*a", [("aa", true), ("aba", true), ("aaaa", true), ("a", false), ("ab", false)])
        try check("*ab", [("aab", true), ("ab", true), ("abab", true), ("aba", false)])
        try check("*a*b", [("xaxxb", true), ("ba", false), ("aabb", true)])
    }

    @Test func consecutiveStarsBehaveLikeOne() throws {
        try check("a**b", [("ab", true), ("axxb", true), ("a", false)])
        try check("***", [("", true), ("anything", true)])
    }

    @Test func pathologicalPatternFinishesQuickly() throws {
        let text = String(repeating: "a", count: 5_000)
        let glob = try Glob("*a*a*a*a*a*a*a*a*a*b")
        #expect(!glob.matches(text))
        #expect(glob.matches(text + "b"))
    }

    // MARK: ?

    @Test func questionMarkMatchesExactlyOneCharacter() throws {
        try check("fs.?", [("fs.a", true), ("fs.", false), ("fs.ab", false), ("fs./", true)])
        try check("??", [("ab", true), ("a", false), ("abc", false), ("", false)])
        try check("?", [("é", true), ("😀", true), ("", false)])
        try check("a?c*", [("abc", true), ("abcdef", true), ("ac", false)])
    }

    // MARK: Character classes

    @Test func characterSet() throws {
        try check("[abc]x", [("ax", true), ("bx", true), ("cx", true), ("dx", false), ("x", false), ("abx", false)])
    }

    @Test func characterRanges() throws {
        try check("[a-c]", [("a", true), ("b", true), ("c", true), ("d", false), ("A", false), ("", false)])
        try check("v[0-9][0-9]", [("v42", true), ("v4", false), ("v4a", false)])
        try check("[a-cx-z_]", [("b", true), ("y", true), ("_", true), ("m", false), ("-", false)])
        try check("[a-a]", [("a", true), ("b", false)])
    }

    @Test func negatedSets() throws {
        try check("[!abc]", [("d", true), ("a", false), ("c", false), ("", false), ("dd", false)])
        try check("[^abc]", [("d", true), ("b", false)])
        try check("[!0-9]*", [("x1", true), ("1x", false)])
        try check("fs.[!w]*", [("fs.read", true), ("fs.write", false)])
    }

    @Test func closingBracketFirstIsLiteral() throws {
        try check("[]]", [("]", true), ("a", false)])
        try check("[]a]", [("]", true), ("a", true), ("b", false)])
        try check("[!]]", [("a", true), ("]", false)])
        try check("[^]a]", [("b", true), ("]", false), ("a", false)])
    }

    @Test func dashAtEitherEndIsLiteral() throws {
        try check("[a-]", [("a", true), ("-", true), ("b", false)])
        try check("[-a]", [("a", true), ("-", true), ("b", false)])
    }

    @Test func bangOrCaretElsewhereIsLiteral() throws {
        try check("[a!]", [("!", true), ("a", true), ("b", false)])
        try check("[a^]", [("^", true), ("b", false)])
    }

    @Test func escapesInsideSets() throws {
        try check(#"[\]]"#, [("]", true), ("\\", false)])
        try check(#"[\!a]"#, [("!", true), ("a", true), ("b", false)])
        try check(#"[a\-z]"#, [("a", true), ("-", true), ("z", true), ("m", false)])
    }

    @Test func wildcardsInsideSetsAreLiteral() throws {
        try check("[*?]", [("*", true), ("?", true), ("a", false)])
    }

    // MARK: Escapes

    @Test func backslashMakesTheNextCharacterLiteral() throws {
        try check(#"\*"#, [("*", true), ("a", false), ("", false), (#"\*"#, false)])
        try check(#"a\?"#, [("a?", true), ("ab", false)])
        try check(#"\[a]"#, [("[a]", true), ("a", false)])
        try check(#"\\"#, [("\\", true), ("", false)])
        try check(#"a\b"#, [("ab", true), (#"a\b"#, false)])
        try check(#"fs.\*.*"#, [("fs.*.read", true), ("fs.x.read", false)])
    }

    // MARK: isLiteral, pattern, equality

    @Test func isLiteral() throws {
        #expect(try Glob("fs.read").isLiteral)
        #expect(try Glob("").isLiteral)
        #expect(try Glob(#"a\*b"#).isLiteral)
        #expect(try !Glob("a*").isLiteral)
        #expect(try !Glob("a?").isLiteral)
        #expect(try !Glob("[a]").isLiteral)
    }

    @Test func patternAndDescriptionKeepTheTextAsWritten() throws {
        let glob = try Glob(#"fs.\*[a-z]?*"#)
        #expect(glob.pattern == #"fs.\*[a-z]?*"#)
        #expect(glob.description == #"fs.\*[a-z]?*"#)
        #expect(try Glob("a*") == Glob("a*"))
        #expect(try Glob("a*") != Glob("a?"))
    }

    // MARK: Syntax errors

    @Test(arguments: ["[abc", "[", "fs.[a-", "[!", "[!]", "[]", "[]a"])
    func unterminatedClassIsAnError(pattern: String) throws {
        let error = try #require(syntaxError(pattern))
        #expect(error.pattern == pattern)
        #expect(error.reason == "unterminated character class '['")
    }

    @Test(arguments: [#"abc\"#, #"\"#, #"[a\"#, #"[a-\"#])
    func trailingBackslashIsAnError(pattern: String) throws {
        let error = try #require(syntaxError(pattern))
        #expect(error.pattern == pattern)
        #expect(error.reason == "trailing backslash")
    }

    @Test func reversedRangeIsAnError() throws {
        let error = try #require(syntaxError("[z-a]"))
        #expect(error.reason == "range z-a is reversed")
        #expect(error.description == #"invalid glob "[z-a]": range z-a is reversed"#)
    }

    @Test func unmatchedClosingBracketIsLiteral() throws {
        try check("a]", [("a]", true), ("a", false)])
    }
}
