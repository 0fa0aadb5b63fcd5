import RiskKernelCore
import RiskKernelGateway
import Testing
import Tracing
@testable import RiskKernelTelemetry

@Suite("The OTLP/JSON tracer: spans, ids and W3C trace context")
struct OTLPJSONTracerTests {
    static let incomingTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let incomingSpan = "00f067aa0ba902b7"

    /// A tracer over a queue that never exports, and the queue.
    func tracer(capacity: Int = 64) -> (OTLPJSONTracer, SpanQueue) {
        let (_, wake) = AsyncStream.makeStream(of: Void.self)
        let queue = SpanQueue(capacity: capacity, batchSize: capacity, wake: wake)
        return (OTLPJSONTracer(queue: queue), queue)
    }

    func context(traceparent: String) -> ServiceContext {
        let (tracer, _) = tracer()
        var context = ServiceContext.topLevel
        tracer.extract(["traceparent": traceparent], into: &context, using: MetaExtractor())
        return context
    }

    @Test("a span without a parent starts a trace; its child joins it; ending queues each span once")
    func parentAndChild() throws {
        let (tracer, queue) = tracer()
        let root = tracer.startSpan("root", context: .topLevel, ofKind: .server)
        let child = tracer.startSpan("child", context: root.context, ofKind: .client)
        child.attributes["n"] = 3
        child.setStatus(SpanStatus(code: .error, message: "failed"))
        child.end()
        child.end()
        child.attributes["after"] = "ignored"
        root.end()

        let spans = queue.take(atMost: 10)
        #expect(spans.map(\.name) == ["child", "root"])
        let (finishedChild, finishedRoot) = (spans[0], spans[1])
        #expect(finishedRoot.parentSpanID == nil)
        #expect(finishedChild.parentSpanID == finishedRoot.spanID)
        #expect(finishedChild.traceID == finishedRoot.traceID)
        #expect(finishedChild.spanID != finishedRoot.spanID)
        #expect(finishedRoot.traceID.description.count == 32 && finishedRoot.spanID.description.count == 16)
        #expect(finishedChild.kind == .client && finishedRoot.kind == .server)
        #expect(finishedChild.attributes.get("n") == .int64(3))
        #expect(finishedChild.attributes.get("after") == nil)
        #expect(finishedChild.status == SpanStatus(code: .error, message: "failed"))
        #expect(finishedRoot.startTimeUnixNano > 1_600_000_000_000_000_000)
        #expect(finishedRoot.endTimeUnixNano >= finishedRoot.startTimeUnixNano)
        #expect(queue.count == 0)
    }

    @Test("an incoming traceparent is continued, and injection names the current span")
    func propagation() throws {
        let (tracer, queue) = tracer()
        let parent = context(traceparent: "00-\(Self.incomingTrace)-\(Self.incomingSpan)-01")
        let span = tracer.startSpan("continued", context: parent, ofKind: .server)
        var members: [String: String] = [:]
        tracer.inject(span.context, into: &members, using: MetaInjector())
        span.end()

        let finished = try #require(queue.take(atMost: 1).first)
        #expect(finished.traceID.description == Self.incomingTrace)
        #expect(finished.parentSpanID?.description == Self.incomingSpan)
        #expect(members == ["traceparent": "00-\(Self.incomingTrace)-\(finished.spanID)-01"])
    }

    @Test("a traceparent that is not sampled: nothing is exported, and the flag is passed on")
    func notSampled() {
        let (tracer, queue) = tracer()
        let span = tracer.startSpan("quiet", context: context(traceparent: "00-\(Self.incomingTrace)-\(Self.incomingSpan)-00"), ofKind: .server)
        #expect(!span.isRecording)
        var members: [String: String] = [:]
        tracer.inject(span.context, into: &members, using: MetaInjector())
        span.end()
        #expect(queue.count == 0)
        #expect(members["traceparent"]?.hasPrefix("00-\(Self.incomingTrace)-") == true)
        #expect(members["traceparent"]?.hasSuffix("-00") == true)
    }

    @Test("an invalid traceparent is ignored: the span starts a trace of its own")
    func invalidTraceparent() throws {
        let (tracer, queue) = tracer()
        for bad in ["00-\(Self.incomingTrace.uppercased())-\(Self.incomingSpan)-01", "garbage", "00-00000000000000000000000000000000-\(Self.incomingSpan)-01"] {
            tracer.startSpan("fresh", context: context(traceparent: bad), ofKind: .server).end()
            let finished = try #require(queue.take(atMost: 1).first)
            #expect(finished.parentSpanID == nil)
            #expect(finished.traceID.description != Self.incomingTrace)
        }
    }

    @Test("a full queue drops spans and counts them")
    func boundedQueue() {
        let (tracer, queue) = tracer(capacity: 3)
        for index in 0..<5 { tracer.startSpan("s\(index)", context: .topLevel).end() }
        #expect(queue.count == 3)
        #expect(queue.takeDroppedCount() == 2)
        #expect(queue.takeDroppedCount() == 0)
        #expect(queue.take(atMost: 2).map(\.name) == ["s0", "s1"])
        #expect(queue.take(atMost: 2).map(\.name) == ["s2"])
    }

    @Test("the queue wakes the exporter when a full batch is waiting")
    func wakesAtBatchSize() async {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let queue = SpanQueue(capacity: 10, batchSize: 3, wake: wake)
        let tracer = OTLPJSONTracer(queue: queue)
        tracer.startSpan("a", context: .topLevel).end()
        tracer.startSpan("b", context: .topLevel).end()
        wake.finish()
        var woken = 0
        for await _ in wakeups { woken += 1 }
        #expect(woken == 0)

        let (wakeups2, wake2) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let queue2 = SpanQueue(capacity: 10, batchSize: 3, wake: wake2)
        for name in ["a", "b", "c"] { OTLPJSONTracer(queue: queue2).startSpan(name, context: .topLevel).end() }
        wake2.finish()
        woken = 0
        for await _ in wakeups2 { woken += 1 }
        #expect(woken == 1)
    }

    @Test("the gateway's tool call trace runs unchanged over this tracer")
    func toolCallTrace() throws {
        let (tracer, queue) = tracer()
        let meta: JSONValue = ["traceparent": .string("00-\(Self.incomingTrace)-\(Self.incomingSpan)-01")]
        let start = ToolCallTraceStart(tool: "echo", requestId: "7", runId: "run-1", meta: meta, arguments: nil)
        let trace = OTelToolCallTrace(tracer: tracer, start: start, parent: MetaExtractor.parentContext(meta, tracer: tracer))
        trace.decided(.allow)
        let forwarded = trace.upstreamStarted()
        trace.upstreamEnded(error: nil, result: nil)
        trace.ended(error: nil)

        let spans = queue.take(atMost: 10)
        let root = try #require(spans.first { $0.name == "tools/call echo" && $0.kind == .server })
        #expect(root.traceID.description == Self.incomingTrace)
        #expect(root.parentSpanID?.description == Self.incomingSpan)
        #expect(root.attributes.get("gen_ai.tool.name") == .string("echo"))
        #expect(root.attributes.get("riskkernel.decision") == .string("allow"))
        #expect(root.status == nil)
        let children = spans.filter { $0.parentSpanID == root.spanID }
        #expect(Set(children.map { "\($0.name) \($0.kind)" }) == ["riskkernel.decision internal", "tools/call echo client"])
        #expect(children.allSatisfy { $0.traceID == root.traceID })
        #expect(forwarded == ["traceparent": "00-\(Self.incomingTrace)-\(root.spanID)-01"])
    }
}
