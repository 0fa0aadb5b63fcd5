import Foundation
import RiskKernelCore
import RiskKernelStore

/// What `content` and `full` redaction do to a bundle's records (pure functions over their JSON).
///
/// `content` replaces, with `{"sha256": …}` digests of the canonical JSON (or of the UTF-8 text):
/// tool-call arguments, results and reasons (an upstream's error message or a client's cancel reason is
/// part of the result), approval arguments, checkpoint payloads, attribution file paths and run metadata
/// values (where goals live). The ledger's events already carry only digests of arguments, results,
/// payloads, fact values and attributions; the two kinds of event that carry such text themselves are
/// *sealed*: their body is withheld and only their hash and link remain (a `run.started` with metadata,
/// a `tool.completed` with a reason). The digests of arguments and payloads are the ones the events hold,
/// so every record can still be matched to its event.
///
/// `full` keeps, per run, only a digest of its id (and of its parent's), its status, budget, usage and
/// chain head; nothing per call.
public enum Redactor {
    /// `{"sha256": …}` of `value`'s canonical JSON under `rule` (the rule of the event that carries its digest).
    public static func digest(_ value: JSONValue, rule: CanonicalJSON.Rule = .current) -> JSONValue { Digest.object(Digest.of(value, rule: rule)) }
    public static func digest(text: String) -> JSONValue { Digest.object(Digest.of(text: text)) }

    /// Whether `content` redaction withholds this event's body.
    public static func sealsInContent(_ event: EventRecord) -> Bool {
        let data = event.body["data"]
        if let metadata = data?["metadata"]?.objectValue, !metadata.isEmpty { return true }
        if event.kind == "tool.completed", let reason = data?["reason"], !reason.isNull { return true }
        return false
    }

    // MARK: content

    public static func run(_ json: JSONValue) -> JSONValue {
        replacing(json, "metadata") { .object(($0.objectValue ?? [:]).mapValues { $0.stringValue.map { digest(text: $0) } ?? digest($0) }) }
    }

    /// `rule`: the rule of the call's `tool.decided` event, so that the arguments' digest is its `argumentsDigest`.
    public static func toolCall(_ json: JSONValue, rule: CanonicalJSON.Rule = .current) -> JSONValue {
        var json = replacing(json, "arguments") { digest($0, rule: rule) }
        json = replacing(json, "result") { $0.isNull ? .null : digest($0, rule: rule) }
        return replacing(json, "reason") { $0.stringValue.map { digest(text: $0) } ?? $0 }
    }

    public static func approval(_ json: JSONValue, rule: CanonicalJSON.Rule = .current) -> JSONValue {
        replacing(json, "arguments") { digest($0, rule: rule) }
    }

    /// `rule`: the rule of the checkpoint's `checkpoint.created` event, so that the digest is its `payloadDigest`.
    public static func checkpoint(_ json: JSONValue, rule: CanonicalJSON.Rule = .current) -> JSONValue {
        replacing(json, "payload") { digest($0, rule: rule) }
    }

    public static func attribution(_ json: JSONValue) -> JSONValue {
        replacing(json, "file") { $0.stringValue.map { digest(text: $0) } ?? $0 }
    }

    /// The event as a `content` bundle carries it: sealed (body `null`, `sealed: true`) when it must be.
    public static func event(_ event: EventRecord) -> JSONValue {
        var json = BundleRecords.encode(event)
        if sealsInContent(event) {
            json = replacing(json, "body") { _ in .null }
            json = replacing(json, "sealed") { _ in true }
        }
        return json
    }

    // MARK: full

    /// A run as a `full` bundle keeps it.
    public static func fullRun(_ run: RunRecord, head: ChainHead) -> JSONValue {
        [
            "id": digest(text: run.id), "parentRunId": run.parentRunId.map { digest(text: $0) } ?? .null, "status": .string(run.status.rawValue),
            "budget": BundleRecords.encode(run.budget), "usage": BundleRecords.encode(run.usage), "treeUsage": BundleRecords.encode(run.treeUsage),
            "head": BundleRecords.encode(head),
        ]
    }

    static func replacing(_ json: JSONValue, _ key: String, with transform: (JSONValue) -> JSONValue) -> JSONValue {
        guard case .object(var members) = json else { return json }
        members[key] = transform(members[key] ?? .null)
        return .object(members)
    }
}
