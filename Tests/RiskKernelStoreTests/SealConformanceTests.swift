import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore
import Testing

/// Seals against a rewrite: a whole chain recomputed after a seal verifies as a chain, and the seal
/// finds it; on both stores.
@Suite("Store conformance: seals")
struct SealConformanceTests {
    typealias Tamperable = RecordCoverageConformanceTests.Tamperable

    /// Rewrites `runId`'s chain from the event at `sequence` on, as someone with write access and
    /// no key can: the body edited by `edit`, every later hash recomputed, the run's anchor moved.
    static func rewrite(_ target: Tamperable, runId: String, from sequence: Int64, edit: (inout [String: JSONValue]) -> Void) async throws {
        let events = try await target.store.events(runId: runId)
        var previous = events.first { $0.sequence == sequence }!.previousHash
        var statements: [String] = []
        for event in events where event.sequence >= sequence {
            var body = event.body.objectValue!
            if event.sequence == sequence { edit(&body) }
            let hash = EventChain.hash(previousHash: previous, body: .object(body))
            let text = CanonicalJSON.string(.object(body), rule: EventChain.rule(of: .object(body))!).replacingOccurrences(of: "'", with: "''")
            statements.append("UPDATE events SET body = '\(text)', previous_hash = '\(previous)', hash = '\(hash)' WHERE run_id = '\(runId)' AND sequence = \(event.sequence)")
            previous = hash
        }
        statements.append("UPDATE runs SET chain_head = '\(previous)' WHERE id = '\(runId)'")
        try target.execute(statements.joined(separator: ";\n"))
    }

    @Test("a chain rewritten after a seal is found by the seal, not by the chain", arguments: StoreBackend.allCases)
    func rewriteAfterSeal(backend: StoreBackend) async throws {
        let target = try Tamperable.make(backend)
        let store = target.store
        let run = try await store.createRun(NewRun(name: "sealed"))
        let checkpoint = try await store.createCheckpoint(runId: run.id, name: "before", payload: ["step": 1])
        _ = try await store.createCheckpoint(runId: run.id, name: "later", payload: ["step": 2])
        let other = try await store.createRun(NewRun(name: "untouched"))

        let signer = Ed25519Signer.generate()
        let heads = try await store.chainHeads()
        #expect(Set(heads.map(\.runId)) == [run.id, other.id])
        let seal = try ChainSeals.make(heads: heads, at: Timestamps.now(), signers: [signer])
        try await store.appendSeal(seal)
        #expect(try await store.seals() == [seal])
        let opened = try ChainSeals.open(seal.envelope, trusting: [signer.identity.keyid])
        #expect(try await ChainSeals.check(opened) { try await store.events(runId: $0) } == [])

        // More events after the seal are fine.
        _ = try await store.createCheckpoint(runId: run.id, name: "after-seal", payload: [:])
        #expect(try await ChainSeals.check(opened) { try await store.events(runId: $0) } == [])

        // The checkpoint's name, in its event and its row, consistently, with every hash recomputed.
        try await Self.rewrite(target, runId: run.id, from: checkpoint.sequence) { body in
            var data = body["data"]!.objectValue!
            data["name"] = "rewritten"
            body["data"] = .object(data)
        }
        try target.execute("UPDATE checkpoints SET name = 'rewritten' WHERE id = '\(checkpoint.id)'")
        let chain = ChainVerifier.verify(runId: run.id, events: try await store.events(runId: run.id), anchor: try await store.chainHead(runId: run.id))
        #expect(chain.isIntact)
        #expect(RecordVerifier.verify(try await store.provenanceRecords(runIds: [run.id])) == [])

        let violations = try await ChainSeals.check(opened) { try await store.events(runId: $0) }
        #expect(violations.map(\.runId) == [run.id])
        #expect(violations.first?.sequence == heads.first { $0.runId == run.id }?.sequence)
        #expect(violations.first?.detail.contains("rewritten after the seal") == true)
    }

    @Test("a seal by a key not trusted, or changed, or stripped of a signer, is refused")
    func sealChecks() throws {
        let signer = Ed25519Signer.generate()
        let stranger = Ed25519Signer.generate()
        let heads = [RunChainHead(runId: "run_a", sequence: 3, hash: String(repeating: "a", count: 64), time: Timestamps.now())]
        let seal = try ChainSeals.make(heads: heads, at: Timestamps.now(), signers: [signer])
        let opened = try ChainSeals.open(seal.envelope, trusting: [signer.identity.keyid])
        #expect(opened.heads == heads)
        #expect(throws: BundleFormatError.self) { try ChainSeals.open(seal.envelope, trusting: [stranger.identity.keyid]) }

        // A changed head: the payload no longer matches the signature.
        var envelope = try DSSEEnvelope.decode(Array(seal.envelope.utf8))
        let text = String(decoding: envelope.payload, as: UTF8.self).replacingOccurrences(of: "\"sequence\":3", with: "\"sequence\":2")
        envelope.payload = Array(text.utf8)
        let changed = String(decoding: CanonicalJSON.encode(envelope.json), as: UTF8.self)
        #expect(throws: BundleFormatError.self) { try ChainSeals.open(changed, trusting: [signer.identity.keyid]) }

        // Signed by two, one signature stripped.
        let both = try ChainSeals.make(heads: heads, at: Timestamps.now(), signers: [signer, stranger])
        var stripped = try DSSEEnvelope.decode(Array(both.envelope.utf8))
        stripped.signatures.removeLast()
        let strippedText = String(decoding: CanonicalJSON.encode(stripped.json), as: UTF8.self)
        #expect(throws: BundleFormatError.self) { try ChainSeals.open(strippedText, trusting: [signer.identity.keyid]) }
    }
}
