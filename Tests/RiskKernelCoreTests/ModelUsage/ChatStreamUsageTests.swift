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
