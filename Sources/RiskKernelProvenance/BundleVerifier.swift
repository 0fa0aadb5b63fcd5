import Foundation
import RiskKernelCore
import RiskKernelStore

/// One check of a bundle.
public struct BundleCheck: Sendable, Hashable, CustomStringConvertible {
    public enum Status: String, Sendable { case passed, failed, skipped }

    public var name: String
    public var status: Status
    public var detail: String

    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }

    public var json: JSONValue { ["name": .string(name), "status": .string(status.rawValue), "detail": .string(detail)] }
    public var description: String { "\(name): \(detail)" }
}

/// Everything ``BundleVerifier`` found.
public struct BundleVerification: Sendable {
    public var checks: [BundleCheck] = []
    public var envelope: DSSEEnvelope?
    /// The payload read back, when it could be.
    public var contents: BundleContents?

    /// Whether no check failed (`trust` is skipped, not failed, when no trusted DID was given).
    public var isValid: Bool { !checks.contains { $0.status == .failed } }
    public var firstFailure: BundleCheck? { checks.first { $0.status == .failed } }
    public func check(_ name: String) -> BundleCheck? { checks.first { $0.name == name } }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["valid": .bool(isValid), "checks": .array(checks.map(\.json))]
        if let contents {
            members["redaction"] = .string(contents.redaction.rawValue)
            members["subject"] = ["name": .string(contents.subjectName), "sha256": .string(contents.subjectDigest)]
            members["signers"] = .array(contents.expectedSigners.map { ["keyid": .string($0.keyid), "algorithm": .string($0.algorithm.rawValue)] })
        }
        return .object(members)
    }

    mutating func add(_ name: String, _ status: BundleCheck.Status, _ detail: String) {
        checks.append(BundleCheck(name: name, status: status, detail: detail))
    }
}

/// Checks a bundle (pure: its bytes and the trusted DIDs are given). The checks, in order:
///
/// - `envelope`: a DSSE envelope of our payload type with at least one signature;
/// - `signatures`: each signature verifies over PAE(payloadType, payload) with the key its keyid (a did:key) names;
/// - `statement`: the payload is an in-toto Statement v1 of our predicate type, well formed;
/// - `signers`: the signatures are exactly the predicate's `expectedSigners` (none missing, none extra) and include Ed25519;
/// - `trust`: a signer is one of the trusted DIDs (skipped when none is given);
/// - `subject`: the subject names the root run and its digest is the root's chain head;
/// - `chains`: every run's events link and hash up to its head (`none`, `content`; a `full` bundle has heads only);
/// - `records`: the runs form a tree under the root and each record matches its event in the chain
///   (in a `none` bundle, every record, run totals included, as ``RecordVerifier`` checks them);
/// - `redaction`: what the redaction level says is hidden is hidden;
/// - `report`: the report is what the records (or, in a `full` bundle, the runs) add up to.
public enum BundleVerifier {
    public static let checkNames = ["envelope", "signatures", "statement", "signers", "trust", "subject", "chains", "records", "redaction", "report"]

