import Foundation
import RiskKernelCore

/// A Dead Simple Signing Envelope (https://github.com/secure-systems-lab/dsse, protocol v1).
///
/// Signatures are over the pre-authentication encoding ``pae(type:body:)`` of the payload type and
/// the exact payload bytes, so what is verified is what was signed, whatever encoder made it.
public struct DSSEEnvelope: Sendable, Hashable {
    public struct Signature: Sendable, Hashable {
        public var keyid: String
        public var sig: [UInt8]

        public init(keyid: String, sig: [UInt8]) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    public var payloadType: String
    public var payload: [UInt8]
    public var signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature] = []) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
    public static func pae(type: String, body: some Collection<UInt8>) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var output = Array("DSSEv1 \(typeBytes.count) ".utf8)
        output += typeBytes
        output += Array(" \(body.count) ".utf8)
        output += body
        return output
    }

    /// The bytes every signature of this envelope covers.
    public var signedBytes: [UInt8] { Self.pae(type: payloadType, body: payload) }

    /// `{payloadType, payload, signatures: [{keyid, sig}]}` with standard base64.
    public var json: JSONValue {
        [
            "payloadType": .string(payloadType),
            "payload": .string(Data(payload).base64EncodedString()),
            "signatures": .array(signatures.map { ["keyid": .string($0.keyid), "sig": .string(Data($0.sig).base64EncodedString())] }),
        ]
    }

    /// The envelope as a file: canonical JSON and a newline.
    public var encoded: [UInt8] { CanonicalJSON.encode(json) + [0x0A] }

    /// Reads an envelope; what is malformed is named.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> DSSEEnvelope {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw DSSEError("the envelope is not valid JSON: \(error)") }
        guard case .object(let members) = value else { throw DSSEError("the envelope is not a JSON object") }
        let known: Set<String> = ["payloadType", "payload", "signatures"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw DSSEError("the envelope has an unknown field \"\(unknown)\"")
        }
        guard let payloadType = members["payloadType"]?.stringValue else { throw DSSEError("the envelope has no payloadType string") }
        guard let payloadText = members["payload"]?.stringValue else { throw DSSEError("the envelope has no payload string") }
        guard let payload = base64(payloadText) else { throw DSSEError("the envelope's payload is not base64") }
        guard let list = members["signatures"]?.arrayValue else { throw DSSEError("the envelope has no signatures array") }
        var signatures: [Signature] = []
        for (index, entry) in list.enumerated() {
            guard let keyid = entry["keyid"]?.stringValue, !keyid.isEmpty else { throw DSSEError("signature \(index + 1) has no keyid") }
            guard let sigText = entry["sig"]?.stringValue, let sig = base64(sigText), !sig.isEmpty else {
                throw DSSEError("signature \(index + 1) has no base64 sig")
            }
            signatures.append(Signature(keyid: keyid, sig: sig))
        }
        return DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    /// Standard or URL-safe base64, padded or not (DSSE accepts either on reading).
    static func base64(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0.isBase64Character }) else { return nil }
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0, !normalized.hasSuffix("=") { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized).map(Array.init)
    }
}

extension UInt8 {
    fileprivate var isBase64Character: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
            || self == 0x2B || self == 0x2F || self == 0x2D || self == 0x5F || self == 0x3D
    }
}

/// A malformed envelope.
public struct DSSEError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
