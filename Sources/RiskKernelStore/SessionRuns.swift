import Crypto
import Foundation
import RiskKernelCore

/// Sessions: one run per name the user picks, that an agent's gateways (`riskkernel gateway
/// --session KEY`, each as a child run) and model calls (`riskkernel llm-proxy`'s
/// `/sessions/KEY/…` routes) all record into, so that they share its budget and its ledger.
///
/// A session's run has an id derived from its key (``runId(key:)``), so whichever process uses the
/// key first creates it, with that process's policy and budget, and every other finds it: two
/// processes that race to create it cannot make two runs, as the second insert of the same id fails.
public enum SessionRuns {
    /// The metadata key that names a run's session (`usage --by metadata.session`).
    public static let metadataKey = "session"

    /// Whether `key` can name a session: 1 to 128 characters, each a letter, a digit, or one of
    /// `.`, `_`, `-`, `:`, `@` (so that it stands in a URL path segment as it is).
    public static func isValidKey(_ key: String) -> Bool {
        guard (1...128).contains(key.utf8.count) else { return false }
        return key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "@")].contains(byte)
        }
    }

    /// The id of the session's run: `run_` and 12 characters of the SHA-256 of the key (Identifiers' alphabet).
    public static func runId(key: String) -> String {
        let alphabet = Array("0123456789abcdefghijkmnpqrstuvwxyz".utf8)
        let digest = Array(SHA256.hash(data: Array("riskkernel session\u{0}\(key)".utf8)))
        var value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var suffix = [UInt8](repeating: 0, count: 12)
        for index in suffix.indices {
            suffix[index] = alphabet[Int(value % UInt64(alphabet.count))]
            value /= UInt64(alphabet.count)
        }
        return "run_" + String(decoding: suffix, as: UTF8.self)
    }

    /// The session's run: found, or created (named `key`, with `policyRef`, `budget` and the
    /// `session` metadata) when no process has used the key yet.
    ///
    /// Throws ``StoreError/invalidArgument(_:)`` for a key ``isValidKey(_:)`` refuses, and the
    /// store's error when the run can be neither created nor read.
    public static func open(key: String, policyRef: String?, budget: Budget, in store: any Store) async throws -> RunRecord {
        guard isValidKey(key) else {
            throw StoreError.invalidArgument("invalid session key \"\(key)\": use 1 to 128 letters, digits, '.', '_', '-', ':' or '@'")
        }
        let id = runId(key: key)
        if let existing = try await store.run(id: id) { return existing }
        do {
            return try await store.createRun(NewRun(
                id: id, name: key, policyRef: policyRef, budget: budget, metadata: [metadataKey: key]))
        } catch {
            // Another process created it in between: the insert of the same id failed.
            if let existing = try await store.run(id: id) { return existing }
            throw error
        }
    }
}
