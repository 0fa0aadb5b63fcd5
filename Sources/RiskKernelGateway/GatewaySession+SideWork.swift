import Foundation

/// One piece of the session's side work, as its task group runs it.
typealias SideWorkItem = @Sendable () async -> Void

extension GatewaySession {
    /// Runs `work` as a child of the session's side-work task group (``runSideWork()``): ledger
    /// writes off the call path, extension answers, listings, notices. Shutdown waits for all of it
    /// (``waitUntilIdle(timeout:)``), so every reply is sent, `riskkernel/recordModelCall`'s included.
    func spawn(_ work: @escaping @Sendable (isolated GatewaySession) async -> Void) {
        beginSideWork()
        let item: SideWorkItem = { [self] in
            await work(self)
            await endSideWork()
        }
        if case .terminated = sideWork.continuation.yield(item) {
            // After the group ended (the gateway is exiting): still done, never dropped.
            Task { await item() }
        }
    }

    /// Counts work that ends outside the task group (a group commit's continuation).
    func beginSideWork() {
        sideWorkInProgress += 1
    }

    func endSideWork() {
        sideWorkInProgress -= 1
        resumeIdleWaitersIfIdle()
    }

    /// Runs the session's side work, each piece a child task of one group, until
    /// ``finishSideWork()``; returns once every piece has ended.
    public nonisolated func runSideWork() async {
        await withDiscardingTaskGroup { group in
            for await item in sideWork.stream { group.addTask { await item() } }
        }
    }

    /// No more side work is taken into the group (what is running goes on to its end).
    public func finishSideWork() {
        sideWork.continuation.finish()
    }

    /// Whether nothing is left to answer or record: no call in progress, no client request waiting
    /// for the upstream, no side work.
    var isIdle: Bool {
        sideWorkInProgress == 0 && calls.isEmpty && !pendingUpstream.values.contains(where: { $0.clientId != nil })
    }

    /// Wakes the waiters of ``waitUntilIdle(timeout:)`` once the session is idle; called wherever
    /// something ends (a waiter checks again, so an early wake-up is harmless).
    func resumeIdleWaitersIfIdle() {
        guard isIdle, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters = [:]
        for waiter in waiters.values { waiter.resume() }
    }

    /// Waits until the session is idle (requests read before the client's end of file answered,
    /// their outcomes and every other side work written), or `timeout` passes. Event-driven: the
    /// session wakes it when the last thing ends.
    func waitUntilIdle(timeout: Duration) async {
        guard !isIdle else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.idle() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once the session is idle (checked again after each wake-up: what woke it may have
    /// started more work), or when cancelled.
    private func idle() async {
        while !isIdle, !Task.isCancelled { await nextEnd() }
    }

    /// Waits for the next wake-up of the idle waiters.
    private func nextEnd() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if isIdle || Task.isCancelled {
                    continuation.resume()
                } else {
                    idleWaiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.resumeIdleWaiter(id) }
        }
    }

    private func resumeIdleWaiter(_ id: UUID) {
        idleWaiters.removeValue(forKey: id)?.resume()
    }
}
