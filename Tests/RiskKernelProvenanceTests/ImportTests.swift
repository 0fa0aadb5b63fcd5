import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@testable import RiskKernelProvenance

@Suite("importing bundles")
struct ImportTests {
    /// A fresh database in the fixture's directory.
    func target(_ fixture: Fixture, _ name: String = "target.sqlite") throws -> SQLiteStore {
        try SQLiteStore(path: fixture.directory.file(name))
    }

    func chainsIntact(_ store: some Store, _ runIds: [String]) async throws -> Bool {
        for runId in runIds {
            let verification = ChainVerifier.verify(runId: runId, events: try await store.events(runId: runId), anchor: try await store.chainHead(runId: runId))
            if !verification.isIntact { return false }
        }
        return true
    }

    @Test("a good bundle imports into a fresh database whose chains then verify, and re-exports the same records")
    func goodImport() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: keys.both)
        let store = try target(fixture)
        let result = try await ProvenanceBundles.importBundle(envelope.encoded, trusting: keys.trusted, into: store)
        #expect(result.runIds == [fixture.parent.id, fixture.child.id])
        #expect(result.detachedParent == nil)
        #expect(try await chainsIntact(store, result.runIds))
        #expect(try await store.childRuns(of: fixture.parent.id).map(\.id) == [fixture.child.id])
        let imported = try await store.provenanceRecords(runIds: result.runIds)
        let original = try await fixture.store.provenanceRecords(runIds: result.runIds)
        #expect(imported == original)
        let again = try await ProvenanceBundles.export(from: store, runId: fixture.parent.id, redaction: .none, signers: keys.both)
        #expect(try again.statement["predicate"]?["runs"] == envelope.statement["predicate"]?["runs"])
        #expect(BundleVerifier.verify(again.encoded, trusting: keys.trusted).isValid)

        // The same bundle again: its runs exist, nothing changes.
        let before = try fixture.directory.snapshot()
        await #expect(throws: BundleImportError.self) { try await ProvenanceBundles.importBundle(envelope.encoded, trusting: keys.trusted, into: store) }
        #expect(try fixture.directory.snapshot() == before)
    }

    @Test("a bad, untrusted, unsigned-for or full bundle is refused and the database is unchanged")
    func badImports() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let store = try target(fixture)
        // The target already holds a run of its own.
        let existing = try await store.createRun(NewRun(name: "local"))
        let envelope = try await fixture.export(.none, signers: keys.both)
        var flipped = envelope
        flipped.payload[flipped.payload.count / 3] ^= 0x20
        var stripped = envelope
        stripped.signatures.removeLast()
        let tamperedChain = try envelope.resigned(
            try envelope.statement.setting(["predicate", "runs", 1, "events", 1, "body", "data", "tool"], to: "other_tool"), by: keys.both)
        let full = try await fixture.export(.full, signers: keys.both)
        let sealedContent = try await fixture.export(.content, signers: keys.both)

        let before = try fixture.directory.snapshot()
        let cases: [(String, [UInt8], Set<String>, String)] = [
            ("flipped byte", flipped.encoded, keys.trusted, "signatures"),
            ("stripped ML-DSA signature", stripped.encoded, keys.trusted, "signers"),
            ("tampered event", tamperedChain.encoded, keys.trusted, "chains"),
            ("untrusted signer", envelope.encoded, [Ed25519Signer.generate().identity.keyid], "trust"),
            ("no trust given", envelope.encoded, [], "--trust"),
            ("full redaction", full.encoded, keys.trusted, "full-redaction"),
            ("sealed content", sealedContent.encoded, keys.trusted, "sealed"),
            ("not JSON", Array("not a bundle".utf8), keys.trusted, "envelope"),
        ]
        for (name, bytes, trusted, expected) in cases {
            do {
                _ = try await ProvenanceBundles.importBundle(bytes, trusting: trusted, into: store)
                Issue.record("\(name) was imported")
            } catch let error as BundleImportError {
                #expect(error.description.contains(expected), "\(name): \(error)")
                #expect(error.description.contains("nothing was imported"), "\(name): \(error)")
            }
        }
        #expect(try fixture.directory.snapshot() == before)
        #expect(try await store.listRuns(status: nil, limit: 100).map(\.id) == [existing.id])
        #expect(try await store.run(id: fixture.parent.id) == nil)
    }

    @Test("a content bundle without sealed events imports with digests in place of content")
    func contentImport() async throws {
        let fixture = try await Fixture(sealable: false)
        let keys = try Keys()
        let envelope = try await fixture.export(.content, signers: keys.both)
        #expect(BundleVerifier.verify(envelope.encoded, trusting: keys.trusted).contents?.sealed.isEmpty == true)
        let store = try target(fixture)
        let result = try await ProvenanceBundles.importBundle(envelope.encoded, trusting: keys.trusted, into: store)
        #expect(try await chainsIntact(store, result.runIds))
        let calls = try await store.toolCalls(runId: fixture.parent.id)
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { Digest.hex(in: $0.arguments) != nil })
        let attributions = try await store.attributions(runId: fixture.child.id)
        #expect(attributions.allSatisfy { $0.file.hasPrefix("sha256:") })
    }

    @Test("a child run's bundle imports without its parent, detached")
    func detachedImport() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: [keys.ed25519], runId: fixture.child.id)
        let store = try target(fixture)
        let result = try await ProvenanceBundles.importBundle(envelope.encoded, trusting: keys.trusted, into: store)
        #expect(result.detachedParent == fixture.parent.id)
        #expect(try await store.run(id: fixture.child.id)?.parentRunId == nil)
        #expect(try await chainsIntact(store, [fixture.child.id]))
    }
}
