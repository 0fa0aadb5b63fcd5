// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RiskKernel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "riskkernel", targets: ["riskkernel"]),
        .executable(name: "riskkernel-bench", targets: ["riskkernel-bench"]),
        .library(name: "RiskKernelCore", targets: ["RiskKernelCore"]),
        .library(name: "RiskKernelStore", targets: ["RiskKernelStore"]),
        .library(name: "RiskKernelGateway", targets: ["RiskKernelGateway"]),
        .library(name: "RiskKernelProvenance", targets: ["RiskKernelProvenance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // OTLP/HTTP only: the gRPC exporter (and grpc-swift) is not built.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Already in the graph through swift-otel; used directly by the OTLP/JSON exporter (http/json).
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The LLM proxy's HTTP server (`riskkernel llm-proxy`).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The approvals console's server-rendered pages (`riskkernel console`).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Already in the graph through Hummingbird, AsyncHTTPClient and postgres-nio; the proxy uses ByteBuffer and HTTP/1 types.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Byte searches in vector registers (AVX2, SSE): the secrets prefilter, the ends of JSON strings' runs, runs of ASCII.
        .target(name: "CRiskKernelScan"),
        // glibc's heap limits (mallopt), which Swift's Glibc module does not export.
        .target(name: "CRiskKernelHeap"),
        .target(
            name: "RiskKernelCore",
            dependencies: ["CRiskKernelScan", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "RiskKernelStore",
            dependencies: [
                "RiskKernelCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "RiskKernelGateway",
            dependencies: [
                "RiskKernelCore",
                "RiskKernelStore",
                .product(name: "Logging", package: "swift-log"),
                // Approval webhooks (--notify-webhook).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // OpenTelemetry spans for the gateway's tool and model calls (implementations of
        // RiskKernelGateway's GatewayTracer: swift-otel's OTLP/HTTP exporter for http/protobuf, and
        // an OTLP/JSON exporter of our own for http/json).
        .target(
            name: "RiskKernelTelemetry",
            dependencies: [
                "RiskKernelGateway",
                "RiskKernelCore",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The LLM proxy (`riskkernel llm-proxy`): OpenAI and Anthropic routes served by Hummingbird,
        // forwarded with AsyncHTTPClient; usage read from bodies and streams, priced, recorded and
        // checked against the session's budget.
        .target(
            name: "RiskKernelModelProxy",
            dependencies: [
                "RiskKernelCore",
                "RiskKernelStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The approvals console (`riskkernel console`): a local web page served by Hummingbird, with
        // pages rendered from Mustache templates, its own small script for live updates over
        // server-sent events, a JSON API, and one-time login tokens, sessions and CSRF checks.
        .target(
            name: "RiskKernelConsole",
            dependencies: [
                "RiskKernelCore",
                "RiskKernelStore",
                // The chain's verify status on the run page, and the run tree.
                "RiskKernelProvenance",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RiskKernelProvenance",
            dependencies: ["RiskKernelCore", "RiskKernelStore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "riskkernel",
            dependencies: [
                "CRiskKernelHeap",
                "RiskKernelCore",
                "RiskKernelStore",
                "RiskKernelGateway",
                "RiskKernelProvenance",
                "RiskKernelTelemetry",
                "RiskKernelModelProxy",
                "RiskKernelConsole",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The benchmark suite (`swift run -c release riskkernel-bench`, or scripts/bench).
        .executableTarget(
            name: "riskkernel-bench",
            dependencies: [
                "RiskKernelCore",
                "RiskKernelStore",
                "RiskKernelGateway",
                // The bare HTTP relay forwards headers as the LLM proxy does (ForwardedHeaders).
                "RiskKernelModelProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The LLM proxy benchmark: a stand-in provider and the client.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Finds and runs a Python with jsonschema for the tests that check Protocol/*.schema.json.
        .target(name: "JSONSchemaCheck", path: "Tests/JSONSchemaCheck"),
        // The seeded generator of the property and fuzz tests.
        .target(name: "SeededRandom", path: "Tests/SeededRandom"),
        // Random JSON values, and texts of them written every way RFC 8259 allows.
        .target(name: "RandomJSON", dependencies: ["RiskKernelCore", "SeededRandom"], path: "Tests/RandomJSON"),
        // A throwaway PostgreSQL server for the tests that run against a real one.
        .target(name: "PostgresTestSupport", path: "Tests/PostgresTestSupport"),
        .testTarget(name: "RiskKernelCoreTests", dependencies: ["RiskKernelCore", "CRiskKernelScan", "JSONSchemaCheck", "SeededRandom", "RandomJSON"]),
        // RiskKernelProvenance: the record checks of `audit verify` run against both stores' rows.
        .testTarget(name: "RiskKernelStoreTests", dependencies: ["RiskKernelStore", "RiskKernelCore", "RiskKernelProvenance", "PostgresTestSupport", "SeededRandom"]),
        .testTarget(name: "RiskKernelGatewayTests", dependencies: ["RiskKernelGateway", "RiskKernelStore", "RiskKernelCore", "SeededRandom", "RandomJSON"]),
        .testTarget(
            name: "RiskKernelTelemetryTests",
            dependencies: [
                "RiskKernelTelemetry", "RiskKernelGateway", "RiskKernelCore",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Drives the built `riskkernel` binary (run `swift build` first), including the Swift MCP SDK as a client.
        .testTarget(
            name: "RiskKernelCLITests",
            dependencies: [
                "RiskKernelGateway", "RiskKernelStore", "RiskKernelCore", "PostgresTestSupport", "SeededRandom", "RandomJSON",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["Fixtures"]
        ),
        // The command-line tool's pure parts (screens, key decoding), without a process or a terminal.
        .testTarget(name: "RiskKernelCommandTests", dependencies: ["riskkernel", "RiskKernelStore", "RiskKernelCore"]),
        // Fuzzing of the framing and message handling: seeded property tests of the pure parts, the
        // corpus in Tests/Fuzz/corpus through a real gateway, and mutated traffic into a real gateway.
        .testTarget(
            name: "RiskKernelFuzzTests",
            dependencies: ["RiskKernelGateway", "RiskKernelCore", "SeededRandom"],
            path: "Tests/Fuzz",
            exclude: ["corpus", "corpus-expectations.json", "make_corpus.py", "libfuzzer"]
        ),
        .testTarget(
            name: "RiskKernelModelProxyTests",
            dependencies: [
                "RiskKernelModelProxy", "RiskKernelStore", "RiskKernelCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RiskKernelConsoleTests",
            dependencies: [
                "RiskKernelConsole", "RiskKernelStore", "RiskKernelCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(name: "RiskKernelProvenanceTests", dependencies: ["RiskKernelProvenance", "RiskKernelStore", "RiskKernelCore", "JSONSchemaCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
