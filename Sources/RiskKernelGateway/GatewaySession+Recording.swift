import RiskKernelStore

extension GatewaySession {
    /// Adds a decision or an outcome to the session's group commit (``GroupCommit``) and arranges
    /// its write: a decision's at once (after the work queued on this thread), an outcome's with the
    /// next decision or after ``GroupCommit/outcomeDelay``. `then` runs on this thread once the
    /// write is committed, with its own result.
    func queueWrite(_ write: ToolCallWrite<GovernedCall>, key: String, then: @escaping GroupCommit<GovernedCall>.Then) {
        switch toolCallCommits.add(write, key: key, then: then) {
        case .none:
            break
        case .writeSoon:
            afterQueuedWork { $0.writeToolCalls($0.toolCallCommits.take()) }
        case .writeAfterDelay:
            spawn { session in
                try? await Task.sleep(for: GroupCommit<GovernedCall>.outcomeDelay)
                session.writeToolCalls(session.toolCallCommits.takeAfterDelay())
            }
        }
    }

    /// Writes a group in one transaction, then continues each entry with its own result, or every
    /// one with the error of the transaction. A group with a decision is written on this thread
    /// when the store can (SQLite): its call waits for it anyway. A group of outcomes alone is
    /// written from a task, so the session's thread goes on reading while the store commits it.
    private func writeToolCalls(_ taken: [GroupCommit<GovernedCall>.Entry]) {
        var group = taken
        // A call cancelled while it waited for its decision is not recorded.
        for (index, entry) in group.enumerated().reversed() where calls[entry.key]?.machine.state == .deciding(cancelRequested: true) {
            if case .decision = entry.write {
                group.remove(at: index)
                entry.then(self, .failure(CancellationError()))
            }
        }
        guard !group.isEmpty else { return }
        let writes = group.map(\.write)
        let decides = writes.contains { if case .decision = $0 { true } else { false } }
        if decides, let store = store as? any SynchronousToolCallStore {
            deliver(Result { try store.writeToolCallsNow(writes) }, to: group)
            return
        }
        spawn { [store, group] session in
            do {
                session.deliver(.success(try await store.writeToolCalls(writes)), to: group)
            } catch {
                session.deliver(.failure(error), to: group)
            }
        }
    }

    private func deliver(_ outcome: Result<[Result<ToolCallWritten<GovernedCall>, any Error>], any Error>, to group: [GroupCommit<GovernedCall>.Entry]) {
        for (entry, result) in zip(group, resultsPerItem(outcome, count: group.count)) { entry.then(self, result) }
    }
}
