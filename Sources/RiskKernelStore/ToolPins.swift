import Foundation
import RiskKernelCore

/// A tool as an upstream server lists it, reduced to what pinning compares: its name, description,
/// input and output schemas and annotations, and the SHA-256 of their canonical JSON.
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    /// The pinned parts, as a JSON object (absent parts are left out).
    public var definition: JSONValue
    /// Lower-case hex SHA-256 of `definition` in canonical JSON (RFC 8785).
    public var hash: String

    /// The fields of a tool definition that pinning covers.
    public static let pinnedFields = ["name", "description", "inputSchema", "outputSchema", "annotations"]

    /// Reads one entry of a `tools/list` result; `nil` when it has no string `name`.
    public init?(tool: JSONValue) {
        guard case .string(let name)? = tool["name"] else { return nil }
        var parts: [String: JSONValue] = [:]
        for field in Self.pinnedFields { if let value = tool[field] { parts[field] = value } }
        self.init(name: name, definition: .object(parts))
    }

    public init(name: String, definition: JSONValue) {
        self.name = name
        self.definition = definition
        hash = EventChain.digest(of: definition, rule: .current)
    }

    /// Whether `pinnedHash` is this definition's hash under any rule hashes were ever computed under
    /// (a pin made before RFC 8785 holds the ``CanonicalJSON/Rule/riskkernelV1`` hash).
    public func isHashed(as pinnedHash: String) -> Bool {
        CanonicalJSON.Rule.allCases.contains { EventChain.digest(of: definition, rule: $0) == pinnedHash }
    }
}

/// The pin of one tool of one server: the definition approved, and the one seen last.
public struct ToolPinRecord: Sendable, Hashable {
    public var server: String
    public var tool: String
    public var status: ToolPinStatus
    /// The hash of the definition seen last.
    public var hash: String
    public var definition: JSONValue
    public var seenAt: Date
    /// The run that saw it last, if any.
    public var seenRunId: String?
    /// The approved definition; `nil` for a tool that is new.
    public var pinnedHash: String?
    public var pinnedDefinition: JSONValue?
    public var pinnedAt: Date?

    public init(
        server: String, tool: String, hash: String, definition: JSONValue, seenAt: Date, seenRunId: String?, pinnedHash: String?,
        pinnedDefinition: JSONValue?, pinnedAt: Date?
    ) {
        self.server = server
        self.tool = tool
        self.hash = hash
        self.definition = definition
        self.seenAt = seenAt
        self.seenRunId = seenRunId
        self.pinnedHash = pinnedHash
        self.pinnedDefinition = pinnedDefinition
        self.pinnedAt = pinnedAt
        status = Self.status(pinnedHash: pinnedHash, seenHash: hash)
    }

    static func status(pinnedHash: String?, seenHash: String) -> ToolPinStatus {
        guard let pinnedHash else { return .new }
        return pinnedHash == seenHash ? .pinned : .changed
    }
}

/// The pure part of pinning, shared by the stores: what to write and which ledger events to
/// append when a server's tools are seen or approved.
enum ToolPinPlanner {
    struct Event {
        var kind: String
        var data: JSONValue
    }

    /// The first time a server is seen, every tool is pinned (one `tools.pinned` event). Later, a
    /// tool whose definition differs from the pin, or that has none, is recorded as seen but not
    /// pinned, with a `tool.pinChanged` event when what was seen changed since the last look.
    static func observe(server: String, existing: [ToolPinRecord], seen: [ToolDefinition], runId: String?, at now: Date)
        -> (rows: [ToolPinRecord], events: [Event])
    {
        let firstSight = existing.isEmpty
        let byTool = Dictionary(existing.map { ($0.tool, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [ToolPinRecord] = []
        var events: [Event] = []
        var pinnedNow: [JSONValue] = []
        for tool in seen {
            let previous = byTool[tool.name]
            // A pin of the same definition hashed under an older rule carries over, under the current rule.
            let pinnedHash = firstSight ? tool.hash : previous?.pinnedHash.map { tool.isHashed(as: $0) ? tool.hash : $0 }
            let row = ToolPinRecord(
                server: server, tool: tool.name, hash: tool.hash, definition: tool.definition, seenAt: now, seenRunId: runId ?? previous?.seenRunId,
                pinnedHash: pinnedHash, pinnedDefinition: firstSight ? tool.definition : previous?.pinnedDefinition,
                pinnedAt: firstSight ? now : previous?.pinnedAt)
            rows.append(row)
            if firstSight {
                pinnedNow.append(["tool": .string(tool.name), "hash": .string(tool.hash)])
            } else if row.status != .pinned, previous?.hash != tool.hash {
                events.append(Event(kind: "tool.pinChanged", data: [
                    "server": .string(server), "tool": .string(tool.name), "status": .string(row.status.rawValue),
                    "pinnedHash": pinnedHash.map(JSONValue.string) ?? .null, "hash": .string(tool.hash),
                ]))
            }
        }
        if firstSight, !pinnedNow.isEmpty {
            events.append(Event(kind: "tools.pinned", data: ["server": .string(server), "tools": .array(pinnedNow)]))
        }
        return (rows, events)
    }

    /// Pins what was seen last of `tools` (all of the server's when `nil`); names any tool the
    /// server does not have.
    static func approve(server: String, existing: [ToolPinRecord], tools: [String]?, approvedBy: String?, at now: Date) throws
        -> (rows: [ToolPinRecord], events: [(runId: String, event: Event)])
    {
        guard !existing.isEmpty else { throw StoreError.notFound("server \"\(server)\" (no pinned tools)") }
        let byTool = Dictionary(existing.map { ($0.tool, $0) }, uniquingKeysWith: { first, _ in first })
        if let tools {
            let unknown = tools.filter { byTool[$0] == nil }
            guard unknown.isEmpty else {
                throw StoreError.notFound("tool \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")) of server \"\(server)\"")
            }
        }
        let chosen = tools.map { $0.compactMap { byTool[$0] } } ?? existing
        var rows: [ToolPinRecord] = []
        var events: [(runId: String, event: Event)] = []
        for pin in chosen where pin.status != .pinned {
            var approved = pin
            approved.pinnedHash = pin.hash
            approved.pinnedDefinition = pin.definition
            approved.pinnedAt = now
            approved.status = .pinned
            rows.append(approved)
            if let runId = pin.seenRunId {
                events.append((runId, Event(kind: "tool.pinApproved", data: [
                    "server": .string(server), "tool": .string(pin.tool), "hash": .string(pin.hash),
                    "previousHash": pin.pinnedHash.map(JSONValue.string) ?? .null, "approvedBy": approvedBy.map(JSONValue.string) ?? .null,
                ])))
            }
        }
        return (rows, events)
    }
}
