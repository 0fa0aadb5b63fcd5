import Testing
@testable import RiskKernelTelemetry

@Suite("When and how the gateway exports spans")
struct TelemetrySettingsTests {
    func resolve(_ environment: [String: String], endpoint: String? = nil, content: Bool = false) throws(TelemetrySettings.Problem) -> TelemetrySettings? {
        try TelemetrySettings.resolve(environment: environment, endpointOption: endpoint, includeContent: content)
    }

    @Test("nothing configured: no exporter")
    func nothingConfigured() throws {
        #expect(try resolve([:]) == nil)
        #expect(try resolve(["OTEL_SERVICE_NAME": "agent", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) == nil)
        #expect(try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "  "]) == nil)
    }

    @Test("an endpoint variable turns tracing on, http/protobuf by default")
    func endpointVariables() throws {
        let shared = try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"])
        #expect(shared == TelemetrySettings(tracesEndpoint: nil, protocolName: "http/protobuf", includeContent: false))
        let traces = try resolve(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces", "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/protobuf"])
        #expect(traces?.protocolName == "http/protobuf")
        let specific = try resolve([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
        ])
        #expect(specific?.protocolName == "http/protobuf")
    }

    @Test("the variables that turn tracing off, unless --otel-endpoint is given")
    func disabled() throws {
        #expect(try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"]) == nil)
        #expect(try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"]) == nil)
        #expect(try resolve(["OTEL_SDK_DISABLED": "true"], endpoint: "http://c:4318") != nil)
    }

    @Test("http/json is served, from either protocol variable, in any case")
    func json() throws {
        let shared = try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/JSON"])
        #expect(shared == TelemetrySettings(tracesEndpoint: nil, protocolName: "http/json", includeContent: false))
        let traces = try resolve([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json",
        ])
        #expect(traces?.protocolName == "http/json")
        let option = try resolve(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"], endpoint: "http://h:4318", content: true)
        #expect(option == TelemetrySettings(tracesEndpoint: "http://h:4318/v1/traces", protocolName: "http/json", includeContent: true))
    }

    @Test("gRPC, unknown protocols and other exporters are refused with what to set instead")
    func refused() {
        #expect(throws: TelemetrySettings.Problem.self) { try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) }
        #expect(throws: TelemetrySettings.Problem.self) { try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "udp"]) }
        #expect(throws: TelemetrySettings.Problem.self) { try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_TRACES_EXPORTER": "console"]) }
        do {
            _ = try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        } catch {
            #expect(error.description.contains("http/protobuf"))
            #expect(error.description.contains("http/json"))
        }
    }

    @Test("--otel-endpoint is a base URL; spans go to its /v1/traces")
    func endpointOption() throws {
        #expect(try resolve([:], endpoint: "http://localhost:4318")?.tracesEndpoint == "http://localhost:4318/v1/traces")
        #expect(try resolve([:], endpoint: "http://localhost:4318/")?.tracesEndpoint == "http://localhost:4318/v1/traces")
        #expect(try resolve([:], endpoint: "https://otel.example/v1/traces")?.tracesEndpoint == "https://otel.example/v1/traces")
        #expect(try resolve([:], endpoint: "http://h:4318", content: true)?.includeContent == true)
        #expect(throws: TelemetrySettings.Problem.self) { try resolve([:], endpoint: "localhost:4318") }
        #expect(throws: TelemetrySettings.Problem.self) { try resolve([:], endpoint: "ftp://h/") }
    }
}
