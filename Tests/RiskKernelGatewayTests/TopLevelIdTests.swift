import Foundation
import RiskKernelCore
import SeededRandom
import Testing

@testable import RiskKernelGateway

/// The gateway finds and replaces a message's own id in its bytes: every id type, wherever the
/// member stands, never a nested `"id"`, every other byte unchanged.
@Suite("Top-level id splicing")
struct TopLevelIdTests {
    @Test("finds the id first, last or between, and never one inside params or result")
    func finds() {
        #expect(TopLevelId.value(in: Array(#"{"jsonrpc":"2.0","id":7,"result":{"id":99}}"#.utf8)) == 7)
        #expect(TopLevelId.value(in: Array(#"{"result":{"id":"inner","content":[{"id":1}]},"jsonrpc":"2.0","id":"outer"}"#.utf8)) == "outer")
        #expect(TopLevelId.value(in: Array(#"{"params":{"id":3},"method":"x","jsonrpc":"2.0"}"#.utf8)) == nil)
        #expect(TopLevelId.value(in: Array(#" { "jsonrpc" : "2.0" , "\u0069d" : 12 , "result" : "a,\"}b" } "#.utf8)) == 12)
        #expect(TopLevelId.value(in: Array(#"[{"id":1}]"#.utf8)) == nil)
    }

    @Test("finds the id of a message the strict parser refuses (a lone surrogate in a text)")
    func unparsable() {
        let bytes = Array(#"{"result":{"content":[{"type":"text","text":"\ud800"}]},"jsonrpc":"2.0","id":5}"#.utf8)
        #expect((try? JSONParser.parse(bytes)) == nil)
        #expect(TopLevelId.value(in: bytes) == 5)
        let spliced = TopLevelId.replacing(in: bytes, with: "client-5")
        #expect(spliced.map { String(decoding: $0, as: UTF8.self) } == #"{"result":{"content":[{"type":"text","text":"\ud800"}]},"jsonrpc":"2.0","id":"client-5"}"#)
    }

    @Test("finds a trailing id in the last bytes of an oversized message")
    func trailing() {
        #expect(TopLevelId.trailingId(in: Array(#"xxxxxx"}]},"jsonrpc":"2.0","id":7}"#.utf8)) == 7)
        #expect(TopLevelId.trailingId(in: Array(#"xx"},"id" : "a\"b" }"#.utf8) + [0x0A]) == "a\"b")
        #expect(TopLevelId.trailingId(in: Array(#"xxxx"}]}}"#.utf8)) == nil)
        #expect(TopLevelId.trailingId(in: Array(#"x","myid":7}"#.utf8)) == nil)
        #expect(TopLevelId.value(head: Array(#"{"result":{"content":"#.utf8), tail: Array(#"zz"},"id":-3}"#.utf8)) == -3)
    }

    @Test("property: any id, anywhere among the members, is found and replaced with every other byte kept", arguments: 0..<4)
    func property(seed: Int) throws {
        var random = SystemRandomNumberGenerator()
        let ids: [JSONValue] = [
            0, 1, -1, .integer(Int64.max), .integer(Int64.min), "", "1", "riskkernel-internal-1", "a\"b\\c", "\u{1F600}", "\u{0}",
        ]
        for _ in 0..<300 {
            let id = ids.randomElement(using: &random)!
            let replacement = ids.randomElement(using: &random)!
            var members: [(String, String)] = [
                ("jsonrpc", #""2.0""#),
                ("result", #"{"id":"nested","content":[{"type":"text","text":"}{,\"id\":1"}],"n":18446744073709551615}"#),
                ("id", String(decoding: CanonicalJSON.encode(id), as: UTF8.self)),
            ]
            members.shuffle(using: &random)
            let spacing = [" ", "", "\n", "\t"].randomElement(using: &random)!
            let text = "{" + members.map { "\(spacing)\"\($0.0)\"\(spacing):\(spacing)\($0.1)" }.joined(separator: ",") + "}"
            let bytes = Array(text.utf8)
            #expect(TopLevelId.value(in: bytes) == id, "\(text)")
            let spliced = try #require(TopLevelId.replacing(in: bytes, with: replacement))
            let parsed = try JSONParser.parse(spliced)
            #expect(parsed["id"] == replacement)
            let expected = text.replacingOccurrences(of: members.first { $0.0 == "id" }!.1, with: String(decoding: CanonicalJSON.encode(replacement), as: UTF8.self))
            if !members.contains(where: { $0.0 != "id" && $0.1.contains(members.first { $0.0 == "id" }!.1) }) {
                #expect(String(decoding: spliced, as: UTF8.self) == expected)
            }
        }
    }

    static func member(_ random: inout SeededRandom, depth: Int) -> JSONValue {
        let texts = ["", "\"", "\\", "\\\"", "a\\\\", "}{,\"result\":1", "\\\\\\\"", "\u{1F600}", "x", "\n"]
        switch random.int(0...(depth > 0 ? 5 : 3)) {
        case 0: return .integer(Int64(random.int(-99...99)))
        case 1: return random.pick([.null, .bool(true), .double(0.5)])
        case 2, 3: return .string((0..<random.int(0...3)).map { _ in random.pick(texts) }.joined())
        case 4: return .array((0..<random.int(0...3)).map { _ in member(&random, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<random.int(0...4) { members[random.pick(["result", "error", "id", "content", "x", "re\"sult"])] = member(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    @Test("property: the bytes found for a member, level by level, parse to the value the parser finds there, whatever the escapes and nesting")
    func memberPaths() throws {
        var random = SeededRandom(seed: 0x3E3B)
        for _ in 0..<1000 {
            let message = Self.member(&random, depth: 4)
            let bytes = random.chance(0.5) ? JSONRPC.encode(message) : Array(CanonicalJSON.string(message).utf8)
            for path in [["result"], ["result", "result"], ["error"], ["x", "result"], ["id"]] {
                let expected = path.reduce(message as JSONValue?) { value, key in value?.objectValue?[key] }
                var range: Range<Int>? = bytes.startIndex..<bytes.endIndex
                for key in path {
                    range = range.flatMap { outer in
                        JSONMemberScanner.range(ofMember: key, in: bytes[outer]).map { (outer.lowerBound + $0.lowerBound)..<(outer.lowerBound + $0.upperBound) }
                    }
                }
                let found = try range.map { try JSONParser.parse(bytes[$0]) }
                #expect(found == expected, "\(path) in \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
