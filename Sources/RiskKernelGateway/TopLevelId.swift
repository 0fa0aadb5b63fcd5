import RiskKernelCore

/// Finds and replaces a JSON-RPC message's own `"id"` in its bytes, without parsing the rest.
///
/// The gateway owns the id space on the upstream side: each request it forwards gets an id it
/// assigns, and each response gets the client's id back. Splicing the id's bytes leaves every
/// other byte of the message as it was (numbers, key order, escapes), and costs one pass over
/// the bytes instead of a parse and an encode. Works on messages the strict parser refuses
/// (a lone surrogate escape in a text, say) and on the head or tail of an oversized one.
enum TopLevelId {
    /// The byte range of the top-level `"id"` member's value, or `nil` when the bytes are not a
    /// JSON object with one (nested `"id"`s, inside `params` or `result`, are never taken).
    static func range(in bytes: [UInt8]) -> Range<Int>? {
        JSONMemberScanner.range(ofMember: "id", in: bytes)
    }

    /// The top-level id as a value, if it is a string or an integer.
    static func value(in bytes: [UInt8]) -> JSONValue? {
        guard let range = range(in: bytes), let value = try? JSONParser.parse(bytes[range]) else { return nil }
        switch value {
        case .string, .integer: return value
        case .double(let number) where number.rounded() == number && abs(number) < 9.0e15: return .integer(Int64(number))
        // An integer beyond 64 bits keeps its text.
        case .number(let text) where !text.contains(where: { ".eE".contains($0) }): return value
        default: return nil
        }
    }

    /// The message with its top-level id replaced by `id`; `nil` when it has none.
    static func replacing(in bytes: [UInt8], with id: JSONValue) -> [UInt8]? {
        guard let range = range(in: bytes) else { return nil }
        var spliced = bytes
        spliced.replaceSubrange(range, with: JSONRPC.encode(id))
        return spliced
    }

    /// The id of a message cut short (`head`, its first bytes) or whose end alone is known (`tail`,
    /// its last bytes): the id among the members of the head before the first one that is cut, or
    /// the last member of the tail, as TypeScript-SDK servers write it (`…,"jsonrpc":"2.0","id":7}`).
    static func value(head: [UInt8], tail: [UInt8]) -> JSONValue? {
        JSONRPC.leadingId(in: head) ?? trailingId(in: tail)
    }

    /// The value of a trailing `"id": VALUE}` (a string or an integer) at the end of `tail`, or
    /// before content that follows the object (the last few closing braces are tried).
    static func trailingId(in tail: [UInt8]) -> JSONValue? {
        var end = tail.count
        for _ in 0..<8 {
            guard let brace = tail[..<end].lastIndex(of: UInt8(ascii: "}")) else { return nil }
            if let id = trailingId(in: tail, closingAt: brace) { return id }
            end = brace
        }
        return nil
    }

    /// ``trailingId(in:)`` for the object that `tail[brace]` closes.
    private static func trailingId(in tail: [UInt8], closingAt brace: Int) -> JSONValue? {
        var end = brace + 1
        func skipSpaceBackward() { while end > 0, [0x20, 0x09, 0x0A, 0x0D].contains(tail[end - 1]) { end -= 1 } }
        skipSpaceBackward()
        guard end > 0, tail[end - 1] == UInt8(ascii: "}") else { return nil }
        end -= 1
        skipSpaceBackward()
        let valueEnd = end
        guard end > 0 else { return nil }
        if tail[end - 1] == UInt8(ascii: "\"") {
            // A string: back to its opening quote (one not preceded by an odd run of backslashes).
            end -= 1
            while end > 0 {
                end -= 1
                if tail[end] == UInt8(ascii: "\"") {
                    var slashes = 0
                    while end - slashes - 1 >= 0, tail[end - slashes - 1] == UInt8(ascii: "\\") { slashes += 1 }
                    if slashes % 2 == 0 { break }
                }
            }
        } else {
            while end > 0, (tail[end - 1] >= UInt8(ascii: "0") && tail[end - 1] <= UInt8(ascii: "9")) || tail[end - 1] == UInt8(ascii: "-") { end -= 1 }
        }
        let valueStart = end
        guard valueStart < valueEnd else { return nil }
        skipSpaceBackward()
        guard end > 0, tail[end - 1] == UInt8(ascii: ":") else { return nil }
        end -= 1
        skipSpaceBackward()
        let key = Array("\"id\"".utf8)
        guard end >= key.count + 1, Array(tail[(end - key.count)..<end]) == key else { return nil }
        end -= key.count
        skipSpaceBackward()
        guard end > 0, tail[end - 1] == UInt8(ascii: ",") || tail[end - 1] == UInt8(ascii: "{") else { return nil }
        guard let value = try? JSONParser.parse(tail[valueStart..<valueEnd]) else { return nil }
        switch value {
        case .string, .integer: return value
        default: return nil
        }
    }
}
