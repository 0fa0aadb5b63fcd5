import Foundation
import RiskKernelCore

/// A run's stored usage totals and chain head, as a budget decision reads them
/// (``RunTreeSQL/treeTotals``).
struct StoredTotals: Sendable {
    var runId: String
    var parentRunId: String?
    var usage: Usage
    var treeUsage: Usage
    /// The chain's length and last hash, as anchored in the run's row.
    var chainLength: Int64
    var chainHead: String
    /// The run's status (`running`, `halted`, …), which decides whether it may spend at all.
    var status: String
}

/// The events of one run's chain that a check must read: sequences `after + 1 ... through`.
struct EventRange: Sendable, Hashable {
    var runId: String
    var after: Int64
    var through: Int64
}

/// Checks that the totals a budget decision reads are the ones `riskkernel audit verify` accepts:
/// each run's usage is what its chain's events add up to (``EventChain/spend(of:)``), its tree
/// usage its usage plus its children's tree usage, and its status the one its last `run.status`
/// event set (`running` before any).
///
/// What each run's chain adds up to is kept per chain head, so a decision reads and hashes only
/// the events appended since the last one (a whole chain once per process). A head that no longer
/// leads to the stored one (a write rolled back after it was read, a chain rewritten) is dropped
/// and the chain read again from its start. A check that fails throws
/// ``StoreError/tampered(runId:detail:)``: nothing is decided on totals the chain does not give.
///
/// The stores run it inside the decision's transaction, with the tree's rows read (and, on
/// PostgreSQL, its ancestry locked) there, so rows and events are one consistent state.
final class ChainedTotals: @unchecked Sendable {
    /// What a run's chain adds up to through an event.
    struct Head: Sendable, Equatable {
        var sequence: Int64
        var hash: String
        var usage: Usage
        var status: String

        static let genesis = Head(sequence: 0, hash: EventChain.genesisHash, usage: Usage(), status: RunStatus.running.rawValue)
    }

    private let lock = NSLock()
    private var heads: [String: Head] = [:]

    init() {}

    private func head(of runId: String) -> Head {
        lock.withLock { heads[runId] } ?? .genesis
    }

    private func keep(_ head: Head, for runId: String) {
        lock.withLock { heads[runId] = head }
    }

    private func forget(_ runId: String) {
        lock.withLock { heads[runId] = nil }
    }

    /// Moves a run's known head over an event this process appends (inside a transaction), so the
    /// next decision reads and hashes nothing it wrote itself. An event that does not follow the
    /// known head is left for the next check to read. A write rolled back after this leaves a known
    /// head that the stored one does not match, which the next check drops (``ranges(for:)``).
    func appended(runId: String, sequence: Int64, previousHash: String, hash: String, body: JSONValue) {
        lock.withLock {
            var head = heads[runId] ?? .genesis
            guard head.sequence + 1 == sequence, head.hash == previousHash else { return }
            head.sequence = sequence
            head.hash = hash
            head.usage = head.usage + EventChain.spend(of: body)
            if body["kind"]?.stringValue == "run.status", let status = body["data"]?["status"]?.stringValue { head.status = status }
            heads[runId] = head
        }
    }

    /// The events to read for `rows`: those after each run's known head; the whole chain of a run
    /// whose known head is past, or differs from, the stored one.
    func ranges(for rows: [StoredTotals]) -> [EventRange] {
        rows.compactMap { row in
            var known = head(of: row.runId)
            if known.sequence > row.chainLength || (known.sequence == row.chainLength && known.hash != row.chainHead) {
                forget(row.runId)
                known = .genesis
            }
            guard known.sequence < row.chainLength else { return nil }
            return EventRange(runId: row.runId, after: known.sequence, through: row.chainLength)
        }
    }

    /// Adds the events read for `ranges` to the runs' known heads and checks `rows` against them.
    /// Returns the ranges to read again from the chain's start (a known head the events do not
    /// follow); throws ``StoreError/tampered(runId:detail:)`` for a chain that is broken from its
    /// start, or totals it does not give.
    func check(_ rows: [StoredTotals], ranges: [EventRange], events: [String: [EventRecord]]) throws -> [EventRange] {
        var again: [EventRange] = []
        let anchors = Dictionary(rows.map { ($0.runId, $0.chainHead) }, uniquingKeysWith: { first, _ in first })
        for range in ranges {
            var head = range.after == 0 ? Head.genesis : self.head(of: range.runId)
            var broken = Self.advance(&head, runId: range.runId, over: events[range.runId] ?? [], through: range.through)
            if broken == nil, head.hash != anchors[range.runId] {
                broken = "the hash of its last event is not the head its row anchors"
            }
            if let broken {
                guard range.after == 0 else {
                    forget(range.runId)
                    again.append(EventRange(runId: range.runId, after: 0, through: range.through))
                    continue
                }
                throw StoreError.tampered(runId: range.runId, detail: broken)
            }
            keep(head, for: range.runId)
        }
        guard again.isEmpty else { return again }
        var children: [String: Usage] = [:]
        for row in rows {
            let chained = head(of: row.runId)
            if chained.status != row.status {
                throw StoreError.tampered(runId: row.runId, detail: "its status is \(row.status), and its last run.status event says \(chained.status)")
            }
            if chained.usage != row.usage {
                throw StoreError.tampered(
                    runId: row.runId, detail: "its usage (\(row.usage.summary)) is not what its events add up to (\(chained.usage.summary))")
            }
            if let parent = row.parentRunId { children[parent, default: Usage()] = children[parent, default: Usage()] + row.treeUsage }
        }
        for row in rows where row.treeUsage != row.usage + children[row.runId, default: Usage()] {
            let sum = row.usage + children[row.runId, default: Usage()]
            throw StoreError.tampered(
                runId: row.runId, detail: "its tree usage (\(row.treeUsage.summary)) is not its usage plus its children's (\(sum.summary))")
        }
        return []
    }

    /// Follows `events` from `head` through sequence `last`, hashing each as `audit verify` does;
    /// returns why they do not link (and leaves `head` where they stopped), or `nil`.
    static func advance(_ head: inout Head, runId: String, over events: [EventRecord], through last: Int64) -> String? {
        for event in events {
            guard event.sequence == head.sequence + 1, event.previousHash == head.hash else {
                return "its chain does not continue at event \(head.sequence + 1)"
            }
            guard event.body["sequence"]?.int64Value == event.sequence, event.body["runId"]?.stringValue == runId,
                  EventChain.rule(of: event.body) != nil, EventChain.hash(previousHash: event.previousHash, body: event.body) == event.hash
            else { return "event \(event.sequence) of its chain does not match its hash" }
            head.sequence = event.sequence
            head.hash = event.hash
            head.usage = head.usage + EventChain.spend(of: event.body)
            if event.body["kind"]?.stringValue == "run.status", let status = event.body["data"]?["status"]?.stringValue { head.status = status }
        }
        return head.sequence == last ? nil : "its chain ends at event \(head.sequence), and its row says \(last)"
    }
}

extension Usage {
    /// `prompt P, completion C, cached K, $D, loops L, model calls M, tool calls T`.
    public var summary: String {
        "prompt \(promptTokens), completion \(completionTokens), cached \(cachedPromptTokens), $\(dollars.decimalString), "
            + "loops \(loops), model calls \(modelCalls), tool calls \(toolCalls)"
    }
}
