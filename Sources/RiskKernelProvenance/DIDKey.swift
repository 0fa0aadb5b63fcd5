/// The signature algorithms a provenance bundle may be signed with.
public enum SignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    case ed25519 = "Ed25519"
    /// FIPS 204 ML-DSA-65 (post-quantum).
    case mldsa65 = "ML-DSA-65"

    /// The multicodec code of the algorithm's public key: `ed25519-pub` (0xed) and `mldsa-65-pub`
    /// (0x1211, "draft" in the multicodec table).
    public var multicodec: UInt64 {
        switch self {
        case .ed25519: return 0xED
        case .mldsa65: return 0x1211
        }
    }

    /// The raw public key's length in bytes.
    public var publicKeyLength: Int {
        switch self {
        case .ed25519: return 32
        case .mldsa65: return 1952
        }
    }

    /// The multicodec code as an unsigned varint: `ed 01` and `91 24`.
    public var multicodecPrefix: [UInt8] { Varint.encode(multicodec) }
}

/// Why a did:key could not be read.
public struct DIDKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A public key named as a `did:key` (https://w3c-ccg.github.io/did-method-key/):
/// `did:key:z` + base58btc(multicodec varint of the key type + raw public key).
///
/// Ed25519 keys give the familiar `did:key:z6Mk…`. ML-DSA-65 keys use the multicodec
/// `mldsa-65-pub` (0x1211, draft), so their did:key (`did:key:z…`, about 2,670 characters) carries the
/// whole 1,952-byte key, just as an Ed25519 did:key carries its 32 bytes.
public struct DIDKey: Sendable, Hashable, CustomStringConvertible {
    public var algorithm: SignatureAlgorithm
    public var publicKey: [UInt8]

    public init(algorithm: SignatureAlgorithm, publicKey: [UInt8]) {
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    /// Reads a did:key; the key type must be one of ``SignatureAlgorithm`` and the key its length.
    public init(parsing did: String) throws {
        let prefix = "did:key:z"
        guard did.hasPrefix(prefix) else { throw DIDKeyError("\"\(Self.shortened(did))\" is not a did:key (it must start with did:key:z)") }
        guard let bytes = Base58.decode(String(did.dropFirst(prefix.count))) else {
            throw DIDKeyError("\(Self.shortened(did)) is not valid base58btc")
        }
        guard let algorithm = SignatureAlgorithm.allCases.first(where: { bytes.starts(with: $0.multicodecPrefix) }) else {
            throw DIDKeyError("\(Self.shortened(did)) names a key type other than Ed25519 or ML-DSA-65")
        }
        let key = Array(bytes.dropFirst(algorithm.multicodecPrefix.count))
        guard key.count == algorithm.publicKeyLength else {
            throw DIDKeyError("\(Self.shortened(did)) holds a \(key.count)-byte key; \(algorithm.rawValue) keys have \(algorithm.publicKeyLength)")
        }
        self.init(algorithm: algorithm, publicKey: key)
    }

    /// `did:key:z…`.
    public var did: String { "did:key:z" + Base58.encode(algorithm.multicodecPrefix + publicKey) }

    public var description: String { did }

    /// A did:key cut to a readable length for messages (`did:key:z6Mk…wxyz`).
    public static func shortened(_ did: String, to length: Int = 60) -> String {
        guard did.count > length else { return did }
        return String(did.prefix(length - 9)) + "…" + String(did.suffix(8))
    }
}

/// Unsigned LEB128 varints, as multicodec prefixes use them.
public enum Varint {
    public static func encode(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }
}
