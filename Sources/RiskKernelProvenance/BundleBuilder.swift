import Foundation
import RiskKernelCore
import RiskKernelStore

/// Makes a bundle from a run tree's records (pure: the records, the time and the keys are given).
///
/// The payload is an in-toto Statement v1 in canonical JSON:
/// `{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "riskkernel-run:<id>", "digest": {"sha256": <the run's
/// chain head>}}], "predicateType": "https://riskkernel.dev/provenance/v1", "predicate": {…}}` (see
/// Protocol/provenance-bundle.schema.json), signed in a DSSE envelope by every signer, each of which the
/// predicate lists in `expectedSigners`.
public enum BundleBuilder {
    /// Signs a bundle of the tree under `rootRunId` with every signer (an Ed25519 one is required).
    public static func build(
        rootRunId: String, records: ProvenanceRecords, redaction: Redaction, signers: [any BundleSigner], exportedAt: Date
    ) throws -> DSSEEnvelope {
        let statement = try statement(
            rootRunId: rootRunId, records: records, redaction: redaction, signers: signers.map(\.identity), exportedAt: exportedAt)
        return try envelope(statement: statement, signers: signers)
    }

    /// The envelope around `statement`'s canonical bytes, with one signature per signer over its PAE.
    /// Numbers are written as they were stored (``CanonicalJSON/Numbers/asWritten``), so that the
    /// records a bundle carries, and those an import stores, are the ones the ledger holds; the
    /// digests they are checked against are computed over their values, not over this text.
    public static func envelope(statement: JSONValue, signers: [any BundleSigner]) throws -> DSSEEnvelope {
        var envelope = DSSEEnvelope(
            payloadType: BundleFormat.payloadType, payload: CanonicalJSON.encode(statement, numbers: .asWritten))
        let message = envelope.signedBytes
        envelope.signatures = try signers.map { DSSEEnvelope.Signature(keyid: $0.identity.keyid, sig: try $0.sign(message)) }
        return envelope
    }

    /// The in-toto Statement of the tree under `rootRunId`.
    public static func statement(
        rootRunId: String, records: ProvenanceRecords, redaction: Redaction, signers: [SignerIdentity], exportedAt: Date
    ) throws -> JSONValue {
        guard signers.contains(where: { $0.algorithm == .ed25519 }) else { throw BundleFormatError("a bundle needs an Ed25519 signer") }
        guard Set(signers.map(\.keyid)).count == signers.count else { throw BundleFormatError("a signer is listed twice") }
        let runs = try treeOrder(root: rootRunId, runs: records.runs)
        let ids = Set(runs.map(\.id))
        func head(_ runId: String) -> ChainHead {
            if let head = records.heads[runId] { return head }
            let last = records.events.filter { $0.runId == runId }.max { $0.sequence < $1.sequence }
            return ChainHead(length: last?.sequence ?? 0, hash: last?.hash ?? EventChain.genesisHash)
        }
        let facts = runs.map { run in
            ProvenanceReport.RunFacts(
                id: .string(run.id), parentRunId: run.parentRunId.map(JSONValue.string) ?? .null, name: run.name, status: run.status.rawValue,
                usage: run.usage, treeUsage: run.treeUsage, head: head(run.id))
        }
        var report = ProvenanceReport.make(
            runs: facts, toolCalls: records.toolCalls.filter { ids.contains($0.runId) }, approvals: records.approvals.filter { ids.contains($0.runId) },
            checkpoints: records.checkpoints.filter { ids.contains($0.runId) }, attributions: records.attributions.filter { ids.contains($0.runId) })

        var predicate: [String: JSONValue] = [
            "redaction": .string(redaction.rawValue), "exportedAt": .string(BundleTime.string(exportedAt)),
            "expectedSigners": .array(signers.map(\.json)),
        ]
        let subjectName: String
        switch redaction {
        case .none, .content:
            predicate["root"] = .string(rootRunId)
            predicate["runs"] = .array(runs.map { runEntry($0, head: head($0.id), records: records, redaction: redaction) })
            subjectName = BundleFormat.subjectPrefix + rootRunId
        case .full:
            predicate["root"] = Redactor.digest(text: rootRunId)
            predicate["runs"] = .array(runs.map { Redactor.fullRun($0, head: head($0.id)) })
            report = ProvenanceReport.redactedForFull(report)
            subjectName = BundleFormat.subjectPrefix + "sha256:" + Digest.of(text: rootRunId)
        }
        predicate["report"] = report
        return [
            "_type": .string(BundleFormat.statementType),
            "subject": [["name": .string(subjectName), "digest": ["sha256": .string(head(rootRunId).hash)]]],
            "predicateType": .string(BundleFormat.predicateType),
            "predicate": .object(predicate),
        ]
    }

    /// One run with its chain and records, as a `none` or `content` bundle carries it.
    static func runEntry(_ run: RunRecord, head: ChainHead, records: ProvenanceRecords, redaction: Redaction) -> JSONValue {
        let content = redaction == .content
        func mine<T>(_ items: [T], _ runId: (T) -> String) -> [T] { items.filter { runId($0) == run.id } }
        let events = mine(records.events, \.runId).sorted { $0.sequence < $1.sequence }
        // The rule of the event that carries a record's digest, so that a redacted digest is the event's.
        var rules: [String: CanonicalJSON.Rule] = [:]
        for event in events {
            for field in ["callId", "checkpointId", "approvalId"] {
                if let id = event.body["data"]?[field]?.stringValue, rules[event.kind + "\u{0}" + id] == nil {
                    rules[event.kind + "\u{0}" + id] = EventChain.rule(of: event.body) ?? .current
                }
            }
        }
        func rule(_ kind: String, _ id: String) -> CanonicalJSON.Rule { rules[kind + "\u{0}" + id] ?? .current }
        return [
            "run": content ? Redactor.run(BundleRecords.encode(run)) : BundleRecords.encode(run),
            "head": BundleRecords.encode(head),
            "events": .array(events.map { content ? Redactor.event($0) : BundleRecords.encode($0) }),
            "steps": .array(mine(records.steps, \.runId).map(BundleRecords.encode)),
            "ledger": .array(mine(records.ledger, \.runId).map(BundleRecords.encode)),
            "toolCalls": .array(mine(records.toolCalls, \.runId).map { content ? Redactor.toolCall(BundleRecords.encode($0), rule: rule("tool.decided", $0.id)) : BundleRecords.encode($0) }),
            "approvals": .array(mine(records.approvals, \.runId).map { content ? Redactor.approval(BundleRecords.encode($0), rule: rule("approval.requested", $0.id)) : BundleRecords.encode($0) }),
            "checkpoints": .array(mine(records.checkpoints, \.runId).map { content ? Redactor.checkpoint(BundleRecords.encode($0), rule: rule("checkpoint.created", $0.id)) : BundleRecords.encode($0) }),
            "attributions": .array(mine(records.attributions, \.runId).map { content ? Redactor.attribution(BundleRecords.encode($0)) : BundleRecords.encode($0) }),
        ]
    }

    /// The root and its descendants among `runs`, parents before children (children in the given order).
    public static func treeOrder(root: String, runs: [RunRecord]) throws -> [RunRecord] {
        guard let rootRun = runs.first(where: { $0.id == root }) else { throw BundleFormatError("run \(root) is not among the records") }
        var ordered: [RunRecord] = []
        var seen: Set<String> = []
        func visit(_ run: RunRecord) {
            guard seen.insert(run.id).inserted else { return }
            ordered.append(run)
            for child in runs where child.parentRunId == run.id { visit(child) }
        }
        visit(rootRun)
        return ordered
    }
}
