import RiskKernelCore

/// A JSON-RPC success response read without building the tree of its `result`: the gateway
/// forwards a large tool result's bytes as they came and digests them in RFC 8785 form made
/// straight from them (``RFC8785Transcoder``), instead of parsing a megabyte into a ``JSONValue``
/// and encoding it again.
///
/// Only the plain shape is read this way: one object of exactly `jsonrpc`, `id` and `result`, keys
/// spelled without escapes, nothing after it. Anything else (an error response, another member,
/// a duplicate) is left to the strict parser and ``JSONRPC/classify(_:)``, which judge every message.
struct ResultEnvelope {
    /// The response's id, checked as ``JSONRPC/classify(_:)`` checks it.
    let id: JSONValue
    /// Where the `result` value lies in the line (not yet checked: see ``canonicalResult(in:)``).
    let result: Range<Int>

    /// The envelope of `line`, or `nil` when the line is not a plain success response.
    init?(_ line: [UInt8]) {
        let found: (members: [String: JSONValue], result: Range<Int>)? = line.withUnsafeBufferPointer { buffer in
            var scanner = JSONMemberScanner(bytes: buffer)
            guard let members = scanner.plainMembers(), scanner.atEnd(),
                  members.count == 3, let result = members["result"], let id = members["id"], let version = members["jsonrpc"],
                  let parsedId = try? JSONParser.parse(Array(buffer[id])), let parsedVersion = try? JSONParser.parse(Array(buffer[version]))
            else { return nil }
            return (["jsonrpc": parsedVersion, "id": parsedId, "result": .null], result)
        }
        // The members around the result are judged as the whole message would be.
        guard let found, case .success(.response(let id, _)) = JSONRPC.classify(.object(found.members)) else { return nil }
        self.id = id
        self.result = found.result
    }

    /// The result in RFC 8785 form; throws ``JSONParseError`` when the strict parser would refuse
    /// the line for it (the result sits one level below the message, so it may nest one level less).
    func canonicalResult(in line: [UInt8]) throws -> [UInt8] {
        try line.withUnsafeBufferPointer { buffer in
            try RFC8785Transcoder.canonical(UnsafeBufferPointer(rebasing: buffer[result]), maxDepth: JSONParser.defaultMaxDepth - 1)
        }
    }

    /// What the gateway reads of a result in RFC 8785 form: whether its `isError` is `true`, and
    /// whether it has a `task` (a task handle, not a result). One pass over its members where their
    /// keys are plain (as they are but for a quote, a backslash or a control character).
    static func flags(of canonical: [UInt8]) -> (isError: Bool, hasTask: Bool) {
        let members = canonical.withUnsafeBufferPointer { buffer in
            var scanner = JSONMemberScanner(bytes: buffer)
            return scanner.plainMembers()
        }
        guard let members else {
            let isError = JSONMemberScanner.range(ofMember: "isError", in: canonical).map { canonical[$0].elementsEqual("true".utf8) }
            return (isError ?? false, JSONMemberScanner.range(ofMember: "task", in: canonical) != nil)
        }
        return (members["isError"].map { canonical[$0].elementsEqual("true".utf8) } ?? false, members["task"] != nil)
    }
}
