import Logging
import RiskKernelCore
import RiskKernelGateway
import Tracing

/// The gateway's tracer for `http/json`: the same spans as ``OTelGatewayTracer`` (the same
/// ``OTelToolCallTrace`` and ``OTelModelCallTrace`` over a different `Tracer`), exported by
/// RiskKernel's own OTLP/JSON exporter, which writes ids in hex as OTLP/JSON requires.
///
/// On the call path a span only appends to the in-memory queue when it ends; requests are made by a
/// background task.
final class OTLPJSONGatewayTracer: GatewayTracer {
    let includesContent: Bool
    let tracer: OTLPJSONTracer
    private let exporter: OTLPJSONExporter
    private let running: Task<Void, Never>
    private let logger: Logger
    /// How long ``shutdown()`` waits for the last spans to be exported.
    private let flushTimeout: Duration

    /// Starts the exporter's background task.
    init(settings: TelemetrySettings, configuration: OTLPJSONConfiguration, logger: Logger, flushTimeout: Duration = .seconds(5)) {
        let exporter = OTLPJSONExporter(configuration: configuration, logger: logger)
        self.exporter = exporter
        tracer = OTLPJSONTracer(queue: exporter.queue)
        running = Task { await exporter.run() }
        includesContent = settings.includeContent
        self.logger = logger
        self.flushTimeout = flushTimeout
    }

    func startToolCall(_ start: ToolCallTraceStart) -> any ToolCallTrace {
        OTelToolCallTrace(tracer: tracer, start: start, parent: MetaExtractor.parentContext(start.meta, tracer: tracer))
    }

    func startModelCall(_ start: ModelCallTraceStart) -> any ModelCallTrace {
        OTelModelCallTrace(tracer: tracer, start: start, parent: MetaExtractor.parentContext(start.meta, tracer: tracer))
    }

    /// Exports what is left, waiting at most the flush timeout, as ``OTelGatewayTracer/shutdown()`` does.
    func shutdown() async {
        exporter.finish()
        let flushed = await FlushDeadline.wait(for: running, atMost: flushTimeout)
        if !flushed {
            logger.warning("OpenTelemetry: spans not exported within \(flushTimeout) at shutdown were dropped")
            running.cancel()
        }
    }
}
