import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A small pool of PostgreSQL connections that fails fast.
///
/// postgres-nio's `PostgresClient` keeps lease requests waiting while the server is unreachable
/// (until its circuit breaker trips after a minute); a gateway must instead refuse the call at
/// once. This pool opens connections on demand, drops any connection that failed, and reports a
/// connection that cannot be made right away, so that ``PostgresStore`` can retry and then fail
/// with a clear error.
actor PostgresConnectionPool {
    let configuration: PostgresStoreConfiguration
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextId = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var shutDown = false

    static let logger = Logger(label: "riskkernel.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    init(configuration: PostgresStoreConfiguration) {
        self.configuration = configuration
    }

    /// A connection of its own, outside the pool (for LISTEN).
    static func connect(_ configuration: PostgresStoreConfiguration, id: Int) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                configuration: try configuration.connectionConfiguration(), id: id, logger: logger)
        } catch let error as StoreError {
            throw error
        } catch {
            throw PostgresConnectFailure(underlying: error)
        }
    }

    /// Closes a connection, keeping it alive until its channel is closed (postgres-nio asserts that
    /// a connection is closed before it is released).
    nonisolated static func close(_ connection: PostgresConnection) {
        let future: EventLoopFuture<Void> = connection.close()
        future.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    func acquire() async throws -> PostgresConnection {
        while true {
            if shutDown { throw StoreError.unavailable("the store was closed") }
            if let connection = idle.popLast() {
                if connection.isClosed {
                    open -= 1
                    continue
                }
                return connection
            }
            if open < configuration.maxConnections {
                open += 1
                nextId += 1
                do {
                    return try await Self.connect(configuration, id: nextId)
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    func release(_ connection: PostgresConnection, reusable: Bool) {
        if reusable, !connection.isClosed, !shutDown {
            idle.append(connection)
        } else {
            open -= 1
            if !connection.isClosed { PostgresConnectionPool.close(connection) }
        }
        wakeOne()
    }

    func closeAll() {
        shutDown = true
        for connection in idle { PostgresConnectionPool.close(connection) }
        open -= idle.count
        idle.removeAll()
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}

/// A connection could not be opened.
struct PostgresConnectFailure: Error, CustomStringConvertible {
    var underlying: any Error
    var description: String { PostgresErrors.message(underlying) }
}

/// The connection broke while COMMIT was under way: the write may or may not have been stored.
struct PostgresAmbiguousCommit: Error {
    var underlying: any Error
}

enum PostgresErrors {
    /// Whether trying again on a fresh connection may succeed: the connection failed or was
    /// dropped, the server is restarting, or the transaction lost a serialization race.
    static func isRetryable(_ error: any Error) -> Bool {
        if error is PostgresConnectFailure { return true }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P") || state == "40001" || state == "40P01" || state == "53300"
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            default:
                return false
            }
        }
        if error is ChannelError || error is IOError { return true }
        return false
    }

    /// Whether the connection that saw `error` must not be reused.
    static func breaksConnection(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P")
            }
            return true
        }
        return !(error is StoreError)
    }

    /// A readable message (postgres-nio's own descriptions hide the server's message).
    static func message(_ error: any Error) -> String {
        if let error = error as? PostgresConnectFailure { return message(error.underlying) }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let text = info[.message] ?? "server error"
                let detail = info[.detail].map { " (\($0))" } ?? ""
                return "\(text)\(detail) [SQLSTATE \(info[.sqlState] ?? "?")]"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// The error a caller sees: store errors unchanged, integrity and data errors as invalid
    /// arguments, anything else as the store being unavailable.
    static func storeError(_ error: any Error, location: String) -> any Error {
        if let error = error as? StoreError { return error }
        if error is CancellationError { return error }
        if let error = error as? PostgresAmbiguousCommit {
            return StoreError.unavailable(
                "the connection to PostgreSQL at \(location) was lost while committing; the write may or may not have been stored (\(message(error.underlying)))")
        }
        if error is PostgresConnectFailure {
            return StoreError.unavailable("cannot connect to PostgreSQL at \(location): \(message(error))")
        }
        if let psql = error as? PSQLError, psql.code == .server {
            let state = psql.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("23") || state.hasPrefix("22") { return StoreError.invalidArgument("PostgreSQL refused the write: \(message(error))") }
        }
        return StoreError.unavailable("PostgreSQL at \(location): \(message(error))")
    }
}

/// One row, read by column name.
struct PGRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    subscript<T: PostgresDecodable>(_ column: String) -> T {
        get throws { try row[column].decode(T.self) }
    }
}

extension PGRow: RecordRow {
    func text(_ column: String) throws -> String { try self[column] }
    func optionalText(_ column: String) throws -> String? { try self[column] }
    func integer(_ column: String) throws -> Int64 { try self[column] }
    func optionalInteger(_ column: String) throws -> Int64? { try self[column] }
    func flag(_ column: String) throws -> Bool { try self[column] }
    func optionalReal(_ column: String) throws -> Double? { try self[column] }
}

extension PostgresConnection {
    /// Runs a statement and reads every row.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PGRow] {
        try await self.query(query, logger: PostgresConnectionPool.logger).collect().map(PGRow.init)
    }

    func row(_ query: PostgresQuery) async throws -> PGRow? {
        try await rows(query).first
    }
}
