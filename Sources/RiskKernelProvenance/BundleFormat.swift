import Foundation
import RiskKernelCore
import RiskKernelStore

/// How much of a run a provenance bundle reveals.
public enum Redaction: String, Sendable, Hashable, CaseIterable {
    /// Every record as stored.
    case none
    /// Arguments, results, payloads, file paths, run metadata values (goals) and tool-call reasons
    /// replaced by `{"sha256": …}` digests; events that carry such text are sealed.
    case content
    /// Identifiers and names too: only per-run totals and chain heads, with run ids as digests.
    case full
}

/// The names a bundle is recognised by.
public enum BundleFormat {
    /// The DSSE payload type: an in-toto Statement of ours, as JSON.
    public static let payloadType = "application/vnd.riskkernel.provenance+json"
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let predicateType = "https://riskkernel.dev/provenance/v1"
    /// A subject is named `riskkernel-run:<run id>` (`riskkernel-run:sha256:<digest of the id>` in a `full` bundle).
    public static let subjectPrefix = "riskkernel-run:"
}

/// A bundle or its payload is not what the format says.
public struct BundleFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Digests that stand in for redacted values: `{"sha256": "<lower-case hex>"}`.
public enum Digest {
    /// SHA-256 of the canonical JSON of `value` under `rule` (RFC 8785 unless the event the value
    /// belongs to was hashed under an older rule): the same digest the ledger's events carry
    /// (`argumentsDigest`, `payloadDigest`).
    public static func of(_ value: JSONValue, rule: CanonicalJSON.Rule = .current) -> String { hex(CanonicalJSON.encode(value, rule: rule)) }

    /// SHA-256 of the UTF-8 bytes of `text`.
    public static func of(text: String) -> String { hex(Array(text.utf8)) }

    public static func hex(_ bytes: [UInt8]) -> String { EventChain.hexDigest(bytes) }

    /// `{"sha256": hex}`.
    public static func object(_ hex: String) -> JSONValue { ["sha256": .string(hex)] }

    /// The hex of a `{"sha256": hex}` object (exactly that one member, 64 lower-case hex digits), else `nil`.
    public static func hex(in value: JSONValue) -> String? {
        guard case .object(let members) = value, members.count == 1, let hex = members["sha256"]?.stringValue, isHex64(hex) else { return nil }
        return hex
    }

    /// A redacted text field as a store keeps it: `sha256:<hex>`.
    public static func textForm(_ hex: String) -> String { "sha256:" + hex }

    public static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
