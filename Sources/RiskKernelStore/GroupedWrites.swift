import Foundation

/// The result of each item of a group written in one transaction: its own, or, when the
/// transaction failed (or the writer returned a result per item of some other group), that error.
public func resultsPerItem<Written>(
    _ outcome: Result<[Result<Written, any Error>], any Error>, count: Int
) -> [Result<Written, any Error>] {
    switch outcome {
    case .success(let results) where results.count == count:
        return results
    case .success(let results):
        let error = StoreError.unavailable("the store returned \(results.count) results for \(count) writes")
        return Array(repeating: .failure(error), count: count)
    case .failure(let error):
        return Array(repeating: .failure(error), count: count)
    }
}

/// Writes asked for by many tasks at once, committed together: while one group is being written,
/// the writes that arrive wait, and are written as the next group in one transaction (a group
/// commit). Each caller returns once the transaction that holds its write has committed, with its
/// own result: an item that fails fails alone (see `SQLiteStore.writeItems`).
///
/// A lone caller waits for nothing but its own transaction; with many callers, a commit's cost is
/// shared by the whole group.
final class GroupedWrites<Item: Sendable, Written: Sendable>: @unchecked Sendable {
    /// Writes a group in one transaction, then calls back with one result per item, in order, or
    /// with the error of the transaction.
    typealias WriteGroup = @Sendable (
        _ items: [Item], _ done: @escaping @Sendable (Result<[Result<Written, any Error>], any Error>) -> Void
    ) -> Void

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
            let starts = lock.withLock {
                waiting.append(Waiter(item: item, continuation: continuation))
                defer { writing = true }
                return !writing
            }
            if starts { writeNextGroup() }
        }
    }

    private func writeNextGroup() {
        let group = lock.withLock {
            defer { waiting = [] }
            if waiting.isEmpty { writing = false }
            return waiting
        }
        guard !group.isEmpty else { return }
        writeGroup(group.map(\.item)) { outcome in
            for (waiter, result) in zip(group, resultsPerItem(outcome, count: group.count)) { waiter.continuation.resume(with: result) }
            self.writeNextGroup()
        }
    }
}
