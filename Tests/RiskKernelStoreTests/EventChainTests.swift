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
        #expect(EventChain.body(runId: "run-1", sequence: 1, kind: "tool.decided", at: .init(timeIntervalSince1970: 1_761_989_400), data: body["data"]!) == body)
    }

    @Test("any change to the body or the link changes the hash")
    func sensitivity() {
        let body: JSONValue = ["runId": "r", "sequence": 1, "kind": "k", "time": "t", "data": ["n": 1]]
        let hash = EventChain.hash(previousHash: EventChain.genesisHash, body: body)
        #expect(EventChain.hash(previousHash: EventChain.genesisHash, body: ["runId": "r", "sequence": 1, "kind": "k", "time": "t", "data": ["n": 2]]) != hash)
        #expect(EventChain.hash(previousHash: String(repeating: "1", count: 64), body: body) != hash)
    }
}
