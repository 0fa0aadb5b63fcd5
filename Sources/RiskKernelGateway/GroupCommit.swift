/// Store writes asked for while the gateway's thread is busy, to be made together in one
/// transaction (a group commit).
///
/// Each write's continuation (`then`) runs only once the transaction that holds the write has
/// committed, so nothing is forwarded before its decision is durable; with many calls in flight
/// they share one commit instead of paying one each. Decisions are written on the session's thread
/// when the store can (SQLite); outcomes, which are off the call's path, and every write to a store
/// that cannot, are written from a task, and such groups may overlap. The session writes a group
/// once the work already queued on its thread (such as the rest of a burst of lines) has run, so a
/// lone call waits for nothing but its own transaction. Used only on the session's thread.
final class GroupCommit<Request: Sendable, Written: Sendable> {
    /// Goes on with the write's result, on the session's thread.
    typealias Then = @Sendable (isolated GatewaySession, Result<Written, any Error>) -> Void
    /// A write, the request id key of the call it belongs to, and what to do once it is written.
    typealias Entry = (request: Request, key: String, then: Then)

    private var waiting: [Entry] = []

    /// Adds `request` to the next group; returns whether it starts that group (the caller then
    /// schedules the write).
    func add(_ request: Request, key: String, then: @escaping Then) -> Bool {
        waiting.append((request, key, then))
        return waiting.count == 1
    }

    /// The group to write now, leaving none waiting.
    func take() -> [Entry] {
        defer { waiting = [] }
        return waiting
    }
}