    public static func verify(_ bytes: [UInt8], trusting trusted: Set<String> = []) -> BundleVerification {
        var result = BundleVerification()
        func skipRest() -> BundleVerification {
            for name in checkNames where result.check(name) == nil { result.add(name, .skipped, "not checked: an earlier check failed") }
            return result
        }

        // envelope
        let envelope: DSSEEnvelope
        do { envelope = try DSSEEnvelope.decode(bytes) } catch {
            result.add("envelope", .failed, "\(error)")
            return skipRest()
        }
        result.envelope = envelope
        guard envelope.payloadType == BundleFormat.payloadType else {
            result.add("envelope", .failed, "the payloadType is \"\(envelope.payloadType)\", not \(BundleFormat.payloadType)")
            return skipRest()
        }
        guard !envelope.signatures.isEmpty else {
            result.add("envelope", .failed, "the envelope carries no signature")
            return skipRest()
        }
        result.add("envelope", .passed, "a DSSE envelope of \(BundleFormat.payloadType) with \(envelope.signatures.count) signature(s)")

        // signatures
        result.checks.append(signatures(envelope))

        // statement
        let contents: BundleContents
        do { contents = try BundleContents.decode(payload: envelope.payload) } catch {
            result.add("statement", .failed, "\(error)")
            return skipRest()
        }
        result.contents = contents
        result.add("statement", .passed, "an in-toto Statement v1 of \(BundleFormat.predicateType), redaction \(contents.redaction.rawValue), \(contents.runs.count) run(s)")

        result.checks.append(signers(envelope, contents))
        result.checks.append(trust(contents, trusted))
        result.checks.append(subject(contents))
        result.checks.append(chains(contents))
        result.checks.append(records(contents))
        result.checks.append(redaction(contents))
        result.checks.append(report(contents))
        return result
    }

    // MARK: Checks

    static func signatures(_ envelope: DSSEEnvelope) -> BundleCheck {
        let message = envelope.signedBytes
        var seen: Set<String> = []
        var names: [String] = []
        for (index, signature) in envelope.signatures.enumerated() {
            let shown = DIDKey.shortened(signature.keyid)
            guard seen.insert(signature.keyid).inserted else {
                return BundleCheck(name: "signatures", status: .failed, detail: "\(shown) signed twice")
            }
            let key: DIDKey
            do { key = try DIDKey(parsing: signature.keyid) } catch {
                return BundleCheck(name: "signatures", status: .failed, detail: "signature \(index + 1): its keyid is not a did:key we can check: \(error)")
            }
            if key.algorithm == .mldsa65, !SignatureCheck.postQuantumAvailable {
                return BundleCheck(name: "signatures", status: .failed, detail: "the ML-DSA-65 signature by \(shown) cannot be checked on this platform (it needs macOS 26 or later, or Linux)")
            }
            guard SignatureCheck.isValid(signature.sig, over: message, algorithm: key.algorithm, publicKey: key.publicKey) else {
                return BundleCheck(
                    name: "signatures", status: .failed,
                    detail: "the \(key.algorithm.rawValue) signature by \(shown) does not verify: the payload or the signature was changed, or another key made it")
            }
            names.append(key.algorithm.rawValue)
        }
        return BundleCheck(name: "signatures", status: .passed, detail: "\(names.joined(separator: " and ")) signature(s) verify over the payload")
    }

    static func signers(_ envelope: DSSEEnvelope, _ contents: BundleContents) -> BundleCheck {
        let signed = Set(envelope.signatures.map(\.keyid))
        for expected in contents.expectedSigners where !signed.contains(expected.keyid) {
            return BundleCheck(
                name: "signers", status: .failed,
                detail: "the payload expects a signature by \(DIDKey.shortened(expected.keyid)) (\(expected.algorithm.rawValue)) and the envelope has none (stripped?)")
        }
        let expectedIds = Set(contents.expectedSigners.map(\.keyid))
        for keyid in envelope.signatures.map(\.keyid) where !expectedIds.contains(keyid) {
            return BundleCheck(name: "signers", status: .failed, detail: "\(DIDKey.shortened(keyid)) signed, but the payload does not list it in expectedSigners")
        }
        guard expectedIds.count == contents.expectedSigners.count else {
            return BundleCheck(name: "signers", status: .failed, detail: "expectedSigners lists a signer twice")
        }
        guard contents.expectedSigners.contains(where: { $0.algorithm == .ed25519 }) else {
            return BundleCheck(name: "signers", status: .failed, detail: "expectedSigners has no Ed25519 signer")
        }
        let names = contents.expectedSigners.map { "\($0.algorithm.rawValue) \(DIDKey.shortened($0.keyid))" }
        return BundleCheck(name: "signers", status: .passed, detail: "signed by exactly the expected signers: \(names.joined(separator: ", "))")
    }

