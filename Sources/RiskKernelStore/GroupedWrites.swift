import Foundation

/// Writes asked for by many tasks at once, committed together: while one group is being written,
/// the writes that arrive wait, and are written as the next group in one transaction (a group
/// commit). Each caller returns once the transaction that holds its write has committed, with its
/// own result: an item that fails fails alone (see `SQLiteStore.writeItems`).
///
/// A lone caller waits for nothing but its own transaction; with many callers, a commit's cost is
/// shared by the whole group.
final class GroupedWrites<Item: Sendable, Written: Sendable>: @unchecked Sendable {
    /// Writes a group in one transaction, then calls back with one result per item, in order.
    typealias WriteGroup = @Sendable (_ items: [Item], _ done: @escaping @Sendable ([Result<Written, any Error>]) -> Void) -> Void

    private struct Waiter {
        let item: Item
        let continuation: CheckedContinuation<Written, any Error>
    }

    private let lock = NSLock()
    private var waiting: [Waiter] = []
    private var writing = false
    private let writeGroup: WriteGroup

    init(_ writeGroup: @escaping WriteGroup) {
        self.writeGroup = writeGroup
    }

    /// Writes `item` with the next group; returns once it is committed.
    func write(_ item: Item) async throws -> Written {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            waiting.append(Waiter(item: item, continuation: continuation))
            let starts = !writing
            writing = true
            lock.unlock()
            if starts { writeNextGroup() }
        }
    }

    private func writeNextGroup() {
        lock.lock()
        let group = waiting
        waiting = []
        if group.isEmpty { writing = false }
        lock.unlock()
        guard !group.isEmpty else { return }
        writeGroup(group.map(\.item)) { results in
            for (index, waiter) in group.enumerated() {
                waiter.continuation.resume(with: index < results.count ? results[index] : .failure(StoreError.unavailable("a group write returned \(results.count) results for \(group.count) items")))
            }
            self.writeNextGroup()
        }
    }
}
