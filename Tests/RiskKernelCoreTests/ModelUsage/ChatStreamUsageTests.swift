import RiskKernelCore
import SeededRandom
import Testing

@Suite("Chat stream usage")
struct ChatStreamUsageTests {
    func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func asksForUsageKeepingEveryOtherByte() {
        let body = #"{"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "{\"stream_options\": 1}"}]}"#
        #expect(text(ChatStreamUsage.requestingUsage(Array(body.utf8)))
            == #"{"stream_options":{"include_usage":true},"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "{\"stream_options\": 1}"}]}"#)
    }

    @Test func setsIncludeUsageInExistingOptions() {
        #expect(text(ChatStreamUsage.requestingUsage(Array(#"{"stream":true,"stream_options":{}}"#.utf8)))
            == #"{"stream":true,"stream_options":{"include_usage":true}}"#)
        #expect(text(ChatStreamUsage.requestingUsage(Array(#"{"stream":true,"stream_options":{"include_obfuscation":false}}"#.utf8)))
            == #"{"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}}"#)
        #expect(text(ChatStreamUsage.requestingUsage(Array(#"{"stream":true,"stream_options":{"include_usage": false}}"#.utf8)))
            == #"{"stream":true,"stream_options":{"include_usage": true}}"#)
        #expect(text(ChatStreamUsage.requestingUsage(Array(#"{"stream":true,"stream_options":null}"#.utf8)))
            == #"{"stream":true,"stream_options":{"include_usage":true}}"#)
    }

    @Test func leavesAloneWhatNeedsNothing() {
        #expect(ChatStreamUsage.requestingUsage(Array(#"{"stream":false}"#.utf8)) == nil)
        #expect(ChatStreamUsage.requestingUsage(Array(#"{"model":"m"}"#.utf8)) == nil)
        #expect(ChatStreamUsage.requestingUsage(Array(#"{"stream":true,"stream_options":{"include_usage":true}}"#.utf8)) == nil)
        #expect(ChatStreamUsage.requestingUsage(Array("not json".utf8)) == nil)
    }

    func event(_ data: String) -> ServerSentEvent {
        ServerSentEvent(event: nil, data: data, raw: Array("data: \(data)\n\n".utf8))
    }

    @Test func dropsTheUsageOnlyChunkAndTheNullUsage() {
        #expect(ChatStreamUsage.clientEvent(event(#"{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#)) == nil)
        #expect(text(ChatStreamUsage.clientEvent(event(#"{"id":"c","choices":[{"index":0,"delta":{"content":"\"usage\":null"}}],"usage":null}"#)))
            == "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\\"usage\\\":null\"}}]}\n\n")
        #expect(text(ChatStreamUsage.clientEvent(event(#"{"usage": null, "id": "c"}"#))) == "data: {\"id\": \"c\"}\n\n")
        #expect(text(ChatStreamUsage.clientEvent(event("[DONE]"))) == "data: [DONE]\n\n")
    }

    /// For any object, removing a member leaves JSON that parses to the object without it.
    @Test func removingAMemberKeepsValidJSON() throws {
        var random = SeededRandom(seed: 1818)
        let values = [#"null"#, #"1"#, #""x,}""#, #"{"a":[1,{"b":"}"}]}"#, #"[]"#, #"true"#, #""\"usage\":null""#]
        let keys = ["usage", "id", "choices", "a\"b", "model"]
        for _ in 0..<400 {
            let count = random.int(1...5)
            var seen: Set<String> = []
            var members: [String] = []
            for _ in 0..<count {
                let key = random.pick(keys)
                guard seen.insert(key).inserted else { continue }
                let space = random.pick(["", " ", "\n  "])
                members.append("\(space)\(CanonicalJSON.string(.string(key)))\(space):\(space)\(random.pick(values))\(space)")
            }
            let text = "{" + members.joined(separator: ",") + "}"
            let bytes = Array(text.utf8)
            let scanned = try #require(JSONObjectMembers(bytes), "\(text)")
            let removed = scanned.removing("usage", from: bytes)
            guard case .object(var expected) = try JSONParser.parse(text) else { Issue.record("not an object"); continue }
            expected.removeValue(forKey: "usage")
            #expect(try JSONParser.parse(removed) == .object(expected), "\(text)")
        }
    }
}

/// The kind behind "the client sees the stream it asked for": whatever the chunks hold and however
/// the bytes arrive, a stream made with `include_usage`, filtered event by event, is byte for byte
/// the stream the provider sends without it.
@Suite("Chat stream usage, fuzzed")
struct ChatStreamUsageFuzzTests {
    /// Texts as they stand inside a JSON string (escapes included).
    static let contents = ["Hello", "", #" \"usage\":null "#, #"{\"usage\": {}}"#, #"line\nbreak"#, "data: [DONE]", "é ✓", #"\""#, "}{", #",\"usage\":null,"#]

    /// One chunk's JSON, with the `usage` member (null) at `usagePosition` among its members, or without it.
    static func chunk(id: Int, content: String, usagePosition: Int?) -> String {
        var members = [
            #""id":"chatcmpl-\#(id)""#, #""object":"chat.completion.chunk""#,
            #""choices":[{"index":0,"delta":{"content":"\#(content)"},"finish_reason":null}]"#,
        ]
        if let usagePosition { members.insert(#""usage":null"#, at: usagePosition) }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test func filteredStreamEqualsTheStreamWithoutTheOption() {
        var random = SeededRandom(seed: 0x1818)
        for round in 0..<300 {
            let count = random.int(1...6)
            let position = random.int(0...3)
            let contents = (0..<count).map { _ in random.pick(Self.contents) }
            let separator = random.pick(["\n\n", "\r\n\r\n"])
            var asked = ""
            var plain = ""
            for content in contents {
                asked += "data: " + Self.chunk(id: round, content: content, usagePosition: position) + separator
                plain += "data: " + Self.chunk(id: round, content: content, usagePosition: nil) + separator
            }
            asked += #"data: {"id":"chatcmpl-\#(round)","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":\#(count)}}"# + separator
            asked += "data: [DONE]" + separator
            plain += "data: [DONE]" + separator

            let bytes = Array(asked.utf8)
            var parser = ServerSentEventParser()
            var reading = ModelCallReading(api: .openAIChat)
            var filter = ChatStreamFilter()
            var received: [UInt8] = []
            var offset = 0
            while offset < bytes.count {
                let length = random.int(1...max(1, min(40, bytes.count - offset)))
                for event in parser.feed(bytes[offset..<offset + length]) {
                    reading.observe(event)
                    received += filter.clientBytes(event)
                }
                offset += length
            }
            // As the proxy ends a stream: what is left unterminated goes as it is.
            let pending = parser.pendingBytes
            if let last = parser.finish() { received += filter.clientBytes(last) } else { received += filter.trailing(pending) }
            #expect(String(decoding: received, as: UTF8.self) == plain, "round \(round): \(String(decoding: received, as: UTF8.self).debugDescription) vs \(plain.debugDescription)")
            #expect(reading.usage == ModelUsage(inputTokens: 3, outputTokens: Int64(count)))
            #expect(reading.complete)
        }
    }
}
