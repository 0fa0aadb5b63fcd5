import RiskKernelCore
import Testing
import Tracing
import W3CTraceContext
@testable import RiskKernelTelemetry

@Suite("The OTLP/JSON body of an export request")
struct OTLPJSONEncoderTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// A finished span with one attribute of every kind, an event and an error status.
    func finishedSpan(parent: Bool = true) throws -> RecordedSpan {
        let incoming = try TraceContext(traceParentHeaderValue: Self.traceparent)
        var attributes: SpanAttributes = [:]
        attributes["text"] = "a \"quoted\" value"
        attributes["count"] = SpanAttribute.int64(1200)
        attributes["small"] = SpanAttribute.int32(-7)
        attributes["ratio"] = 0.25
        attributes["flag"] = true
        attributes["names"] = SpanAttribute.stringArray(["a", "b"])
        attributes["sizes"] = SpanAttribute.int64Array([1, 9_007_199_254_740_993])
        attributes["not-a-number"] = SpanAttribute.double(.nan)
        return RecordedSpan(
            name: "tools/call echo", kind: .server, traceID: incoming.traceID, spanID: SpanID.random(),
            parentSpanID: parent ? incoming.spanID : nil, traceState: nil,
            startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: 1_700_000_000_987_654_321,
            attributes: attributes, status: SpanStatus(code: .error, message: "refused by rule allowlist"),
            events: [SpanEvent(name: "exception", at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: 1_700_000_000_500_000_000),
                               attributes: ["exception.message": "boom"])])
    }

    func encoded(_ spans: [RecordedSpan], resource: [String: String] = ["service.name": "rk"]) throws -> JSONValue {
        try JSONParser.parse(OTLPJSONEncoder.body(spans: spans, resourceAttributes: resource))
    }

    func attribute(_ span: JSONValue, _ key: String) -> JSONValue? {
        span["attributes"]?.arrayValue?.first { $0["key"] == .string(key) }?["value"]
    }

    static func isLowercaseHex(_ value: JSONValue?, length: Int) -> Bool {
        guard let text = value?.stringValue else { return false }
        return text.count == length && text.allSatisfy { "0123456789abcdef".contains($0) }
    }

    @Test("ids are lowercase hex of 32 and 16 characters; the parent is the incoming span")
    func hexIds() throws {
        let span = try finishedSpan()
        let body = try encoded([span])
        let json = try #require(body["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue?.first)
        #expect(json["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(json["parentSpanId"] == "00f067aa0ba902b7")
        #expect(Self.isLowercaseHex(json["spanId"], length: 16))
        #expect(json["spanId"]?.stringValue == span.spanID.description)
        #expect(json["spanId"] != json["parentSpanId"])

        let root = OTLPJSONEncoder.span(try finishedSpan(parent: false))
        #expect(root["parentSpanId"] == nil)
        #expect(Self.isLowercaseHex(root["traceId"], length: 32))
    }

    @Test("times are unix nanoseconds as strings; kind and status code are integers")
    func timesKindStatus() throws {
        let json = OTLPJSONEncoder.span(try finishedSpan())
        #expect(json["startTimeUnixNano"] == "1700000000123456789")
        #expect(json["endTimeUnixNano"] == "1700000000987654321")
        #expect(json["name"] == "tools/call echo")
        #expect(json["kind"] == .integer(2))
        #expect(json["status"] == ["code": 2, "message": "refused by rule allowlist"])
        #expect(json["events"] == [["name": "exception", "timeUnixNano": "1700000000500000000",
                                    "attributes": [["key": "exception.message", "value": ["stringValue": "boom"]]]]])

        var span = try finishedSpan()
        span.status = SpanStatus(code: .ok)
        #expect(OTLPJSONEncoder.span(span)["status"] == ["code": 1])
        span.status = nil
        span.events = []
        #expect(OTLPJSONEncoder.span(span)["status"] == nil)
        #expect(OTLPJSONEncoder.span(span)["events"] == nil)
        #expect([SpanKind.internal, .server, .client, .producer, .consumer].map(OTLPJSONEncoder.kind) == [1, 2, 3, 4, 5])
    }

    @Test("attribute values: stringValue, intValue as a string, doubleValue, boolValue, arrayValue")
    func attributeKinds() throws {
        let json = OTLPJSONEncoder.span(try finishedSpan())
        #expect(attribute(json, "text") == ["stringValue": "a \"quoted\" value"])
        #expect(attribute(json, "count") == ["intValue": "1200"])
        #expect(attribute(json, "small") == ["intValue": "-7"])
        #expect(attribute(json, "ratio") == ["doubleValue": 0.25])
        #expect(attribute(json, "flag") == ["boolValue": true])
        #expect(attribute(json, "names") == ["arrayValue": ["values": [["stringValue": "a"], ["stringValue": "b"]]]])
        #expect(attribute(json, "sizes") == ["arrayValue": ["values": [["intValue": "1"], ["intValue": "9007199254740993"]]]])
        #expect(attribute(json, "not-a-number") == ["doubleValue": "NaN"])
        let keys = json["attributes"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(keys == keys?.sorted())
    }

    @Test("the request: resource attributes, the riskkernel scope, every span")
    func request() throws {
        let body = try encoded([try finishedSpan(), try finishedSpan(parent: false)],
                               resource: ["service.name": "rk-test", "deployment.environment": "ci"])
        let resourceSpans = try #require(body["resourceSpans"]?.arrayValue)
        #expect(resourceSpans.count == 1)
        #expect(resourceSpans[0]["resource"] == ["attributes": [
            ["key": "deployment.environment", "value": ["stringValue": "ci"]],
            ["key": "service.name", "value": ["stringValue": "rk-test"]],
        ]])
        let scopeSpans = try #require(resourceSpans[0]["scopeSpans"]?.arrayValue)
        #expect(scopeSpans.count == 1)
        #expect(scopeSpans[0]["scope"] == ["name": "riskkernel"])
        #expect(scopeSpans[0]["spans"]?.arrayValue?.count == 2)
    }
}
