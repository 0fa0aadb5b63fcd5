import Foundation
import Logging
import RiskKernelGateway
import RiskKernelTelemetry

/// Starts the gateway's span exporter when `--otel-endpoint` or the `OTEL_*` variables ask for one.
enum GatewayTelemetry {
    /// The tracer, or `nil` when nothing asks for tracing (then nothing is started).
    static func makeTracer(endpoint: String?, includeContent: Bool, logger: Logger) throws -> (any GatewayTracer)? {
        let environment = ProcessInfo.processInfo.environment
        let settings: TelemetrySettings?
        do {
            settings = try TelemetrySettings.resolve(
                environment: environment, endpointOption: endpoint, includeContent: includeContent)
        } catch {
            throw CLIError(error.description)
        }
        guard let settings else {
            if includeContent { logger.warning("--otel-include-content has no effect: no OpenTelemetry endpoint is configured") }
            return nil
        }
        do {
            let tracer = try GatewayTracerFactory.makeTracer(settings: settings, environment: environment, logger: logger)
            logger.info("exporting spans with OTLP \(settings.protocolName)\(settings.includeContent ? " (with arguments and results)" : "")")
            return tracer
        } catch {
            throw CLIError("cannot start the OpenTelemetry exporter: \(error)")
        }
    }
}