    static func trust(_ contents: BundleContents, _ trusted: Set<String>) -> BundleCheck {
        guard !trusted.isEmpty else {
            return BundleCheck(name: "trust", status: .skipped, detail: "no --trust DID given: the signer was not checked against a DID you trust")
        }
        if let signer = contents.expectedSigners.first(where: { trusted.contains($0.keyid) }) {
            return BundleCheck(name: "trust", status: .passed, detail: "signed by trusted \(DIDKey.shortened(signer.keyid))")
        }
        let signer = contents.expectedSigners.first { $0.algorithm == .ed25519 } ?? contents.expectedSigners[0]
        return BundleCheck(name: "trust", status: .failed, detail: "signed by \(signer.keyid), which is not a DID you trust")
    }

    static func subject(_ contents: BundleContents) -> BundleCheck {
        guard let root = contents.runs.first else { return BundleCheck(name: "subject", status: .failed, detail: "the bundle has no run") }
        let rootKey = BundleContents.key(root.id)
        guard rootKey == contents.root else {
            return BundleCheck(name: "subject", status: .failed, detail: "the first run (\(rootKey)) is not the predicate's root (\(contents.root))")
        }
        guard contents.subjectName == BundleFormat.subjectPrefix + contents.root else {
            return BundleCheck(name: "subject", status: .failed, detail: "the subject \"\(contents.subjectName)\" does not name the root run \(contents.root)")
        }
        guard contents.subjectDigest == root.head.hash else {
            return BundleCheck(name: "subject", status: .failed, detail: "the subject's digest \(contents.subjectDigest) is not the root run's chain head \(root.head.hash)")
        }
        return BundleCheck(name: "subject", status: .passed, detail: "\(contents.subjectName) at chain head \(root.head.hash) (\(root.head.length) events)")
    }

    static func chains(_ contents: BundleContents) -> BundleCheck {
        guard contents.redaction != .full else {
            return BundleCheck(name: "chains", status: .skipped, detail: "a full bundle carries each run's chain head, not its events")
        }
        var total = 0
        var sealedCount = 0
        for run in contents.records.runs {
            let events = contents.records.events.filter { $0.runId == run.id }
            let sealed = contents.sealed[run.id] ?? []
            let head = contents.records.heads[run.id]!
            let verification = BundleChain.verify(runId: run.id, events: events, sealed: sealed, anchor: head)
            if let failure = verification.failure { return BundleCheck(name: "chains", status: .failed, detail: failure.description) }
            total += events.count
            sealedCount += sealed.count
        }
        let sealedText = sealedCount > 0 ? " (\(sealedCount) sealed: linked, bodies withheld)" : ""
        return BundleCheck(name: "chains", status: .passed, detail: "\(contents.records.runs.count) chain(s), \(total) event(s) intact up to their heads\(sealedText)")
    }

