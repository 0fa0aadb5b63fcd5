import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

/// Numbers reach the other side as they were written, also where the gateway re-encodes a message:
/// a filtered `tools/list`, a redacted result, rewritten arguments, and values it stores and gives back.
@Suite("numbers through the gateway")
struct NumberTransparencyTests {
    static let upstreamScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/numbers_upstream.py").path

    /// `hidden` is filtered out of `tools/list`; `measure` gets `dry_run: true` added to its arguments;
    /// the token in its result is redacted. Each of these re-encodes a message.
    static let policy = """
        apiVersion: riskkernel/v1
        kind: Policy
        metadata: {name: numbers}
        spec:
          toolAllowlist: [measure]
          secrets: {results: redact}
          argumentRules:
            - tool: measure
              argument: /dry_run
              action: rewrite
              value: true
        """

    func gateway(_ sandbox: Sandbox) async throws -> StdioClient {
        let policy = try sandbox.write("numbers.yaml", Self.policy)
        let client = try await sandbox.gateway(["--policy-file", policy], upstream: [Python.executable, Self.upstreamScript])
        await client.start { _ in }
        _ = await client.handshake()
        return client
    }

    /// A value's numbers as the gateway wrote them: the client's parser keeps any number that a
    /// `Double` would write differently as its text, so this is the text on the wire.
    func wire(_ value: JSONValue?) -> String { value.map { CanonicalJSON.string($0, numbers: .asWritten) } ?? "missing" }

    @Test("a tools/list filtered by the policy keeps 18446744073709551615 and every other number exactly")
    func filteredToolsList() async throws {
        let sandbox = Sandbox()
        let client = try await gateway(sandbox)
        let listed = await client.request("tools/list")
        #expect(await client.close() == 0)
        let tools = try #require(listed["result"]?["tools"]?.arrayValue)
        #expect(tools.compactMap { $0["name"]?.stringValue } == ["measure"], "the policy filters hidden out, so the response is re-encoded")
        let schema = try #require(tools.first?["inputSchema"]?["properties"]?["n"])
        #expect(schema["maximum"] == .number("18446744073709551615"))
        #expect(schema["minimum"] == .number("-18446744073709551616"))
        #expect(schema["multipleOf"] == .number("1.0"))
        #expect(schema["default"] == .number("1e2"))
        #expect(wire(schema["examples"]) == "[0.10000000000000000001,1.10,-0]")
    }

    @Test("rewritten arguments reach the upstream with their numbers as sent; a redacted result keeps its numbers")
    func rewrittenArgumentsAndRedactedResult() async throws {
        let sandbox = Sandbox()
        let client = try await gateway(sandbox)
        let arguments = #"{"n":18446744073709551615,"x":1.10,"e":1E+2,"z":-0,"f":0.5}"#
        await client.sendRaw(Array(#"{"jsonrpc":"2.0","id":900,"method":"tools/call","params":{"name":"measure","arguments":\#(arguments)}}"#.utf8))
        let answer = await client.response(id: 900)
        #expect(await client.close() == 0)

        let content = try #require(answer["result"]?["content"]?.arrayValue)
        let received = try #require(content.first?["text"]?.stringValue)
        #expect(received.contains(#""dry_run":true"#), "the policy rewrote the arguments: \(received)")
        for text in [#""n":18446744073709551615"#, #""x":1.10"#, #""e":1E+2"#, #""z":-0"#, #""f":0.5"#] {
            #expect(received.contains(text), "the upstream received \(received)")
        }
        #expect(content.last?["text"] == "token [REDACTED:github-token]", "the result was redacted, so re-encoded")
        #expect(wire(answer["result"]?["structuredContent"])
            == #"{"hundred":1e2,"max":18446744073709551615,"min":-18446744073709551616,"price":1.10,"tiny":0.10000000000000000001,"zero":-0}"#)

        // The ledger keeps the numbers as sent too, and says that the arguments were rewritten.
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        let call = try #require(try await sandbox.cli(["runs", "show", runId, "--json"]).json?["toolCalls"]?.arrayValue?.first)
        #expect(wire(call["arguments"]) == #"{"e":1E+2,"f":0.5,"n":18446744073709551615,"x":1.10,"z":-0}"#)
        #expect(wire(call["forwardedArguments"]) == #"{"dry_run":true,"e":1E+2,"f":0.5,"n":18446744073709551615,"x":1.10,"z":-0}"#)
        let events = try #require(try await sandbox.cli(["audit", "export", "--run", runId]).stdout
            .split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) })
        let decided = try #require(events.first { $0["kind"] == "tool.decided" }?["data"])
        #expect(decided["argumentsDigest"] != decided["forwardedArgumentsDigest"])
        #expect(try await sandbox.cli(["audit", "verify", "--run", runId]).status == 0)
    }

    @Test("ids that differ beyond a double's precision are two requests: a tools/list among them is still filtered")
    func bigIntegerIds() async throws {
        let sandbox = Sandbox()
        let client = try await gateway(sandbox)
        // Read as doubles, both ids would be 1.8446744073709552e+19, and the second request's entry
        // would take the first's place: the tools/list answer would go out unfiltered.
        let lines = #"{"jsonrpc":"2.0","id":18446744073709551615,"method":"tools/list"}"# + "\n"
            + #"{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}"#
        await client.sendRaw(Array(lines.utf8))
        var answers: [JSONValue] = []
        for _ in 0..<100 where answers.count < 2 {
            try await Task.sleep(for: .milliseconds(50))
            answers += await client.takeUnmatchedResponses()
        }
        #expect(await client.close() == 0)
        let listed = try #require(answers.first { $0["id"] == .number("18446744073709551615") })
        #expect(listed["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["measure"])
        let pinged = try #require(answers.first { $0["id"] == .number("18446744073709551616") })
        #expect(pinged["result"] == [:])
    }

    @Test("facts and checkpoints give back the numbers they were given")
    func storedValues() async throws {
        let sandbox = Sandbox()
        let client = try await gateway(sandbox)
        let value = #"{"big":18446744073709551615,"price":1.10,"hundred":1e2}"#
        let requests = [
            #"{"jsonrpc":"2.0","id":910,"method":"riskkernel/facts/put","params":{"namespace":"n","key":"k","value":\#(value)}}"#,
            #"{"jsonrpc":"2.0","id":911,"method":"riskkernel/facts/get","params":{"namespace":"n","key":"k"}}"#,
            #"{"jsonrpc":"2.0","id":912,"method":"riskkernel/checkpoint","params":{"name":"c","payload":\#(value)}}"#,
            #"{"jsonrpc":"2.0","id":913,"method":"riskkernel/latestCheckpoint","params":{}}"#,
        ]
        var answers: [Int64: JSONValue] = [:]
        for (offset, request) in requests.enumerated() {
            await client.sendRaw(Array(request.utf8))
            answers[910 + Int64(offset)] = await client.response(id: 910 + Int64(offset))
        }
        #expect(await client.close() == 0)
        let expected = #"{"big":18446744073709551615,"hundred":1e2,"price":1.10}"#
        #expect(wire(answers[911]?["result"]?["value"]) == expected)
        #expect(wire(answers[913]?["result"]?["payload"]) == expected)
        let runId = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first?["id"]?.stringValue)
        #expect(try await sandbox.cli(["audit", "verify", "--run", runId]).status == 0)
    }
}
