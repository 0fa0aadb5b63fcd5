import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing
@testable import RiskKernelTelemetry

@Suite("The OTLP/JSON exporter against a loopback HTTP server")
struct OTLPJSONExporterTests {
    func configuration(_ server: CapturingHTTPServer, queue: Int = 16, batch: Int = 3, timeout: Duration = .seconds(5)) -> OTLPJSONConfiguration {
        OTLPJSONConfiguration(
            endpoint: server.endpoint + "/v1/traces", headers: ["x-api-key": "key 1"],
            resourceAttributes: ["service.name": "rk-test"], timeout: timeout, scheduleDelay: .seconds(60),
            maxQueueSize: queue, maxExportBatchSize: batch)
    }

    func settings() -> TelemetrySettings {
        TelemetrySettings(tracesEndpoint: nil, protocolName: "http/json", includeContent: false)
    }

    func spans(_ request: CapturingHTTPServer.Request) throws -> [JSONValue] {
        let body = try JSONParser.parse(request.body)
        return body["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue ?? []
    }

    func recordModelCall(_ tracer: any GatewayTracer, model: String) {
        tracer.startModelCall(ModelCallTraceStart(provider: "openai", model: model, inputTokens: 1200, outputTokens: 340, runId: "run-1", meta: nil))
            .ended(result: ["dollars": "0.500000", "priced": true, "halted": false], error: nil)
    }

    @Test("a full batch is posted before the schedule, as application/json with the headers; the rest at shutdown")
    func batchAndShutdown() async throws {
        let server = try CapturingHTTPServer()
        defer { server.stop() }
        let log = LogRecorder()
        // A flush timeout far above the default: on a loaded machine the last export may take a while.
        let tracer = OTLPJSONGatewayTracer(
            settings: settings(), configuration: configuration(server, timeout: .seconds(60)), logger: log.logger, flushTimeout: .seconds(60))
        for index in 1...4 { recordModelCall(tracer, model: "model-\(index)") }

        let first = try #require(await server.waitFor(1).first)
        #expect(first.method == "POST" && first.path == "/v1/traces")
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.headers["x-api-key"] == "key 1")
        let batch = try spans(first)
        #expect(batch.count == 3)
        let span = try #require(batch.first)
        #expect(span["name"] == "riskkernel/recordModelCall" && span["kind"] == .integer(2))
        #expect(OTLPJSONEncoderTests.isLowercaseHex(span["traceId"], length: 32))
        #expect(OTLPJSONEncoderTests.isLowercaseHex(span["spanId"], length: 16))
        let attributes = Dictionary(uniqueKeysWithValues: (span["attributes"]?.arrayValue ?? []).compactMap { entry in
            entry["key"]?.stringValue.map { ($0, entry["value"] ?? .null) }
        })
        #expect(attributes["gen_ai.usage.input_tokens"] == ["intValue": "1200"])
        #expect(attributes["gen_ai.request.model"] == ["stringValue": "model-1"])
        #expect(attributes["riskkernel.dollars"] == ["stringValue": "0.500000"])
        #expect(attributes["riskkernel.priced"] == ["boolValue": true])
        #expect(try JSONParser.parse(first.body)["resourceSpans"]?.arrayValue?.first?["resource"]
                == ["attributes": [["key": "service.name", "value": ["stringValue": "rk-test"]]]])

        await tracer.shutdown()
        let requests = server.received
        #expect(requests.count == 2)
        let last = try spans(try #require(requests.last))
        #expect(last.count == 1)
        #expect(last.first.flatMap { span in span["attributes"]?.arrayValue?.first { $0["key"] == "gen_ai.request.model" } }?["value"]
                == ["stringValue": "model-4"])
        #expect(log.messages(at: .warning).isEmpty)
    }

    @Test("shutdown gives up after the flush timeout on a collector that does not answer")
    func flushTimeout() async throws {
        let server = try CapturingHTTPServer(answers: false)
        defer { server.stop() }
        let log = LogRecorder()
        // The export itself would wait ten minutes for an answer: shutdown returning at all (and
        // warning) shows that the flush timeout, not the export's, bounds it.
        let tracer = OTLPJSONGatewayTracer(
            settings: settings(), configuration: configuration(server, batch: 1, timeout: .seconds(600)), logger: log.logger,
            flushTimeout: .milliseconds(300))
        recordModelCall(tracer, model: "slow")
        // A full batch is posted at once: shutdown starts while that export waits for its answer.
        #expect(await server.waitFor(1).count == 1)

        await tracer.shutdown()
        #expect(log.messages(at: .warning).contains { $0.contains("not exported within") })
    }

    @Test("a collector that refuses: one warning, not one per batch")
    func refused() async throws {
        let server = try CapturingHTTPServer(status: 503)
        defer { server.stop() }
        let log = LogRecorder()
        let exporter = OTLPJSONExporter(configuration: configuration(server, batch: 1), logger: log.logger)
        let tracer = OTLPJSONTracer(queue: exporter.queue)
        for index in 0..<3 { tracer.startSpan("s\(index)", context: .topLevel).end() }
        await exporter.exportQueued()
        #expect(server.received.count == 3)
        let warnings = log.messages(at: .warning)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("HTTP 503") == true)
    }

    @Test("a full queue drops spans with one warning, and the total at the end")
    func fullQueue() async throws {
        let server = try CapturingHTTPServer()
        defer { server.stop() }
        let log = LogRecorder()
        let exporter = OTLPJSONExporter(configuration: configuration(server, queue: 2, batch: 2), logger: log.logger)
        let tracer = OTLPJSONTracer(queue: exporter.queue)
        for round in 0..<2 {
            for index in 0..<5 { tracer.startSpan("r\(round)s\(index)", context: .topLevel).end() }
            await exporter.exportQueued()
        }
        #expect(log.messages(at: .warning).count == 1)
        #expect(log.messages(at: .warning).first?.contains("queue is full (2 spans)") == true)
        exporter.finish()
        await exporter.run()
        #expect(log.messages(at: .warning).last?.contains("6 spans were dropped") == true)
        #expect(try server.received.flatMap(spans).count == 4)
    }
}
