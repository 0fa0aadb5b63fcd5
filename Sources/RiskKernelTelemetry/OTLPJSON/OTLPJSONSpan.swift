import Foundation
import Tracing
import W3CTraceContext

/// A span of ``OTLPJSONTracer``. Its fields are behind a lock (spans are `Sendable` and set their
/// attributes through non-mutating setters); ending it hands a ``RecordedSpan`` to the queue, once.
/// A span whose trace is not sampled (an incoming `traceparent` with the sampled flag off) records
/// nothing and is never exported, but still passes its context on.
final class OTLPJSONSpan: Span, @unchecked Sendable {
    let context: ServiceContext
    /// `nil` when the span is not sampled.
    private let queue: SpanQueue?
    private let lock = NSLock()
    private var record: RecordedSpan
    private var ended = false

    init(
        name: String, kind: SpanKind, startTimeUnixNano: UInt64, context: ServiceContext,
        traceContext: TraceContext, parentSpanID: SpanID?, queue: SpanQueue?
    ) {
        self.context = context
        self.queue = traceContext.flags.contains(.sampled) ? queue : nil
        record = RecordedSpan(
            name: name, kind: kind, traceID: traceContext.traceID, spanID: traceContext.spanID,
            parentSpanID: parentSpanID, traceState: traceContext.traceStateHeaderValue,
            startTimeUnixNano: startTimeUnixNano, endTimeUnixNano: startTimeUnixNano,
            attributes: [:], status: nil, events: [])
    }

    var operationName: String {
        get { lock.withLock { record.name } }
        set { update { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { lock.withLock { record.attributes } }
        set { update { $0.attributes = newValue } }
    }

    var isRecording: Bool {
        queue != nil && !lock.withLock { ended }
    }

    /// Sets the status; as OpenTelemetry says, `ok` is final.
    func setStatus(_ status: SpanStatus) {
        update { record in
            if record.status?.code != .ok { record.status = status }
        }
    }

    func addEvent(_ event: SpanEvent) {
        update { $0.events.append(event) }
    }

    /// Records an `exception` event with `exception.type` and `exception.message`.
    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        guard queue != nil else { return }
        var eventAttributes = attributes
        eventAttributes["exception.type"] = String(reflecting: type(of: error))
        eventAttributes["exception.message"] = String(describing: error)
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: eventAttributes))
    }

    /// Links are not exported.
    func addLink(_ link: SpanLink) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let endTime = instant().nanosecondsSinceEpoch
        let finished: RecordedSpan? = lock.withLock {
            guard !ended else { return nil }
            ended = true
            record.endTimeUnixNano = max(endTime, record.startTimeUnixNano)
            return record
        }
        if let finished, let queue { queue.append(finished) }
    }

    /// Applies `change` unless the span has ended or is not sampled.
    private func update(_ change: (inout RecordedSpan) -> Void) {
        guard queue != nil else { return }
        lock.withLock {
            if !ended { change(&record) }
        }
    }
}
