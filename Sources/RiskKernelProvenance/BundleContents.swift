import Foundation
import RiskKernelCore
import RiskKernelStore

/// A bundle's payload read back: the Statement's subject and the predicate's records.
public struct BundleContents: Sendable {
    /// The whole Statement as parsed.
    public var statement: JSONValue
    public var subjectName: String
    public var subjectDigest: String
    public var redaction: Redaction
    public var exportedAt: Date?
    public var expectedSigners: [SignerIdentity]
    /// The root run's id (`sha256:<hex>` of it in a `full` bundle).
    public var root: String
    /// Every run, parents before children (ids are digest objects in a `full` bundle).
    public var runs: [ProvenanceReport.RunFacts]
    /// The records (`none` and `content`; empty for `full`). Redacted text fields read `sha256:<hex>`.
    public var records: ProvenanceRecords
    /// The sequence numbers of sealed events, by run id.
    public var sealed: [String: Set<Int64>]
    public var report: JSONValue

    /// Reads the payload bytes of an envelope (strict JSON).
    public static func decode(payload: [UInt8]) throws -> BundleContents {
        let statement: JSONValue
        do { statement = try JSONParser.parse(payload, maxDepth: 256) } catch { throw BundleFormatError("the payload is not valid JSON: \(error)") }
        return try decode(statement: statement)
    }

    public static func decode(statement: JSONValue) throws -> BundleContents {
        let top = try Fields(statement, "statement", keys: ["_type", "subject", "predicateType", "predicate"])
        guard try top.string("_type") == BundleFormat.statementType else {
            throw BundleFormatError("the payload is not an in-toto Statement v1 (_type is not \(BundleFormat.statementType))")
        }
        guard try top.string("predicateType") == BundleFormat.predicateType else {
            throw BundleFormatError("the predicateType is not \(BundleFormat.predicateType)")
        }
        let subjects = try top.array("subject")
        guard subjects.count == 1 else { throw BundleFormatError("the Statement must have exactly one subject (it has \(subjects.count))") }
        let subject = try Fields(subjects[0], "subject[0]", keys: ["name", "digest"])
        let digest = try Fields(subject.value("digest"), "subject[0].digest", keys: ["sha256"])
        let subjectDigest = try digest.string("sha256")
        guard Digest.isHex64(subjectDigest) else { throw BundleFormatError("subject[0].digest.sha256 is not a SHA-256 in lower-case hex") }

        let predicate = try Fields(top.value("predicate"), "predicate", keys: ["redaction", "exportedAt", "expectedSigners", "root", "runs", "report"])
        guard let redaction = Redaction(rawValue: try predicate.string("redaction")) else {
            throw BundleFormatError("predicate.redaction is not none, content or full")
        }
        var signers: [SignerIdentity] = []
        for (index, value) in try predicate.array("expectedSigners").enumerated() {
            let path = "predicate.expectedSigners[\(index)]"
            let fields = try Fields(value, path, keys: ["keyid", "algorithm", "publicKey"])
            guard let algorithm = SignatureAlgorithm(rawValue: try fields.string("algorithm")) else {
                throw BundleFormatError("\(path).algorithm is not Ed25519 or ML-DSA-65")
            }
            guard let key = DSSEEnvelope.base64(try fields.string("publicKey")), key.count == algorithm.publicKeyLength else {
                throw BundleFormatError("\(path).publicKey is not a base64 \(algorithm.rawValue) public key")
            }
            let identity = SignerIdentity(algorithm: algorithm, publicKey: key)
            guard try fields.string("keyid") == identity.keyid else {
                throw BundleFormatError("\(path).keyid is not the did:key of its publicKey")
            }
            signers.append(identity)
        }
        guard !signers.isEmpty else { throw BundleFormatError("predicate.expectedSigners is empty") }

        var contents = BundleContents(
            statement: statement, subjectName: try subject.string("name"), subjectDigest: subjectDigest, redaction: redaction,
            exportedAt: try predicate.optionalTime("exportedAt"), expectedSigners: signers, root: "", runs: [], records: ProvenanceRecords(),
            sealed: [:], report: try predicate.value("report"))
        let runs = try predicate.array("runs")
        guard !runs.isEmpty else { throw BundleFormatError("predicate.runs is empty") }
        switch redaction {
        case .none, .content:
            contents.root = try predicate.string("root")
            for (index, value) in runs.enumerated() { try contents.readRun(value, at: "predicate.runs[\(index)]") }
        case .full:
            guard let root = Digest.hex(in: try predicate.value("root")) else { throw BundleFormatError("predicate.root is not a {\"sha256\": …} digest") }
            contents.root = Digest.textForm(root)
            for (index, value) in runs.enumerated() { contents.runs.append(try fullRun(value, at: "predicate.runs[\(index)]")) }
        }
        return contents
    }

