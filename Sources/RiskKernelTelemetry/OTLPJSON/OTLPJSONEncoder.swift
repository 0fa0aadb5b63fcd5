import RiskKernelCore
import Tracing

/// The body of an OTLP/JSON export request: `ExportTraceServiceRequest` in protobuf's JSON mapping
/// with OTLP's rules: trace and span ids as lowercase hex (not base64), 64-bit integers
/// (`startTimeUnixNano`, `intValue`...) as decimal strings, enums (`kind`, `status.code`) as integers,
/// and fields at their default value left out.
enum OTLPJSONEncoder {
    /// The scope every span is exported under.
    static let scopeName = "riskkernel"

    /// `{"resourceSpans":[{"resource":{...},"scopeSpans":[{"scope":{...},"spans":[...]}]}]}`.
    static func body(spans: [RecordedSpan], resourceAttributes: [String: String]) -> [UInt8] {
        let resource: JSONValue = ["attributes": .array(resourceAttributes.keys.sorted().map { key in
            ["key": .string(key), "value": ["stringValue": .string(resourceAttributes[key]!)]]
        })]
        let scopeSpans: JSONValue = [
            "scope": ["name": .string(scopeName)],
            "spans": .array(spans.map(span)),
        ]
        let request: JSONValue = ["resourceSpans": [["resource": resource, "scopeSpans": [scopeSpans]]]]
        return CanonicalJSON.encode(request)
    }

    /// One span.
    static func span(_ span: RecordedSpan) -> JSONValue {
        var members: [String: JSONValue] = [
            "traceId": .string(span.traceID.description),
            "spanId": .string(span.spanID.description),
            "name": .string(span.name),
            "kind": .integer(kind(span.kind)),
            "startTimeUnixNano": .string(String(span.startTimeUnixNano)),
            "endTimeUnixNano": .string(String(span.endTimeUnixNano)),
        ]
        if let parent = span.parentSpanID { members["parentSpanId"] = .string(parent.description) }
        if let traceState = span.traceState { members["traceState"] = .string(traceState) }
        if !span.attributes.isEmpty { members["attributes"] = attributes(span.attributes) }
        if !span.events.isEmpty {
            members["events"] = .array(span.events.map { event in
                var fields: [String: JSONValue] = [
                    "name": .string(event.name), "timeUnixNano": .string(String(event.nanosecondsSinceEpoch)),
                ]
                if !event.attributes.isEmpty { fields["attributes"] = attributes(event.attributes) }
                return .object(fields)
            })
        }
        if let status = span.status {
            var fields: [String: JSONValue] = ["code": .integer(statusCode(status.code))]
            if let message = status.message, !message.isEmpty { fields["message"] = .string(message) }
            members["status"] = .object(fields)
        }
        return .object(members)
    }

    /// `[{"key": ..., "value": {...}}]`, sorted by key; attributes of a kind OTLP has no value for are left out.
    static func attributes(_ attributes: SpanAttributes) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        attributes.forEach { key, attribute in
            if let value = anyValue(attribute) { pairs.append((key, value)) }
        }
        return .array(pairs.sorted { $0.0 < $1.0 }.map { key, value in ["key": .string(key), "value": value] })
    }

    /// An `AnyValue`: `stringValue`, `boolValue`, `intValue` (a string), `doubleValue`, or
    /// `arrayValue` of those.
    static func anyValue(_ attribute: SpanAttribute) -> JSONValue? {
        switch attribute {
        case .string(let text): return ["stringValue": .string(text)]
        case .bool(let flag): return ["boolValue": .bool(flag)]
        case .int32(let number): return ["intValue": .string(String(number))]
        case .int64(let number): return ["intValue": .string(String(number))]
        case .double(let number): return ["doubleValue": double(number)]
        case .stringConvertible(let value): return ["stringValue": .string(String(describing: value))]
        case .stringArray(let texts): return array(texts.map { ["stringValue": .string($0)] })
        case .boolArray(let flags): return array(flags.map { ["boolValue": .bool($0)] })
        case .int32Array(let numbers): return array(numbers.map { ["intValue": .string(String($0))] })
        case .int64Array(let numbers): return array(numbers.map { ["intValue": .string(String($0))] })
        case .doubleArray(let numbers): return array(numbers.map { ["doubleValue": double($0)] })
        case .stringConvertibleArray(let values): return array(values.map { ["stringValue": .string(String(describing: $0))] })
        default: return nil
        }
    }

    /// `SpanKind`'s number: internal 1, server 2, client 3, producer 4, consumer 5.
    static func kind(_ kind: SpanKind) -> Int64 {
        switch kind {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }

    /// `Status.code`'s number: ok 1, error 2 (unset, 0, is left out with the status).
    static func statusCode(_ code: SpanStatus.Code) -> Int64 {
        switch code {
        case .ok: 1
        case .error: 2
        }
    }

    private static func array(_ values: [JSONValue]) -> JSONValue {
        ["arrayValue": ["values": .array(values)]]
    }

    /// A number, or for the values JSON has no number for, protobuf's strings `NaN`, `Infinity`, `-Infinity`.
    private static func double(_ number: Double) -> JSONValue {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return .string(number > 0 ? "Infinity" : "-Infinity") }
        return .double(number)
    }
}