    static func records(_ contents: BundleContents) -> BundleCheck {
        func fail(_ detail: String) -> BundleCheck { BundleCheck(name: "records", status: .failed, detail: detail) }
        // The tree: ids unique, every run after the root has its parent earlier in the bundle.
        var seen: Set<String> = []
        for (index, run) in contents.runs.enumerated() {
            let key = BundleContents.key(run.id)
            guard seen.insert(key).inserted else { return fail("run \(key) appears twice") }
            if index > 0 {
                guard !run.parentRunId.isNull, seen.contains(BundleContents.key(run.parentRunId)) else {
                    return fail("run \(key) is not a descendant of the root listed after its parent")
                }
            }
        }
        guard contents.redaction != .full else {
            return BundleCheck(name: "records", status: .passed, detail: "\(contents.runs.count) run(s) form a tree under the root; no per-call records (full redaction)")
        }
        let records = contents.records
        let content = contents.redaction == .content
        // The digest of a record's value under the rule of the event that carries it.
        func digest(_ value: JSONValue, _ event: EventRecord) -> String? {
            content ? Digest.hex(in: value) : Digest.of(value, rule: EventChain.rule(of: event.body) ?? .riskkernelV1)
        }
        func owned(_ runId: String, _ what: String) -> BundleCheck? {
            seen.contains(runId) ? nil : fail("\(what) belongs to run \(runId), which is not in the bundle")
        }
        var events: [String: [String: EventRecord]] = [:]  // "kind\u{0}id" per run
        for event in records.events where !(contents.sealed[event.runId]?.contains(event.sequence) ?? false) {
            let data = event.body["data"]
            for field in ["callId", "checkpointId", "entryId", "approvalId"] {
                if let id = data?[field]?.stringValue { events[event.runId, default: [:]]["\(event.kind)\u{0}\(id)"] = event }
            }
        }
        func event(_ runId: String, _ kind: String, _ id: String) -> EventRecord? { events[runId]?["\(kind)\u{0}\(id)"] }
        for list in [records.events.map(\.runId), records.steps.map(\.runId), records.attributions.map(\.runId)] {
            for runId in list { if let failure = owned(runId, "a record") { return failure } }
        }
        for call in records.toolCalls {
            if let failure = owned(call.runId, "tool call \(call.id)") { return failure }
            guard let decided = event(call.runId, "tool.decided", call.id) else { return fail("tool call \(call.id) has no tool.decided event in run \(call.runId)'s chain") }
            guard let expected = digest(call.arguments, decided), decided.body["data"]?["argumentsDigest"]?.stringValue == expected else {
                return fail("tool call \(call.id): its arguments do not match the argumentsDigest of event \(decided.sequence)")
            }
        }
        for checkpoint in records.checkpoints {
            if let failure = owned(checkpoint.runId, "checkpoint \(checkpoint.id)") { return failure }
            guard let created = event(checkpoint.runId, "checkpoint.created", checkpoint.id), created.sequence == checkpoint.sequence else {
                return fail("checkpoint \(checkpoint.id) has no checkpoint.created event at sequence \(checkpoint.sequence)")
            }
            guard let expected = digest(checkpoint.payload, created), created.body["data"]?["payloadDigest"]?.stringValue == expected else {
                return fail("checkpoint \(checkpoint.id): its payload does not match the payloadDigest of event \(created.sequence)")
            }
        }
        for entry in records.ledger {
            if let failure = owned(entry.runId, "ledger entry \(entry.id)") { return failure }
            guard entry.kind == "model" else { continue }
            guard let recorded = event(entry.runId, "model.recorded", entry.id) else { return fail("model call \(entry.id) has no model.recorded event") }
            let data = recorded.body["data"]
            guard data?["promptTokens"]?.int64Value == entry.promptTokens, data?["completionTokens"]?.int64Value == entry.completionTokens,
                  data?["dollars"]?.stringValue.flatMap({ Money(dollars: $0) }) == entry.dollars
            else { return fail("model call \(entry.id): its tokens or dollars differ from event \(recorded.sequence)") }
        }
        for approval in records.approvals {
            if let failure = owned(approval.runId, "approval \(approval.id)") { return failure }
            guard let requested = event(approval.runId, "approval.requested", approval.id),
                  requested.body["data"]?["callId"]?.stringValue == approval.toolCallId
            else { return fail("approval \(approval.id) has no approval.requested event for its tool call") }
        }
        // A `none` bundle carries every record as stored: each is checked as `audit verify` checks a database.
        if contents.redaction == .none, let mismatch = RecordVerifier.verify(records).first {
            return fail(mismatch.description)
        }
        let count = records.toolCalls.count + records.ledger.count + records.approvals.count + records.checkpoints.count
        return BundleCheck(name: "records", status: .passed, detail: "\(contents.runs.count) run(s) form a tree; \(count) tool call, model call, approval and checkpoint record(s) match their events")
    }

