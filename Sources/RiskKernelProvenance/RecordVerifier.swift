import Foundation
import RiskKernelCore
import RiskKernelStore

/// A stored row that disagrees with the run's chain: edited (a column differs from its event),
/// deleted (an event names a row that is gone) or inserted (a row no event describes).
public struct RecordMismatch: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A column differs from what its event says.
        case edited
        /// An event names a row that is gone.
        case deleted
        /// A row that no event describes.
        case inserted
    }

    /// The table, as the store names it: `ledger_entries`, `steps`, `tool_calls`, `approvals`,
    /// `checkpoints`, `attributions`, `runs`.
    public var table: String
    /// The row's key (its id; `run/index` for a step; the run id for `runs`).
    public var row: String
    /// The run whose chain the row is checked against (`-` for a store-wide row no event names).
    public var runId: String
    /// The event the row disagrees with (the event that names a deleted row), `nil` for an inserted row.
    public var sequence: Int64?
    public var kind: Kind
    /// What differs, in words: the column, its value and what the event says.
    public var detail: String

    /// `run R: TABLE row ID KIND (event N): DETAIL`, as `audit verify` prints it after `RECORD`.
    public var description: String {
        let event = sequence.map { " (event \($0))" } ?? ""
        return "run \(runId): \(table) row \(row) \(kind.rawValue)\(event): \(detail)"
    }

    /// `{table, row, runId, sequence (or null), kind, detail}`, as `audit verify --json` lists it under `records`.
    public var json: JSONValue {
        [
            "table": .string(table), "row": .string(row), "runId": .string(runId), "sequence": sequence.map(JSONValue.integer) ?? .null,
            "kind": .string(kind.rawValue), "detail": .string(detail),
        ]
    }
}

/// Checks the rows that report or decide (ledger entries and steps, tool calls and their outcomes,
/// approvals and their decisions, checkpoints, attributions, each run's status and usage totals)
/// against the events of their runs' chains (pure: the records are given, as
/// ``Store/provenanceRecords(runIds:)`` reads them). Each row must be described by its event(s),
/// column for column as far as the events carry them (values carried as digests are compared by
/// digest, under the rule the event was hashed with); each event that names a row must find it;
/// a run's usage must be the sum its events give, and its tree usage its own plus its children's
/// (checked when the children are among the records).
///
/// Fields an event does not carry (an older event without `cachedPromptTokens`, say) are not compared.
public enum RecordVerifier {
    /// Every mismatch between the records and their runs' events, run by run, then tree usage.
    public static func verify(_ records: ProvenanceRecords) -> [RecordMismatch] {
        var found: [RecordMismatch] = []
        let eventsByRun = Dictionary(grouping: records.events, by: \.runId)
        for run in records.runs {
            let events = (eventsByRun[run.id] ?? []).sorted { $0.sequence < $1.sequence }
            var check = RunCheck(runId: run.id, events: events)
            check.ledger(records.ledger.filter { $0.runId == run.id }, steps: records.steps.filter { $0.runId == run.id })
            check.toolCalls(records.toolCalls.filter { $0.runId == run.id })
            check.approvals(records.approvals.filter { $0.runId == run.id })
            check.checkpoints(records.checkpoints.filter { $0.runId == run.id })
            check.attributions(records.attributions.filter { $0.runId == run.id })
            check.run(run)
            found += check.found
        }
        found += treeUsage(records.runs)
        return found
    }

    /// A run's tree usage is its own usage plus its children's tree usage (for runs whose children
    /// are all among `runs`: a child stored elsewhere cannot be summed).
    static func treeUsage(_ runs: [RunRecord]) -> [RecordMismatch] {
        let byId = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let children = Dictionary(grouping: runs.filter { $0.parentRunId != nil }, by: { $0.parentRunId! })
        var found: [RecordMismatch] = []
        for run in runs {
            let sum = (children[run.id] ?? []).reduce(run.usage) { $0 + (byId[$1.id]?.treeUsage ?? Usage()) }
            if sum != run.treeUsage {
                found.append(RecordMismatch(
                    table: "runs", row: run.id, runId: run.id, sequence: nil, kind: .edited,
                    detail: "its tree usage \(run.treeUsage.summary) is not its usage plus its children's (\(sum.summary))"))
            }
        }
        return found
    }

}

/// The checks of one run's rows against its events.
struct RunCheck {
    let runId: String
    /// The run's events in sequence order.
    let chain: [EventRecord]
    var found: [RecordMismatch] = []
    /// Events by kind, then by the id they name in the field that kind names its row by.
    private var index: [String: [String: [EventRecord]]] = [:]

