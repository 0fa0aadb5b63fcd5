import Foundation
import RiskKernelCore
import RiskKernelStore

/// What is wrong with a run's chain, at the first event where it goes wrong.
public struct ChainBreak: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The event's content no longer matches its hash.
        case edited
        /// An event is missing (a gap in the sequence, or the chain is shorter than its anchor).
        case deleted
        /// Events are out of order (a body's sequence differs from its place, or links cross).
        case reordered
        /// Events exist beyond the anchored head, or the anchor's hash differs.
        case anchorMismatch = "anchor-mismatch"
    }

    public var runId: String
    /// The sequence number at which the chain first breaks.
    public var sequence: Int64
    public var kind: Kind
    public var detail: String

    public var description: String { "run \(runId): event \(sequence) \(kind.rawValue): \(detail)" }
}

/// The result of walking one run's chain.
public struct ChainVerification: Sendable, Hashable {
    public var runId: String
    public var events: Int
    /// The first break, or `nil` when the chain is intact.
    public var failure: ChainBreak?
    /// The last event's hash (the chain's head).
    public var head: String

    public var isIntact: Bool { failure == nil }
}

/// Walks a run's hash chain (pure: the events and the anchor are given).
public enum ChainVerifier {
    /// Checks that sequences run 1, 2, 3… without gaps, each body names its own run and place,
    /// each `previousHash` is the hash before it, each hash recomputes from its body, and the last
    /// event is the head anchored in the run's record (when `anchor` is given).
    public static func verify(runId: String, events: [EventRecord], anchor: ChainHead?) -> ChainVerification {
        var previous = EventChain.genesisHash
        var expected: Int64 = 1
        func broken(_ sequence: Int64, _ kind: ChainBreak.Kind, _ detail: String) -> ChainVerification {
            ChainVerification(runId: runId, events: events.count, failure: ChainBreak(runId: runId, sequence: sequence, kind: kind, detail: detail), head: previous)
        }
        for event in events {
            if event.sequence > expected {
                return broken(expected, .deleted, "event \(expected) is missing (the next stored event is \(event.sequence))")
            }
            if event.sequence < expected {
                return broken(event.sequence, .reordered, "event \(event.sequence) appears after event \(expected - 1)")
            }
            let bodySequence = event.body["sequence"]?.int64Value
            if bodySequence != event.sequence || event.body["runId"]?.stringValue != runId {
                if event.hash == EventChain.hash(previousHash: event.previousHash, body: event.body), let bodySequence {
                    return broken(event.sequence, .reordered, "the event stored at \(event.sequence) is event \(bodySequence) of its chain")
                }
                return broken(event.sequence, .edited, "its place in the body does not match where it is stored")
            }
            if EventChain.rule(of: event.body) == nil {
                return broken(event.sequence, .edited, "its body names a hash rule this version does not know (\(EventChain.ruleKey): \(CanonicalJSON.string(event.body[EventChain.ruleKey] ?? .null)))")
            }
            if event.hash != EventChain.hash(previousHash: event.previousHash, body: event.body) {
                return broken(event.sequence, .edited, "its content does not match its hash (\(event.kind))")
            }
            if event.previousHash != previous {
                return broken(event.sequence, .reordered, "it does not follow the event before it (previous hash differs)")
            }
            previous = event.hash
            expected += 1
        }
        if let anchor {
            if anchor.length > Int64(events.count) {
                return broken(Int64(events.count) + 1, .deleted, "the run's record says the chain has \(anchor.length) events, only \(events.count) remain")
            }
            if anchor.length < Int64(events.count) {
                return broken(anchor.length + 1, .anchorMismatch, "the chain continues past the head anchored in the run's record")
            }
            if anchor.hash != previous {
                return broken(anchor.length, .anchorMismatch, "the last event's hash differs from the head anchored in the run's record")
            }
        }
        return ChainVerification(runId: runId, events: events.count, failure: nil, head: previous)
    }
}