    static func redaction(_ contents: BundleContents) -> BundleCheck {
        func fail(_ detail: String) -> BundleCheck { BundleCheck(name: "redaction", status: .failed, detail: detail) }
        switch contents.redaction {
        case .none:
            if let runId = contents.sealed.keys.sorted().first { return fail("run \(runId) has sealed events, which a none bundle must not have") }
            return BundleCheck(name: "redaction", status: .passed, detail: "none: every record as stored")
        case .full:
            return BundleCheck(name: "redaction", status: .passed, detail: "full: run ids as digests, per-run totals and chain heads only")
        case .content:
            let predicate = contents.statement["predicate"]
            for (index, entry) in (predicate?["runs"]?.arrayValue ?? []).enumerated() {
                let runId = entry["run"]?["id"]?.stringValue ?? "#\(index + 1)"
                func isDigest(_ value: JSONValue?) -> Bool { value.map { Digest.hex(in: $0) != nil } ?? false }
                func isDigestOrNull(_ value: JSONValue?) -> Bool { value.map { $0.isNull || Digest.hex(in: $0) != nil } ?? true }
                for (key, value) in entry["run"]?["metadata"]?.objectValue ?? [:] where !isDigest(value) {
                    return fail("run \(runId): metadata \"\(key)\" is not a digest")
                }
                for call in entry["toolCalls"]?.arrayValue ?? [] {
                    let id = call["id"]?.stringValue ?? "?"
                    guard isDigest(call["arguments"]) else { return fail("tool call \(id): arguments are not a digest") }
                    guard isDigestOrNull(call["result"]) else { return fail("tool call \(id): the result is not a digest") }
                    guard isDigestOrNull(call["reason"]) else { return fail("tool call \(id): the reason is not a digest") }
                }
                for approval in entry["approvals"]?.arrayValue ?? [] where !isDigest(approval["arguments"]) {
                    return fail("approval \(approval["id"]?.stringValue ?? "?"): arguments are not a digest")
                }
                for checkpoint in entry["checkpoints"]?.arrayValue ?? [] where !isDigest(checkpoint["payload"]) {
                    return fail("checkpoint \(checkpoint["id"]?.stringValue ?? "?"): the payload is not a digest")
                }
                for attribution in entry["attributions"]?.arrayValue ?? [] where !isDigest(attribution["file"]) {
                    return fail("attribution \(attribution["id"]?.stringValue ?? "?"): the file path is not a digest")
                }
            }
            for event in contents.records.events
            where !(contents.sealed[event.runId]?.contains(event.sequence) ?? false) && Redactor.sealsInContent(event) {
                return fail("run \(event.runId): event \(event.sequence) (\(event.kind)) carries text a content bundle hides but is not sealed")
            }
            let sealed = contents.sealed.values.reduce(0) { $0 + $1.count }
            return BundleCheck(
                name: "redaction", status: .passed,
                detail: "content: arguments, results, reasons, payloads, file paths and metadata are digests; \(sealed) event(s) sealed")
        }
    }

    static func report(_ contents: BundleContents) -> BundleCheck {
        let records = contents.records
        let recomputed = ProvenanceReport.make(
            runs: contents.runs, toolCalls: records.toolCalls, approvals: records.approvals, checkpoints: records.checkpoints,
            attributions: records.attributions)
        if contents.redaction == .full {
            guard ProvenanceReport.fromRunsOnly(recomputed) == ProvenanceReport.fromRunsOnly(contents.report) else {
                return BundleCheck(name: "report", status: .failed, detail: "the report's totals are not the sum of the runs' usage and chain lengths")
            }
            return BundleCheck(name: "report", status: .passed, detail: "token, dollar, call and event totals add up (counts by decision and status are the signer's claim)")
        }
        guard recomputed == contents.report else {
            return BundleCheck(name: "report", status: .failed, detail: "the report is not what the bundle's records add up to")
        }
        return BundleCheck(name: "report", status: .passed, detail: "the report is what the records add up to")
    }
}