    /// The field of each kind of event that names the row it describes.
    static let keyField = [
        "model.recorded": "entryId", "tool.charged": "entryId", "tool.decided": "callId", "tool.completed": "callId",
        "approval.requested": "approvalId", "approval.decided": "approvalId", "approval.consumed": "approvalId",
        "checkpoint.created": "checkpointId",
    ]

    init(runId: String, events: [EventRecord]) {
        self.runId = runId
        chain = events
        for event in events {
            guard let field = Self.keyField[event.kind], let id = event.body["data"]?[field]?.stringValue else { continue }
            index[event.kind, default: [:]][id, default: []].append(event)
        }
    }

    func events(_ kind: String, naming id: String) -> [EventRecord] { index[kind]?[id] ?? [] }
    func events(_ kind: String) -> [String: [EventRecord]] { index[kind] ?? [:] }

    mutating func report(_ table: String, _ row: String, _ event: EventRecord?, _ kind: RecordMismatch.Kind, _ detail: String) {
        found.append(RecordMismatch(table: table, row: row, runId: runId, sequence: event?.sequence, kind: kind, detail: detail))
    }

    /// Compares a row's column with an event's field when the event carries it.
    mutating func compare(_ table: String, _ row: String, _ event: EventRecord, _ column: String, stored: JSONValue, field: String) {
        guard let carried = event.body["data"]?[field] else { return }
        if !RunCheck.same(stored, carried) {
            report(table, row, event, .edited, "\(column) is \(CanonicalJSON.string(stored)), its \(event.kind) event says \(CanonicalJSON.string(carried))")
        }
    }

    /// Compares a row's tool, side effect and arguments (as digests, forwarded ones when there are
    /// any) with the call's `tool.decided` event: a tool call's row and its approval's row carry them.
    mutating func compareCall(
        _ table: String, _ row: String, _ decided: EventRecord, tool: String, sideEffect: String, arguments: JSONValue, forwarded: JSONValue?
    ) {
        compare(table, row, decided, "tool", stored: .string(tool), field: "tool")
        compare(table, row, decided, "side_effect", stored: .string(sideEffect), field: "sideEffect")
        compare(table, row, decided, "arguments", stored: .string(Self.digest(arguments, under: decided)), field: "argumentsDigest")
        if let forwarded, !forwarded.isNull {
            compare(table, row, decided, "forwarded_arguments", stored: .string(Self.digest(forwarded, under: decided)), field: "forwardedArgumentsDigest")
        }
    }

