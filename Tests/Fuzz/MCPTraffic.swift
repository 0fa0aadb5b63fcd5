import Foundation
import RiskKernelCore

/// Random MCP traffic for the fuzz tests: well-formed messages of every kind the gateway sees, and
/// mutations of them at the byte, text and structure level.
enum MCPTraffic {
    static let methods = [
        "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read", "prompts/get", "completion/complete",
        "logging/setLevel", "riskkernel/status", "riskkernel/recordModelCall", "riskkernel/checkpoint", "riskkernel/facts/get",
        "riskkernel/approve", "riskkernel/policy/set", "approvals/approve", "Tools/Call", "TOOLS/CALL", " tools/call", "tools/call ",
        "riskkernel/recordmodelcall", "RiskKernel/Status",
    ]
    static let notifications = [
        "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed",
        "riskkernel/approve", "notifications/message",
    ]
    static let toolNames = ["list_files", "read_file", "write_file", "send_message", "delete_file", "", "x\u{1b}[31m", "../../etc/passwd"]

    /// A JSON value of any shape, at most `depth` levels deep.
    static func value(_ random: inout FuzzRandom, depth: Int = 3) -> JSONValue {
        switch random.int(0...(depth > 0 ? 7 : 5)) {
        case 0: return .null
        case 1: return .bool(random.chance(0.5))
        case 2: return .integer(random.pick([0, 1, -1, Int64.max, Int64.min, Int64(random.int(-1000...1000))]))
        case 3: return .double(random.pick([0.5, -1e308, 1e-308, 3.14159, 2.5e10, -0.0]))
        case 4: return .string(string(&random))
        case 5: return .string(random.pick(["", "tools/call", "2.0", "\u{0}", "\u{202e}evil", "\u{1b}]0;title\u{7}"]))
        case 6: return .array((0..<random.int(0...4)).map { _ in value(&random, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<random.int(0...4) { members[string(&random)] = value(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    static func string(_ random: inout FuzzRandom) -> String {
        let alphabet: [Character] = ["a", "b", "z", "0", "9", "_", "/", "\"", "\\", " ", "é", "€", "😀", "\u{1b}", "\n", "\t", "\u{7f}", "\u{9b}"]
        return String((0..<random.int(0...12)).map { _ in random.pick(alphabet) })
    }

    /// An id of any JSON type (valid ones are strings and integers).
    static func id(_ random: inout FuzzRandom) -> JSONValue {
        switch random.int(0...9) {
        case 0...3: return .integer(Int64(random.int(1...1_000_000)))
        case 4...6: return .string("id-\(random.int(0...1_000_000))")
        case 7: return .double(random.pick([1.5, 2.0, -0.0, 1e300]))
        case 8: return random.pick([.null, .bool(true), .array([1]), .object(["a": 1])])
        default: return .integer(random.pick([0, -1, Int64.max, Int64.min]))
        }
    }

    /// A well-formed MCP message: a request, a notification or a response.
    static func message(_ random: inout FuzzRandom, id: JSONValue? = nil) -> JSONValue {
        switch random.int(0...9) {
        case 0...5:
            let method = random.pick(methods)
            var members: [String: JSONValue] = ["jsonrpc": "2.0", "id": id ?? .integer(Int64(random.int(1...1_000_000))), "method": .string(method)]
            members["params"] = params(for: method, &random)
            return .object(members)
        case 6...7:
            var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(random.pick(notifications))]
            if random.chance(0.7) { members["params"] = ["requestId": self.id(&random), "reason": "fuzz"] }
            return .object(members)
        default:
            let body: (String, JSONValue) = random.chance(0.5)
                ? ("result", ["content": [["type": "text", "text": .string(string(&random))]]])
                : ("error", ["code": -32603, "message": "fuzz"])
            return .object(["jsonrpc": "2.0", "id": id ?? .string("srv-\(random.int(0...1000))"), body.0: body.1])
        }
    }

    static func params(for method: String, _ random: inout FuzzRandom) -> JSONValue? {
        switch method {
        case "tools/call", "Tools/Call", "TOOLS/CALL", " tools/call", "tools/call ":
            var params: [String: JSONValue] = ["name": .string(random.pick(toolNames))]
            params["arguments"] = random.chance(0.8) ? .object(["path": .string(string(&random)), "n": value(&random, depth: 2)]) : value(&random, depth: 1)
            if random.chance(0.2) { params["_meta"] = ["progressToken": .integer(Int64(random.int(0...9)))] }
            return .object(params)
        case "riskkernel/recordModelCall", "riskkernel/recordmodelcall":
            return [
                "provider": "openai", "model": .string(random.pick(["gpt-4o", "mystery"])),
                "promptTokens": .integer(random.pick([-1_000_000, -1, 0, 10, Int64.max])),
                "completionTokens": .integer(random.pick([-5, 0, 5])),
            ]
        case "initialize":
            return ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "fuzz", "version": "1"]]
        default:
            return random.chance(0.7) ? value(&random, depth: 2).objectValue.map(JSONValue.object) ?? [:] : nil
        }
    }

    /// A mutation of `bytes`: one to three edits at the byte or text level.
    static func mutate(_ bytes: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var output = bytes
        for _ in 0..<random.int(1...3) {
            let position = output.isEmpty ? 0 : random.int(0...output.count)
            switch random.int(0...13) {
            case 0 where !output.isEmpty:
                let index = random.int(0...(output.count - 1))
                output[index] ^= UInt8(1 << random.int(0...7))
            case 1: output.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 2: output.insert(contentsOf: random.pick([[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]), at: position)
            case 3 where output.count > 2:
                let start = random.int(0...(output.count - 2))
                output.removeSubrange(start..<min(output.count, start + random.int(1...8)))
            case 4: output = Array(output.prefix(position))
            case 5: output = [UInt8(ascii: "[")] + output + [UInt8(ascii: "]")]
            case 6: output.insert(contentsOf: Array(random.pick([#""id":7,"#, #""jsonrpc":"2.0","#, #""method":"ping","#]).utf8), at: min(1, output.count))
            case 7: output.insert(contentsOf: Array(String(repeating: "[", count: random.int(100...3000)).utf8), at: position)
            case 8: output.insert(contentsOf: Array(random.pick(["1e999999", "-1e400", "123456789012345678901234567890", "0.0000000000000000000001e-400", "-0"]).utf8), at: position)
            case 9: output = replacing(output, #""2.0""#, random.pick([#""1.0""#, "2.0", #""2.00""#, "null", #"" 2.0""#]))
            case 10: output.insert(contentsOf: Array(random.pick(["\\u0000", "\\ud800", "\\udc00\\ud800", "\\u00e9", "\\\\", "\\x41"]).utf8), at: position)
            case 11: output.insert(contentsOf: Array(random.pick([",", "}", "]", ":", "\"", "{", " ", "\r", "\t", "\u{0}"]).utf8), at: position)
            case 12 where !output.isEmpty:
                let start = random.int(0...(output.count - 1))
                output.insert(contentsOf: output[start..<min(output.count, start + random.int(1...16))], at: position)
            default: output += random.pick([[], Array(" ".utf8), Array("{}".utf8), Array("\r".utf8)])
            }
        }
        return output
    }

    static func replacing(_ bytes: [UInt8], _ target: String, _ replacement: String) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: target, with: replacement).utf8)
    }

    /// A JSON-level mutation of a message: a member dropped, retyped or added.
    static func reshape(_ message: JSONValue, _ random: inout FuzzRandom) -> JSONValue {
        guard case .object(var members) = message else { return message }
        switch random.int(0...6) {
        case 0: members["id"] = id(&random)
        case 1: members["jsonrpc"] = random.pick([nil, "1.0", .integer(2), .double(2.0), "2.0 "])
        case 2: members["method"] = random.pick([nil, .integer(1), "", .array([]), .string(random.pick(methods))])
        case 3: members["params"] = value(&random, depth: 2)
        case 4: members["result"] = value(&random, depth: 1)
        case 5: members[string(&random)] = value(&random, depth: 2)
        default: members.removeValue(forKey: random.pick(members.keys.sorted()))
        }
        return .object(members)
    }
}
