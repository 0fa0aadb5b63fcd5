import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@testable import RiskKernelProvenance

@Suite("encodings: base58btc, did:key, DSSE, times")
struct EncodingTests {
    @Test("base58btc matches known vectors, keeps leading zeros and round-trips")
    func base58Vectors() throws {
        #expect(Base58.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.encode(Array("The quick brown fox jumps over the lazy dog.".utf8)) == "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z")
        #expect(Base58.encode([0x00, 0x00, 0x28, 0x7F, 0xB4, 0xCD]) == "11233QC4")
        #expect(Base58.encode([]) == "")
        #expect(Base58.encode([0]) == "1")
        #expect(Base58.decode("11233QC4") == [0x00, 0x00, 0x28, 0x7F, 0xB4, 0xCD])
        #expect(Base58.decode("2NEpo7TZRRrLZSi2U") == Array("Hello World!".utf8))
        #expect(Base58.decode("") == [])
        #expect(Base58.decode("0OIl") == nil)
        #expect(Base58.decode("abc!") == nil)
        var generator = SystemRandomNumberGenerator()
        for length in [1, 2, 31, 32, 33, 100, 1954] {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 2 { bytes[0] = 0 }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test("did:key of the all-zero Ed25519 seed is the did:key method's test vector")
    func ed25519DIDKey() throws {
        let signer = try Ed25519Signer(privateKey: [UInt8](repeating: 0, count: 32))
        #expect(signer.identity.keyid == "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
        let parsed = try DIDKey(parsing: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        #expect(parsed.algorithm == .ed25519)
        #expect(parsed.publicKey.count == 32)
        #expect(parsed.publicKey.map { String(format: "%02x", $0) }.joined() == "2e6fcce36701dc791488e0d0b1745cc1e33a4c1c9fcc41c63bd343dbbe0970e6")
        #expect(parsed.did == "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        #expect(SignatureAlgorithm.ed25519.multicodecPrefix == [0xED, 0x01])
        #expect(SignatureAlgorithm.mldsa65.multicodecPrefix == [0x91, 0x24])
    }

    @Test("an ML-DSA-65 did:key carries its whole key under the mldsa-65-pub multicodec and reads back")
    func mldsaDIDKey() throws {
        let signer = try SignatureCheck.generatePostQuantumSigner()
        let did = signer.identity.keyid
        #expect(did.hasPrefix("did:key:z"))
        let bytes = try #require(Base58.decode(String(did.dropFirst("did:key:z".count))))
        #expect(Array(bytes.prefix(2)) == [0x91, 0x24])
        #expect(bytes.count == 2 + 1952)
        let parsed = try DIDKey(parsing: did)
        #expect(parsed.algorithm == .mldsa65)
        #expect(parsed.publicKey == signer.identity.publicKey)
    }

    @Test("malformed did:keys are refused with a reason")
    func badDIDKeys() {
        #expect(throws: DIDKeyError.self) { try DIDKey(parsing: "did:web:example.com") }
        #expect(throws: DIDKeyError.self) { try DIDKey(parsing: "did:key:z0OIl") }
        // A secp256k1 key (0xe7) is not one we sign with.
        #expect(throws: DIDKeyError.self) { try DIDKey(parsing: "did:key:z" + Base58.encode([0xE7, 0x01] + [UInt8](repeating: 2, count: 33))) }
        // An Ed25519 prefix with a short key.
        #expect(throws: DIDKeyError.self) { try DIDKey(parsing: "did:key:z" + Base58.encode([0xED, 0x01] + [UInt8](repeating: 2, count: 31))) }
    }

    @Test("DSSE PAE is the spec's example; envelopes round-trip and refuse what is malformed")
    func dsse() throws {
        let pae = DSSEEnvelope.pae(type: "http://example.com/HelloWorld", body: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        #expect(String(decoding: DSSEEnvelope.pae(type: "", body: []), as: UTF8.self) == "DSSEv1 0  0 ")
        let envelope = DSSEEnvelope(payloadType: "t", payload: Array("{\"a\":1}".utf8), signatures: [.init(keyid: "k", sig: [1, 2, 3, 255])])
        #expect(try DSSEEnvelope.decode(envelope.encoded) == envelope)
        // URL-safe, unpadded base64 is accepted on reading.
        let urlSafe = #"{"payloadType":"t","payload":"_-8","signatures":[{"keyid":"k","sig":"AQ"}]}"#
        let decoded = try DSSEEnvelope.decode(Array(urlSafe.utf8))
        #expect(decoded.payload == [0xFF, 0xEF])
        #expect(decoded.signatures.first?.sig == [1])
        #expect(throws: DSSEError.self) { try DSSEEnvelope.decode(Array(#"{"payloadType":"t","payload":"@@","signatures":[]}"#.utf8)) }
        #expect(throws: DSSEError.self) { try DSSEEnvelope.decode(Array(#"{"payloadType":"t","signatures":[]}"#.utf8)) }
        #expect(throws: DSSEError.self) { try DSSEEnvelope.decode(Array(#"{"payloadType":"t","payload":"","signatures":[],"extra":1}"#.utf8)) }
        #expect(throws: DSSEError.self) { try DSSEEnvelope.decode(Array("[]".utf8)) }
    }

    @Test("bundle times are exact to the millisecond both ways")
    func times() {
        for milliseconds: Int64 in [0, 1, 999, 86_399_999, 951_782_400_123, 1_709_164_800_000, 1_795_000_000_007, 4_102_444_799_999] {
            let text = BundleTime.string(milliseconds: milliseconds)
            #expect(BundleTime.milliseconds(text) == milliseconds, "\(text)")
        }
        #expect(BundleTime.string(milliseconds: 951_782_400_123) == "2000-02-29T00:00:00.123Z")
        #expect(BundleTime.string(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(BundleTime.milliseconds("2001-02-29T00:00:00.000Z") == nil)
        #expect(BundleTime.milliseconds("2001-02-28T00:00:00Z") == nil)
        let now = Timestamps.now()
        #expect(BundleTime.date(BundleTime.string(now)) == now)
    }
}
