import Testing
@testable import RiskKernelTelemetry

@Suite("What the OTLP/JSON exporter reads from the OTEL_* variables")
struct OTLPJSONConfigurationTests {
    func configuration(_ environment: [String: String], endpoint: String? = nil) throws -> OTLPJSONConfiguration {
        var environment = environment
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json"
        let settings = try #require(try TelemetrySettings.resolve(environment: environment, endpointOption: endpoint, includeContent: false))
        #expect(settings.protocolName == "http/json")
        return try OTLPJSONConfiguration.resolve(settings: settings, environment: environment)
    }

    @Test("key=value lists: trimmed, percent-decoded, split at the first =; a malformed entry voids the list")
    func keyValueLists() {
        let pairs = KeyValueList.parse(" api-key = secret%3Dvalue , note=a%2Cb c,,empty=, plus=a+b ")
        #expect(pairs?.map(\.key) == ["api-key", "note", "empty", "plus"])
        #expect(pairs?.map(\.value) == ["secret=value", "a,b c", "", "a+b"])
        #expect(KeyValueList.parse("k=v=w")?.first?.value == "v=w")
        #expect(KeyValueList.parse("")?.isEmpty == true)
        #expect(KeyValueList.parse("good=1,novalue") == nil)
        #expect(KeyValueList.parse("=orphan") == nil)
        #expect(KeyValueList.parse("bad=%zz") == nil)
    }

    @Test("the traces endpoint: --otel-endpoint, else the traces variable as it is, else the base URL plus /v1/traces")
    func endpoint() throws {
        #expect(try configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]).endpoint == "http://c:4318/v1/traces")
        #expect(try configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/base/"]).endpoint == "http://c:4318/base/v1/traces")
        #expect(try configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://t.example/custom",
        ]).endpoint == "https://t.example/custom")
        #expect(try configuration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://t.example/custom"], endpoint: "http://o:4318").endpoint == "http://o:4318/v1/traces")
        #expect(throws: TelemetrySettings.Problem.self) { try configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"]) }
        #expect(throws: TelemetrySettings.Problem.self) { try configuration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://c/v1/traces"]) }
    }

    @Test("headers: the shared list, overridden key by key by the traces list")
    func headers() throws {
        let both = try configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-tenant=shared",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-tenant=traces",
        ])
        #expect(both.headers == ["authorization": "Bearer abc", "x-tenant": "traces"])
        #expect(both.warnings.isEmpty)

        let malformed = try configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=secret-token,broken",
        ])
        #expect(malformed.headers.isEmpty)
        #expect(malformed.warnings.count == 1)
        #expect(malformed.warnings.allSatisfy { $0.contains("OTEL_EXPORTER_OTLP_HEADERS") && !$0.contains("secret-token") })
    }

    @Test("resource attributes, and service.name from OTEL_SERVICE_NAME, the attributes or riskkernel")
    func resource() throws {
        let base = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]
        #expect(try configuration(base).resourceAttributes == ["service.name": "riskkernel"])
        let attributes = base.merging(["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.name=from-attributes,team=a%20b"]) { $1 }
        #expect(try configuration(attributes).resourceAttributes == [
            "deployment.environment": "prod", "service.name": "from-attributes", "team": "a b",
        ])
        let named = attributes.merging(["OTEL_SERVICE_NAME": "agent"]) { $1 }
        #expect(try configuration(named).resourceAttributes["service.name"] == "agent")
        let malformed = try configuration(base.merging(["OTEL_RESOURCE_ATTRIBUTES": "no-equals-sign"]) { $1 })
        #expect(malformed.resourceAttributes == ["service.name": "riskkernel"])
        #expect(malformed.warnings.count == 1)
    }

    @Test("timeout and batching: defaults, the variables, and bad values ignored with a warning")
    func batching() throws {
        let defaults = try configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"])
        #expect(defaults.timeout == .seconds(10) && defaults.scheduleDelay == .seconds(1))
        #expect(defaults.maxQueueSize == 2048 && defaults.maxExportBatchSize == 512)
        let set = try configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "500",
        ])
        #expect(set.timeout == .milliseconds(2500) && set.scheduleDelay == .milliseconds(200))
        #expect(set.maxQueueSize == 100 && set.maxExportBatchSize == 100)
        let bad = try configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_BSP_SCHEDULE_DELAY": "soon"])
        #expect(bad.scheduleDelay == .seconds(1))
        #expect(bad.warnings == ["OTEL_BSP_SCHEDULE_DELAY must be a positive integer: ignored"])
    }

    @Test("variables this exporter does not apply are reported")
    func unapplied() throws {
        let configuration = try configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": "/etc/ca.pem", "OTEL_TRACES_SAMPLER": "always_off",
        ])
        #expect(configuration.warnings.count == 3)
        #expect(configuration.warnings.contains { $0.hasPrefix("OTEL_EXPORTER_OTLP_COMPRESSION") })
        #expect(configuration.warnings.contains { $0.hasPrefix("OTEL_EXPORTER_OTLP_CERTIFICATE") })
        #expect(configuration.warnings.contains { $0.hasPrefix("OTEL_TRACES_SAMPLER") })
    }
}
