import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// Mutated MCP traffic piped into a real gateway: every request with an id gets exactly one
/// response, with the error code the JSON-RPC rules give; the gateway keeps serving; a 100 MiB line
/// is refused without the gateway's memory growing with it.
@Suite("fuzz: a real gateway", .serialized)
struct GatewayFuzzTests {
    static let lines = 1500

    /// What the gateway must answer to one line: `nil` for nothing, else the id and the code (`nil`
    /// for any answer: a result, or an error from the upstream).
    static func expectedAnswer(_ line: [UInt8]) -> (id: JSONValue, code: Int64?)?? {
        switch JSONRPC.classify(line) {
        case .failure(let rejection):
            return .some((rejection.id, rejection.code))
        case .success((.notification, _)), .success((.response, _)):
            return .some(nil)
        case .success((.request(let id, let method, let params), _)):
            if method == "tools/call" {
                guard case .object(let members)? = params, case .string(let name)? = members["name"], !name.isEmpty else {
                    return .some((id, JSONRPCErrorCode.invalidParams))
                }
                if let arguments = members["arguments"], arguments.objectValue == nil { return .some((id, JSONRPCErrorCode.invalidParams)) }
                return .some((id, nil))
            }
            if method.lowercased().trimmingCharacters(in: .whitespaces) == "tools/call" { return .some((id, JSONRPCErrorCode.invalidRequest)) }
            if method.lowercased().hasPrefix("riskkernel/") {
                let known = ["riskkernel/recordModelCall", "riskkernel/status", "riskkernel/checkpoint", "riskkernel/latestCheckpoint",
                             "riskkernel/facts/put", "riskkernel/facts/get", "riskkernel/facts/list"]
                return .some((id, known.contains(method) ? nil : JSONRPCErrorCode.methodNotFound))
            }
            return .some((id, nil))
        }
    }

    @Test("mutated traffic: every request with an id gets exactly one response with the right code, and the gateway keeps serving")
    func mutatedTraffic() async throws {
        var random = FuzzRandom(seed: FuzzSeed.resolve("gateway traffic"))
        let gateway = try GatewayUnderTest()
        defer { gateway.cleanUp() }
        var expected: [(JSONValue, Int64?)] = []
        var usedIds: Set<String> = []
        var stream: [UInt8] = []
        var sent = 0
        while sent < Self.lines {
            var bytes = CanonicalJSON.encode(random.chance(0.2) ? MCPTraffic.reshape(MCPTraffic.message(&random), &random) : MCPTraffic.message(&random))
            if random.chance(0.7) { bytes = MCPTraffic.mutate(bytes, &random) }
            // A mutation may have split the message into several lines; each is judged on its own.
            let parts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            var answers: [(JSONValue, Int64?)] = []
            var acceptable = true
            for part in parts where !part.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                guard let answer = Self.expectedAnswer(part) else { continue }
                if case .success((.notification(let method, _), _)) = JSONRPC.classify(part), method == "notifications/cancelled" {
                    acceptable = false  // it may cancel another line's call, which is then answered with nothing
                }
                guard let (id, code) = answer else { continue }
                if id != .null {
                    let key = JSONRPC.idKey(id)
                    if usedIds.contains(key) || key.count > 40 { acceptable = false }
                    usedIds.insert(key)
                }
                answers.append((id, code))
            }
            guard acceptable else { continue }
            stream += bytes + [0x0A]
            expected += answers
            sent += 1
        }
        await gateway.write(stream)
        await gateway.write(Array(#"{"jsonrpc":"2.0","id":"still-serving","method":"tools/call","params":{"name":"list_files"}}"#.utf8) + [0x0A])
        let serving = await gateway.response(id: "still-serving", within: 60)
        #expect(serving?["result"] != nil, "the gateway stopped serving after the fuzzed traffic")
        let status = await gateway.close()
        #expect(status == 0)

        let responses = gateway.messages.filter { $0["method"] == nil && ($0["result"] != nil || $0["error"] != nil) && $0["id"] != "still-serving" }
        var byKey: [String: [JSONValue]] = [:]
        for response in responses { byKey[JSONRPC.idKey(response["id"] ?? .null), default: []].append(response) }
        var mismatches: [String] = []
        var nullIdCodes: [Int64] = []
        for (id, code) in expected {
            if id == .null {
                nullIdCodes.append(code ?? 0)
                continue
            }
            let key = JSONRPC.idKey(id)
            let got = byKey.removeValue(forKey: key) ?? []
            if got.count != 1 {
                mismatches.append("id \(key): \(got.count) responses")
            } else if let code, got[0]["error"]?["code"]?.int64Value != code {
                mismatches.append("id \(key): expected code \(code), got \(CanonicalJSON.string(got[0]).prefix(200))")
            }
        }
        let nullResponses = (byKey.removeValue(forKey: "null") ?? []).compactMap { $0["error"]?["code"]?.int64Value }
        #expect(nullResponses.sorted() == nullIdCodes.sorted(), "errors without an id")
        #expect(byKey.isEmpty, "responses nobody asked for: \(byKey.keys.sorted().prefix(10))")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        print("fuzz gateway traffic: \(sent) mutated lines, \(expected.count) answers expected and checked (\(nullIdCodes.count) parse or invalid-request errors without an id)")
    }

    @Test("a 100 MiB line is refused with -32600 and dropped; the gateway keeps serving with its peak memory far below the line's size")
    func hundredMebibyteLine() async throws {
        let gateway = try GatewayUnderTest()
        defer { gateway.cleanUp() }
        await gateway.write(Array(#"{"jsonrpc":"2.0","id":"before","method":"ping"}"#.utf8) + [0x0A])
        #expect(await gateway.response(id: "before") != nil)
        let baseline = try #require(gateway.peakResidentBytes(), "cannot read VmHWM of the gateway")
        let size = 100 * 1024 * 1024
        var line = Data(#"{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"write_file","arguments":{"content":""#.utf8)
        line.append(Data(repeating: UInt8(ascii: "A"), count: size - line.count - 4))
        line.append(Data(#""}}}"#.utf8 + [0x0A]))
        await gateway.write(line)
        line = Data()
        await gateway.write(Array(#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#.utf8) + [0x0A])
        let after = await gateway.response(id: "after", within: 120)
        #expect(after?["result"] != nil, "the gateway stopped serving after the 100 MiB line")
        let refusal = gateway.messages.first { $0["error"]?["code"]?.int64Value == JSONRPCErrorCode.invalidRequest }
        #expect(refusal?["error"]?["message"]?.stringValue?.contains("\(size) bytes exceeds the limit") == true)
        let peak = try #require(gateway.peakResidentBytes(), "cannot read VmHWM of the gateway")
        print("fuzz 100 MiB line: refused; gateway peak resident memory \(peak / 1024 / 1024) MiB, \(baseline / 1024 / 1024) MiB before the line")
        // The line may cost at most the 16 MiB line limit and the reader's buffers, never its own size.
        #expect(peak - baseline < 32 * 1024 * 1024, "peak resident memory \(peak) bytes, \(baseline) before the line")
        #expect(await gateway.close() == 0)
        #expect(!FileManager.default.fileExists(atPath: gateway.root + "/workspace/x"))
    }
}
