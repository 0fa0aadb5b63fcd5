import Foundation
import RiskKernelCore
import RiskKernelStore

/// Checks the rows that belong to the store rather than to one run (facts, grants, tool pins)
/// against the events that wrote them, wherever in the runs' chains those are (pure: the rows and
/// every run's events are given).
///
/// - a fact written for a run must match its run's last `fact.put` for the namespace and key
///   (`valueDigest`); a fact written later without a run (no event) is accepted as newer; a fact
///   that an event wrote and that is gone is deleted;
/// - a grant must match its `grant.created` event (scope, server, tool, approval, granter, expiry),
///   be revoked exactly when a `grant.revoked` event says so, and exist when an event created it;
/// - a tool pin's pinned definition must hash to its pinned hash, and be the definition the last
///   `tools.pinned` or `tool.pinApproved` event for its server and tool pinned (under any rule
///   hashes were computed under: a pin made before RFC 8785 carries over).
public enum SharedRecordVerifier {
    /// Every mismatch of the store-wide rows; `events` is every run's events (any order).
    public static func verify(events: [EventRecord], facts: [FactRecord], grants: [GrantRecord], pins: [ToolPinRecord]) -> [RecordMismatch] {
        let ordered = events.sorted { ($0.createdAt, $0.runId, $0.sequence) < ($1.createdAt, $1.runId, $1.sequence) }
        return self.facts(facts, ordered) + self.grants(grants, ordered) + self.pins(pins, ordered)
    }

    static func mismatch(_ table: String, _ row: String, _ event: EventRecord?, runId: String?, _ kind: RecordMismatch.Kind, _ detail: String) -> RecordMismatch {
        RecordMismatch(table: table, row: row, runId: event?.runId ?? runId ?? "-", sequence: event?.sequence, kind: kind, detail: detail)
    }

    static func digest(_ value: JSONValue, under event: EventRecord) -> String {
        EventChain.digest(of: value, rule: EventChain.rule(of: event.body) ?? .riskkernelV1)
    }

    // MARK: facts

