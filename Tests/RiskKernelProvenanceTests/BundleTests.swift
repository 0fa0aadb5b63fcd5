import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@testable import RiskKernelProvenance

@Suite("provenance bundles: export, redaction, verification")
struct BundleTests {
    func verify(_ envelope: DSSEEnvelope, _ trusted: Set<String> = []) -> BundleVerification {
        BundleVerifier.verify(envelope.encoded, trusting: trusted)
    }

    func text(_ envelope: DSSEEnvelope) -> String {
        String(decoding: envelope.payload, as: UTF8.self) + String(decoding: envelope.encoded, as: UTF8.self)
    }

    @Test("a none bundle of a parent and child run verifies every check and carries every record")
    func roundTripNone() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: keys.both)
        #expect(envelope.payloadType == "application/vnd.riskkernel.provenance+json")
        #expect(envelope.signatures.map(\.keyid) == keys.both.map(\.identity.keyid))
        let verification = verify(envelope, keys.trusted)
        #expect(verification.isValid, "\(verification.checks)")
        #expect(verification.checks.map(\.name) == BundleVerifier.checkNames)
        #expect(verification.checks.allSatisfy { $0.status == .passed }, "\(verification.checks)")

        let statement = try envelope.statement
        #expect(statement["_type"] == "https://in-toto.io/Statement/v1")
        #expect(statement["predicateType"] == "https://riskkernel.dev/provenance/v1")
        let head = try #require(try await fixture.store.chainHead(runId: fixture.parent.id))
        #expect(statement["subject"] == [["name": .string("riskkernel-run:\(fixture.parent.id)"), "digest": ["sha256": .string(head.hash)]]])
        // The payload is exactly its canonical JSON (numbers as written).
        #expect(CanonicalJSON.encode(statement, numbers: .asWritten) == envelope.payload)

        let contents = try #require(verification.contents)
        #expect(contents.records.runs.map(\.id) == [fixture.parent.id, fixture.child.id])
        let original = try await fixture.store.provenanceRecords(runIds: [fixture.parent.id, fixture.child.id])
        #expect(contents.records == original)
        #expect(contents.expectedSigners.map(\.algorithm) == [.ed25519, .mldsa65])
        #expect(text(envelope).contains(secretText))

        let totals = try #require(contents.report["totals"])
        #expect(totals["runs"] == 2)
        #expect(totals["promptTokens"] == 2400)
        #expect(totals["completionTokens"] == 600)
        #expect(totals["dollars"] == "0.011770")
        #expect(totals["modelCalls"] == 3)
        #expect(totals["toolCalls"] == 4)
        #expect(totals["linesAdded"] == 42)
        #expect(contents.report["toolCallsByDecision"] == ["allow": 2, "deny": 1, "approval": 1])
        #expect(contents.report["approvalsByStatus"] == ["approved": 1])
    }

    @Test("numbers no double holds reach the bundle, and an import, as they were stored; the digests still match")
    func exactNumbers() async throws {
        let fixture = try await Fixture()
        let arguments = try JSONParser.parse(#"{"amount":18446744073709551615,"price":1.10,"scale":1e2}"#)
        _ = try await fixture.store.beginToolCall(
            NewToolCall(runId: fixture.parent.id, requestId: "9", tool: "pay", sideEffect: "write", arguments: arguments, decision: .allow),
            approvalExpiresAt: nil)
        _ = try await fixture.store.createCheckpoint(runId: fixture.parent.id, name: "exact", payload: arguments)
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: keys.both)
        let verification = verify(envelope, keys.trusted)
        #expect(verification.isValid, "\(verification.checks)")
        let payload = String(decoding: envelope.payload, as: UTF8.self)
        #expect(payload.contains(#"{"amount":18446744073709551615,"price":1.10,"scale":1e2}"#))
        let contents = try #require(verification.contents)
        #expect(contents.records.toolCalls.contains { $0.arguments == arguments })
        #expect(contents.records.checkpoints.contains { $0.payload == arguments })
        let content = try await fixture.export(.content, signers: keys.both)
        #expect(verify(content, keys.trusted).isValid)
    }

    @Test("a content bundle holds no argument, result, payload, path or goal text, and still verifies its chains")
    func roundTripContent() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.content, signers: keys.both)
        let verification = verify(envelope, keys.trusted)
        #expect(verification.isValid, "\(verification.checks)")
        #expect(verification.check("chains")?.status == .passed)
        #expect(verification.check("records")?.status == .passed)
        let all = text(envelope)
        #expect(!all.contains(secretText))
        #expect(!all.contains("PLUGH"))
        #expect(!all.contains(goalText))
        #expect(!all.contains("ship it"))
        #expect(!all.contains("README.md"))
        // Identifiers and names stay.
        #expect(all.contains(fixture.parent.id) && all.contains("write_file") && all.contains("planner"))

        let contents = try #require(verification.contents)
        // The run.started event with metadata and the tool.completed event with an upstream error are sealed.
        #expect(contents.sealed[fixture.parent.id]?.count == 2)
        let call = try #require(contents.records.toolCalls.first { $0.tool == "write_file" })
        let original = try #require(try await fixture.store.toolCalls(runId: fixture.parent.id).first { $0.tool == "write_file" })
        #expect(call.arguments == ["sha256": .string(Digest.of(original.arguments))])
        #expect(contents.records.runs[0].metadata["goal"] == "sha256:" + Digest.of(text: goalText))
        #expect(contents.records.attributions.contains { $0.file == "sha256:" + Digest.of(text: "README.md") })
    }

    @Test("a full bundle keeps totals and chain heads only, and what remains verifies")
    func roundTripFull() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.full, signers: keys.both)
        let verification = verify(envelope, keys.trusted)
        #expect(verification.isValid, "\(verification.checks)")
        #expect(verification.check("chains")?.status == .skipped)
        #expect(verification.check("subject")?.status == .passed)
        #expect(verification.check("report")?.status == .passed)
        let all = text(envelope)
        for hidden in [secretText, goalText, fixture.parent.id, fixture.child.id, "write_file", "send_message", "planner", "coder", "alice", "gpt-4o", "messaging"] {
            #expect(!all.contains(hidden), "\(hidden) is in a full bundle")
        }
        let contents = try #require(verification.contents)
        #expect(contents.subjectName == "riskkernel-run:sha256:" + Digest.of(text: fixture.parent.id))
        #expect(contents.runs.count == 2)
        #expect(contents.report["totals"]?["totalTokens"] == 3000)
        #expect(contents.records.toolCalls.isEmpty && contents.records.events.isEmpty)
        let head = try #require(try await fixture.store.chainHead(runId: fixture.child.id))
        #expect(contents.runs[1].head == head)

        // Totals that do not add up fail.
        let statement = try envelope.statement.setting(["predicate", "report", "totals", "totalTokens"], to: 1)
        #expect(verify(try envelope.resigned(statement, by: keys.both), keys.trusted).firstFailure?.name == "report")
    }

    @Test("a bundle of a child run holds its subtree only")
    func subtree() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: [keys.ed25519], runId: fixture.child.id)
        let verification = verify(envelope)
        #expect(verification.isValid, "\(verification.checks)")
        #expect(verification.check("trust")?.status == .skipped)
        #expect(verification.contents?.records.runs.map(\.id) == [fixture.child.id])
        #expect(verification.contents?.expectedSigners.count == 1)
    }

    @Test("a flipped byte in the payload or in a signature fails the signatures check")
    func flippedBytes() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.content, signers: keys.both)

        for index in [0, envelope.payload.count / 2, envelope.payload.count - 1] {
            var tampered = envelope
            tampered.payload[index] ^= 0x01
            let result = verify(tampered, keys.trusted)
            #expect(!result.isValid)
            #expect(result.check("signatures")?.status == .failed)
        }
        for signature in envelope.signatures.indices {
            var tampered = envelope
            tampered.signatures[signature].sig[7] ^= 0x80
            let result = verify(tampered, keys.trusted)
            #expect(result.firstFailure?.name == "signatures")
        }
        // A byte flipped in the file itself (inside the base64 payload) fails too.
        var file = envelope.encoded
        let offset = try #require(file.firstRange(of: Array("\"payload\":\"".utf8))).upperBound + 400
        file[offset] = file[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!BundleVerifier.verify(file, trusting: keys.trusted).isValid)
    }

    @Test("a signature made with another key under the original keyid fails")
    func swappedKey() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: keys.both)
        let impostor = Ed25519Signer.generate()
        var swapped = envelope
        swapped.signatures[0].sig = try impostor.sign(envelope.signedBytes)
        let result = verify(swapped, keys.trusted)
        #expect(result.firstFailure?.name == "signatures")
        #expect(result.firstFailure?.detail.contains("does not verify") == true)

        let otherPQ = try SignatureCheck.generatePostQuantumSigner()
        var swappedPQ = envelope
        swappedPQ.signatures[1].sig = try otherPQ.sign(envelope.signedBytes)
        #expect(verify(swappedPQ, keys.trusted).firstFailure?.name == "signatures")

        // Re-signing everything with the impostor's keys is a valid bundle by someone you do not trust.
        let resigned = try envelope.resigned(
            try BundleBuilder.statement(
                rootRunId: fixture.parent.id, records: try await fixture.store.provenanceRecords(runIds: [fixture.parent.id, fixture.child.id]),
                redaction: .none, signers: [impostor.identity], exportedAt: Date()),
            by: [impostor])
        #expect(verify(resigned).isValid)
        #expect(verify(resigned, keys.trusted).firstFailure?.name == "trust")
    }

    @Test("a stripped ML-DSA or Ed25519 signature, or an extra one, fails the signers check")
    func strippedSignatures() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.content, signers: keys.both)

        var withoutPQ = envelope
        withoutPQ.signatures.removeAll { $0.keyid == keys.mldsa.identity.keyid }
        let result = verify(withoutPQ, keys.trusted)
        #expect(result.check("signatures")?.status == .passed)
        #expect(result.firstFailure?.name == "signers")
        #expect(result.firstFailure?.detail.contains("ML-DSA-65") == true)

        var withoutEd = envelope
        withoutEd.signatures.removeAll { $0.keyid == keys.ed25519.identity.keyid }
        #expect(verify(withoutEd, keys.trusted).firstFailure?.name == "signers")

        var extra = envelope
        let stranger = Ed25519Signer.generate()
        extra.signatures.append(.init(keyid: stranger.identity.keyid, sig: try stranger.sign(envelope.signedBytes)))
        #expect(verify(extra, keys.trusted).firstFailure?.name == "signers")

        var none = envelope
        none.signatures = []
        #expect(verify(none).firstFailure?.name == "envelope")
    }

    @Test("--trust: a trusted signer passes, an untrusted one fails, none given is skipped")
    func trust() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let envelope = try await fixture.export(.none, signers: keys.both)
        #expect(verify(envelope, keys.trusted).check("trust")?.status == .passed)
        #expect(verify(envelope, [keys.mldsa.identity.keyid]).check("trust")?.status == .passed)
        let untrusted = verify(envelope, [Ed25519Signer.generate().identity.keyid])
        #expect(!untrusted.isValid)
        #expect(untrusted.firstFailure?.name == "trust")
        #expect(untrusted.firstFailure?.detail.contains(keys.ed25519.identity.keyid) == true)
        let unchecked = verify(envelope)
        #expect(unchecked.isValid)
        #expect(unchecked.check("trust")?.status == .skipped)
    }

    @Test("an edited, deleted or reordered event fails the chains check even when re-signed")
    func tamperedChain() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let records = try await fixture.store.provenanceRecords(runIds: [fixture.parent.id, fixture.child.id])
        func bundle(_ records: ProvenanceRecords, _ redaction: Redaction = .none) throws -> BundleVerification {
            verify(try BundleBuilder.build(rootRunId: fixture.parent.id, records: records, redaction: redaction, signers: keys.both, exportedAt: Date()), keys.trusted)
        }
        #expect(try bundle(records).isValid)

        var edited = records
        let index = try #require(edited.events.firstIndex { $0.kind == "model.recorded" })
        edited.events[index].body = edited.events[index].body.setting(["data", "promptTokens"], to: 1)
        let editedResult = try bundle(edited)
        #expect(editedResult.firstFailure?.name == "chains")
        #expect(editedResult.firstFailure?.detail.contains("event \(edited.events[index].sequence) edited") == true)

        var deleted = records
        deleted.events.remove(at: 2)
        #expect(try bundle(deleted).firstFailure?.detail.contains("deleted") == true)

        var swapped = records
        swapped.events.swapAt(1, 2)
        (swapped.events[1].sequence, swapped.events[2].sequence) = (swapped.events[2].sequence, swapped.events[1].sequence)
        #expect(try bundle(swapped).firstFailure?.name == "chains")

        // A sealed event's hash is still bound to the chain: changing it breaks the next link.
        let content = try BundleBuilder.build(rootRunId: fixture.parent.id, records: records, redaction: .content, signers: keys.both, exportedAt: Date())
        let events = try #require(try content.statement.value(at: ["predicate", "runs", 0, "events"])?.arrayValue)
        let sealedIndex = try #require(events.firstIndex { $0["sealed"] == true })
        let tampered = try content.statement.setting(["predicate", "runs", 0, "events", sealedIndex, "hash"], to: .string(String(repeating: "a", count: 64)))
        let sealedResult = verify(try content.resigned(tampered, by: keys.both), keys.trusted)
        #expect(sealedResult.firstFailure?.name == "chains")
    }

    @Test("records that do not match their events, a subject that is not the head, and unredacted content fail")
    func inconsistentPayloads() async throws {
        let fixture = try await Fixture()
        let keys = try Keys()
        let none = try await fixture.export(.none, signers: keys.both)
        let statement = try none.statement
        let calls = try #require(statement.value(at: ["predicate", "runs", 0, "toolCalls"])?.arrayValue)
        let changed = statement.setting(["predicate", "runs", 0, "toolCalls", calls.count - 1, "arguments"], to: ["path": "/etc/passwd"])
        #expect(verify(try none.resigned(changed, by: keys.both), keys.trusted).firstFailure?.name == "records")

        // A ledger entry or a run's totals edited (and re-signed): every record of a none bundle is checked.
        let ledger = try #require(statement.value(at: ["predicate", "runs", 0, "ledger"])?.arrayValue)
        let entry = try #require(ledger.firstIndex { $0["kind"] == "model" })
        let tokens = try #require(ledger[entry]["promptTokens"]?.int64Value)
        let editedEntry = statement.setting(["predicate", "runs", 0, "ledger", entry, "promptTokens"], to: .integer(tokens + 1))
        let editedResult = verify(try none.resigned(editedEntry, by: keys.both), keys.trusted)
        #expect(editedResult.firstFailure?.name == "records")
        let entryId = try #require(ledger[entry]["id"]?.stringValue)
        #expect(editedResult.firstFailure?.detail.contains(entryId) == true, "\(String(describing: editedResult.firstFailure))")
        let usage = try #require(statement.value(at: ["predicate", "runs", 0, "run", "usage", "promptTokens"])?.int64Value)
        let lowered = statement.setting(["predicate", "runs", 0, "run", "usage", "promptTokens"], to: .integer(usage - 1))
        let loweredResult = verify(try none.resigned(lowered, by: keys.both), keys.trusted)
        #expect(loweredResult.firstFailure?.name == "records")
        #expect(loweredResult.firstFailure?.detail.contains("runs row") == true, "\(String(describing: loweredResult.firstFailure))")

        let wrongHead = statement.setting(["subject", 0, "digest", "sha256"], to: .string(String(repeating: "0", count: 64)))
        #expect(verify(try none.resigned(wrongHead, by: keys.both), keys.trusted).firstFailure?.name == "subject")

        let report = statement.setting(["predicate", "report", "toolCallsByDecision", "allow"], to: 9)
        #expect(verify(try none.resigned(report, by: keys.both), keys.trusted).firstFailure?.name == "report")

        let content = try await fixture.export(.content, signers: keys.both)
        let leaked = try content.statement.setting(["predicate", "runs", 0, "checkpoints", 0, "payload"], to: ["note": .string(secretText)])
        let result = verify(try content.resigned(leaked, by: keys.both), keys.trusted)
        #expect(result.check("redaction")?.status == .failed)

        let unknown = statement.setting(["predicate", "runs", 0, "run", "smuggled"], to: "x")
        #expect(verify(try none.resigned(unknown, by: keys.both), keys.trusted).firstFailure?.name == "statement")
    }
}
