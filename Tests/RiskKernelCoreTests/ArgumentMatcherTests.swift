import RiskKernelCore
import Testing

@Suite("ArgumentMatcher")
struct ArgumentMatcherTests {
    @Test func matchesIsAWholeStringGlob() throws {
        let matcher = ArgumentMatcher.matches(try Glob("/srv/data/*"))
        #expect(matcher.matches("/srv/data/report.csv"))
        #expect(matcher.matches("/srv/data/a/b"))
        #expect(!matcher.matches("/srv/database"))
        #expect(!matcher.matches("x/srv/data/a"))
    }

    @Test func notMatchesIsTheOpposite() throws {
        let matcher = ArgumentMatcher.notMatches(try Glob("/srv/data/*"))
        #expect(matcher.matches("/etc/passwd"))
        #expect(!matcher.matches("/srv/data/report.csv"))
    }

    @Test func pathsAreNormalisedBeforeMatching() throws {
        let inside = ArgumentMatcher.matches(try Glob("/srv/data/*"))
        #expect(!inside.matches("/srv/data/../../etc/passwd"))
        #expect(ArgumentMatcher.notMatches(try Glob("/srv/data/*")).matches("/srv/data/../../etc/passwd"))
        #expect(ArgumentMatcher.matches(try Glob("/etc/*")).matches("/srv/data/../../etc/passwd"))
        #expect(ArgumentMatcher.matches(try Glob("/etc/passwd")).matches("//srv/./../etc//passwd"))
        #expect(try ArgumentMatcher.regex(ArgumentRegex("^/etc/")).matches("/srv/../etc/shadow"))
        #expect(ArgumentMatcher.in(["/etc/passwd"]).matches("/tmp/../etc/passwd"))
        // The listed strings are normalised too.
        #expect(ArgumentMatcher.in(["/srv/../etc/passwd"]).matches("/etc/passwd"))
        #expect(!ArgumentMatcher.notIn(["/etc/passwd"]).matches("/etc/./passwd"))
    }

    @Test func nonStringsMatchAsTheirJSONText() throws {
        #expect(ArgumentMatcher.matches(try Glob("4?")).matches(42))
        #expect(ArgumentMatcher.matches(try Glob("true")).matches(true))
        #expect(ArgumentMatcher.matches(try Glob("null")).matches(.null))
        #expect(ArgumentMatcher.matches(try Glob("1.5")).matches(1.5))
        #expect(ArgumentMatcher.matches(try Glob(#"{"a":1}"#)).matches(["a": 1]))
        #expect(ArgumentMatcher.matches(try Glob("[*]")).matches(["x"]) == false)  // "[*]" is a one-character class
        #expect(ArgumentMatcher.matches(try Glob(#"\[*"#)).matches(["/srv/data/x"]))
        // So a list of paths is not a path under /srv/data: an allowlist-style rule catches it.
        #expect(ArgumentMatcher.notMatches(try Glob("/srv/data/*")).matches(["/srv/data/x"]))
        #expect(ArgumentMatcher.notMatches(try Glob("/srv/data/*")).matches(["path": "/srv/data/x"]))
        #expect(try ArgumentMatcher.regex(ArgumentRegex(#"\.\."#)).matches(["a": "../x"]))
    }

    @Test func regexIsASearch() throws {
        let matcher = ArgumentMatcher.regex(try ArgumentRegex("rm -rf"))
        #expect(matcher.matches("sudo rm -rf /"))
        #expect(!matcher.matches("rm -r /"))
        #expect(try ArgumentMatcher.regex(ArgumentRegex("^[0-9]+$")).matches(1234))
        #expect(try !ArgumentMatcher.regex(ArgumentRegex("^[0-9]+$")).matches("12a"))
        #expect(throws: (any Error).self) { try ArgumentRegex("(unclosed") }
        // An empty expression would match everything; it is refused on every platform.
        #expect(throws: (any Error).self) { try ArgumentRegex("") }
    }

