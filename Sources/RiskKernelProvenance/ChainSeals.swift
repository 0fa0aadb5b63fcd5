import Foundation
import RiskKernelCore
import RiskKernelStore

/// Signed chain heads, against a rewrite of a whole chain.
///
/// Anyone with write access to the database can edit an event and recompute every hash after it;
/// the chain then verifies. A seal, signed with the provenance key, records each run's head at a
/// moment (run, sequence, hash, time); a chain rewritten after that no longer has the sealed hash
/// at the sealed sequence, and no one without the key can sign a new seal.
///
/// A seal is a DSSE envelope (``payloadType``) around the RFC 8785 JSON of
/// `{"_type": "https://riskkernel.dev/seal/v1", "sealedAt", "heads": [{"runId", "sequence", "hash", "time"}], "signers": [{keyid, algorithm, publicKey}]}`,
/// written as one line of JSON. `riskkernel audit seal` appends it to the store's seals and to a seal file.
public enum ChainSeals {
    /// The DSSE payload type of a seal.
    public static let payloadType = "application/vnd.riskkernel.seal+json"
    /// The seal payload's `_type`.
    public static let statementType = "https://riskkernel.dev/seal/v1"

    /// A seal read back and checked: who signed it and the heads it signs.
    public struct Opened: Sendable, Hashable {
        /// When the seal was made (milliseconds precision).
        public var sealedAt: Date
        /// The chain heads it signs, one per run that had events.
        public var heads: [RunChainHead]
        /// The did:key of each signer whose signature verified.
        public var signers: [String]

        public init(sealedAt: Date, heads: [RunChainHead], signers: [String]) {
            self.sealedAt = sealedAt
            self.heads = heads
            self.signers = signers
        }
    }

    /// Signs `heads` at `now` with every signer (Ed25519 first, as a key directory loads them).
    /// Returns the record to store: the envelope as one line of canonical JSON.
    public static func make(heads: [RunChainHead], at now: Date, signers: [any BundleSigner]) throws -> SealRecord {
        guard !signers.isEmpty else { throw BundleFormatError("a seal needs a signer") }
        let payload: JSONValue = [
            "_type": .string(statementType), "sealedAt": .string(BundleTime.string(now)),
            "heads": .array(heads.map { ["runId": .string($0.runId), "sequence": .integer($0.sequence), "hash": .string($0.hash), "time": .string(Timestamps.iso8601($0.time))] }),
            "signers": .array(signers.map(\.identity.json)),
        ]
        var envelope = DSSEEnvelope(payloadType: payloadType, payload: CanonicalJSON.encode(payload, rule: .rfc8785))
        for signer in signers {
            envelope.signatures.append(DSSEEnvelope.Signature(keyid: signer.identity.keyid, sig: try signer.sign(envelope.signedBytes)))
        }
        return SealRecord(id: Identifiers.make("seal"), sealedAt: now, envelope: String(decoding: CanonicalJSON.encode(envelope.json), as: UTF8.self))
    }