    mutating func readRun(_ value: JSONValue, at path: String) throws {
        let entry = try Fields(value, path, keys: ["run", "head", "events", "steps", "ledger", "toolCalls", "approvals", "checkpoints", "attributions"])
        let run = try BundleRecords.run(entry.value("run"), at: path + ".run")
        let head = try BundleRecords.head(entry.value("head"), at: path + ".head")
        guard records.heads[run.id] == nil else { throw BundleFormatError("\(path): run \(run.id) appears twice") }
        records.runs.append(run)
        records.heads[run.id] = head
        runs.append(ProvenanceReport.RunFacts(
            id: .string(run.id), parentRunId: run.parentRunId.map(JSONValue.string) ?? .null, name: run.name, status: run.status.rawValue,
            usage: run.usage, treeUsage: run.treeUsage, head: head))
        func each<T>(_ key: String, _ read: (JSONValue, String) throws -> T) throws -> [T] {
            try entry.array(key).enumerated().map { try read($1, "\(path).\(key)[\($0)]") }
        }
        for (event, isSealed) in try each("events", BundleRecords.event) {
            records.events.append(event)
            if isSealed { sealed[run.id, default: []].insert(event.sequence) }
        }
        records.steps += try each("steps", BundleRecords.step)
        records.ledger += try each("ledger", BundleRecords.ledgerEntry)
        records.toolCalls += try each("toolCalls", BundleRecords.toolCall)
        records.approvals += try each("approvals", BundleRecords.approval)
        records.checkpoints += try each("checkpoints", BundleRecords.checkpoint)
        records.attributions += try each("attributions", BundleRecords.attribution)
    }

    static func fullRun(_ value: JSONValue, at path: String) throws -> ProvenanceReport.RunFacts {
        let fields = try Fields(value, path, keys: ["id", "parentRunId", "status", "budget", "usage", "treeUsage", "head"])
        let id = try fields.value("id")
        let parent = try fields.value("parentRunId")
        guard Digest.hex(in: id) != nil else { throw BundleFormatError("\(path).id is not a {\"sha256\": …} digest") }
        guard parent.isNull || Digest.hex(in: parent) != nil else { throw BundleFormatError("\(path).parentRunId is not a digest or null") }
        _ = try BundleRecords.budget(fields.value("budget"), at: path + ".budget")
        return ProvenanceReport.RunFacts(
            id: id, parentRunId: parent, name: nil, status: try fields.enumeration("status", RunStatus.self).rawValue,
            usage: try BundleRecords.usage(fields.value("usage"), at: path + ".usage"),
            treeUsage: try BundleRecords.usage(fields.value("treeUsage"), at: path + ".treeUsage"),
            head: try BundleRecords.head(fields.value("head"), at: path + ".head"))
    }

    /// The run ids as the report and the tree name them (`sha256:<hex>` in a `full` bundle).
    public static func key(_ id: JSONValue) -> String { id.stringValue ?? Digest.hex(in: id).map(Digest.textForm) ?? "?" }
}
