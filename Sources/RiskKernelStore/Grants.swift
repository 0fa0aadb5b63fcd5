import Foundation
import RiskKernelCore

/// How far an approval reaches beyond the one call it was asked for.
public enum GrantScope: String, Sendable, Codable, CaseIterable {
    /// This tool, any arguments, for the rest of the run tree.
    case run
    /// This tool of this server (its identity, as pins use it), in any run, until revoked or expired.
    case always
}

/// A standing permission made from an approval (`approvals approve ID --scope run|always`): a call
/// of its tool that an approval rule would hold is allowed instead, and the decision's ledger event
/// names the grant.
public struct GrantRecord: Sendable, Hashable, Codable {
    public var id: String
    public var scope: GrantScope
    /// The server identity the tool belongs to.
    public var server: String
    public var tool: String
    /// For `run`: the root of the run tree it covers.
    public var rootRunId: String?
    /// The approval it was made from.
    public var approvalId: String
    public var grantedBy: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, scope: GrantScope, server: String, tool: String, rootRunId: String?, approvalId: String, grantedBy: String?,
        createdAt: Date, expiresAt: Date?, revokedAt: Date?
    ) {
        self.id = id
        self.scope = scope
        self.server = server
        self.tool = tool
        self.rootRunId = rootRunId
        self.approvalId = approvalId
        self.grantedBy = grantedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the grant allows calls at `now` (not revoked, not past its expiry).
    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && !(expiresAt.map { $0 <= now } ?? false)
    }
}

/// What ``Store/createGrant(_:)`` makes a grant from.
public struct NewGrant: Sendable {
    /// An approved approval.
    public var approvalId: String
    public var scope: GrantScope
    public var grantedBy: String?
    /// `nil`: until revoked.
    public var expiresAt: Date?

    public init(approvalId: String, scope: GrantScope, grantedBy: String?, expiresAt: Date?) {
        self.approvalId = approvalId
        self.scope = scope
        self.grantedBy = grantedBy
        self.expiresAt = expiresAt
    }
}

/// Which grants a decision looks for: the tool's, of this server or this run tree.
public struct GrantQuery: Sendable, Hashable {
    public var tool: String
    public var server: String

    public init(tool: String, server: String) {
        self.tool = tool
        self.server = server
    }
}

/// What both stores write for grants, worked out once.
enum GrantWrites {
    /// The active grants of `$1` (tool) for the server `$2` or the run tree rooted at `$3`, at `$4` (ms).
    /// (The placeholders appear in order: SQLite numbers `$n` by first appearance.)
    static let active = """
        SELECT * FROM grants
        WHERE tool = $1 AND ((scope = 'always' AND server = $2) OR (scope = 'run' AND root_run_id = $3))
            AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $4)
        ORDER BY created_at LIMIT 1
        """

    static func createdEvent(_ grant: GrantRecord) -> JSONValue {
        var data: [String: JSONValue] = [
            "grantId": .string(grant.id), "approvalId": .string(grant.approvalId), "scope": .string(grant.scope.rawValue),
            "server": .string(grant.server), "tool": .string(grant.tool),
        ]
        if let expiresAt = grant.expiresAt { data["expiresAt"] = .string(Timestamps.iso8601(expiresAt)) }
        if let grantedBy = grant.grantedBy { data["grantedBy"] = .string(grantedBy) }
        return .object(data)
    }

    static func revokedEvent(_ grant: GrantRecord) -> JSONValue {
        ["grantId": .string(grant.id), "approvalId": .string(grant.approvalId)]
    }
}
