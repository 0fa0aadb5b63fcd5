import RiskKernelStore

extension GatewaySession {
    /// How long an outcome waits for a decision to share its transaction with. A client that
    /// makes calls one after another sends the next within this time, so a call costs one commit;
    /// an agent that thinks between calls has its outcomes written this long after the response.
    static var outcomeDelay: Duration { .milliseconds(5) }

    /// Adds a decision or an outcome to the store's group commit (``Store/submit(_:start:then:)``).
    /// A decision must be durable before its call is forwarded, so its group begins on this thread
    /// once the work queued here has run (the rest of a burst of lines joins it), and this thread
    /// makes the transaction when the store can (SQLite), with no hand-off and back. An outcome is
    /// off the call's path (its response was passed on): it joins the next decision's group, or,
    /// when none begins within ``outcomeDelay``, one of its own. `then` runs on this thread once
    /// the write's transaction ended, with its result.
    func queueWrite(_ write: LedgerWrite<GovernedCall>, then: @escaping @Sendable (isolated GatewaySession, Result<LedgerWritten<GovernedCall>, any Error>) -> Void) {
        let start: GroupStart
        if case .decision = write {
            start = .scheduled { [executor] job in executor.submit(job) }
        } else {
            start = .within(Self.outcomeDelay)
        }
        store.submit([write], start: start) { [self] results in
            let result = results.first ?? .failure(StoreError.unavailable("the store returned no result for a write"))
            if executor.isCurrent {
                assumeIsolated { then($0, result) }
            } else {
                afterQueuedWork { then($0, result) }
            }
        }
    }
}
