import Foundation

/// The ended spans waiting for export, bounded: the one thing a span does on the call path is
/// ``append(_:)`` (a lock and an array append; no I/O, no waiting). The exporter drains it.
final class SpanQueue: @unchecked Sendable {
    /// The most spans that may wait; more are dropped, and counted.
    let capacity: Int
    /// The queue length at which the exporter is woken before its schedule.
    let batchSize: Int
    private let wake: AsyncStream<Void>.Continuation
    private let lock = NSLock()
    private var spans: [RecordedSpan] = []
    private var dropped = 0

    /// A queue that yields to `wake` when `batchSize` spans are waiting.
    init(capacity: Int, batchSize: Int, wake: AsyncStream<Void>.Continuation) {
        self.capacity = max(1, capacity)
        self.batchSize = max(1, min(batchSize, self.capacity))
        self.wake = wake
    }

    /// Queues an ended span, or drops it when the queue is full.
    func append(_ span: RecordedSpan) {
        let count: Int? = lock.withLock {
            guard spans.count < capacity else {
                dropped += 1
                return nil
            }
            spans.append(span)
            return spans.count
        }
        if count == batchSize { wake.yield() }
    }

    /// The oldest spans, at most `limit` of them, removed from the queue.
    func take(atMost limit: Int) -> [RecordedSpan] {
        lock.withLock {
            let taken = Array(spans.prefix(limit))
            spans.removeFirst(taken.count)
            return taken
        }
    }

    /// How many spans are waiting.
    var count: Int { lock.withLock { spans.count } }

    /// How many spans were dropped since the last call.
    func takeDroppedCount() -> Int {
        lock.withLock {
            defer { dropped = 0 }
            return dropped
        }
    }
}
