import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore
import Testing

/// A database written before RFC 8785: its events name no rule and were hashed, and their digests
/// computed, under riskkernel-v1. They keep verifying, chain and records, and a chain that changes
/// rule from one event to the next verifies each event under its own.
@Suite("events hashed under an older rule")
struct LegacyRuleTests {
    static let payload: JSONValue = ["x": 1e-7, "😀": 1, "\u{E000}": 2]

    /// A run's chain: run.started and checkpoint.created under riskkernel-v1, then one under RFC 8785.
    static func chain(runId: String) -> (events: [EventRecord], checkpoints: [CheckpointRecord], run: RunRecord) {
        let time = Date(timeIntervalSince1970: 1_761_989_400)
        var events: [EventRecord] = []
        var previous = EventChain.genesisHash
        func append(_ kind: String, _ data: JSONValue, legacy: Bool) {
            var body = EventChain.body(runId: runId, sequence: Int64(events.count + 1), kind: kind, at: time, data: data).objectValue!
            if legacy { body[EventChain.ruleKey] = nil }
            let hash = EventChain.hash(previousHash: previous, body: .object(body))
            events.append(EventRecord(runId: runId, sequence: Int64(events.count + 1), kind: kind, body: .object(body), previousHash: previous, hash: hash, createdAt: time))
            previous = hash
        }
        append("run.started", ["metadata": [:], "budget": [:]], legacy: true)
        append("checkpoint.created", ["checkpointId": "ckpt_old", "name": "old", "payloadDigest": .string(EventChain.digest(of: payload, rule: .riskkernelV1))], legacy: true)
        append("checkpoint.created", ["checkpointId": "ckpt_new", "name": "new", "payloadDigest": .string(EventChain.digest(of: payload, rule: .rfc8785))], legacy: false)
        let checkpoints = [
            CheckpointRecord(id: "ckpt_old", runId: runId, name: "old", payload: payload, sequence: 2, createdAt: time),
            CheckpointRecord(id: "ckpt_new", runId: runId, name: "new", payload: payload, sequence: 3, createdAt: time),
        ]
        let run = RunRecord(
            id: runId, name: nil, parentRunId: nil, policyRef: nil, budget: .unlimited, usage: Usage(), treeUsage: Usage(), status: .running,
            haltReason: nil, metadata: [:], createdAt: time, updatedAt: time, endedAt: nil)
        return (events, checkpoints, run)
    }

    @Test func olderEventsKeepVerifying() {
        let (events, checkpoints, run) = Self.chain(runId: "run_old")
        #expect(EventChain.digest(of: Self.payload, rule: .riskkernelV1) != EventChain.digest(of: Self.payload, rule: .rfc8785))
        let verification = ChainVerifier.verify(runId: "run_old", events: events, anchor: ChainHead(length: 3, hash: events[2].hash))
        #expect(verification.isIntact, "\(String(describing: verification.failure))")
        let records = ProvenanceRecords(runs: [run], events: events, heads: ["run_old": ChainHead(length: 3, hash: events[2].hash)], checkpoints: checkpoints)
        #expect(RecordVerifier.verify(records) == [])
    }

    @Test func aRuleThisVersionDoesNotKnowIsAnEdit() {
        var (events, _, _) = Self.chain(runId: "run_old")
        var body = events[2].body.objectValue!
        body[EventChain.ruleKey] = "rfc9999"
        events[2].body = .object(body)
        let verification = ChainVerifier.verify(runId: "run_old", events: events, anchor: nil)
        #expect(verification.failure?.sequence == 3)
        #expect(verification.failure?.kind == .edited)
        #expect(verification.failure?.detail.contains("hash rule") == true)
    }

    @Test func aPayloadEditedUnderEitherRuleIsFound() {
        let (events, checkpoints, run) = Self.chain(runId: "run_old")
        for index in checkpoints.indices {
            var edited = checkpoints
            edited[index].payload = ["x": 2]
            let found = RecordVerifier.verify(ProvenanceRecords(runs: [run], events: events, checkpoints: edited))
            #expect(found.map(\.row) == [checkpoints[index].id])
            #expect(found.first?.sequence == checkpoints[index].sequence)
        }
    }
}
