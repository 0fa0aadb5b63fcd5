import Foundation
import RiskKernelCore

/// JSON-RPC 2.0 error codes the gateway answers with.
public enum JSONRPCErrorCode {
    public static let parseError: Int64 = -32700
    public static let invalidRequest: Int64 = -32600
    public static let methodNotFound: Int64 = -32601
    public static let invalidParams: Int64 = -32602
    public static let internalError: Int64 = -32603
    /// The upstream server is gone.
    public static let upstreamUnavailable: Int64 = -32000
}

/// A JSON-RPC message classified by shape.
public enum JSONRPCMessage: Sendable, Equatable {
    case request(id: JSONValue, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: JSONValue, body: JSONValue)
}

/// Why a line is not an acceptable single JSON-RPC message, with the error to answer it.
public struct JSONRPCRejection: Error, Sendable, Equatable {
    public var code: Int64
    public var message: String
    /// The id to answer with, when one could be read (`null` otherwise).
    public var id: JSONValue
}

public enum JSONRPC {
    /// Parses and classifies one line. Batches, wrong `jsonrpc`, ids that are not strings or
    /// integers, and shapes that are neither request, notification nor response are rejected.
    public static func classify(_ line: [UInt8]) -> Result<(JSONRPCMessage, JSONValue), JSONRPCRejection> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            return .failure(JSONRPCRejection(code: JSONRPCErrorCode.parseError, message: "Parse error: \(error)", id: .null))
        }
        return classify(value).map { ($0, value) }
    }

    public static func classify(_ value: JSONValue) -> Result<JSONRPCMessage, JSONRPCRejection> {
        if case .array = value {
            return .failure(JSONRPCRejection(
                code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: batches are not supported; send one message per line",
                id: .null))
        }
        guard case .object(let members) = value else {
            return .failure(JSONRPCRejection(code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: not a JSON object", id: .null))
        }
        let rawId = members["id"]
        let id: JSONValue
        switch rawId {
        case nil: id = .null
        case .string?, .integer?: id = rawId!
        case .null?: id = .null
        // An integral number written as a fraction, an exponent or beyond 64 bits (`1.0`, `1e2`).
        case let number? where number.isIntegralNumber: id = number
        default:
            return .failure(JSONRPCRejection(
                code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: id must be a string or an integer", id: .null))
        }
        guard members["jsonrpc"] == .string("2.0") else {
            return .failure(JSONRPCRejection(code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: jsonrpc must be \"2.0\"", id: id))
        }
        if let method = members["method"] {
            guard case .string(let name) = method, !name.isEmpty else {
                return .failure(JSONRPCRejection(code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: method must be a string", id: id))
            }
            if let params = members["params"] {
                switch params {
                case .object, .array: break
                default:
                    return .failure(JSONRPCRejection(
                        code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: params must be an object or an array", id: id))
                }
            }
            if members["result"] != nil || members["error"] != nil {
                return .failure(JSONRPCRejection(
                    code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: a request cannot carry result or error", id: id))
            }
            if rawId == nil { return .success(.notification(method: name, params: members["params"])) }
            if rawId == .null {
                return .failure(JSONRPCRejection(code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: id must not be null", id: .null))
            }
            return .success(.request(id: id, method: name, params: members["params"]))
        }
        let hasResult = members["result"] != nil
        let hasError = members["error"] != nil
        guard rawId != nil, hasResult != hasError else {
            return .failure(JSONRPCRejection(
                code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: neither a request, a notification nor a response", id: id))
        }
        return .success(.response(id: id, body: value))
    }

    /// The bytes of an error response.
    public static func errorResponse(id: JSONValue, code: Int64, message: String, data: JSONValue? = nil) -> [UInt8] {
        var error: [String: JSONValue] = ["code": .integer(code), "message": .string(message)]
        if let data { error["data"] = data }
        return encode(["jsonrpc": "2.0", "id": id, "error": .object(error)])
    }

    /// The bytes of a success response.
    public static func resultResponse(id: JSONValue, result: JSONValue) -> [UInt8] {
        encode(["jsonrpc": "2.0", "id": id, "result": result])
    }

    /// The bytes of a notification.
    public static func notification(method: String, params: JSONValue) -> [UInt8] {
        encode(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// The bytes of a message the gateway writes to a peer (client or upstream): canonical JSON with
    /// every number as it was written (``CanonicalJSON/Numbers/asWritten``), so that re-encoding a
    /// message (a filtered `tools/list`, a redacted result, rewritten arguments) changes no number.
    public static func encode(_ message: JSONValue) -> [UInt8] {
        CanonicalJSON.encode(message, numbers: .asWritten)
    }

    /// The top-level `"id"` of a message that is too long to parse, read from its first bytes.
    ///
    /// Only the members before the first nested value are looked at (JSON-RPC peers put `jsonrpc`
    /// and `id` first), so an `"id"` inside `result` is never mistaken for the message's own.
    public static func leadingId(in head: [UInt8]) -> JSONValue? {
        // Cut the head before the first '{' or '[' after the opening brace, then close the object.
        guard let open = head.firstIndex(of: UInt8(ascii: "{")) else { return nil }
        var end = open + 1
        var inString = false
        var escaped = false
        while end < head.count {
            let byte = head[end]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                break
            }
            end += 1
        }
        // Drop the unfinished member ("result": ...), keeping whole members only.
        guard let lastComma = head[open..<end].lastIndex(of: UInt8(ascii: ",")) else { return nil }
        let prefix = Array(head[open..<lastComma]) + [UInt8(ascii: "}")]
        guard let value = try? JSONParser.parse(prefix), let id = value["id"] else { return nil }
        switch id {
        case .string, .integer: return id
        default:
            // An integral number written as a fraction, an exponent or beyond 64 bits, as `classify` takes it.
            guard id.isIntegralNumber else { return nil }
            return id
        }
    }

    /// A key for matching a response to its request: the id's canonical text, with a number as it
    /// was written (two ids that differ beyond a double's precision are two keys).
    public static func idKey(_ id: JSONValue) -> String { CanonicalJSON.string(id, numbers: .asWritten) }
}
