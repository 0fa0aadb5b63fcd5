import Foundation
import RiskKernelCore
import Testing

/// Usage objects in the shapes each provider documents.
@Suite("Model usage")
struct ModelUsageTests {
    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func openAIChatUsageWithCachedAndReasoningTokens() throws {
        // https://platform.openai.com/docs/api-reference/chat/object (usage)
        let usage = ModelUsage(api: .openAIChat, usage: try json("""
            {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
             "prompt_tokens_details": {"cached_tokens": 200, "audio_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 50, "audio_tokens": 0}}
            """))
        #expect(usage == ModelUsage(inputTokens: 1200, outputTokens: 300, cacheReadTokens: 200, reasoningTokens: 50))
    }

    @Test func openAICompatibleCacheWriteTokens() throws {
        let usage = ModelUsage(api: .openAIChat, usage: try json("""
            {"prompt_tokens": 100, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 40}}
            """))
        #expect(usage?.cacheWriteTokens == 40)
        #expect(usage?.cacheReadTokens == 10)
    }

    @Test func responsesUsage() throws {
        // https://platform.openai.com/docs/api-reference/responses/object (usage)
        let usage = ModelUsage(api: .openAIResponses, usage: try json("""
            {"input_tokens": 900, "input_tokens_details": {"cached_tokens": 100}, "output_tokens": 400,
             "output_tokens_details": {"reasoning_tokens": 120}, "total_tokens": 1300}
            """))
        #expect(usage == ModelUsage(inputTokens: 900, outputTokens: 400, cacheReadTokens: 100, reasoningTokens: 120))
    }

    @Test func anthropicInputIsTheSumOfItsThreeCounts() throws {
        // https://docs.anthropic.com/en/api/messages (usage): the three input counts are disjoint.
        let usage = ModelUsage(api: .anthropicMessages, usage: try json("""
            {"input_tokens": 500, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 2000, "output_tokens": 250}
            """))
        #expect(usage == ModelUsage(inputTokens: 3500, outputTokens: 250, cacheReadTokens: 2000, cacheWriteTokens: 1000))
    }

    @Test func missingOrNegativeCountsAreNoUsage() throws {
        #expect(ModelUsage(api: .openAIChat, usage: nil) == nil)
        #expect(ModelUsage(api: .openAIChat, usage: .null) == nil)
        #expect(ModelUsage(api: .openAIChat, usage: try json(#"{"completion_tokens": 3}"#)) == nil)
        #expect(ModelUsage(api: .anthropicMessages, usage: try json(#"{"input_tokens": -1}"#)) == nil)
        #expect(ModelUsage(api: .anthropicMessages, usage: try json(#"{"input_tokens": 9223372036854775807, "cache_read_input_tokens": 1}"#)) == nil)
    }

    @Test func cacheReadsAndWritesArePricedAtTheirOwnRates() {
        let price = ModelPrice(
            provider: "anthropic", model: "m", input: Money(dollars: "3")!, output: Money(dollars: "15")!,
            cachedInput: Money(dollars: "0.30")!, cacheWrite: Money(dollars: "3.75")!)
        let usage = ModelUsage(inputTokens: 3500, outputTokens: 250, cacheReadTokens: 2000, cacheWriteTokens: 1000)
        // 500 x 3 + 1000 x 3.75 + 2000 x 0.30 + 250 x 15 = 9,600 micro-dollars
        #expect(price.cost(usage) == Money(micros: 9_600))
        // Without a cache-write price, writes cost the input price.
        let plain = ModelPrice(provider: "p", model: "m", input: Money(dollars: "3")!, output: .zero)
        #expect(plain.cost(ModelUsage(inputTokens: 1000, cacheWriteTokens: 1000)) == Money(micros: 3_000))
    }

    @Test func cacheCountsBeyondThePromptAreClamped() {
        let price = ModelPrice(provider: "p", model: "m", input: Money(dollars: "1")!, output: .zero, cachedInput: .zero, cacheWrite: Money(dollars: "2")!)
        // 10 prompt tokens, of which "20 read" and "20 written": all 10 are reads; nothing is charged twice.
        #expect(price.cost(promptTokens: 10, completionTokens: 0, cachedPromptTokens: 20, cacheWriteTokens: 20) == .zero)
        #expect(price.cost(promptTokens: 10, completionTokens: 0, cachedPromptTokens: 4, cacheWriteTokens: 20) == Money(micros: 12))
    }

    @Test func builtInTableComesFromGenAIPrices() throws {
        let table = try PriceTable.builtIn()
        let sonnet = try #require(table.price(provider: "anthropic", model: "claude-sonnet-4-5-20250929"))
        #expect(sonnet.provider == "anthropic")
        #expect(sonnet.cacheWrite > sonnet.input)
        #expect(table.price(provider: "openai", model: "gpt-4o-mini-2024-07-18") != nil)
        #expect(table.prices.count > 500)
    }
}
