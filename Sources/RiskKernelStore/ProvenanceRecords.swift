import Foundation
import RiskKernelCore

/// Who made a change.
public enum AuthorType: String, Sendable, Codable, CaseIterable {
    case human, agent
    case remotePeer = "remote_peer"
}

/// Lines one author changed in one file during a run, with the tokens the run spent meanwhile.
public struct AttributionRecord: Sendable, Hashable, Codable {
    public var id: String
    public var runId: String
    public var author: String
    public var authorType: AuthorType
    public var file: String
    public var linesAdded: Int64
    public var linesRemoved: Int64
    /// Tokens (prompt + completion) of the run's steps at capture time, attributed with this capture.
    public var tokens: Int64
    /// The git revision the change is measured from.
    public var baseRef: String
    public var createdAt: Date

    public init(id: String, runId: String, author: String, authorType: AuthorType, file: String, linesAdded: Int64, linesRemoved: Int64, tokens: Int64, baseRef: String, createdAt: Date) {
        self.id = id
        self.runId = runId
        self.author = author
        self.authorType = authorType
        self.file = file
        self.linesAdded = linesAdded
        self.linesRemoved = linesRemoved
        self.tokens = tokens
        self.baseRef = baseRef
        self.createdAt = createdAt
    }
}

/// A change to attribute, as measured from git.
public struct NewAttribution: Sendable, Hashable {
    public var author: String
    public var authorType: AuthorType
    public var file: String
    public var linesAdded: Int64
    public var linesRemoved: Int64

    public init(author: String, authorType: AuthorType, file: String, linesAdded: Int64, linesRemoved: Int64) {
        self.author = author
        self.authorType = authorType
        self.file = file
        self.linesAdded = linesAdded
        self.linesRemoved = linesRemoved
    }
}

/// Where a run's chain ends, as anchored in the run's own record.
public struct ChainHead: Sendable, Hashable {
    /// The number of events (the last sequence number).
    public var length: Int64
    /// The last event's hash (64 zeros for an empty chain).
    public var hash: String

    public init(length: Int64, hash: String) {
        self.length = length
        self.hash = hash
    }
}

/// Everything a provenance bundle carries about a set of runs (a run and its subtree).
public struct ProvenanceRecords: Sendable, Hashable {
    public var runs: [RunRecord]
    public var steps: [StepRecord]
    public var events: [EventRecord]
    public var heads: [String: ChainHead]
    public var toolCalls: [ToolCallRecord]
    public var ledger: [LedgerEntry]
    public var approvals: [ApprovalRecord]
    public var checkpoints: [CheckpointRecord]
    public var attributions: [AttributionRecord]

    public init(
        runs: [RunRecord] = [], steps: [StepRecord] = [], events: [EventRecord] = [], heads: [String: ChainHead] = [:],
        toolCalls: [ToolCallRecord] = [], ledger: [LedgerEntry] = [], approvals: [ApprovalRecord] = [],
        checkpoints: [CheckpointRecord] = [], attributions: [AttributionRecord] = []
    ) {
        self.runs = runs
        self.steps = steps
        self.events = events
        self.heads = heads
        self.toolCalls = toolCalls
        self.ledger = ledger
        self.approvals = approvals
        self.checkpoints = checkpoints
        self.attributions = attributions
    }
}

extension AttributionRecord: JSONPresentable {
    public var json: JSONValue {
        [
            "id": .string(id), "runId": .string(runId), "author": .string(author), "authorType": .string(authorType.rawValue),
            "file": .string(file), "linesAdded": .integer(linesAdded), "linesRemoved": .integer(linesRemoved),
            "tokens": .integer(tokens), "baseRef": .string(baseRef), "createdAt": .time(createdAt),
        ]
    }
}
