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
/// What each run's chain adds up to is remembered for its last ``window`` heads (``KnownChain``),
/// so a check reads and hashes only the events appended since the last one (a whole chain once per
/// process), and none that the store appended itself (``appended(runId:sequence:previousHash:hash:body:)``).
/// A row is compared with the head at its own chain length, never with a later one: a check that
/// read its rows before an append of this process (another connection's, or a reader's snapshot
/// beside the writer) still finds the head its rows go with. A remembered head that the stored one
/// contradicts (a write rolled back after it was learned, a chain rewritten) drops the run's
/// window, and the chain is read again from its start. A check that fails throws
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

    /// The last heads of one run's chain, consecutive, oldest first.
    struct KnownChain: Sendable {
        private(set) var heads: [Head]

        init(_ heads: [Head] = [.genesis]) { self.heads = heads }

        var last: Head { heads[heads.count - 1] }

        /// The remembered head after event `sequence`, if it is in the window.
        func head(at sequence: Int64) -> Head? {
            let index = Int(sequence - heads[0].sequence)
            return heads.indices.contains(index) ? heads[index] : nil
        }

        /// Adds `head`, which follows the head at `head.sequence - 1` (dropping any remembered
        /// after that one: an append rolled back); `false` when that head is not remembered or
        /// `previousHash` is not its hash.
        mutating func add(_ head: Head, previousHash: String) -> Bool {
            guard let previous = self.head(at: head.sequence - 1), previous.hash == previousHash else { return false }
            heads.removeSubrange(Int(head.sequence - heads[0].sequence)...)
            heads.append(head)
            // The oldest are dropped a quarter window at a time, not one per append.
            if heads.count > ChainedTotals.window + ChainedTotals.window / 4 { heads.removeFirst(heads.count - ChainedTotals.window) }
            return true
        }
    }

    /// How many heads are remembered per run, at least (up to a quarter more between trims): more
    /// than the appends one process makes to one run while a check of it runs (a group commit
    /// writes up to 64 at once).
    static let window = 256

    /// How many runs' heads are remembered by default: at most about 50 KB each (``window`` heads
    /// and a quarter), so about 25 MB at most, for an LLM proxy serving that many sessions at once.
    static let defaultRunCapacity = 512

    private let lock = NSLock()
    private var chains: [String: KnownChain] = [:]
    /// When each remembered run was last used, by a counter that each use advances.
    private var lastUsed: [String: UInt64] = [:]
    private var uses: UInt64 = 0
    /// How many runs are remembered; past it, those used least recently are forgotten, and their
    /// next check reads their chains again from the start.
    let runCapacity: Int
    /// The run trees (by root run id) checked since the database version `checkedVersion`.
    private var checkedTrees: Set<String> = []
    private var checkedVersion: Int64?

    init(runCapacity: Int = ChainedTotals.defaultRunCapacity) {
        self.runCapacity = max(1, runCapacity)
    }

    /// How many runs' heads are remembered now.
    var rememberedRuns: Int { lock.withLock { chains.count } }

    private func chain(of runId: String) -> KnownChain {
        lock.withLock {
            guard let chain = chains[runId] else { return nil }
            touch(runId)
            return chain
        } ?? KnownChain()
    }

    private func forget(_ runId: String) {
        lock.withLock { drop(runId) }
    }

    /// Called with the lock held.
    private func drop(_ runId: String) {
        chains[runId] = nil
        lastUsed[runId] = nil
    }

    /// Stores `chain` for `runId` as its most recent use, then forgets the runs used least
    /// recently beyond ``runCapacity`` (an eighth of it at once, so that forgetting is rare).
    /// Called with the lock held.
    private func remember(_ chain: KnownChain, for runId: String) {
        chains[runId] = chain
        touch(runId)
        guard chains.count > runCapacity else { return }
        let excess = chains.count - runCapacity + runCapacity / 8
        for (oldest, _) in lastUsed.sorted(by: { $0.value < $1.value }).prefix(excess) where oldest != runId { drop(oldest) }
    }

    /// Called with the lock held.
    private func touch(_ runId: String) {
        uses += 1
        lastUsed[runId] = uses
    }

    /// Whether the tree of `rootRunId` was checked at database version `version`: the value of
    /// SQLite's `PRAGMA data_version` on the connection that makes every write of this process,
    /// which moves only when another connection commits. While it has not moved, only this
    /// process's own writes, which keep stored totals and chains in step (and teach this memory
    /// their heads), touched the tree, so a decision need not read and check it again. A new
    /// version forgets every tree checked before it.
    func wasChecked(_ rootRunId: String, atVersion version: Int64) -> Bool {
        lock.withLock {
            if checkedVersion != version {
                checkedVersion = version
                checkedTrees.removeAll(keepingCapacity: true)
            }
            return checkedTrees.contains(rootRunId)
        }
    }

    /// Notes that the tree of `rootRunId` passed a check at database version `version` (at most
    /// ``runCapacity`` trees are noted; past it, the notes start again).
    func checked(_ rootRunId: String, atVersion version: Int64) {
        lock.withLock {
            guard checkedVersion == version else { return }
            if checkedTrees.count >= runCapacity { checkedTrees.removeAll(keepingCapacity: true) }
            checkedTrees.insert(rootRunId)
        }
    }

    /// Moves a run's known heads over an event this process appends (inside a transaction), so
    /// the next check reads and hashes nothing it wrote itself. An event that does not follow a
    /// remembered head is left for the next check to read.
    func appended(runId: String, sequence: Int64, previousHash: String, hash: String, body: JSONValue) {
        lock.withLock {
            // Taken out of the dictionary while it grows, and held by nothing else, so that its
            // heads are not copied (a second reference to them would make every append copy the
            // whole window).
            let known = chains[runId] != nil
            var chain = chains.removeValue(forKey: runId) ?? KnownChain()
            guard var head = chain.head(at: sequence - 1) else {
                if known { chains[runId] = chain }
                return
            }
            head.sequence = sequence
            head.hash = hash
            head.usage = head.usage + EventChain.spend(of: body)
            if body["kind"]?.stringValue == "run.status", let status = body["data"]?["status"]?.stringValue { head.status = status }
            // `add` changes nothing when it answers `false`.
            if chain.add(head, previousHash: previousHash) {
                remember(chain, for: runId)
            } else if known {
                chains[runId] = chain
            }
        }
    }

    /// The events to read for `rows`: those after each run's last known head; the whole chain of a
    /// run whose head at its row's length differs from the stored one, or is before the window.
    func ranges(for rows: [StoredTotals]) -> [EventRange] {
        rows.compactMap { row in
            let chain = chain(of: row.runId)
            if let head = chain.head(at: row.chainLength) {
                if head.hash == row.chainHead { return nil }
                forget(row.runId)
                return EventRange(runId: row.runId, after: 0, through: row.chainLength)
            }
            let after = chain.last.sequence < row.chainLength ? chain.last.sequence : 0
            return EventRange(runId: row.runId, after: after, through: row.chainLength)
        }
    }

    /// Follows the events read for `ranges` from the runs' known heads and checks `rows` against
    /// the heads at their lengths. Returns the ranges to read again from the chain's start (a
    /// known head the events do not follow, or one no longer remembered); throws
    /// ``StoreError/tampered(runId:detail:)`` for a chain that is broken from its start, or totals
    /// it does not give. `heads` holds the heads a check's earlier passes followed, and gains
    /// this pass's: each pass reads only what is still missing, so a check ends even while
    /// another one makes this process forget runs (see ``runCapacity``).
    func check(_ rows: [StoredTotals], ranges: [EventRange], events: [String: [EventRecord]], heads: inout [String: Head]) throws -> [EventRange] {
        var again: [EventRange] = []
        let anchors = Dictionary(rows.map { ($0.runId, $0.chainHead) }, uniquingKeysWith: { first, _ in first })
        for range in ranges {
            guard let start = range.after == 0 ? Head.genesis : chain(of: range.runId).head(at: range.after) else {
                again.append(EventRange(runId: range.runId, after: 0, through: range.through))
                continue
            }
            var followed = [start]
            var broken = Self.advance(&followed, runId: range.runId, over: events[range.runId] ?? [], through: range.through)
            if broken == nil, followed[followed.count - 1].hash != anchors[range.runId] {
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
            heads[range.runId] = followed[followed.count - 1]
            learn(followed, for: range.runId)
        }
        for row in rows where heads[row.runId] == nil {
            guard let head = chain(of: row.runId).head(at: row.chainLength), head.hash == row.chainHead else {
                again.append(EventRange(runId: row.runId, after: 0, through: row.chainLength))
                continue
            }
            heads[row.runId] = head
        }
        guard again.isEmpty else { return again }
        var children: [String: Usage] = [:]
        for row in rows {
            let chained = heads[row.runId] ?? .genesis
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

    /// Remembers the heads a check followed (`followed`, consecutive from a known head or genesis).
    /// Heads this process appended meanwhile are kept when they continue them; a remembered head
    /// they contradict drops the rest.
    private func learn(_ followed: [Head], for runId: String) {
        lock.withLock {
            var chain = chains.removeValue(forKey: runId) ?? KnownChain()
            for (previous, head) in zip(followed, followed.dropFirst()) {
                if let known = chain.head(at: head.sequence), known.hash == head.hash { continue }
                if !chain.add(head, previousHash: previous.hash) { chain = KnownChain([previous, head]) }
            }
            remember(chain, for: runId)
        }
    }

    /// Follows `events` from the last of `heads` through sequence `last`, hashing each as `audit
    /// verify` does and appending each head (the last ``window`` or more are kept); returns why
    /// they do not link, or `nil`.
    static func advance(_ heads: inout [Head], runId: String, over events: [EventRecord], through last: Int64) -> String? {
        var head = heads[heads.count - 1]
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
            heads.append(head)
            // Only the last window is remembered: a chain read from its start is not kept whole.
            if heads.count >= 2 * window { heads.removeFirst(heads.count - window) }
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

/// Where a run's chain ends, as anchored in its row (`chain_length`, `chain_head`): the number of
/// events and the last one's hash (``EventChain/genesisHash`` before any).
struct ChainAnchor: Sendable, Hashable {
    var length: Int64
    var head: String
}
