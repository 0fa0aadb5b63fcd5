import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A serial executor that runs every job on one thread of its own.
///
/// The gateway's session actor runs here, so a call's path (parse, decide, record, forward) never
/// waits for a thread of the shared pool, and a store write that blocks (a SQLite write waiting
/// for another process's lock) blocks the gateway alone. The thread lives as long as the process.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// What the thread runs: a job of a task, or a plain closure.
    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }
    /// Work waiting to run, in order (guarded by `condition`).
    private var queue: [Work] = []
    private nonisolated(unsafe) var threadIdentifier = pthread_t()

    /// Starts the thread, named `name` (as tools such as `top -H` show it).
    public init(name: String) {
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            threadIdentifier = pthread_self()
            started.signal()
            runJobs()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        started.wait()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        append(.job(UnownedJob(job)))
    }

    /// Runs `body` on the thread, after the work queued before it. A closure may enter an actor
    /// that runs on this executor with `assumeIsolated`: this is how lines read by other threads
    /// reach the gateway without a task, and so without a hop through the shared pool.
    public func submit(_ body: @escaping @Sendable () -> Void) {
        append(.closure(body))
    }

    private func append(_ work: Work) {
        condition.lock()
        queue.append(work)
        if queue.count == 1 { condition.signal() }
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Whether the calling thread is the executor's.
    public var isCurrent: Bool { pthread_equal(pthread_self(), threadIdentifier) != 0 }

    public func checkIsolated() {
        precondition(isCurrent, "not on the executor's thread")
    }

    private func runJobs() {
        var batch: [Work] = []
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            swap(&batch, &queue)
            condition.unlock()
            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
                case .closure(let body): body()
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
