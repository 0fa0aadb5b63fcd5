import RiskKernelCore
import RiskKernelStore
import Testing

@Suite("event chain hash")
struct EventChainTests {
    @Test("the worked example of Protocol/canonical-json.md")
    func documentedExample() {
        let body: JSONValue = [
            "runId": "run-1", "sequence": 1, "kind": "tool.decided", "time": "2025-11-01T09:30:00.000Z",
            "data": [
                "callId": "call_1", "requestId": "7", "tool": "git_commit", "sideEffect": "vcs.write", "decision": "approval",
                "rule": "tool=git_commit", "argumentsDigest": .string(String(repeating: "0", count: 64)),
            ],
        ]
        #expect(EventChain.hash(previousHash: EventChain.genesisHash, body: body) == "c415588dbca0d990dbf264a00d9edf40653bbdfdb79974075989c2cea8a434d5")
        // A body without `canon` was written before rules were recorded: it keeps its hash (riskkernel-v1).
        #expect(EventChain.rule(of: body) == .riskkernelV1)
        // A body written now names RFC 8785.
        var current = body.objectValue!
        current["canon"] = "rfc8785"
        #expect(EventChain.body(runId: "run-1", sequence: 1, kind: "tool.decided", at: .init(timeIntervalSince1970: 1_761_989_400), data: body["data"]!) == .object(current))
        #expect(EventChain.rule(of: .object(current)) == .rfc8785)
    }

    @Test("an event names its rule and is hashed over its RFC 8785 bytes")
    func rfc8785Body() {
        let body = EventChain.body(runId: "r", sequence: 1, kind: "checkpoint.created", at: .init(timeIntervalSince1970: 0), data: ["x": 1e-7, "😀": 1, "\u{E000}": 2])
        let bytes = Array("{\"canon\":\"rfc8785\",\"data\":{\"x\":1e-7,\"😀\":1,\"\u{E000}\":2},\"kind\":\"checkpoint.created\",\"runId\":\"r\",\"sequence\":1,\"time\":\"1970-01-01T00:00:00.000Z\"}".utf8)
        #expect(CanonicalJSON.encode(body, rule: .rfc8785) == bytes)
        #expect(EventChain.hash(previousHash: EventChain.genesisHash, body: body) == EventChain.hexDigest(Array((EventChain.genesisHash + "\n").utf8) + bytes))
        #expect(EventChain.digest(of: ["x": 1e-7, "😀": 1, "\u{E000}": 2]) == EventChain.hexDigest(Array("{\"x\":1e-7,\"😀\":1,\"\u{E000}\":2}".utf8)))
    }

    @Test("a rule this version does not know is not taken for one it knows")
    func unknownRule() {
        #expect(EventChain.rule(of: ["canon": "rfc9999", "runId": "r"]) == nil)
        #expect(EventChain.rule(of: ["canon": 1, "runId": "r"]) == nil)
    }

    @Test("any change to the body or the link changes the hash")
    func sensitivity() {
        let body: JSONValue = ["runId": "r", "sequence": 1, "kind": "k", "time": "t", "data": ["n": 1]]
        let hash = EventChain.hash(previousHash: EventChain.genesisHash, body: body)
        #expect(EventChain.hash(previousHash: EventChain.genesisHash, body: ["runId": "r", "sequence": 1, "kind": "k", "time": "t", "data": ["n": 2]]) != hash)
        #expect(EventChain.hash(previousHash: String(repeating: "1", count: 64), body: body) != hash)
    }
}
