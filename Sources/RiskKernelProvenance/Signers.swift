import Crypto
import Foundation
import RiskKernelCore

/// Who signs a bundle: the algorithm and the public key, named by its did:key (the DSSE keyid).
public struct SignerIdentity: Sendable, Hashable {
    public var algorithm: SignatureAlgorithm
    public var publicKey: [UInt8]
    /// The did:key of `publicKey`.
    public let keyid: String

    public init(algorithm: SignatureAlgorithm, publicKey: [UInt8]) {
        self.algorithm = algorithm
        self.publicKey = publicKey
        keyid = DIDKey(algorithm: algorithm, publicKey: publicKey).did
    }

    /// `{keyid, algorithm, publicKey}` as listed in a bundle's `expectedSigners`.
    public var json: JSONValue {
        ["keyid": .string(keyid), "algorithm": .string(algorithm.rawValue), "publicKey": .string(Data(publicKey).base64EncodedString())]
    }
}

/// A private key that signs bundles.
public protocol BundleSigner: Sendable {
    var identity: SignerIdentity { get }
    /// A signature over `message` (for a bundle: the DSSE pre-authentication encoding).
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// Ed25519 (RFC 8032), the signer every bundle carries.
public struct Ed25519Signer: BundleSigner {
    let key: Curve25519.Signing.PrivateKey
    public let identity: SignerIdentity

    init(_ key: Curve25519.Signing.PrivateKey) {
        self.key = key
        identity = SignerIdentity(algorithm: .ed25519, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// A new random key.
    public static func generate() -> Ed25519Signer { Ed25519Signer(Curve25519.Signing.PrivateKey()) }

    /// A key from its 32-byte private seed.
    public init(privateKey bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw KeyError("an Ed25519 private key has 32 bytes, this one \(bytes.count)") }
        self.init(try Curve25519.Signing.PrivateKey(rawRepresentation: bytes))
    }

    /// The 32-byte private seed.
    public var privateKeyBytes: [UInt8] { Array(key.rawRepresentation) }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

/// ML-DSA-65 (FIPS 204), the optional post-quantum second signer.
@available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *)
public struct MLDSA65Signer: BundleSigner {
    let key: MLDSA65.PrivateKey
    public let identity: SignerIdentity

    init(_ key: MLDSA65.PrivateKey) {
        self.key = key
        identity = SignerIdentity(algorithm: .mldsa65, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// A new random key.
    public static func generate() throws -> MLDSA65Signer { MLDSA65Signer(try MLDSA65.PrivateKey()) }

    /// A key from its 64-byte integrity-checked form (the 32-byte seed and a hash of the public key).
    public init(privateKey bytes: [UInt8]) throws {
        guard bytes.count == 64 else { throw KeyError("an ML-DSA-65 private key file holds 64 bytes, this one \(bytes.count)") }
        do { self.init(try MLDSA65.PrivateKey(integrityCheckedRepresentation: bytes)) } catch {
            throw KeyError("the ML-DSA-65 private key does not match its own public-key hash (damaged file?)")
        }
    }

    /// The 64-byte integrity-checked private key.
    public var privateKeyBytes: [UInt8] { Array(key.integrityCheckedRepresentation) }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

/// Checking one signature against a public key.
public enum SignatureCheck {
    /// Whether ML-DSA-65 can be used on this platform (always on Linux; macOS 26 and later).
    public static var postQuantumAvailable: Bool {
        if #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *) { return true }
        return false
    }

    /// Whether `signature` is `publicKey`'s signature over `message`; `false` for a malformed key.
    public static func isValid(_ signature: [UInt8], over message: [UInt8], algorithm: SignatureAlgorithm, publicKey: [UInt8]) -> Bool {
        switch algorithm {
        case .ed25519:
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
            return key.isValidSignature(signature, for: message)
        case .mldsa65:
            guard #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *),
                  let key = try? MLDSA65.PublicKey(rawRepresentation: publicKey)
            else { return false }
            return key.isValidSignature(signature, for: message)
        }
    }
}

/// A key that cannot be made, read or used.
public struct KeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SignatureCheck {
    /// A new ML-DSA-65 signer; an error where the platform has no ML-DSA-65.
    public static func generatePostQuantumSigner() throws -> any BundleSigner {
        guard #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *) else {
            throw KeyError("ML-DSA-65 is not available on this platform (it needs macOS 26 or later, or Linux)")
        }
        return try MLDSA65Signer.generate()
    }
}
