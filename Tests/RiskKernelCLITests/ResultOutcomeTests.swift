import Foundation
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore
import Testing

/// What the ledger keeps of a tool's result: the digest and size of its canonical JSON, the result
/// itself only when small, and never a credential, however large the result.
@Suite("tool results in the ledger")
struct ResultOutcomeTests {
    /// The JSON text of the `big` tool's result (as the fixture writes it) for `size` x's.
    static func bigResult(size: Int) -> String {
        #"{"content":[{"type":"text","text":""# + String(repeating: "x", count: size) + #""}]}"#
    }

    func bigCalls(_ sandbox: Sandbox) async throws -> [JSONValue] {
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        return (shown["toolCalls"]?.arrayValue ?? []).filter { $0["tool"] == "big" }
    }

    @Test("a result's digest and size are those of its canonical JSON, worked out after the answer; only a small one is kept", arguments: [100, 70_000, 1 << 20])
    func digestOfTheBytesSent(size: Int) async throws {
        let sandbox = Sandbox()
        let client = try await DefensesTests().echoGateway(sandbox)
        let answer = await client.callTool("big", ["size": .integer(Int64(size))])
        #expect(answer.toolText.utf8.count == size)
        #expect(await client.close() == 0)

        let call = try #require(try await bigCalls(sandbox).first)
        let result = try JSONParser.parse(Self.bigResult(size: size))
        let canonical = CanonicalJSON.encode(result, rule: .current)
        #expect(call["status"] == "succeeded")
        #expect(call["resultDigest"] == .string(EventChain.hexDigest(canonical)))
        #expect(call["resultBytes"] == .integer(Int64(canonical.count)))
        // The result itself is kept when its canonical JSON is at most 64 KiB.
        #expect((call["result"] ?? .null) == (canonical.count <= 64 * 1024 ? result : .null))
    }

    @Test("a token spelled with an escape at the end of a large result is redacted for the client and the ledger", arguments: [10, 300_000])
    func escapedTokenInALargeResult(size: Int) async throws {
        let sandbox = Sandbox()
        let client = try await DefensesTests().echoGateway(sandbox)
        let answer = await client.callTool("big", ["size": .integer(Int64(size)), "escapedToken": true])
        #expect(answer.toolText == String(repeating: "x", count: size) + " [REDACTED:github-token]")
        #expect(await client.close() == 0)
        let call = try #require(try await bigCalls(sandbox).first)
        #expect(!"\(call)".contains("a1B2c3D4e5F6g7H8i9J0"))
        #expect(call["status"] == "succeeded")
    }

    /// Large results in the shapes a server may write them: members out of RFC 8785's order,
    /// spacing, escapes (`\/`, `\u00e9`, a surrogate pair), numbers spelled otherwise (`1.10`,
    /// `1E2`, `-0`, beyond 64 bits), `isError`.
    static let largeResults: [(text: String, failed: Bool)] = {
        let filler = String(repeating: "x", count: 70_000)
        return [
            (#"{ "isError" : true , "content":[{"text":"\#(filler)\u00e9\/\n\ud83d\ude00","type":"text"}],"structuredContent": {"n": 1.10, "big": 12345678901234567890, "e": 1E2, "z": -0, "\u00e9": [true, false, null]}}"#, true),
            (#"{\#("\t")"structuredContent":{"b":"\#(filler)","a":[1,2.5,-3e-7]},"content":[{"type":"text","text":"é😀\"\\"}] }"#, false),
        ]
    }()

    @Test("a large result is passed on as it came, and recorded with the digest of its parsed value's RFC 8785 form", arguments: [0, 1])
    func largeResultPassedOnAsItCame(index: Int) async throws {
        let (text, failed) = Self.largeResults[index]
        let sandbox = Sandbox()
        let client = try await DefensesTests().echoGateway(sandbox)
        let answer = await client.callTool("raw", ["result": .string(text)])
        #expect(await client.close() == 0)
        let result = try JSONParser.parse(text)
        #expect(answer["result"] == result)
        let call = try #require(try await rawCalls(sandbox).first)
        let canonical = RFC8785.encode(result)
        #expect(call["status"] == (failed ? "failed" : "succeeded"))
        #expect(call["resultDigest"] == .string(EventChain.hexDigest(canonical)))
        #expect(call["resultBytes"] == .integer(Int64(canonical.count)))
        #expect((call["result"] ?? .null) == .null)
    }

    @Test("a large result that is not valid JSON is answered with an error, and the call recorded failed")
    func largeInvalidResult() async throws {
        let sandbox = Sandbox()
        let client = try await DefensesTests().echoGateway(sandbox)
        let filler = String(repeating: "x", count: 70_000)
        let broken = [#"{"content":[{"type":"text","text":"\#(filler)"}],}"#, #"{"content":[{"type":"text","text":"\#(filler)\u12"}]}"#, #"{"a":1,"a":"\#(filler)"}"#]
        for text in broken {
            let answer = await client.callTool("raw", ["result": .string(text)])
            #expect(answer["result"] == nil)
            #expect(answer["error"]?["message"]?.stringValue?.contains("not valid JSON-RPC") == true, "\(answer)")
        }
        #expect(await client.close() == 0)
        let calls = try await rawCalls(sandbox)
        #expect(calls.count == broken.count)
        #expect(calls.allSatisfy { $0["status"] == "failed" })
    }

    func rawCalls(_ sandbox: Sandbox) async throws -> [JSONValue] {
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        return (shown["toolCalls"]?.arrayValue ?? []).filter { $0["tool"] == "raw" }
    }

    /// Only the upstream answers tool calls: a large result-shaped message from the client, whatever
    /// its id, is never taken for the answer of a call the gateway forwarded.
    @Test("a large response from the client never answers a forwarded tool call")
    func clientResponseIsNoToolResult() async throws {
        let sandbox = Sandbox()
        let client = try await DefensesTests().echoGateway(sandbox)
        await client.sendRaw(CanonicalJSON.encode(["jsonrpc": "2.0", "id": 7010, "method": "tools/call", "params": ["name": "hang"]]))
        try await Task.sleep(for: .milliseconds(300))
        let forged = String(repeating: "f", count: 70_000)
        for id in 0...20 {
            await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[{"type":"text","text":"\#(forged)"}]}}"#.utf8))
        }
        #expect(await client.callTool("raw", ["result": #"{"content":[]}"#])["result"] == ["content": []])
        #expect(await client.close() == 0)
        let hung = await client.response(id: 7010)
        #expect(hung["result"] == nil)
        #expect(hung["error"]?["code"] == .integer(JSONRPCErrorCode.upstreamUnavailable))
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let shown = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json)
        let call = try #require(shown["toolCalls"]?.arrayValue?.first { $0["tool"] == "hang" })
        #expect(call["status"] == "failed")
        // What it recorded is the gateway's own error, not the forged result.
        #expect((call["resultBytes"]?.int64Value ?? 0) < 1000)
    }
}
