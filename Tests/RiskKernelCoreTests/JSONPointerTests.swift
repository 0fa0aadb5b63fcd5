import RiskKernelCore
import Testing

@Suite("JSONPointer")
struct JSONPointerTests {
    /// The document of RFC 6901, section 5.
    static let rfcDocument: JSONValue = [
        "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8,
    ]

    @Test("RFC 6901's examples", arguments: [
        ("/foo", ["bar", "baz"] as JSONValue), ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1), ("/c%d", 2), ("/e^f", 3),
        ("/g|h", 4), ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
    ])
    func rfcExamples(pointer: String, expected: JSONValue) throws {
        #expect(try JSONPointer(pointer).value(in: Self.rfcDocument) == expected)
        // Written back the way it was read.
        #expect(try JSONPointer(pointer).description == pointer)
    }

    @Test func emptyPointerIsTheWholeDocument() throws {
        let pointer = try JSONPointer("")
        #expect(pointer.tokens.isEmpty)
        #expect(pointer.value(in: Self.rfcDocument) == Self.rfcDocument)
        #expect(pointer.description == "")
    }

    @Test func escapesAreDecodedInOrder() throws {
        // "~01" is "~1" (a tilde, then 1), not "/".
        #expect(try JSONPointer("/~01").tokens == ["~1"])
        #expect(try JSONPointer("/a~1b/~0").tokens == ["a/b", "~"])
        #expect(try JSONPointer("//x/").tokens == ["", "x", ""])
        #expect(JSONPointer(tokens: ["a/b", "~"]).description == "/a~1b/~0")
    }

    @Test("bad pointers", arguments: ["foo", "a/b", "/~", "/~2", "/a~", "/~a"])
    func badPointers(text: String) {
        #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer(text) }
    }

    @Test func syntaxErrorSaysWhy() {
        let error = #expect(throws: JSONPointer.SyntaxError.self) { try JSONPointer("path") }
        #expect(error?.description == #"invalid JSON Pointer "path": must be empty or start with "/""#)
    }

    @Test func arrayIndicesForReading() throws {
        let document: JSONValue = ["list": ["a", "b", ["c": true]]]
        #expect(try JSONPointer("/list/1").value(in: document) == "b")
        #expect(try JSONPointer("/list/2/c").value(in: document) == true)
        #expect(try JSONPointer("/list/3").value(in: document) == nil)
        // "-" is the element after the last: never there to read.
        #expect(try JSONPointer("/list/-").value(in: document) == nil)
        // Leading zeros and signs are not indices.
        #expect(try JSONPointer("/list/01").value(in: document) == nil)
        #expect(try JSONPointer("/list/+1").value(in: document) == nil)
        #expect(try JSONPointer("/list/a").value(in: document) == nil)
    }

    @Test func missingAndThroughScalars() throws {
        let document: JSONValue = ["a": "text", "n": .null]
        #expect(try JSONPointer("/b").value(in: document) == nil)
        #expect(try JSONPointer("/a/b").value(in: document) == nil)
        // A member that is null is there, and is null.
        #expect(try JSONPointer("/n").value(in: document) == .null)
        #expect(try JSONPointer("/n/x").value(in: document) == nil)
    }

    @Test func settingReplacesAndAdds() throws {
        let document: JSONValue = ["a": 1, "b": ["c": 2]]
        #expect(try JSONPointer("/a").setting(true, in: document) == ["a": true, "b": ["c": 2]])
        #expect(try JSONPointer("/b/d").setting("x", in: document) == ["a": 1, "b": ["c": 2, "d": "x"]])
        #expect(try JSONPointer("").setting(["z": 0], in: document) == ["z": 0])
    }

    @Test func settingCreatesMissingObjectsOnTheWay() throws {
        #expect(try JSONPointer("/options/dry_run").setting(true, in: [:]) == ["options": ["dry_run": true]])
        #expect(try JSONPointer("/a/b/c").setting(1, in: ["a": .null]) == ["a": ["b": ["c": 1]]])
        // Arguments that are null (absent) count as an empty object.
        #expect(try JSONPointer("/x").setting(1, in: .null) == ["x": 1])
    }

    @Test func settingInArrays() throws {
        let document: JSONValue = ["list": [1, 2]]
        #expect(try JSONPointer("/list/0").setting(9, in: document) == ["list": [9, 2]])
        #expect(try JSONPointer("/list/2").setting(3, in: document) == ["list": [1, 2, 3]])
        #expect(try JSONPointer("/list/-").setting(3, in: document) == ["list": [1, 2, 3]])
        #expect(try JSONPointer("/list/-/a").setting(3, in: document) == ["list": [1, 2, ["a": 3]]])
        #expect(try JSONPointer("/list/3").setting(3, in: document) == nil)
        #expect(try JSONPointer("/list/x").setting(3, in: document) == nil)
    }

    @Test func settingThroughAScalarIsImpossible() throws {
        #expect(try JSONPointer("/a/b").setting(1, in: ["a": "text"]) == nil)
        #expect(try JSONPointer("/a/b").setting(1, in: ["a": 5]) == nil)
        #expect(try JSONPointer("/a").setting(1, in: "text") == nil)
    }
}
