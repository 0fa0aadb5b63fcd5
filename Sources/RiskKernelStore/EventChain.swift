import Crypto
import Foundation
import RiskKernelCore

/// The hash rule of the ledger's chain, shared by the stores that write it and the verifier.
public enum EventChain {
    /// The `previousHash` of a run's first event.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// SHA-256 over `previousHash`, a newline (0x0A) and the canonical JSON of `body`, in lower-case hex.
    public static func hash(previousHash: String, body: JSONValue) -> String {
        var bytes = Array(previousHash.utf8)
        bytes.append(0x0A)
        CanonicalJSON.write(body, into: &bytes)
        return hexDigest(bytes)
    }

    /// The lower-case hex SHA-256 of `bytes`.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The body that is hashed for an event: the payload plus its place in the chain.
    public static func body(runId: String, sequence: Int64, kind: String, at time: Date, data: JSONValue) -> JSONValue {
        .object([
            "runId": .string(runId),
            "sequence": .integer(sequence),
            "kind": .string(kind),
            "time": .string(Timestamps.iso8601(time)),
            "data": data,
        ])
    }
}

/// Time as the stores keep it: integer milliseconds since 1970 (UTC).
public enum Timestamps {
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    public static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    /// Now, truncated to the millisecond so that what is stored and what is returned agree.
    public static func now() -> Date { date(milliseconds: milliseconds(Date())) }

    /// `2026-11-23T08:29:28.123Z`.
    public static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
