import Foundation
import PostgresTestSupport
import RiskKernelCore
import RiskKernelStore

/// The stores the conformance suite runs against. Each call gives a fresh, empty store.
enum StoreBackend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite
    case postgres

    var description: String { rawValue }

    func makeStore() throws -> any Store {
        switch self {
        case .sqlite:
            return try SQLiteStore(path: TemporaryFiles.newDirectory() + "/store.sqlite", decisionPollInterval: .milliseconds(5))
        case .postgres:
            // A fresh, empty database on the test process's server; the store migrates it on first use.
            return PostgresStore(configuration: try TestPostgres.newDatabase())
        }
    }
}

/// The PostgreSQL server of this test process: started once, in a temporary folder, with the
/// machine's server binaries; stopped when the process exits. Missing binaries fail the tests
/// (with how to install them), never skip them.
enum TestPostgres {
    private static let shared: Result<PostgresLocalServer, any Error> = Result { try PostgresLocalServer() }

    static func server() throws -> PostgresLocalServer {
        do {
            return try shared.get()
        } catch {
            throw TestPostgresUnavailable(message: "cannot start the test PostgreSQL server: \(error)")
        }
    }

    /// A new empty database; returns its configuration.
    static func newDatabase(decisionPollInterval: Duration = .milliseconds(250)) throws -> PostgresStoreConfiguration {
        let server = try server()
        let name = "rk_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try server.createDatabase(name)
        var configuration = try PostgresStoreConfiguration(url: server.url(database: name))
        configuration.decisionPollInterval = decisionPollInterval
        configuration.maxConnections = 6
        return configuration
    }
}

struct TestPostgresUnavailable: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum TemporaryFiles {
    static func newDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension Policy {
    static func named(_ name: String, budget: Budget = .unlimited) -> Policy {
        var policy = Policy(name: name, budget: budget)
        policy.document = [
            "apiVersion": "riskkernel/v1", "kind": "Policy", "metadata": ["name": .string(name)],
            "spec": ["budget": ["tokens": .integer(budget.tokens ?? 1000)]],
        ]
        return policy
    }
}

func modelCall(_ prompt: Int64, _ completion: Int64, micros: Int64 = 0, provider: String = "openai", model: String = "gpt-4o") -> NewModelCall {
    NewModelCall(provider: provider, model: model, promptTokens: prompt, completionTokens: completion, dollars: Money(micros: micros), priced: true)
}
