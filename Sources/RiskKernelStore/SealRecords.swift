import Foundation
import RiskKernelCore

/// Where one run's chain ends: what a seal signs for the run.
public struct RunChainHead: Sendable, Hashable {
    public var runId: String
    /// The last event's sequence number (the chain's length).
    public var sequence: Int64
    /// The last event's hash (lower-case hex SHA-256).
    public var hash: String
    /// When the last event was written (milliseconds precision).
    public var time: Date

    public init(runId: String, sequence: Int64, hash: String, time: Date) {
        self.runId = runId
        self.sequence = sequence
        self.hash = hash
        self.time = time
    }
}

/// A seal as a store keeps it: the signed envelope, one line of JSON, and when it was made.
public struct SealRecord: Sendable, Hashable {
    public var id: String
    public var sealedAt: Date
    /// The DSSE envelope as canonical JSON (no trailing newline).
    public var envelope: String

    public init(id: String, sealedAt: Date, envelope: String) {
        self.id = id
        self.sealedAt = sealedAt
        self.envelope = envelope
    }
}

/// The statements both stores run for chain heads and seals.
enum SealSQL {
    /// Every run with events: id, chain length, chain head and the head event's time.
    static let chainHeads = """
        SELECT runs.id AS run_id, runs.chain_length AS chain_length, runs.chain_head AS chain_head, events.created_at AS created_at
        FROM runs JOIN events ON events.run_id = runs.id AND events.sequence = runs.chain_length
        WHERE runs.chain_length > 0 ORDER BY runs.id
        """
}
