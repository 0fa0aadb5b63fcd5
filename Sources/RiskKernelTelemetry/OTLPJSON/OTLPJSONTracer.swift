import Tracing
import W3CTraceContext

/// A swift-distributed-tracing `Tracer` whose spans are queued for ``OTLPJSONExporter``, with W3C
/// trace context propagation (`traceparent`, `tracestate`).
///
/// A span continues the trace of the span (or extracted `traceparent`) in its context, with a new
/// random 8-byte span id; without one it starts a trace with a random 16-byte trace id, sampled.
struct OTLPJSONTracer: Tracer {
    let queue: SpanQueue

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> OTLPJSONSpan {
        var spanContext = context()
        let parent = spanContext.w3cTraceContext
        let own = TraceContext(
            traceID: parent?.traceID ?? .random(), spanID: .random(),
            flags: parent?.flags ?? .sampled, state: parent?.state ?? TraceState())
        spanContext.w3cTraceContext = own
        return OTLPJSONSpan(
            name: operationName, kind: kind, startTimeUnixNano: instant().nanosecondsSinceEpoch,
            context: spanContext, traceContext: own, parentSpanID: parent?.spanID, queue: queue)
    }

    /// Reads `traceparent` (and `tracestate`) into `context`; an invalid `traceparent` is ignored (the
    /// span starts a trace of its own), an invalid `tracestate` is dropped.
    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let traceParent = extractor.extract(key: "traceparent", from: carrier) else { return }
        let traceState = extractor.extract(key: "tracestate", from: carrier)
        if let parsed = try? TraceContext(traceParentHeaderValue: traceParent, traceStateHeaderValue: traceState) {
            context.w3cTraceContext = parsed
        } else if let parsed = try? TraceContext(traceParentHeaderValue: traceParent) {
            context.w3cTraceContext = parsed
        }
    }

    /// Writes the context's span as `traceparent` (and `tracestate`, when it has one).
    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let traceContext = context.w3cTraceContext else { return }
        injector.inject(traceContext.traceParentHeaderValue, forKey: "traceparent", into: &carrier)
        if let traceState = traceContext.traceStateHeaderValue {
            injector.inject(traceState, forKey: "tracestate", into: &carrier)
        }
    }

    /// Export is driven by the exporter's schedule and by shutdown.
    func forceFlush() {}
}

/// The W3C trace context of the current span (or of an extracted `traceparent`).
private enum W3CTraceContextKey: ServiceContextKey {
    typealias Value = TraceContext
}

extension ServiceContext {
    /// The W3C trace context ``OTLPJSONTracer`` keeps in a span's context.
    var w3cTraceContext: TraceContext? {
        get { self[W3CTraceContextKey.self] }
        set { self[W3CTraceContextKey.self] = newValue }
    }
}
