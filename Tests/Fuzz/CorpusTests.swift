import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// The corpus of nasty inputs kept in `Tests/Fuzz/corpus` (one input per file; `make_corpus.py`
/// writes them), each fed as it is to a real gateway: every request gets exactly the response
/// `corpus-expectations.json` names, nothing else is answered, and the gateway keeps serving and
/// exits cleanly.
@Suite("fuzz: corpus through a real gateway")
struct CorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// The responses expected for each corpus file: `[id, code]`, code `null` for any answer.
    static func expectations() throws -> [String: [(JSONValue, Int64?)]] {
        let data = try Array(Data(contentsOf: directory.appendingPathComponent("corpus-expectations.json")))
        guard case .object(let files) = try JSONParser.parse(data) else { return [:] }
        return files.mapValues { entries in
            (entries.arrayValue ?? []).compactMap { entry in
                guard let pair = entry.arrayValue, pair.count == 2 else { return nil }
                return (pair[0], pair[1].int64Value)
            }
        }
    }

    @Test("every corpus input gets exactly the expected responses, no crash, no hang")
    func corpus() async throws {
        let expectations = try Self.expectations()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.appendingPathComponent("corpus").path)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(Set(files) == Set(expectations.keys), "every corpus file has expectations and every expectation a file")
        var lines = 0
        for batch in stride(from: 0, to: files.count, by: 2).map({ Array(files[$0..<min(files.count, $0 + 2)]) }) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for file in batch {
                    group.addTask { try await Self.run(file, expected: expectations[file] ?? []) }
                }
                for try await count in group { lines += count }
            }
        }
        print("fuzz corpus: \(files.count) files, \(lines) lines, every request answered once with the expected code")
    }

    /// Feeds one corpus file (then, unless it ends without a newline, a ping) and checks the answers.
    static func run(_ file: String, expected: [(JSONValue, Int64?)]) async throws -> Int {
        let bytes = try Array(Data(contentsOf: directory.appendingPathComponent("corpus/" + file)))
        let gateway = try GatewayUnderTest()
        defer { gateway.cleanUp() }
        var expected = expected
        var input = bytes
        if bytes.last == 0x0A {
            input += Array(#"{"jsonrpc":"2.0","id":"still-serving","method":"ping"}"#.utf8) + [0x0A]
            expected.append(("still-serving", nil))
        }
        await gateway.write(input)
        let status = await gateway.close()
        #expect(status == 0, "\(file): the gateway exited with \(status.map(String.init) ?? "no status: it hung")")
        let responses = gateway.messages.filter { $0["method"] == nil }
        var unmatched = responses
        for (id, code) in expected {
            guard let index = unmatched.firstIndex(where: { $0["id"] == id && (code == nil || $0["error"]?["code"]?.int64Value == code) }) else {
                Issue.record("\(file): no response with id \(CanonicalJSON.string(id))\(code.map { " and code \($0)" } ?? ""); got \(responses.map(CanonicalJSON.string))")
                continue
            }
            unmatched.remove(at: index)
        }
        #expect(unmatched.isEmpty, "\(file): unexpected responses \(unmatched.map(CanonicalJSON.string))")
        #expect(!gateway.messages.contains(.null), "\(file): the gateway wrote a line that is not JSON")
        return bytes.split(separator: 0x0A).count
    }
}
