import Foundation
import RiskKernelCore
import RiskKernelStore

/// Verifying a run's chain as a bundle carries it.
///
/// With no sealed event this is exactly ``ChainVerifier`` (what `riskkernel audit verify` does). A
/// `content` bundle may seal events (withhold their bodies): a sealed event's own hash cannot be
/// recomputed, but its place, its link to the event before and the next event's link to it are
/// checked, and every other event is recomputed as usual, up to the anchored head. Whoever holds the
/// original database can show the withheld body and it will hash to the sealed value.
public enum BundleChain {
    public static func verify(runId: String, events: [EventRecord], sealed: Set<Int64>, anchor: ChainHead) -> ChainVerification {
        if sealed.isEmpty { return ChainVerifier.verify(runId: runId, events: events, anchor: anchor) }
        var previous = EventChain.genesisHash
        var expected: Int64 = 1
        func broken(_ sequence: Int64, _ kind: ChainBreak.Kind, _ detail: String) -> ChainVerification {
            ChainVerification(runId: runId, events: events.count, failure: ChainBreak(runId: runId, sequence: sequence, kind: kind, detail: detail), head: previous)
        }
        for event in events {
            if event.sequence > expected { return broken(expected, .deleted, "event \(expected) is missing (the next event is \(event.sequence))") }
            if event.sequence < expected { return broken(event.sequence, .reordered, "event \(event.sequence) appears after event \(expected - 1)") }
            if !sealed.contains(event.sequence) {
                if event.body["sequence"]?.int64Value != event.sequence || event.body["runId"]?.stringValue != runId {
                    return broken(event.sequence, .edited, "its place in the body does not match where it is stored")
                }
                if EventChain.rule(of: event.body) == nil {
                    return broken(event.sequence, .edited, "its body names a hash rule this version does not know")
                }
                if event.hash != EventChain.hash(previousHash: event.previousHash, body: event.body) {
                    return broken(event.sequence, .edited, "its content does not match its hash (\(event.kind))")
                }
            } else if !Digest.isHex64(event.hash) {
                return broken(event.sequence, .edited, "the sealed event's hash is not a SHA-256")
            }
            if event.previousHash != previous {
                return broken(event.sequence, .reordered, "it does not follow the event before it (previous hash differs)")
            }
            previous = event.hash
            expected += 1
        }
        if anchor.length > Int64(events.count) {
            return broken(Int64(events.count) + 1, .deleted, "the run's head says the chain has \(anchor.length) events, only \(events.count) are here")
        }
        if anchor.length < Int64(events.count) {
            return broken(anchor.length + 1, .anchorMismatch, "the chain continues past the run's head")
        }
        if anchor.hash != previous {
            return broken(anchor.length, .anchorMismatch, "the last event's hash differs from the run's head")
        }
        return ChainVerification(runId: runId, events: events.count, failure: nil, head: previous)
    }
}
