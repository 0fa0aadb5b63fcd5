import Foundation
import RiskKernelCore
import Testing

@testable import RiskKernelProvenance

@Suite("key directories")
struct KeyDirectoryTests {
    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("generate --pq writes private keys 0600 and public keys 0644, and load gives the same signers")
    func generateAndLoad() throws {
        let directory = TemporaryDirectory()
        let keys = directory.file("keys")
        let identities = try KeyDirectory.generate(in: keys, postQuantum: true)
        #expect(identities.map(\.algorithm) == [.ed25519, .mldsa65])
        #expect(try mode(keys) == 0o700)
        #expect(try mode(keys + "/ed25519.key") == 0o600)
        #expect(try mode(keys + "/mldsa65.key") == 0o600)
        #expect(try mode(keys + "/ed25519.pub") == 0o644)
        #expect(try mode(keys + "/mldsa65.pub") == 0o644)
        #expect(try mode(keys + "/key.json") == 0o644)
        let summary = try JSONParser.parse(Array(try #require(FileManager.default.contents(atPath: keys + "/key.json"))))
        #expect(summary["did"] == .string(identities[0].keyid))
        #expect(identities[0].keyid.hasPrefix("did:key:z6Mk"))

        let loaded = try KeyDirectory.load(from: keys)
        #expect(loaded.map(\.identity) == identities)
        let message = Array("message".utf8)
        for signer in loaded {
            let signature = try signer.sign(message)
            #expect(SignatureCheck.isValid(signature, over: message, algorithm: signer.identity.algorithm, publicKey: signer.identity.publicKey))
            #expect(!SignatureCheck.isValid(signature, over: message + [0], algorithm: signer.identity.algorithm, publicKey: signer.identity.publicKey))
        }
    }

    @Test("keys are never overwritten; without --pq there is one signer")
    func noOverwrite() throws {
        let directory = TemporaryDirectory()
        let first = try KeyDirectory.generate(in: directory.path, postQuantum: false)
        #expect(first.count == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.file("mldsa65.key")))
        #expect(throws: KeyError.self) { try KeyDirectory.generate(in: directory.path, postQuantum: false) }
        #expect(try KeyDirectory.load(from: directory.path).map(\.identity) == first)
    }

    @Test("a private key others may read, a missing key, or a mismatched public key is refused")
    func refusals() throws {
        let directory = TemporaryDirectory()
        try KeyDirectory.generate(in: directory.path, postQuantum: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory.file("ed25519.key"))
        #expect(throws: KeyError.self) { try KeyDirectory.load(from: directory.path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.file("ed25519.key"))
        try Data((Data([UInt8](repeating: 1, count: 32)).base64EncodedString() + "\n").utf8).write(to: URL(fileURLWithPath: directory.file("ed25519.pub")))
        #expect(throws: KeyError.self) { try KeyDirectory.load(from: directory.path) }
        #expect(throws: KeyError.self) { try KeyDirectory.load(from: directory.file("nothing-here")) }
    }
}
