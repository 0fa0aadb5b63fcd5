import Foundation
import Logging
import RiskKernelGateway

/// Where the gateway's span exporter is chosen, by the OTLP protocol the settings name.
public enum GatewayTracerFactory {
    /// The tracer for `settings`: RiskKernel's own OTLP/JSON exporter for `http/json`
    /// (which reads the `OTEL_*` variables in `environment` itself), swift-otel's exporter for
    /// `http/protobuf` (``OTelGatewayTracer``, which reads them from the process). Settings that are set but not applied
    /// are logged as warnings. `flushTimeout` bounds the wait for the last spans at shutdown.
    public static func makeTracer(
        settings: TelemetrySettings, environment: [String: String], logger: Logger, flushTimeout: Duration = .seconds(5)
    ) throws -> any GatewayTracer {
        switch settings.protocolName {
        case "http/json":
            let configuration = try OTLPJSONConfiguration.resolve(settings: settings, environment: environment)
            for warning in configuration.warnings { logger.warning("OpenTelemetry: \(warning)") }
            return OTLPJSONGatewayTracer(settings: settings, configuration: configuration, logger: logger, flushTimeout: flushTimeout)
        default:
            return try OTelGatewayTracer(settings: settings, logger: logger, flushTimeout: flushTimeout)
        }
    }
}