    /// Reads a seal and checks it: a DSSE envelope of ``payloadType`` whose every signature verifies
    /// with the key its keyid (a did:key) names, at least one by a DID in `trusted`, and whose
    /// signatures are exactly the signers the payload lists. Throws a ``BundleFormatError`` that
    /// says which of these fails.
    public static func open(_ line: String, trusting trusted: Set<String>) throws -> Opened {
        let envelope: DSSEEnvelope
        do { envelope = try DSSEEnvelope.decode(Array(line.utf8)) } catch { throw BundleFormatError("not a seal: \(error)") }
        guard envelope.payloadType == payloadType else { throw BundleFormatError("not a seal: the payloadType is \"\(envelope.payloadType)\"") }
        guard !envelope.signatures.isEmpty else { throw BundleFormatError("the seal carries no signature") }
        var verified: [String] = []
        for signature in envelope.signatures {
            let key: DIDKey
            do { key = try DIDKey(parsing: signature.keyid) } catch { throw BundleFormatError("a seal signature's keyid is not a did:key: \(error)") }
            guard SignatureCheck.isValid(signature.sig, over: envelope.signedBytes, algorithm: key.algorithm, publicKey: key.publicKey) else {
                throw BundleFormatError("the seal's \(key.algorithm.rawValue) signature by \(DIDKey.shortened(signature.keyid)) does not verify: the seal was changed")
            }
            verified.append(signature.keyid)
        }
        guard verified.contains(where: trusted.contains) else {
            throw BundleFormatError("the seal is signed by \(verified.joined(separator: ", ")), not by a DID you trust")
        }
        let payload: JSONValue
        do { payload = try JSONParser.parse(envelope.payload) } catch { throw BundleFormatError("the seal's payload is not JSON: \(error)") }
        guard payload["_type"]?.stringValue == statementType else { throw BundleFormatError("the seal's payload is not a \(statementType)") }
        let listed = Set((payload["signers"]?.arrayValue ?? []).compactMap { $0["keyid"]?.stringValue })
        guard listed == Set(verified) else { throw BundleFormatError("the seal's signatures are not the signers its payload lists (one stripped?)") }
        guard let sealedAtText = payload["sealedAt"]?.stringValue, let sealedAt = BundleTime.date(sealedAtText) else {
            throw BundleFormatError("the seal has no sealedAt time")
        }
        var heads: [RunChainHead] = []
        for (index, head) in (payload["heads"]?.arrayValue ?? []).enumerated() {
            guard let runId = head["runId"]?.stringValue, let sequence = head["sequence"]?.int64Value, let hash = head["hash"]?.stringValue,
                  let timeText = head["time"]?.stringValue, let time = BundleTime.date(timeText)
            else { throw BundleFormatError("the seal's heads[\(index)] is not {runId, sequence, hash, time}") }
            heads.append(RunChainHead(runId: runId, sequence: sequence, hash: hash, time: time))
        }
        return Opened(sealedAt: sealedAt, heads: heads, signers: verified)
    }

    /// What is wrong with the chains now, measured against one seal: a run sealed with N events
    /// must still have event N with the sealed hash (and so every event before it, as the chain
    /// links them). `events` gives a run's events now (`[]` for a run that is gone).
    public static func check(_ seal: Opened, events: (String) async throws -> [EventRecord]) async rethrows -> [SealViolation] {
        var found: [SealViolation] = []
        for head in seal.heads {
            let chain = try await events(head.runId)
            func violation(_ detail: String) -> SealViolation {
                SealViolation(runId: head.runId, sequence: head.sequence, sealedAt: seal.sealedAt, detail: detail)
            }
            guard let event = chain.first(where: { $0.sequence == head.sequence }) else {
                found.append(violation(chain.isEmpty
                    ? "the run sealed with \(head.sequence) event(s) has none now"
                    : "the chain sealed with \(head.sequence) event(s) has \(chain.count) now"))
                continue
            }
            if event.hash != head.hash {
                found.append(violation("event \(head.sequence) hashes to \(event.hash), the seal signed \(head.hash): the chain was rewritten after the seal"))
            }
        }
        return found
    }
}

/// A run whose chain no longer has the head a seal signed.
public struct SealViolation: Sendable, Hashable, CustomStringConvertible {
    public var runId: String
    /// The sealed sequence.
    public var sequence: Int64
    /// When the seal that the chain no longer matches was made.
    public var sealedAt: Date
    /// What differs: the chain is shorter, gone, or has another hash at the sealed sequence.
    public var detail: String

    /// `run R: sealed at TIME with N event(s): DETAIL`, as `audit verify` prints it after `SEAL`.
    public var description: String { "run \(runId): sealed at \(BundleTime.string(sealedAt)) with \(sequence) event(s): \(detail)" }

    /// `{runId, sequence, sealedAt, detail}`, as `audit verify --json` lists it under `sealViolations`.
    public var json: JSONValue {
        ["runId": .string(runId), "sequence": .integer(sequence), "sealedAt": .string(BundleTime.string(sealedAt)), "detail": .string(detail)]
    }
}
