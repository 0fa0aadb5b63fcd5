import Foundation

/// Whether and where the gateway exports spans, read from `--otel-endpoint`, `--otel-include-content`
/// and the standard `OTEL_*` variables.
///
/// Tracing is on when `--otel-endpoint`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
/// OTLP over HTTP is served with protobuf bodies (`http/protobuf`, the default, exported by swift-otel)
/// or JSON bodies (`http/json`, exported by RiskKernel's own OTLP/JSON exporter: swift-otel 1.6.0
/// writes trace and span ids in base64 in JSON, where OTLP/JSON requires hex). `grpc` (not built in)
/// and exporters other than `otlp` are refused, with an error that says what to set instead.
public struct TelemetrySettings: Sendable, Equatable {
    /// The URL spans are posted to, when `--otel-endpoint` gave it (else the exporter reads the
    /// `OTEL_EXPORTER_OTLP_*` variables itself).
    public var tracesEndpoint: String?
    /// `http/protobuf` or `http/json` (lower case).
    public var protocolName: String
    /// Whether spans carry (redacted) argument and result values.
    public var includeContent: Bool

    /// A configuration that cannot be served, with the variable or option to change.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The settings for this environment and these options, or `nil` when nothing asks for tracing.
    public static func resolve(
        environment: [String: String], endpointOption: String?, includeContent: Bool
    ) throws(Problem) -> TelemetrySettings? {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let exporter = value("OTEL_TRACES_EXPORTER")?.lowercased()
        if endpointOption == nil {
            // --otel-endpoint wins over the variables that turn tracing off.
            if value("OTEL_SDK_DISABLED")?.lowercased() == "true" || exporter == "none" { return nil }
            guard value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil || value("OTEL_EXPORTER_OTLP_ENDPOINT") != nil else { return nil }
        }
        if let exporter, exporter != "otlp", exporter != "none" {
            throw Problem(description: "OTEL_TRACES_EXPORTER=\(exporter) is not supported: riskkernel exports spans with OTLP only (set it to otlp or none)")
        }
        let protocolName = (value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf").lowercased()
        switch protocolName {
        case "http/protobuf", "http/json":
            break
        case "grpc":
            throw Problem(description: "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: riskkernel exports OTLP over HTTP only; set it to http/protobuf (or http/json) and point the endpoint at the collector's HTTP port (usually 4318)")
        default:
            throw Problem(description: "OTEL_EXPORTER_OTLP_PROTOCOL=\(protocolName) is not a protocol riskkernel knows: use http/protobuf or http/json")
        }
        var settings = TelemetrySettings(tracesEndpoint: nil, protocolName: protocolName, includeContent: includeContent)
        if let endpointOption { settings.tracesEndpoint = try tracesURL(fromOption: endpointOption) }
        return settings
    }

    /// `--otel-endpoint` names the collector's base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` does:
    /// spans go to its `/v1/traces` (a URL that already ends so is used as it is).
    static func tracesURL(fromOption option: String) throws(Problem) -> String {
        guard let components = URLComponents(string: option), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw Problem(description: "--otel-endpoint must be an http:// or https:// URL such as http://localhost:4318, got \(option)")
        }
        if components.path.hasSuffix("/v1/traces") { return option }
        return option.hasSuffix("/") ? option + "v1/traces" : option + "/v1/traces"
    }
}
