import Foundation
import NIOCore
import PostgresNIO
#if canImport(NIOSSL)
import NIOSSL
#endif

/// Where a PostgreSQL store lives and how it behaves when the server is slow or gone.
///
/// Parsed from a URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`,
/// or over a unix socket `postgres://USER@/DATABASE?host=/path/to/socket/dir` (port from `?port=`,
/// default 5432). `postgresql://` is accepted too.
public struct PostgresStoreConfiguration: Sendable {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String?
    public var port: Int
    /// The directory holding the server's socket (`?host=/dir`), instead of TCP.
    public var socketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// How long one connection attempt may take.
    public var connectTimeout: Duration = .seconds(5)
    /// How often an operation is tried when the connection fails (or is dropped) before it is reported.
    public var attempts: Int = 5
    /// The first pause between attempts; it doubles up to one second.
    public var retryDelay: Duration = .milliseconds(100)
    /// The most connections one store holds (besides the one that listens for approval decisions).
    public var maxConnections: Int = 8
    /// How often ``PostgresStore/waitForDecision(approvalId:until:)`` reads the approval even without a notification.
    public var decisionPollInterval: Duration = .seconds(1)
    /// The most checkpoints one run may hold.
    public var maxCheckpointsPerRun: Int = 1000

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, tls: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses a `postgres://` URL; throws ``StoreError/invalidArgument(_:)`` naming what is wrong.
    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw StoreError.invalidArgument("not a PostgreSQL URL (expected postgres://USER@HOST[:PORT]/DATABASE): \(Self.redacted(text))")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? query["user"]
        guard let user, !user.isEmpty else {
            throw StoreError.invalidArgument("the PostgreSQL URL names no user (postgres://USER@HOST/DATABASE): \(Self.redacted(text))")
        }
        let database = String(components.path.drop(while: { $0 == "/" })).removingPercentEncoding ?? ""
        guard !database.isEmpty else {
            throw StoreError.invalidArgument("the PostgreSQL URL names no database (postgres://USER@HOST/DATABASE): \(Self.redacted(text))")
        }
        self.username = user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding } ?? query["password"]
        self.database = database
        self.port = components.port ?? query["port"].flatMap(Int.init) ?? 5432
        let host = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? query["host"]
        if let host, host.hasPrefix("/") {
            self.socketDirectory = host
            self.host = nil
        } else {
            self.host = host ?? "localhost"
        }
        switch query["sslmode"] ?? "prefer" {
        case "disable", "allow": self.tls = .disable
        case "prefer": self.tls = socketDirectory == nil ? .prefer : .disable
        case "require", "verify-ca", "verify-full": self.tls = .require
        case let other: throw StoreError.invalidArgument("unknown sslmode \(other) in the PostgreSQL URL (use disable, prefer or require)")
        }
        if let seconds = query["connect_timeout"].flatMap(Int.init), seconds > 0 { self.connectTimeout = .seconds(seconds) }
    }

    /// The URL with its password hidden, for messages.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    /// `host:port/database` or `socket-dir/database`, for messages.
    public var location: String {
        if let socketDirectory { return "\(socketDirectory) (socket)/\(database)" }
        return "\(host ?? "localhost"):\(port)/\(database)"
    }

    /// The same server, another database.
    public func with(database: String) -> PostgresStoreConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let mode: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable: mode = .disable
            #if canImport(NIOSSL)
            case .prefer: mode = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: mode = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            #else
            case .prefer: mode = .disable
            case .require: throw StoreError.invalidArgument("TLS is not available in this build")
            #endif
            }
            configuration = .init(host: host ?? "localhost", port: port, username: username, password: password, database: database, tls: mode)
        }
        let milliseconds = connectTimeout.components.seconds * 1000 + connectTimeout.components.attoseconds / 1_000_000_000_000_000
        configuration.options.connectTimeout = .milliseconds(max(milliseconds, 1))
        configuration.options.additionalStartupParameters = [("application_name", "riskkernel")]
        return configuration
    }
}
