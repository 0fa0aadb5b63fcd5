import Foundation
import NIOConcurrencyHelpers

/// Hands the store's change signal to every open event stream (`GET /api/events`).
///
/// One reader of the store's signal serves any number of pages: each subscriber gets the newest
/// change only (a page that is behind reads the approvals once, not once per change).
public final class ChangeFeed: Sendable {
    private struct State {
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var next: UInt64 = 0
        var finished = false
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A stream that yields at once and then after every change; it ends when the feed finishes.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.yield()
        let id: UInt64? = state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Tells every subscriber to read again.
    public func publish() {
        for continuation in state.withLockedValue({ Array($0.subscribers.values) }) { continuation.yield() }
    }

    /// Ends every stream, now and later (the console is shutting down).
    public func finish() {
        let continuations = state.withLockedValue { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    /// Publishes each element of `changes` until it ends or the task is cancelled.
    public func forward(_ changes: AsyncStream<Void>) async {
        for await _ in changes { publish() }
    }
}
