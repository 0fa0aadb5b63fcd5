import Foundation
import Logging
import OTel
import RiskKernelCore
import RiskKernelGateway
import ServiceLifecycle
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's tracer over swift-otel: spans are batched and posted to an OTLP/HTTP endpoint
/// (`http/protobuf`) by a background service that runs until ``shutdown()``.
///
/// swift-otel reads the standard variables itself (`OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`, `OTEL_PROPAGATORS`...). Its own diagnostics go to the
/// gateway's logger, on stderr: stdout carries protocol messages only.
public final class OTelGatewayTracer: GatewayTracer {
    public let includesContent: Bool
    let tracer: any Tracer
    private let group: ServiceGroup
    private let running: Task<Void, Never>
    private let logger: Logger
    /// How long ``shutdown()`` waits for the last spans to be exported.
    private let flushTimeout: Duration

    /// Starts the exporter. `--otel-endpoint` is applied by setting `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
    /// in this process (before anything else reads the environment), so that it wins over the variables.
    public init(settings: TelemetrySettings, logger: Logger, flushTimeout: Duration = .seconds(5)) throws {
        if let endpoint = settings.tracesEndpoint {
            setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint, 1)
            setenv("OTEL_TRACES_EXPORTER", "otlp", 1)
            unsetenv("OTEL_SDK_DISABLED")
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "riskkernel"
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = Self.diagnosticLevel(for: logger.logLevel)
        configuration.propagators = [.traceContext]
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        tracer = backend.factory
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [backend.service], logger: logger))
        self.group = group
        running = Task {
            do {
                try await group.run()
            } catch {
                logger.warning("OpenTelemetry exporter stopped: \(error)")
            }
        }
        includesContent = settings.includeContent
        self.logger = logger
        self.flushTimeout = flushTimeout
    }

    public func startToolCall(_ start: ToolCallTraceStart) -> any ToolCallTrace {
        OTelToolCallTrace(tracer: tracer, start: start, parent: MetaExtractor.parentContext(start.meta, tracer: tracer))
    }

    public func startModelCall(_ start: ModelCallTraceStart) -> any ModelCallTrace {
        OTelModelCallTrace(tracer: tracer, start: start, parent: MetaExtractor.parentContext(start.meta, tracer: tracer))
    }

    /// Exports what is left, waiting at most the flush timeout (a collector that is down must not
    /// hold the gateway's exit).
    public func shutdown() async {
        await group.triggerGracefulShutdown()
        let flushed = await FlushDeadline.wait(for: running, atMost: flushTimeout)
        if !flushed {
            logger.warning("OpenTelemetry: spans not exported within \(flushTimeout) at shutdown were dropped")
            running.cancel()
        }
    }

    /// swift-otel's diagnostics at the gateway's log level (it has no `notice` or `critical`).
    static func diagnosticLevel(for level: Logger.Level) -> OTel.Configuration.LogLevel {
        switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice, .warning: .warning
        case .error, .critical: .error
        }
    }
}
