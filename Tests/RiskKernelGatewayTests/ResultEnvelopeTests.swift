import RandomJSON
import RiskKernelCore
@testable import RiskKernelGateway
import SeededRandom
import Testing

/// A response read without its result's tree (`ResultEnvelope`) is read as the strict parser and
/// `JSONRPC.classify` read it.
@Suite("responses read without their result's tree")
struct ResultEnvelopeTests {
    /// A response line: the members in random order and spacing, now and then another id, a wrong
    /// version, another member, one written twice or with an escape in its key; `plain` says
    /// whether it is the plain shape the envelope takes.
    static func line(using random: inout SeededRandom) -> (text: [UInt8], plain: Bool) {
        var plain = true
        var id = #"7"#
        if random.chance(0.2) {
            id = random.pick([#""a-1""#, "-3", "1.0", "1e2", "null", "true", "1.5", #"{"x":1}"#, "[1]"])
            if !["\"a-1\"", "-3", "1.0", "1e2"].contains(id) { plain = false }
        }
        var version = #""2.0""#
        if random.chance(0.1) {
            version = random.pick([#""1.0""#, "2", #""2.0 ""#])
            plain = false
        }
        var members = [#""jsonrpc""#: version, #""id""#: id, #""result""#: NoisyJSON.text(RandomJSON.value(depth: 4, using: &random), using: &random)]
        switch random.int(0...9) {
        case 0: members[#""error""#] = #"{"code":1,"message":"m"}"#; plain = false
        case 1: members[#""method""#] = #""tools/call""#; plain = false
        case 2: members[#""extra""#] = "1"; plain = false
        case 3: members[#""\u0069d""#] = members.removeValue(forKey: #""id""#); plain = false
        default: break
        }
        var parts = members.map { key, value in key + NoisyJSON.space(&random) + ":" + NoisyJSON.space(&random) + value }.shuffled(using: &random)
        if random.chance(0.05) {
            parts.append(#""result":{}"#)
            plain = false
        }
        return (Array(("{" + parts.joined(separator: "," + NoisyJSON.space(&random)) + "}" + NoisyJSON.space(&random)).utf8), plain)
    }

    @Test func readsAsTheStrictParserReads() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        var read = 0
        for _ in 0..<3000 {
            var (text, plain) = Self.line(using: &random)
            if random.chance(0.2), !text.isEmpty {
                // A byte changed: whatever the envelope then reads, the parser must read alike.
                text[random.int(0...(text.count - 1))] = random.pick(Array("{}[],:\"\\0eu ".utf8) + [0x01, 0xC3, 0xFF])
                plain = false
            }
            let described = "seed \(seed): \(String(decoding: text, as: UTF8.self))"
            let classified = JSONRPC.classify(text)
            guard let envelope = ResultEnvelope(text) else {
                #expect(!plain, "\(described)")
                continue
            }
            guard let canonical = try? envelope.canonicalResult(in: text) else {
                guard case .failure(let rejection) = classified else {
                    Issue.record("the envelope refused a result the parser read: \(described)")
                    continue
                }
                #expect(rejection.code == JSONRPCErrorCode.parseError, "\(described)")
                continue
            }
            guard case .success((.response(let id, let body), _)) = classified, let result = body["result"] else {
                Issue.record("the envelope read a line the parser did not read as a success response: \(described)")
                continue
            }
            read += 1
            #expect(id == envelope.id, "\(described)")
            #expect(canonical == RFC8785.encode(result), "\(described)")
            let flags = ResultEnvelope.flags(of: canonical)
            #expect(flags.isError == (result["isError"] == .bool(true)), "\(described)")
            #expect(flags.hasTask == (result["task"] != nil), "\(described)")
        }
        #expect(read > 1000, "seed \(seed): only \(read) lines read through the envelope")
    }

    /// The result may nest one level less than a message, which holds it.
    @Test func nestingCountsTheMessage() throws {
        for depth in [126, 127] {
            let result = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let text = Array(#"{"jsonrpc":"2.0","id":1,"result":\#(result)}"#.utf8)
            let envelope = try #require(ResultEnvelope(text))
            let parsed = try? JSONParser.parse(text)
            #expect((try? envelope.canonicalResult(in: text)) != nil, "depth \(depth)")
            #expect(parsed != nil, "depth \(depth)")
        }
        let tooDeep = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        let text = Array(#"{"jsonrpc":"2.0","id":1,"result":\#(tooDeep)}"#.utf8)
        #expect((try? ResultEnvelope(text)?.canonicalResult(in: text)) == nil)
        #expect((try? JSONParser.parse(text)) == nil)
    }
}
