import Crypto
import Foundation
import RiskKernelCore

/// The key by which an identical retry finds its approval: HMAC-SHA256, keyed by the store's own
/// secret (``Store/approvalMatchSecret()``), over the canonical JSON (RFC 8785) of
/// `{"server": …, "tool": …, "arguments": …}`, where `arguments` are the real arguments that will be
/// forwarded (after argument rules rewrote them, secrets intact), never their redacted form.
///
/// Keyed so that the stored key reveals nothing about the arguments (a guessable secret in them
/// cannot be confirmed from the database), and bound to exactly what runs: a call whose arguments
/// differ in any byte that is forwarded, even inside a redacted secret, gets another key.
public enum ApprovalMatchKey {
    /// The lower-case hex HMAC of the call; `secret` is the store's (32 random bytes).
    public static func make(secret: [UInt8], server: String, tool: String, arguments: JSONValue) -> String {
        let message = CanonicalJSON.encode(["server": .string(server), "tool": .string(tool), "arguments": arguments])
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return ApprovalUse.hex(Array(mac))
    }

    /// 32 random bytes, the secret a new store keeps.
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
