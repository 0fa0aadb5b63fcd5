#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RiskKernelCore

/// A directory of signing keys, as `riskkernel keys generate` writes it and `provenance export --key` reads it:
///
/// - `ed25519.key` (mode 0600): the 32-byte private seed, base64; `ed25519.pub` (0644): the 32-byte public key, base64;
/// - with `--pq`, `mldsa65.key` (0600): the 64-byte integrity-checked ML-DSA-65 private key (seed and a hash of the
///   public key), base64; `mldsa65.pub` (0644): the 1,952-byte public key, base64;
/// - `key.json` (0644): `{did, keys: [{algorithm, keyid, publicKeyFile, privateKeyFile}], createdAt}`.
///
/// Private key files are created with mode 0600 (never readable by others, not even for a moment) and
/// refused when read if group or others may read them.
public enum KeyDirectory {
    public static let ed25519Private = "ed25519.key"
    public static let ed25519Public = "ed25519.pub"
    public static let mldsa65Private = "mldsa65.key"
    public static let mldsa65Public = "mldsa65.pub"
    public static let summary = "key.json"

    /// Makes new keys in `directory` (created with mode 0700 when missing); refuses to replace keys.
    /// Returns the signers' identities, Ed25519 first.
    @discardableResult
    public static func generate(in directory: String, postQuantum: Bool, now: Date = Date()) throws -> [SignerIdentity] {
        var files: [(name: String, contents: [UInt8], mode: mode_t)] = []
        var keys: [JSONValue] = []
        let ed25519 = Ed25519Signer.generate()
        files.append((ed25519Private, base64Line(ed25519.privateKeyBytes), 0o600))
        files.append((ed25519Public, base64Line(ed25519.identity.publicKey), 0o644))
        keys.append(entry(ed25519.identity, publicFile: ed25519Public, privateFile: ed25519Private))
        var identities = [ed25519.identity]
        if postQuantum {
            guard #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *) else {
                throw KeyError("ML-DSA-65 is not available on this platform (it needs macOS 26 or later, or Linux)")
            }
            let mldsa = try MLDSA65Signer.generate()
            files.append((mldsa65Private, base64Line(mldsa.privateKeyBytes), 0o600))
            files.append((mldsa65Public, base64Line(mldsa.identity.publicKey), 0o644))
            keys.append(entry(mldsa.identity, publicFile: mldsa65Public, privateFile: mldsa65Private))
            identities.append(mldsa.identity)
        }
        let summaryJSON: JSONValue = [
            "did": .string(ed25519.identity.keyid), "keys": .array(keys), "createdAt": .string(BundleTime.string(now)),
        ]
        files.append((summary, CanonicalJSON.encode(summaryJSON) + [0x0A], 0o644))

        try prepare(directory)
        for name in [ed25519Private, ed25519Public, mldsa65Private, mldsa65Public, summary]
        where FileManager.default.fileExists(atPath: path(directory, name)) {
            throw KeyError("\(path(directory, name)) already exists; keys are never overwritten (remove them or choose another --out)")
        }
        var written: [String] = []
        do {
            for file in files {
                try create(path(directory, file.name), contents: file.contents, mode: file.mode)
                written.append(path(directory, file.name))
            }
        } catch {
            for path in written { unlink(path) }
            throw error
        }
        return identities
    }

    /// The signers in `directory`: Ed25519 (required) and ML-DSA-65 when its key is there.
    public static func load(from directory: String) throws -> [any BundleSigner] {
        let ed25519 = try Ed25519Signer(privateKey: try readPrivate(path(directory, ed25519Private)))
        try checkPublic(path(directory, ed25519Public), matches: ed25519.identity)
        var signers: [any BundleSigner] = [ed25519]
        let mldsaPath = path(directory, mldsa65Private)
        if FileManager.default.fileExists(atPath: mldsaPath) {
            guard #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *) else {
                throw KeyError("\(mldsaPath) is an ML-DSA-65 key, which this platform cannot use (it needs macOS 26 or later, or Linux)")
            }
            let mldsa = try MLDSA65Signer(privateKey: try readPrivate(mldsaPath))
            try checkPublic(path(directory, mldsa65Public), matches: mldsa.identity)
            signers.append(mldsa)
        }
        return signers
    }

    // MARK: Files

    static func path(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }

    static func base64Line(_ bytes: [UInt8]) -> [UInt8] { Array((Data(bytes).base64EncodedString() + "\n").utf8) }

    static func entry(_ identity: SignerIdentity, publicFile: String, privateFile: String) -> JSONValue {
        ["algorithm": .string(identity.algorithm.rawValue), "keyid": .string(identity.keyid), "publicKeyFile": .string(publicFile), "privateKeyFile": .string(privateFile)]
    }

    static func prepare(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw KeyError("\(directory) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyError("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    /// Creates a new file (never an existing one, never through a symlink) with exactly `mode`.
    static func create(_ path: String, contents: [UInt8], mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw KeyError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // The umask may have taken bits away; set exactly the mode asked for (it never adds read access for others
        // to a private key: 0600 stays 0600).
        guard fchmod(descriptor, mode) == 0 else { throw KeyError("cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < contents.count {
            let count = contents[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw KeyError("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += count
        }
        guard fsync(descriptor) == 0 else { throw KeyError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    static func readPrivate(_ path: String) throws -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw KeyError("no private key at \(path) (make one with `riskkernel keys generate --out DIR`)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw KeyError("\(path) is not a regular file") }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw KeyError("\(path) may be read by others (mode \(String(permissions, radix: 8))); a private key must be mode 0600: chmod 600 \(path)")
        }
        return try readBase64(path)
    }

    static func readBase64(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw KeyError("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text) else { throw KeyError("\(path) does not hold a base64 key") }
        return Array(bytes)
    }

    static func checkPublic(_ path: String, matches identity: SignerIdentity) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard try readBase64(path) == identity.publicKey else {
            throw KeyError("\(path) is not the public key of the private key next to it")
        }
    }
}
