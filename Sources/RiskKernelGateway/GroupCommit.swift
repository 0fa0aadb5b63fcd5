import RiskKernelStore

/// Tool-call writes asked for while the gateway's thread is busy, to be made together in one
/// transaction (a group commit): the session's one queue of writes to the ledger on a call's path.
///
/// A decision must be durable before its call is forwarded, so a decision schedules the group's
/// write at once: once the work already queued on the session's thread (such as the rest of a
/// burst of lines) has run, so a lone call waits for nothing but its own transaction. An outcome
/// is off the call's path (its response was passed on): it waits for the next decision's
/// transaction, or, when no call comes within ``outcomeDelay``, is written in one of its own.
/// Each write's continuation (`then`) runs only once the transaction that holds the write has
/// committed. Used only on the session's thread.
final class GroupCommit<Verdict: Sendable> {
    /// Goes on with the write's result, on the session's thread.
    typealias Then = @Sendable (isolated GatewaySession, Result<ToolCallWritten<Verdict>, any Error>) -> Void
    /// A write, the request id key of the call it belongs to, and what to do once it is written.
    typealias Entry = (write: ToolCallWrite<Verdict>, key: String, then: Then)

    /// How long an outcome waits for a decision to share its transaction with. A client that
    /// makes calls one after another sends the next within this time, so a call costs one commit;
    /// an agent that thinks between calls has its outcomes written this long after the response.
    static var outcomeDelay: Duration { .milliseconds(5) }

    /// What the caller must arrange after ``add(_:key:then:)``.
    enum Schedule {
        /// Nothing: a write of the waiting group is arranged already.
        case none
        /// Write the group after the work queued on the session's thread.
        case writeSoon
        /// Write the group after ``outcomeDelay`` unless a decision's write takes it first.
        case writeAfterDelay
    }

    private var waiting: [Entry] = []
    private var writeScheduled = false
    private var delayScheduled = false

    /// Adds `write` to the next group; returns what the caller must schedule.
    func add(_ write: ToolCallWrite<Verdict>, key: String, then: @escaping Then) -> Schedule {
        waiting.append((write, key, then))
        if writeScheduled { return .none }
        if case .decision = write {
            writeScheduled = true
            return .writeSoon
        }
        if delayScheduled { return .none }
        delayScheduled = true
        return .writeAfterDelay
    }

    /// The group to write now, leaving none waiting.
    func take() -> [Entry] {
        writeScheduled = false
        defer { waiting = [] }
        return waiting
    }

    /// The group after ``outcomeDelay``: what no decision's write took in the meantime (empty when
    /// one did, or when a decision's write is scheduled and will take it).
    func takeAfterDelay() -> [Entry] {
        delayScheduled = false
        return writeScheduled ? [] : take()
    }
}
