import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// Property-based fuzzing of the pure parts that read untrusted bytes: the JSON parser, JSON-RPC
/// classification and line framing. Seeded and reproducible (the seed is printed; set
/// `RISKKERNEL_FUZZ_SEED` to repeat a run).
@Suite("fuzz: parser, classification, framing")
struct FramingFuzzTests {
    /// Messages per run: enough to reach every mutation many times, small enough for a debug build.
    static let messages = 20_000

    @Test("random and mutated MCP messages: no crash; parse and classify agree; every rejection has the right code and a readable id")
    func parseAndClassify() {
        var random = FuzzRandom(seed: FuzzSeed.resolve("parse and classify"))
        var counts: [String: Int] = [:]
        for round in 0..<Self.messages {
            let original = MCPTraffic.message(&random)
            let shaped = random.chance(0.3) ? MCPTraffic.reshape(original, &random) : original
            var bytes = CanonicalJSON.encode(shaped)
            if round % 4 != 0 { bytes = MCPTraffic.mutate(bytes, &random) }
            let outcome = Self.check(bytes)
            counts[outcome, default: 0] += 1
            if outcome == "failed" {
                Issue.record("round \(round): \(String(decoding: bytes.prefix(300), as: UTF8.self))")
                return
            }
        }
        print("fuzz parse and classify: \(Self.messages) messages: \(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        #expect(counts["request", default: 0] > 1000)
        #expect(counts["parse error", default: 0] > 1000)
        #expect(counts["invalid request", default: 0] > 500)
    }

    /// Checks the properties for one line; returns the kind of outcome, or "failed".
    static func check(_ bytes: [UInt8]) -> String {
        let parsed = try? JSONParser.parse(bytes)
        if let parsed {
            // Canonical encoding is stable: what it writes reads back to the same encoding.
            let encoded = CanonicalJSON.encode(parsed)
            guard let again = try? JSONParser.parse(encoded), CanonicalJSON.encode(again) == encoded else { return "failed" }
            // Numbers as written read back to the very same value, and to the same hashed form.
            let written = CanonicalJSON.encode(parsed, numbers: .asWritten)
            guard let reread = try? JSONParser.parse(written), reread == parsed, CanonicalJSON.encode(reread) == encoded else { return "failed" }
        }
        switch JSONRPC.classify(bytes) {
        case .failure(let rejection):
            switch rejection.id {
            case .null, .string, .integer: break
            case .double, .number: if !rejection.id.isIntegralNumber { return "failed" }
            default: return "failed"
            }
            if parsed == nil { return rejection.code == JSONRPCErrorCode.parseError ? "parse error" : "failed" }
            return rejection.code == JSONRPCErrorCode.invalidRequest ? "invalid request" : "failed"
        case .success((let message, let value)):
            guard let parsed, parsed == value, case .object(let members) = value, members["jsonrpc"] == "2.0" else { return "failed" }
            switch message {
            case .request(let id, let method, let params):
                guard !method.isEmpty, members["method"] == .string(method), params == members["params"], id != .null else { return "failed" }
                if case .array = id { return "failed" }
                if case .object = id { return "failed" }
                if case .bool = id { return "failed" }
                return "request"
            case .notification(let method, _):
                return members["id"] == nil && members["method"] == .string(method) ? "notification" : "failed"
            case .response(let id, _):
                return members["method"] == nil && members["id"] != nil && (members["result"] == nil) != (members["error"] == nil)
                    && (id == members["id"] || members["id"] == .null) ? "response" : "failed"
            }
        }
    }

    @Test("targeted mutations get their exact JSON-RPC error code")
    func targetedMutations() throws {
        var random = FuzzRandom(seed: FuzzSeed.resolve("targeted mutations"))
        var checked = 0
        for _ in 0..<2000 {
            let id = JSONValue.integer(Int64(random.int(1...1_000_000)))
            let request: JSONValue = ["jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ["name": "list_files", "arguments": [:]]]
            let text = CanonicalJSON.string(request)
            let cases: [(String, Int64, JSONValue)] = [
                ("[" + text + "]", JSONRPCErrorCode.invalidRequest, .null),
                ("[" + text + "," + text + "]", JSONRPCErrorCode.invalidRequest, .null),
                (text.replacingOccurrences(of: #""2.0""#, with: #""1.0""#), JSONRPCErrorCode.invalidRequest, id),
                (text.replacingOccurrences(of: #""jsonrpc":"2.0","#, with: ""), JSONRPCErrorCode.invalidRequest, id),
                ("{\"id\":1," + text.dropFirst(), JSONRPCErrorCode.parseError, .null),
                (text.replacingOccurrences(of: "list_files", with: "list\u{0}files"), JSONRPCErrorCode.parseError, .null),
                (String(repeating: "[", count: random.int(129...5000)), JSONRPCErrorCode.parseError, .null),
                (text.replacingOccurrences(of: "[:]", with: "{}").replacingOccurrences(of: "{}", with: "1e99999"), JSONRPCErrorCode.parseError, .null),
                (String(text.prefix(random.int(1...(text.count - 1)))), JSONRPCErrorCode.parseError, .null),
            ]
            for (line, code, expectedId) in cases {
                let rejection = try #require(Self.rejection(Array(line.utf8)), "\(line.prefix(80))")
                #expect(rejection.code == code, "\(line.prefix(80))")
                #expect(rejection.id == expectedId, "\(line.prefix(80))")
                checked += 1
            }
            var invalid = Array(text.utf8)
            invalid.insert(random.pick([0xFF, 0xC0, 0x80, 0xFE]), at: random.int(20...(invalid.count - 3)))
            #expect(Self.rejection(invalid)?.code == JSONRPCErrorCode.parseError)
            checked += 1
        }
        print("fuzz targeted mutations: \(checked) cases, each with its exact error code")
    }

    static func rejection(_ bytes: [UInt8]) -> JSONRPCRejection? {
        if case .failure(let rejection) = JSONRPC.classify(bytes) { return rejection }
        return nil
    }

    @Test("line framing: any stream cut into any chunks gives the same lines as a reference split, within the limit")
    func framing() {
        var random = FuzzRandom(seed: FuzzSeed.resolve("line framing"))
        var streams = 0
        var events = 0
        for _ in 0..<2000 {
            let limit = random.pick([1, 2, 7, 64, 300, 4096, 5000])
            var stream: [UInt8] = []
            for _ in 0..<random.int(0...12) {
                switch random.int(0...5) {
                case 0: stream += Array(repeating: UInt8(ascii: "x"), count: random.int(0...9000))
                case 1: stream += [0x0A]
                case 2: stream += Array(" \t\r".utf8).shuffled(using: &random)
                case 3: stream += (0..<random.int(0...50)).map { _ in UInt8.random(in: 0...255, using: &random) }
                default: stream += CanonicalJSON.encode(MCPTraffic.message(&random)) + (random.chance(0.8) ? [0x0A] : [])
                }
            }
            var splitter = LineSplitter(maxLineBytes: limit)
            var got: [LineEvent] = []
            var offset = 0
            stream.withUnsafeBufferPointer { buffer in
                while offset < buffer.count {
                    let end = min(buffer.count, offset + random.pick([1, 3, 17, 4096, 65536]))
                    splitter.feed(UnsafeBufferPointer(rebasing: buffer[offset..<end])) { got.append($0) }
                    offset = end
                }
            }
            splitter.finish { got.append($0) }
            let expected = Self.referenceSplit(stream, limit: limit)
            if got != expected {
                // Compact: sizes and kinds, not the bytes.
                let describe = { (events: [LineEvent]) in events.map { event -> String in
                    switch event {
                    case .line(let line): return "line(\(line.count))"
                    case .oversized(let count, let head, let tail): return "oversized(\(count), head \(head.count), tail \(tail.count))"
                    }
                } }
                Issue.record("limit \(limit), \(stream.count) bytes: got \(describe(got)), expected \(describe(expected))")
                return
            }
            streams += 1
            events += got.count
        }
        print("fuzz line framing: \(streams) streams, \(events) lines, all as the reference split")
    }

    /// The lines of `stream` as the framing rules say, written the obvious way.
    static func referenceSplit(_ stream: [UInt8], limit: Int) -> [LineEvent] {
        var lines = stream.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if stream.last == 0x0A || stream.isEmpty { lines.removeLast() }
        return lines.compactMap { line in
            if line.count > limit { return .oversized(byteCount: line.count, head: Array(line.prefix(LineSplitter.headBytes)), tail: Array(line.suffix(LineSplitter.headBytes))) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
            return .line(line)
        }
    }

    @Test("the id of an oversized message is read from any head without crashing, and only when it is the message's own")
    func leadingIds() {
        var random = FuzzRandom(seed: FuzzSeed.resolve("leading ids"))
        for _ in 0..<5000 {
            let message = MCPTraffic.message(&random)
            var head = Array(CanonicalJSON.encode(message).prefix(random.int(0...300)))
            if random.chance(0.5) { head = MCPTraffic.mutate(head, &random) }
            if let id = JSONRPC.leadingId(in: head) {
                switch id {
                case .string, .integer: break
                case .double, .number: if !id.isIntegralNumber { Issue.record("leadingId gave \(id)") }
                default: Issue.record("leadingId gave \(id)")
                }
            }
        }
    }
}
