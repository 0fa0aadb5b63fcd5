/// Asking a Chat Completions stream for its usage when the client did not, and hiding the answer's
/// traces from that client.
///
/// OpenAI reports a streamed chat completion's usage only when the request sets
/// `stream_options.include_usage`; the stream then ends with an extra chunk whose `choices` is empty
/// and whose `usage` holds the counts, and every other chunk carries `"usage": null`
/// (https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options).
/// ``requestingUsage(_:)`` sets the option on a request that streams without it;
/// ``clientEvent(_:)`` then gives back each event as the client would have received it without the
/// option: the usage-only chunk dropped, and the `usage: null` members removed.
public enum ChatStreamUsage {
    /// The request body with `stream_options.include_usage` set to `true`, or `nil` when the body
    /// does not stream (`stream` is not `true`), already asks for usage, or is not a JSON object.
    /// Every byte besides the added or changed member stays as it was.
    public static func requestingUsage(_ body: [UInt8]) -> [UInt8]? {
        requestingUsage(body, parsed: try? JSONParser.parse(body))
    }

    /// ``requestingUsage(_:)`` for a body the caller parsed already (`parsed`: its value, or `nil`
    /// when it is not JSON).
    public static func requestingUsage(_ body: [UInt8], parsed request: JSONValue?) -> [UInt8]? {
        guard let request, request["stream"]?.boolValue == true,
              request["stream_options"]?["include_usage"]?.boolValue != true,
              let members = JSONObjectMembers(body)
        else { return nil }
        let option = Array(#""include_usage":true"#.utf8)
        var result = body
        guard let streamOptions = members.member("stream_options") else {
            result.insert(contentsOf: Array(#""stream_options":{"#.utf8) + option + Array("},".utf8), at: members.open + 1)
            return result
        }
        guard let inner = JSONObjectMembers(body, from: streamOptions.valueStart), inner.open == streamOptions.valueStart else {
            // `null` or another non-object: replaced by an object that asks for usage.
            result.replaceSubrange(streamOptions.valueStart..<streamOptions.valueEnd, with: Array("{".utf8) + option + Array("}".utf8))
            return result
        }
        if let include = inner.member("include_usage") {
            result.replaceSubrange(include.valueStart..<include.valueEnd, with: Array("true".utf8))
        } else {
            result.insert(contentsOf: option + (inner.members.isEmpty ? [] : Array(",".utf8)), at: inner.open + 1)
        }
        return result
    }

    /// The event as the client receives it, or `nil` when the client would not have received it
    /// (the usage-only chunk). An event that is not a JSON chunk (`[DONE]`, a comment, an error in
    /// another shape) is returned unchanged. Bytes the event carries of the one before
    /// (``ServerSentEvent/carried``) are the caller's: ``ChatStreamFilter`` handles them.
    public static func clientEvent(_ event: ServerSentEvent) -> [UInt8]? {
        let data = Array(event.data.utf8)
        guard let chunk = try? JSONParser.parse(data), case .object = chunk, let members = JSONObjectMembers(data) else {
            return event.raw
        }
        if let choices = chunk["choices"]?.arrayValue, choices.isEmpty, let usage = chunk["usage"], !usage.isNull {
            return nil
        }
        guard chunk["usage"]?.isNull == true, !event.data.contains("\n"),
              let position = event.raw.firstRange(of: data)
        else { return event.raw }
        var raw = event.raw
        raw.replaceSubrange(position, with: members.removing("usage", from: data))
        return raw
    }
}

/// The stream a chat client receives when the proxy asked for usage on its behalf: each event
/// through ``ChatStreamUsage/clientEvent(_:)``, and the bytes that end an event (the LF of a CRLF
/// that arrives with the next event) kept or dropped with the event they end.
public struct ChatStreamFilter: Sendable {
    private var previousKept = true

    public init() {}

    /// The bytes of `event` the client receives (possibly none).
    public mutating func clientBytes(_ event: ServerSentEvent) -> [UInt8] {
        let carried = previousKept ? Array(event.raw.prefix(event.carried)) : []
        let own = ServerSentEvent(event: event.event, data: event.data, raw: Array(event.raw.dropFirst(event.carried)))
        let kept = ChatStreamUsage.clientEvent(own)
        previousKept = kept != nil
        return carried + (kept ?? [])
    }

    /// Bytes left after the last event (they end it): the client receives them if it received that event.
    public func trailing(_ pending: [UInt8]) -> [UInt8] { previousKept ? pending : [] }
}
