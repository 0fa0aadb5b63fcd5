/// The bound on how long a tracer's shutdown waits for its last spans to be exported: a collector
/// that is down must not hold the gateway's exit.
enum FlushDeadline {
    /// Waits until `task` finishes or `timeout` passes, whichever is first; `true` when the task
    /// finished in time.
    static func wait(for task: Task<Void, Never>, atMost timeout: Duration) async -> Bool {
        let (outcomes, outcome) = AsyncStream.makeStream(of: Bool.self)
        Task {
            await task.value
            outcome.yield(true)
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            outcome.yield(false)
        }
        for await finished in outcomes {
            timer.cancel()
            return finished
        }
        return false
    }
}
