import RiskKernelCore
import Tracing

/// Reads W3C trace context (`traceparent`, `tracestate`, `baggage`) from the string members of a
/// request's `params._meta`.
struct MetaExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }

    /// The context a request's `params._meta` carries (its W3C `traceparent`), or a new trace.
    static func parentContext(_ meta: JSONValue?, tracer: any Tracer) -> ServiceContext {
        var context = ServiceContext.topLevel
        let members = carrier(meta)
        if !members.isEmpty { tracer.extract(members, into: &context, using: MetaExtractor()) }
        return context
    }

    /// The string members of `_meta`, the carrier the tracer's propagator reads.
    static func carrier(_ meta: JSONValue?) -> [String: String] {
        var carrier: [String: String] = [:]
        for (name, value) in meta?.objectValue ?? [:] {
            if case .string(let text) = value { carrier[name] = text }
        }
        return carrier
    }
}

/// Writes a span's W3C trace context into members for the forwarded request's `params._meta`.
struct MetaInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