    static func facts(_ facts: [FactRecord], _ events: [EventRecord]) -> [RecordMismatch] {
        var found: [RecordMismatch] = []
        var last: [String: EventRecord] = [:]
        func key(_ namespace: String, _ key: String) -> String { namespace + "\u{0}" + key }
        for event in events where event.kind == "fact.put" {
            guard let namespace = event.body["data"]?["namespace"]?.stringValue, let name = event.body["data"]?["key"]?.stringValue else { continue }
            last[key(namespace, name)] = event
        }
        var seen: Set<String> = []
        for fact in facts {
            let id = key(fact.namespace, fact.key)
            let row = "\(fact.namespace)/\(fact.key)"
            seen.insert(id)
            guard let event = last[id] else {
                if let runId = fact.runId {
                    found.append(mismatch("facts", row, nil, runId: runId, .inserted, "it names run \(runId), and no fact.put event wrote it"))
                }
                continue
            }
            if fact.runId == nil, Timestamps.milliseconds(fact.updatedAt) >= Timestamps.milliseconds(event.createdAt) { continue }
            if fact.runId != event.runId {
                found.append(mismatch("facts", row, event, runId: nil, .edited, "run_id is \(fact.runId ?? "null"), its last fact.put event is in run \(event.runId)"))
            } else if event.body["data"]?["valueDigest"]?.stringValue != digest(fact.value, under: event) {
                found.append(mismatch("facts", row, event, runId: nil, .edited, "its value does not match the valueDigest of its fact.put event"))
            }
        }
        for (id, event) in last.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            found.append(mismatch("facts", id.replacingOccurrences(of: "\u{0}", with: "/"), event, runId: nil, .deleted, "its fact.put event wrote it and the row is gone"))
        }
        return found
    }

    // MARK: grants

    static func grants(_ grants: [GrantRecord], _ events: [EventRecord]) -> [RecordMismatch] {
        var found: [RecordMismatch] = []
        var created: [String: EventRecord] = [:]
        var revoked: [String: EventRecord] = [:]
        for event in events {
            guard let id = event.body["data"]?["grantId"]?.stringValue else { continue }
            if event.kind == "grant.created" { created[id] = created[id] ?? event }
            if event.kind == "grant.revoked" { revoked[id] = revoked[id] ?? event }
        }
        for grant in grants {
            guard let event = created[grant.id] else {
                found.append(mismatch("grants", grant.id, nil, runId: nil, .inserted, "no grant.created event in any chain names it"))
                continue
            }
            let data = event.body["data"]
            var stored: [String: JSONValue] = [
                "scope": .string(grant.scope.rawValue), "server": .string(grant.server), "tool": .string(grant.tool), "approvalId": .string(grant.approvalId),
                "grantedBy": grant.grantedBy.map(JSONValue.string) ?? .null,
                "expiresAt": grant.expiresAt.map { .string(Timestamps.iso8601($0)) } ?? .null,
            ]
            stored = stored.filter { $0.value != .null || data?[$0.key] != nil }
            for (field, value) in stored.sorted(by: { $0.key < $1.key }) where (data?[field] ?? .null) != value {
                found.append(mismatch("grants", grant.id, event, runId: nil, .edited,
                                      "\(field) is \(CanonicalJSON.string(value)), its grant.created event says \(CanonicalJSON.string(data?[field] ?? .null))"))
            }
            if let revocation = revoked[grant.id], grant.revokedAt == nil {
                found.append(mismatch("grants", grant.id, revocation, runId: nil, .edited, "revoked_at is null, and a grant.revoked event revoked it"))
            } else if revoked[grant.id] == nil, grant.revokedAt != nil {
                found.append(mismatch("grants", grant.id, event, runId: nil, .edited, "revoked_at is set, and no grant.revoked event revoked it"))
            }
        }
        let ids = Set(grants.map(\.id))
        for (id, event) in created.sorted(by: { $0.key < $1.key }) where !ids.contains(id) {
            found.append(mismatch("grants", id, event, runId: nil, .deleted, "its grant.created event names it and the row is gone"))
        }
        return found
    }

    // MARK: tool pins

    static func pins(_ pins: [ToolPinRecord], _ events: [EventRecord]) -> [RecordMismatch] {
        var found: [RecordMismatch] = []
        // The last event that pinned each server's tool, and the hash it pinned.
        var pinned: [String: (event: EventRecord, hash: String)] = [:]
        func key(_ server: String, _ tool: String) -> String { server + "\u{0}" + tool }
        for event in events {
            let data = event.body["data"]
            guard let server = data?["server"]?.stringValue else { continue }
            if event.kind == "tools.pinned" {
                for tool in data?["tools"]?.arrayValue ?? [] {
                    if let name = tool["tool"]?.stringValue, let hash = tool["hash"]?.stringValue { pinned[key(server, name)] = (event, hash) }
                }
            } else if event.kind == "tool.pinApproved", let name = data?["tool"]?.stringValue, let hash = data?["hash"]?.stringValue {
                pinned[key(server, name)] = (event, hash)
            }
        }
        func hashes(_ definition: JSONValue) -> Set<String> {
            Set(CanonicalJSON.Rule.allCases.map { EventChain.digest(of: definition, rule: $0) })
        }
        var seen: Set<String> = []
        for pin in pins {
            let id = key(pin.server, pin.tool)
            let row = "\(pin.server)/\(pin.tool)"
            seen.insert(id)
            if !hashes(pin.definition).contains(pin.hash) {
                found.append(mismatch("tool_pins", row, nil, runId: pin.seenRunId, .edited, "seen_definition does not hash to seen_hash"))
            }
            guard let pinnedHash = pin.pinnedHash, let definition = pin.pinnedDefinition else { continue }
            let definitionHashes = hashes(definition)
            if !definitionHashes.contains(pinnedHash) {
                found.append(mismatch("tool_pins", row, pinned[id]?.event, runId: pin.seenRunId, .edited, "pinned_definition does not hash to pinned_hash"))
                continue
            }
            guard let last = pinned[id] else {
                found.append(mismatch("tool_pins", row, nil, runId: pin.seenRunId, .inserted, "it is pinned, and no tools.pinned or tool.pinApproved event pinned it"))
                continue
            }
            if !definitionHashes.contains(last.hash) {
                found.append(mismatch("tool_pins", row, last.event, runId: nil, .edited, "its pinned definition is not the one its \(last.event.kind) event pinned (\(last.hash))"))
            }
        }
        for (id, last) in pinned.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            found.append(mismatch("tool_pins", id.replacingOccurrences(of: "\u{0}", with: "/"), last.event, runId: nil, .deleted, "its \(last.event.kind) event pinned it and the row is gone"))
        }
        return found
    }
}
