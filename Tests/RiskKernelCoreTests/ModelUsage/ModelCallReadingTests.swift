import RiskKernelCore
import Testing

/// Streams in the shapes each provider documents, read event by event.
@Suite("Model call reading")
struct ModelCallReadingTests {
    func read(_ api: ModelAPI, _ stream: String) -> ModelCallReading {
        var parser = ServerSentEventParser()
        var reading = ModelCallReading(api: api)
        for event in parser.feed(Array(stream.utf8)) { reading.observe(event) }
        return reading
    }

    @Test func chatStreamWithUsageChunk() {
        // https://platform.openai.com/docs/api-reference/chat-streaming
        let reading = read(.openAIChat, """
            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}

            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}

            data: [DONE]


            """)
        #expect(reading.usage == ModelUsage(inputTokens: 12, outputTokens: 3, cacheReadTokens: 4, reasoningTokens: 1))
        #expect(reading.model == "gpt-4o-2024-08-06")
        #expect(reading.responseId == "chatcmpl-1")
        #expect(reading.complete)
    }

    @Test func responsesUsageOnCompletedIncompleteAndFailed() {
        for end in ["response.completed", "response.incomplete", "response.failed"] {
            let reading = read(.openAIResponses, """
                event: response.created
                data: {"type":"response.created","response":{"id":"resp_1","model":"gpt-5","usage":null}}

                event: \(end)
                data: {"type":"\(end)","response":{"id":"resp_1","model":"gpt-5","usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":3}}}}


                """)
            #expect(reading.usage == ModelUsage(inputTokens: 9, outputTokens: 5, cacheReadTokens: 2, reasoningTokens: 3), "\(end)")
            #expect(reading.complete)
            #expect(reading.responseId == "resp_1")
        }
    }

    @Test func anthropicStartThenCumulativeDeltas() {
        // https://docs.anthropic.com/en/api/messages-streaming: message_delta usage is cumulative.
        let reading = read(.anthropicMessages, """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":500,"cache_creation_input_tokens":1000,"cache_read_input_tokens":2000,"output_tokens":1}}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":100}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":250,"input_tokens":600}}

            event: message_stop
            data: {"type":"message_stop"}


            """)
        #expect(reading.usage == ModelUsage(inputTokens: 3600, outputTokens: 250, cacheReadTokens: 2000, cacheWriteTokens: 1000))
        #expect(reading.model == "claude-sonnet-4-5-20250929")
        #expect(reading.complete)
    }

    @Test func aCutStreamKeepsWhatWasSeen() {
        let reading = read(.anthropicMessages, """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":7,"output_tokens":1}}}


            """)
        #expect(reading.usage == ModelUsage(inputTokens: 7, outputTokens: 1))
        #expect(!reading.complete)
    }
}
