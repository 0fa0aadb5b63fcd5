/// The states of a store's group commit (``GroupCommit``), apart from its I/O: which writes
/// wait, whether a group is being written, and what the caller must do next.
///
/// At most one group is written at a time. A write that arrives while one is written waits and
/// goes in the next, begun as soon as that one is written; otherwise its ``GroupStart`` says when
/// its group begins. Every write added is taken into exactly one group, in the order added.
struct GroupCommitState<Entry> {
    /// What the caller of an event must do.
    enum Action {
        case none
        /// Write these entries as one group now; on the calling thread when `onCallingThread`
        /// (a ``GroupStart/scheduled(by:)`` job), else on the store's writer. Report
        /// ``groupWritten()`` once its transaction ended.
        case write([Entry], onCallingThread: Bool)
        /// Submit a job with `scheduler` that reports ``scheduledJobRan()``.
        case schedule(GroupStart.Scheduler)
        /// Report ``delayElapsed()`` after this long.
        case wait(Duration)
    }

    private var waiting: [Entry] = []
    private var writing = false
    /// A scheduled job will take the waiting writes (unless a group is being written then).
    private var jobScheduled = false
    private var delayRunning = false

    /// Adds a write; it starts its group as `start` says unless a group is being written or about
    /// to be begun by a scheduled job, which it then joins.
    mutating func add(_ entry: Entry, start: GroupStart) -> Action {
        waiting.append(entry)
        guard !writing, !jobScheduled else { return .none }
        switch start {
        case .now:
            return takeGroup(onCallingThread: false)
        case .scheduled(let scheduler):
            jobScheduled = true
            return .schedule(scheduler)
        case .within(let delay):
            guard !delayRunning else { return .none }
            delayRunning = true
            return .wait(delay)
        }
    }

    /// The scheduled job runs: it writes what waits, on its thread. No group is being written
    /// then: a job is scheduled only when none is, and none begins while the job is pending.
    mutating func scheduledJobRan() -> Action {
        jobScheduled = false
        return takeGroup(onCallingThread: true)
    }

    /// A ``GroupStart/within(_:)`` delay ended: what still waits is written, unless a group is being
    /// written or a scheduled job will take it.
    mutating func delayElapsed() -> Action {
        delayRunning = false
        return writing || jobScheduled ? .none : takeGroup(onCallingThread: false)
    }

    /// The group's transaction ended: what arrived meanwhile is written next, on the writer (no
    /// job was scheduled while the group was written).
    mutating func groupWritten() -> Action {
        writing = false
        return takeGroup(onCallingThread: false)
    }

    private mutating func takeGroup(onCallingThread: Bool) -> Action {
        assert(!writing && !jobScheduled, "a group begins only when none is written and no job is pending")
        guard !waiting.isEmpty else { return .none }
        writing = true
        defer { waiting = [] }
        return .write(waiting, onCallingThread: onCallingThread)
    }
}
