import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Every event a store writes is hashed under RFC 8785 and says so; its digests are RFC 8785 too.
@Suite("Store conformance: RFC 8785 hashes")
struct CanonicalRuleConformanceTests {
    @Test("a checkpoint's payloadDigest and its event's hash are over RFC 8785 bytes", arguments: StoreBackend.allCases)
    func checkpointDigest(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let payload = try JSONParser.parse(#"{"x": 1e-7, "😀": 1, "\ue000": 2}"#)
        let checkpoint = try await store.createCheckpoint(runId: run.id, name: "issue", payload: payload)
        let events = try await store.events(runId: run.id)
        let created = try #require(events.first { $0.sequence == checkpoint.sequence })
        #expect(created.body["canon"] == "rfc8785")
        let jcs = "{\"x\":1e-7,\"😀\":1,\"\u{E000}\":2}"
        #expect(created.body["data"]?["payloadDigest"]?.stringValue == EventChain.hexDigest(Array(jcs.utf8)))
        // The stored body reads back to the bytes that were hashed.
        let bytes = CanonicalJSON.encode(created.body, rule: .rfc8785)
        #expect(created.hash == EventChain.hexDigest(Array((created.previousHash + "\n").utf8) + bytes))
        for event in events { #expect(EventChain.rule(of: event.body) == .rfc8785) }
    }
}
