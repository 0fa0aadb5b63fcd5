import Foundation
import RiskKernelCore
import SeededRandom
import Testing

/// The one-pass searches that let a large message skip the full secret scan: they may answer
/// "maybe" for a message without a credential, never "no" for one with a credential.
@Suite("secret prefilter")
struct SecretPrefilterTests {
    let scanner = try! SecretScanner()

    /// One credential of each detector's kind (the formats of ``SecretScannerTests``).
    static let credentials = [
        "ghp_" + String(repeating: "A1b2C3d4E5", count: 4), "github_pat_" + String(repeating: "A1b2C3d4E5_", count: 3),
        "glpat-" + String(repeating: "x1Y2z3", count: 4), "xoxb-1234567890-abcdefghij", "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "sk_live_" + String(repeating: "4eC39HqLyjWDarjt", count: 2), "AKIAIOSFODNN7EXAMPLE", "AIza" + String(repeating: "SyD3fG5hJ7", count: 3) + "k9L1m",
        "sk-proj-" + String(repeating: "abcDEF123_", count: 3), "sk-ant-api03-" + String(repeating: "abcDEF123-", count: 4),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "postgres://admin:s3cret@db.example.com:5432/app",
    ]

    /// Text pieces: plain words, near misses, and credentials.
    static func text(_ random: inout SeededRandom) -> String {
        (0..<random.int(0...4)).map { _ in
            switch random.int(0...5) {
            case 0: return random.pick(credentials)
            case 1: return random.pick(["ghp", "sk", "AKI", "eyJ", ":/", "-----", "glpat", "xo", "/"])
            default: return random.pick(["a", "x", "é", "😀", "\n", "\"", "\\", " ", "path/to", "z9"])
            }
        }.joined(separator: random.pick(["", " ", "\t"]))
    }

    static func value(_ random: inout SeededRandom, depth: Int = 3) -> JSONValue {
        switch random.int(0...(depth > 0 ? 5 : 3)) {
        case 0: return .integer(Int64(random.int(-9...9)))
        case 1: return .bool(random.chance(0.5))
        case 2, 3: return .string(text(&random))
        case 4: return .array((0..<random.int(0...3)).map { _ in value(&random, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<random.int(0...3) { members[text(&random)] = value(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    /// JSON text of `value` whose strings spell each character at random: as itself, as a `\u`
    /// escape (a surrogate pair beyond the BMP), or a slash as `\/`; quotes, backslashes and
    /// control characters always escaped.
    static func write(_ value: JSONValue, _ random: inout SeededRandom) -> String {
        switch value {
        case .string(let text): return quote(text, &random)
        case .array(let elements): return "[" + elements.map { write($0, &random) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { quote($0.key, &random) + ":" + write($0.value, &random) }.joined(separator: ",") + "}"
        default: return CanonicalJSON.string(value)
        }
    }

    static func quote(_ text: String, _ random: inout SeededRandom) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let escaped = random.chance(0.05)
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where random.chance(0.3): out += "\\/"
            case _ where scalar.value < 0x20 || escaped:
                for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test("a literal set finds exactly the literals a naive search finds, in texts of few letters or any bytes, with few pairs or many")
    func literalSetMatchesNaiveSearch() {
        var random = SeededRandom(seed: 0x5EC2E7)
        for round in 0..<2_000 {
            // A few letters, so that literals occur often; or any byte, with literals that share
            // nibbles with each other (the vector filter's buckets) and with the text.
            let alphabet: [UInt8] = round % 3 == 0 ? Array(0...255) : Array("xoghp_-A".utf8)
            // Beyond eight first bytes, literals share the filter's buckets.
            let many = round % 4 == 0
            let literals = (0..<(many ? random.int(20...60) : random.int(1...6))).map { index in
                (bytes: (0..<random.int(2...4)).map { _ in random.pick(alphabet) }, tag: index % 64)
            }
            var text = (0..<random.int(0...(round % 2 == 0 ? 60 : 300))).map { _ in random.pick(alphabet) }
            if !text.isEmpty, random.int(0...1) == 0 {
                // A literal at a random place, also across a 16- or 32-byte block's end.
                let literal = random.pick(literals).bytes
                let at = random.int(0...(text.count - 1))
                text.replaceSubrange(at..<min(text.count, at + literal.count), with: literal)
            }
            let matchesAt = { (position: Int) -> UInt64 in
                literals.reduce(0) { tags, literal in
                    position + literal.bytes.count <= text.count && Array(text[position..<(position + literal.bytes.count)]) == literal.bytes
                        ? tags | 1 << UInt64(literal.tag) : tags
                }
            }
            let everywhere = text.indices.reduce(UInt64(0)) { $0 | matchesAt($1) }
            let atFirst = text.indices.lazy.map(matchesAt).first { $0 != 0 } ?? 0
            let set = LiteralSet(literals)
            #expect(set.tags(in: text) == everywhere, "\(literals) in \(String(decoding: text, as: UTF8.self))")
            #expect(set.tags(in: text, stoppingAtFirst: true) == atFirst, "first of \(literals) in \(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test("whatever the escapes, JSON text whose value holds a credential is never cleared by the one-pass check")
    func neverClearsACredential() throws {
        var random = SeededRandom(seed: 0xC1EA2)
        var withCredential = 0
        for _ in 0..<2000 {
            let value = Self.value(&random)
            let text = Self.write(value, &random)
            #expect(try JSONParser.parse(text) == value, "the writer spells \(value) as \(text)")
            if !scanner.kinds(in: value).isEmpty {
                withCredential += 1
                #expect(scanner.mayFind(inJSON: Array(text.utf8)), "cleared: \(text)")
            }
        }
        #expect(withCredential > 200)
    }

    @Test("plain text without a detector's letters or an escape is cleared, however large")
    func clearsPlainText() {
        #expect(!scanner.mayFind(inJSON: Array((#"{"content":[{"type":"text","text":""# + String(repeating: "x", count: 1 << 20) + #""}]}"#).utf8)))
        #expect(!scanner.mayFind(inJSON: Array(#"{"a":"b\n\"c\\"}"#.utf8)))
        #expect(scanner.mayFind(inJSON: Array(#"{"a":"\u0067hp_"}"#.utf8)))
        #expect(scanner.mayFind(inJSON: Array(#"{"a":"x:\/\/y"}"#.utf8)))
        #expect(scanner.mayFind(inJSON: Array(#"{"a":"sk-"}"#.utf8)))
    }
}
