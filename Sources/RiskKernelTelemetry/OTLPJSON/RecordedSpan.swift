import Tracing
import W3CTraceContext

/// A span that has ended, as it waits in the ``SpanQueue`` for export: plain values only.
struct RecordedSpan: Sendable {
    var name: String
    var kind: SpanKind
    var traceID: TraceID
    var spanID: SpanID
    /// `nil` for the root of a trace.
    var parentSpanID: SpanID?
    /// The W3C `tracestate` the span carries, if any.
    var traceState: String?
    var startTimeUnixNano: UInt64
    var endTimeUnixNano: UInt64
    var attributes: SpanAttributes
    /// `nil` while unset.
    var status: SpanStatus?
    var events: [SpanEvent]
}
