import Foundation

/// The APIs whose usage reports RiskKernel reads, each in its own shape.
public enum ModelAPI: String, Sendable, Hashable, CaseIterable {
    /// OpenAI's Chat Completions (`POST /v1/chat/completions`), as OpenAI-compatible providers also serve it.
    case openAIChat = "openai.chat"
    /// OpenAI's Responses API (`POST /v1/responses`).
    case openAIResponses = "openai.responses"
    /// Anthropic's Messages API (`POST /v1/messages`).
    case anthropicMessages = "anthropic.messages"
}

/// The tokens of one model call, in one shape for every API.
///
/// `inputTokens` is every token of the prompt, including those read from and written to the
/// provider's prompt cache; `cacheReadTokens` and `cacheWriteTokens` say how many of them were.
/// `outputTokens` includes `reasoningTokens` (as OpenAI and Anthropic both bill them as output).
public struct ModelUsage: Sendable, Hashable {
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cacheReadTokens: Int64
    public var cacheWriteTokens: Int64
    public var reasoningTokens: Int64

    public init(inputTokens: Int64 = 0, outputTokens: Int64 = 0, cacheReadTokens: Int64 = 0, cacheWriteTokens: Int64 = 0, reasoningTokens: Int64 = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
    }

    /// Reads a `usage` object of `api`; `nil` when `usage` is not an object holding the API's
    /// required counts.
    ///
    /// - OpenAI Chat Completions: `prompt_tokens` (cached included), `completion_tokens` (reasoning
    ///   included), `prompt_tokens_details.cached_tokens`, `prompt_tokens_details.cache_write_tokens`
    ///   (as OpenAI-compatible providers such as OpenRouter report cache writes; also read at the top
    ///   level), `completion_tokens_details.reasoning_tokens`
    ///   (https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage).
    /// - OpenAI Responses: `input_tokens`, `input_tokens_details.cached_tokens`, `output_tokens`,
    ///   `output_tokens_details.reasoning_tokens`
    ///   (https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage).
    /// - Anthropic Messages: input is `input_tokens + cache_creation_input_tokens +
    ///   cache_read_input_tokens` (Anthropic counts the three apart), output is `output_tokens`
    ///   (https://docs.anthropic.com/en/api/messages#response-usage).
    public init?(api: ModelAPI, usage: JSONValue?) {
        guard let usage, case .object = usage else { return nil }
        func count(_ path: String...) -> Int64? {
            var value: JSONValue? = usage
            for key in path { value = value?[key] }
            guard let number = value?.int64Value, number >= 0 else { return nil }
            return number
        }
        switch api {
        case .openAIChat:
            guard let prompt = count("prompt_tokens") else { return nil }
            self.init(
                inputTokens: prompt, outputTokens: count("completion_tokens") ?? 0,
                cacheReadTokens: count("prompt_tokens_details", "cached_tokens") ?? 0,
                cacheWriteTokens: count("prompt_tokens_details", "cache_write_tokens") ?? count("cache_write_tokens") ?? 0,
                reasoningTokens: count("completion_tokens_details", "reasoning_tokens") ?? 0)
        case .openAIResponses:
            guard let input = count("input_tokens") else { return nil }
            self.init(
                inputTokens: input, outputTokens: count("output_tokens") ?? 0,
                cacheReadTokens: count("input_tokens_details", "cached_tokens") ?? 0,
                cacheWriteTokens: count("input_tokens_details", "cache_write_tokens") ?? 0,
                reasoningTokens: count("output_tokens_details", "reasoning_tokens") ?? 0)
        case .anthropicMessages:
            guard let input = count("input_tokens") else { return nil }
            let written = count("cache_creation_input_tokens") ?? 0
            let read = count("cache_read_input_tokens") ?? 0
            let (sum, overflow) = input.addingReportingOverflow(written)
            let (total, overflow2) = sum.addingReportingOverflow(read)
            guard !overflow, !overflow2 else { return nil }
            self.init(
                inputTokens: total, outputTokens: count("output_tokens") ?? 0, cacheReadTokens: read, cacheWriteTokens: written,
                reasoningTokens: count("output_tokens_details", "thinking_tokens") ?? 0)
        }
    }
}
