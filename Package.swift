// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RiskKernel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "riskkernel", targets: ["riskkernel"]),
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
    ],
    targets: [
        .target(
            name: "RiskKernelCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/prices.json")]
        ),
        .target(
            name: "RiskKernelStore",
            dependencies: [
                "RiskKernelCore",
                .product(name: "GRDB", package: "GRDB.swift"),
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
            ]
        ),
        .target(
            name: "RiskKernelProvenance",
            dependencies: ["RiskKernelCore", "RiskKernelStore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "riskkernel",
            dependencies: [
                "RiskKernelCore",
                "RiskKernelStore",
                "RiskKernelGateway",
                "RiskKernelProvenance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "RiskKernelCoreTests", dependencies: ["RiskKernelCore"]),
        .testTarget(name: "RiskKernelStoreTests", dependencies: ["RiskKernelStore", "RiskKernelCore"]),
        .testTarget(name: "RiskKernelGatewayTests", dependencies: ["RiskKernelGateway", "RiskKernelStore", "RiskKernelCore"]),
        // Drives the built `riskkernel` binary (run `swift build` first), including the Swift MCP SDK as a client.
        .testTarget(
            name: "RiskKernelCLITests",
            dependencies: [
                "RiskKernelGateway", "RiskKernelStore", "RiskKernelCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["Fixtures"]
        ),
        // Fuzzing of the framing and message handling: seeded property tests of the pure parts, the
        // corpus in Tests/Fuzz/corpus through a real gateway, and mutated traffic into a real gateway.
        .testTarget(
            name: "RiskKernelFuzzTests",
            dependencies: ["RiskKernelGateway", "RiskKernelCore"],
            path: "Tests/Fuzz",
            exclude: ["corpus", "corpus-expectations.json", "make_corpus.py", "libfuzzer"]
        ),
        .testTarget(name: "RiskKernelProvenanceTests", dependencies: ["RiskKernelProvenance", "RiskKernelStore", "RiskKernelCore"]),
    ],
    swiftLanguageModes: [.v6]
)
