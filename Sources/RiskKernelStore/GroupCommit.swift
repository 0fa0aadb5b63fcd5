import Synchronization

/// A store's one queue of ledger writes, for every writer of the process (a gateway's decisions
/// and outcomes, model calls from any task): writes made together in one transaction, a group
/// commit, so that one commit's cost is shared by all the writes that wait for it. The states are
/// ``GroupCommitState``'s; this drives them: it writes each group with the store's `WriteGroup`,
/// runs scheduled jobs and waits out delays.
///
/// Each entry is one caller's writes: `writeGroup` makes every entry's writes in one transaction
/// and reports to each entry (each write with its own result: one that fails fails alone) before
/// it calls `written`.
final class GroupCommit<Entry: Sendable>: Sendable {
    /// Writes `entries` in one transaction, on the calling thread when `onCallingThread`, and
    /// calls `written` once it ended and each entry has been told.
    typealias WriteGroup = @Sendable (_ entries: [Entry], _ onCallingThread: Bool, _ written: @escaping @Sendable () -> Void) -> Void

    private let state = Mutex(GroupCommitState<Entry>())

    /// Adds one caller's writes to the queue; its group begins as `start` says. The store passes
    /// its `writeGroup` with each entry (the same one every time).
    func add(_ entry: Entry, start: GroupStart, writeGroup: @escaping WriteGroup) {
        perform(state.withLock { $0.add(entry, start: start) }, writeGroup)
    }

    private func perform(_ action: GroupCommitState<Entry>.Action, _ writeGroup: @escaping WriteGroup) {
        switch action {
        case .none:
            break
        case .write(let entries, let onCallingThread):
            writeGroup(entries, onCallingThread) { self.perform(self.state.withLock { $0.groupWritten() }, writeGroup) }
        case .schedule(let scheduler):
            scheduler { self.perform(self.state.withLock { $0.scheduledJobRan() }, writeGroup) }
        case .wait(let delay):
            Task {
                try? await Task.sleep(for: delay)
                self.perform(self.state.withLock { $0.delayElapsed() }, writeGroup)
            }
        }
    }
}

/// One caller's writes, as a store's ``GroupCommit`` holds them with their type erased. `Make`
/// is the store's way to make them inside the group's transaction, each in a savepoint of its own
/// when the group holds more than one write, returning how to report their results once the
/// transaction committed; it throws only an error that ends the whole transaction.
struct GroupEntry<Make: Sendable>: Sendable {
    /// How many writes the entry holds.
    let count: Int
    let make: Make
    /// Reports every write of the entry failed with the error that ended the transaction.
    let fail: @Sendable (any Error) -> Void

    /// Whether a group of `entries` must keep its writes apart, so that one that fails fails alone
    /// (more than one write): in savepoints, or as ``SQLiteStore/WriteIsolation/optimistic`` says.
    static func keepsWritesApart(_ entries: [Self]) -> Bool {
        entries.count > 1 || entries.first.map { $0.count > 1 } ?? false
    }
}

/// Reports one ``GroupEntry``'s results once its group's transaction committed.
typealias GroupReport = @Sendable () -> Void
