import Foundation

/// Where and how the `http/json` exporter posts spans: ``TelemetrySettings`` plus the standard
/// `OTEL_*` variables, which this exporter reads itself (swift-otel reads them for `http/protobuf`).
struct OTLPJSONConfiguration: Sendable, Equatable {
    /// The traces URL: `--otel-endpoint`, else `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` added.
    var endpoint: String
    /// Extra request headers: `OTEL_EXPORTER_OTLP_HEADERS`, overridden key by key by
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`.
    var headers: [String: String]
    /// The resource's attributes: `OTEL_RESOURCE_ATTRIBUTES`, with `service.name` from
    /// `OTEL_SERVICE_NAME` (which wins), else from those attributes, else `riskkernel`.
    var resourceAttributes: [String: String]
    /// How long one export request may take (`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`, in milliseconds; 10 s by default).
    var timeout: Duration
    /// How often queued spans are exported (`OTEL_BSP_SCHEDULE_DELAY`, milliseconds; 1 s by default).
    var scheduleDelay: Duration
    /// How many ended spans may wait; more are dropped (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    var maxQueueSize: Int
    /// The most spans one request carries, and the queue length that triggers an export before the
    /// schedule (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    var maxExportBatchSize: Int
    /// Variables that were set but are ignored, to be logged once at startup (never with their values:
    /// headers may hold credentials).
    var warnings: [String] = []

    static let defaultServiceName = "riskkernel"

    /// The configuration for these settings in this environment.
    static func resolve(settings: TelemetrySettings, environment: [String: String]) throws(TelemetrySettings.Problem) -> OTLPJSONConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        var warnings: [String] = []
        /// The first of `names` that is set, as a positive integer.
        func positive(_ names: [String], default fallback: Int) -> Int {
            for name in names {
                guard let text = value(name) else { continue }
                if let number = Int(text), number > 0 { return number }
                warnings.append("\(name) must be a positive integer: ignored")
                return fallback
            }
            return fallback
        }

        let endpoint = try tracesEndpoint(settings: settings, value: value)

        var headers: [String: String] = [:]
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            guard let text = value(name) else { continue }
            guard let pairs = KeyValueList.parse(text) else {
                warnings.append("\(name) is not a list of key=value pairs (separated by commas, percent-encoded): ignored")
                continue
            }
            for (key, headerValue) in pairs { headers[key] = headerValue }
        }

        var resource: [String: String] = [:]
        if let text = value("OTEL_RESOURCE_ATTRIBUTES") {
            if let pairs = KeyValueList.parse(text) {
                for (key, attributeValue) in pairs { resource[key] = attributeValue }
            } else {
                warnings.append("OTEL_RESOURCE_ATTRIBUTES is not a list of key=value pairs (separated by commas, percent-encoded): ignored")
            }
        }
        if let serviceName = value("OTEL_SERVICE_NAME") {
            resource["service.name"] = serviceName
        } else if resource["service.name"] == nil {
            resource["service.name"] = defaultServiceName
        }

        let timeout = positive(["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"], default: 10_000)
        let delay = positive(["OTEL_BSP_SCHEDULE_DELAY"], default: 1_000)
        let queueSize = positive(["OTEL_BSP_MAX_QUEUE_SIZE"], default: 2_048)
        let batchSize = min(positive(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"], default: 512), queueSize)

        for name in ["OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] {
            if let text = value(name), text.lowercased() != "none" {
                warnings.append("\(name) is not applied with http/json: spans are sent uncompressed")
            }
        }
        for stem in ["CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"] {
            for name in ["OTEL_EXPORTER_OTLP_\(stem)", "OTEL_EXPORTER_OTLP_TRACES_\(stem)"] where value(name) != nil {
                warnings.append("\(name) is not applied with http/json (the system's trust roots are used); use http/protobuf for custom TLS certificates")
            }
        }
        if let sampler = value("OTEL_TRACES_SAMPLER"), sampler.lowercased() != "parentbased_always_on" {
            warnings.append("OTEL_TRACES_SAMPLER is not applied with http/json: every span is exported unless its incoming traceparent is not sampled")
        }

        return OTLPJSONConfiguration(
            endpoint: endpoint, headers: headers, resourceAttributes: resource, timeout: .milliseconds(timeout),
            scheduleDelay: .milliseconds(delay), maxQueueSize: queueSize, maxExportBatchSize: batchSize, warnings: warnings)
    }

    private static func tracesEndpoint(settings: TelemetrySettings, value: (String) -> String?) throws(TelemetrySettings.Problem) -> String {
        if let endpoint = settings.tracesEndpoint { return endpoint }
        if let endpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            try requireHTTPURL(endpoint, variable: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            return endpoint
        }
        let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") ?? "http://localhost:4318"
        try requireHTTPURL(base, variable: "OTEL_EXPORTER_OTLP_ENDPOINT")
        return base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
    }

    private static func requireHTTPURL(_ text: String, variable: String) throws(TelemetrySettings.Problem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw TelemetrySettings.Problem(description: "\(variable) must be an http:// or https:// URL such as http://localhost:4318, got \(text)")
        }
    }
}