    /// Equal as JSON values, numbers by value.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    static func digest(_ value: JSONValue, under event: EventRecord) -> String {
        EventChain.digest(of: value, rule: EventChain.rule(of: event.body) ?? .riskkernelV1)
    }

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    // MARK: ledger_entries and steps

    mutating func ledger(_ entries: [LedgerEntry], steps: [StepRecord]) {
        var seen: Set<String> = []
        for entry in entries {
            seen.insert(entry.id)
            let table = "ledger_entries"
            let kind = entry.kind == "tool" ? "tool.charged" : "model.recorded"
            guard let event = events(kind, naming: entry.id).first else {
                report(table, entry.id, nil, .inserted, "no \(kind) event in the chain names it")
                continue
            }
            compare(table, entry.id, event, "dollars", stored: .string(entry.dollars.decimalString), field: "dollars")
            if entry.kind == "tool" {
                compare(table, entry.id, event, "tool", stored: .string(entry.tool ?? ""), field: "tool")
                compare(table, entry.id, event, "response_id", stored: .string(entry.responseId ?? ""), field: "callId")
                continue
            }
            compare(table, entry.id, event, "provider", stored: .string(entry.provider ?? ""), field: "provider")
            compare(table, entry.id, event, "model", stored: .string(entry.model ?? ""), field: "model")
            compare(table, entry.id, event, "prompt_tokens", stored: .integer(entry.promptTokens), field: "promptTokens")
            compare(table, entry.id, event, "completion_tokens", stored: .integer(entry.completionTokens), field: "completionTokens")
            compare(table, entry.id, event, "cached_prompt_tokens", stored: .integer(entry.cachedPromptTokens), field: "cachedPromptTokens")
            compare(table, entry.id, event, "priced", stored: .bool(entry.priced), field: "priced")
            compare(table, entry.id, event, "step_index", stored: .integer(entry.step ?? 0), field: "step")
            compare(table, entry.id, event, "response_id", stored: Self.optional(entry.responseId), field: "responseId")
        }
        for kind in ["model.recorded", "tool.charged"] {
            for (id, named) in events(kind).sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
                report("ledger_entries", id, named[0], .deleted, "its \(kind) event names it and the row is gone")
            }
        }
        // Each recorded model call opened a step.
        let stepsByIndex = Dictionary(steps.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        var stepIndexes: Set<Int64> = []
        for (id, named) in events("model.recorded") {
            guard let step = named[0].body["data"]?["step"]?.int64Value, step > 0 else { continue }
            stepIndexes.insert(step)
            guard let row = stepsByIndex[step] else {
                report("steps", "\(runId)/\(step)", named[0], .deleted, "its model.recorded event opened step \(step) and the row is gone")
                continue
            }
            if row.ledgerEntryId != id {
                report("steps", "\(runId)/\(step)", named[0], .edited, "ledger_entry_id is \(row.ledgerEntryId ?? "null"), its model.recorded event says \(id)")
            }
        }
        for step in steps where !stepIndexes.contains(step.index) {
            report("steps", "\(runId)/\(step.index)", nil, .inserted, "no model.recorded event opened step \(step.index)")
        }
    }

    // MARK: tool_calls

    mutating func toolCalls(_ calls: [ToolCallRecord]) {
        let table = "tool_calls"
        var seen: Set<String> = []
        for call in calls {
            seen.insert(call.id)
            guard let decided = events("tool.decided", naming: call.id).first else {
                report(table, call.id, nil, .inserted, "no tool.decided event in the chain names it")
                continue
            }
            compare(table, call.id, decided, "request_id", stored: .string(call.requestId), field: "requestId")
            compareCall(table, call.id, decided, tool: call.tool, sideEffect: call.sideEffect, arguments: call.arguments, forwarded: call.forwardedArguments)
            compare(table, call.id, decided, "decision", stored: .string(call.decision), field: "decision")
            compare(table, call.id, decided, "rule", stored: Self.optional(call.rule), field: "rule")
            // A held call names the approval its approval.requested event made for it.
            let requested = chain.first { $0.kind == "approval.requested" && $0.body["data"]?["callId"]?.stringValue == call.id }
            if requested != nil || call.approvalId != nil {
                let carried = requested?.body["data"]?["approvalId"] ?? .null
                if Self.optional(call.approvalId) != carried {
                    report(table, call.id, requested ?? decided, .edited,
                           "approval_id is \(call.approvalId ?? "null"), its events say \(CanonicalJSON.string(carried))")
                }
            }
            let completed = events("tool.completed", naming: call.id).first
            guard let completed else {
                // Not completed: the status the decision left, or forwarded once an approval let it run.
                let allowed: [String: [ToolCallStatus]] = [
                    "allow": [.forwarded], "deny": [.refused], "approval": [.awaitingApproval, .forwarded],
                ]
                if let statuses = allowed[call.decision], !statuses.contains(call.status) {
                    report(table, call.id, decided, .edited, "status is \(call.status.rawValue), and no tool.completed event follows its \(call.decision) decision")
                }
                if call.decision != "deny", call.result != nil || call.resultDigest != nil {
                    report(table, call.id, decided, .edited, "it has a result, and no tool.completed event records one")
                }
                if call.decision == "deny", decided.body["data"]?["reason"] != nil {
                    compare(table, call.id, decided, "reason", stored: Self.optional(call.reason), field: "reason")
                }
                continue
            }
            compare(table, call.id, completed, "status", stored: .string(call.status.rawValue), field: "status")
            compare(table, call.id, completed, "is_error", stored: .bool(call.isError), field: "isError")
            compare(table, call.id, completed, "duration_ms", stored: .integer(Int64((call.durationMs ?? 0).rounded())), field: "durationMs")
            compare(table, call.id, completed, "result_digest", stored: Self.optional(call.resultDigest), field: "resultDigest")
            if let result = call.result, let carried = completed.body["data"]?["resultDigest"]?.stringValue, Self.digest(result, under: completed) != carried {
                report(table, call.id, completed, .edited, "result does not match the resultDigest of its tool.completed event")
            }
            if completed.body["data"]?["reason"] != nil {
                compare(table, call.id, completed, "reason", stored: Self.optional(call.reason), field: "reason")
            }
        }
        for (id, named) in events("tool.decided").sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            report(table, id, named[0], .deleted, "its tool.decided event names it and the row is gone")
        }
    }

    // MARK: approvals

    mutating func approvals(_ approvals: [ApprovalRecord]) {
        let table = "approvals"
        var seen: Set<String> = []
        for approval in approvals {
            seen.insert(approval.id)
            guard let requested = events("approval.requested", naming: approval.id).first else {
                report(table, approval.id, nil, .inserted, "no approval.requested event in the chain names it")
                continue
            }
            compare(table, approval.id, requested, "tool_call_id", stored: .string(approval.toolCallId), field: "callId")
            compare(table, approval.id, requested, "rule", stored: .string(approval.rule), field: "rule")
            // What the approver is shown is what the call's tool.decided event recorded.
            if let decided = events("tool.decided", naming: approval.toolCallId).first {
                compareCall(
                    table, approval.id, decided, tool: approval.tool, sideEffect: approval.sideEffect, arguments: approval.arguments,
                    forwarded: approval.forwardedArguments)
            }
            if let decided = events("approval.decided", naming: approval.id).last {
                compare(table, approval.id, decided, "status", stored: .string(approval.status.rawValue), field: "status")
                compare(table, approval.id, decided, "decided_by", stored: Self.optional(approval.decidedBy), field: "decidedBy")
                compare(table, approval.id, decided, "reason", stored: Self.optional(approval.reason), field: "reason")
            } else if approval.status != .pending {
                report(table, approval.id, requested, .edited, "status is \(approval.status.rawValue), and no approval.decided event decided it")
            }
            if let consumed = events("approval.consumed", naming: approval.id).last {
                compare(table, approval.id, consumed, "consumed_by", stored: Self.optional(approval.consumedBy), field: "requestId")
            } else if approval.consumedBy != nil {
                report(table, approval.id, requested, .edited, "consumed_by is set, and no approval.consumed event used it")
            }
        }
        for (id, named) in events("approval.requested").sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            report(table, id, named[0], .deleted, "its approval.requested event names it and the row is gone")
        }
    }

    // MARK: checkpoints

    mutating func checkpoints(_ checkpoints: [CheckpointRecord]) {
        let table = "checkpoints"
        var seen: Set<String> = []
        for checkpoint in checkpoints {
            seen.insert(checkpoint.id)
            guard let created = events("checkpoint.created", naming: checkpoint.id).first else {
                report(table, checkpoint.id, nil, .inserted, "no checkpoint.created event in the chain names it")
                continue
            }
            compare(table, checkpoint.id, created, "name", stored: .string(checkpoint.name), field: "name")
            compare(table, checkpoint.id, created, "payload", stored: .string(Self.digest(checkpoint.payload, under: created)), field: "payloadDigest")
            if checkpoint.sequence != created.sequence {
                report(table, checkpoint.id, created, .edited, "sequence is \(checkpoint.sequence), its checkpoint.created event is \(created.sequence)")
            }
        }
        for (id, named) in events("checkpoint.created").sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            report(table, id, named[0], .deleted, "its checkpoint.created event names it and the row is gone")
        }
    }

    // MARK: attributions

    /// Each `attribution.captured` event covers the rows written with it (same time), by count and
    /// by the digest of their JSON in the order written.
    mutating func attributions(_ rows: [AttributionRecord]) {
        let table = "attributions"
        let byTime = Dictionary(grouping: rows, by: { Timestamps.iso8601($0.createdAt) })
        var covered: Set<String> = []
        for event in chain where event.kind == "attribution.captured" {
            guard let time = event.body["time"]?.stringValue else { continue }
            covered.insert(time)
            let group = byTime[time] ?? []
            let data = event.body["data"]
            if let count = data?["count"]?.int64Value, count != Int64(group.count) {
                report(table, group.first?.id ?? "(none)", event, group.count < count ? .deleted : .inserted,
                       "its attribution.captured event counts \(count) row(s) at \(time), \(group.count) remain")
                continue
            }
            if let digest = data?["attributionsDigest"]?.stringValue,
               Self.digest(.array(group.map(\.json)), under: event) != digest {
                report(table, group.first?.id ?? "(none)", event, .edited, "the rows captured at \(time) do not match the attributionsDigest of their event")
            }
        }
        for (time, group) in byTime.sorted(by: { $0.key < $1.key }) where !covered.contains(time) {
            for row in group { report(table, row.id, nil, .inserted, "no attribution.captured event was written at \(time)") }
        }
    }

    // MARK: runs

    /// The run's status is the last `run.status` event's (running when there is none); its usage
    /// is what its events add up to.
    mutating func run(_ run: RunRecord) {
        let table = "runs"
        let statusEvents = chain.filter { $0.kind == "run.status" }
        if let last = statusEvents.last {
            compare(table, run.id, last, "status", stored: .string(run.status.rawValue), field: "status")
        } else if run.status != .running, let started = chain.first(where: { $0.kind == "run.started" }) {
            report(table, run.id, started, .edited, "status is \(run.status.rawValue), and no run.status event changed it from running")
        }
        let sum = chain.reduce(Usage()) { $0 + EventChain.spend(of: $1.body) }
        if sum != run.usage, !chain.isEmpty {
            let anchor = chain.last { ["model.recorded", "tool.decided", "tool.charged"].contains($0.kind) } ?? chain[0]
            report(table, run.id, anchor, .edited, "its usage \(run.usage.summary) is not what its events add up to (\(sum.summary))")
        }
    }
}
