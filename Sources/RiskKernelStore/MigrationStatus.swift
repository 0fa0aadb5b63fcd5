import Foundation

/// A store whose schema migrations can be listed (`riskkernel migrate --status`).
public protocol MigrationStatusReporting: Sendable {
    /// Where the database is, for people: a file path or `postgres host:port/database`.
    var databaseDescription: String { get }
    /// Migrations applied to the database, and those this binary knows, in order.
    func migrationStatus() async throws -> (applied: [String], known: [String])
}

extension SQLiteStore: MigrationStatusReporting {
    public var databaseDescription: String { path }
}