    @Test func inAndNotInCompareJSONValues() {
        let matcher = ArgumentMatcher.in(["main", 1, true, ["a": 1]])
        #expect(matcher.matches("main"))
        #expect(matcher.matches(1))
        #expect(matcher.matches(1.0))
        #expect(matcher.matches(true))
        #expect(matcher.matches(["a": 1]))
        #expect(!matcher.matches("1"))
        #expect(!matcher.matches("Main"))
        #expect(!matcher.matches(false))
        #expect(ArgumentMatcher.notIn(["main", "master"]).matches("feature/x"))
        #expect(!ArgumentMatcher.notIn(["main", "master"]).matches("master"))
        #expect(!ArgumentMatcher.in([]).matches("x"))
        #expect(ArgumentMatcher.notIn([]).matches("x"))
    }

    @Test func greaterThanAndLessThanTakeNumbersOnly() {
        #expect(ArgumentMatcher.greaterThan(100).matches(100.5))
        #expect(ArgumentMatcher.greaterThan(100).matches(101))
        #expect(!ArgumentMatcher.greaterThan(100).matches(100))
        #expect(!ArgumentMatcher.greaterThan(100).matches(99.99))
        #expect(ArgumentMatcher.greaterThan(0.5).matches(1))
        #expect(ArgumentMatcher.lessThan(0).matches(-1))
        #expect(!ArgumentMatcher.lessThan(0).matches(0))
        #expect(ArgumentMatcher.lessThan(1.5).matches(1.25))
        // An amount sent as text is judged as the number it reads as, so quoting it does not slip past.
        #expect(ArgumentMatcher.greaterThan(100).matches("150"))
        #expect(ArgumentMatcher.greaterThan(100).matches(" 2.5e3 "))
        #expect(!ArgumentMatcher.greaterThan(100).matches("99"))
        #expect(ArgumentMatcher.lessThan(0).matches("-1"))
        #expect(!ArgumentMatcher.greaterThan(100).matches("150 dollars"))
        #expect(!ArgumentMatcher.greaterThan(100).matches("inf"))
        #expect(!ArgumentMatcher.greaterThan(100).matches(true))
        #expect(!ArgumentMatcher.lessThan(100).matches(.null))
        #expect(!ArgumentMatcher.lessThan(100).matches([1]))
        // Large integers compare exactly.
        #expect(ArgumentMatcher.greaterThan(.integer(9_007_199_254_740_992)).matches(.integer(9_007_199_254_740_993)))
    }

    @Test func existsLooksOnlyAtPresence() {
        #expect(ArgumentMatcher.exists(true).matches(.null))
        #expect(ArgumentMatcher.exists(true).matches("x"))
        #expect(!ArgumentMatcher.exists(true).matches(nil))
        #expect(ArgumentMatcher.exists(false).matches(nil))
        #expect(!ArgumentMatcher.exists(false).matches(false))
    }

    @Test func aMissingArgumentMatchesOnlyExistsFalse() throws {
        let others: [ArgumentMatcher] = [
            .matches(try Glob("*")), .notMatches(try Glob("x")), .regex(try ArgumentRegex("x?")), .in([.null]), .notIn(["x"]),
            .greaterThan(0), .lessThan(0), .exists(true),
        ]
        for matcher in others { #expect(!matcher.matches(nil), "\(matcher)") }
        #expect(ArgumentMatcher.exists(false).matches(nil))
    }

    @Test func descriptions() throws {
        #expect(ArgumentMatcher.notMatches(try Glob("/srv/data/*")).description == "notMatches=/srv/data/*")
        #expect(ArgumentMatcher.in(["a", 1]).description == #"in=["a",1]"#)
        #expect(ArgumentMatcher.greaterThan(100).description == "greaterThan=100")
        #expect(ArgumentMatcher.exists(false).description == "exists=false")
        #expect(try ArgumentMatcher.regex(ArgumentRegex("^x")).description == "regex=^x")
    }
}
