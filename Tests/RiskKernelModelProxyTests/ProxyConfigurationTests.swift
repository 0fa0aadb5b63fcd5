import RiskKernelCore
@testable import RiskKernelModelProxy
import Testing

@Suite("LLM proxy configuration")
struct ProxyConfigurationTests {
    @Test func listenAddresses() {
        #expect(LLMProxyConfiguration.parseListen("127.0.0.1:8788")! == ("127.0.0.1", 8788))
        #expect(LLMProxyConfiguration.parseListen("[::1]:0")! == ("::1", 0))
        #expect(LLMProxyConfiguration.parseListen("localhost") == nil)
        #expect(LLMProxyConfiguration.parseListen(":8788") == nil)
        #expect(LLMProxyConfiguration.parseListen("127.0.0.1:65536") == nil)
    }

    @Test func providers() {
        #expect(LLMProxyConfiguration.parseProvider("deepseek=https://api.deepseek.com")! == ("deepseek", "https://api.deepseek.com"))
        #expect(LLMProxyConfiguration.parseProvider("deepseek") == nil)
        #expect(LLMProxyConfiguration.parseProvider("=https://x") == nil)
        #expect(LLMProxyConfiguration.parseProvider("a/b=https://x") == nil)
        #expect(LLMProxyConfiguration.parseProvider("x=ftp://x") == nil)
    }

    @Test func baseURLsLoseTheirV1() throws {
        let configuration = LLMProxyConfiguration(
            openAIBaseURL: "https://api.openai.com/v1/", providers: ["groq": "https://api.groq.com/openai/v1"], prices: PriceTable(prices: []))
        #expect(configuration.openAIBaseURL == "https://api.openai.com")
        #expect(configuration.providers["groq"] == "https://api.groq.com/openai")
    }

    @Test func upstreamPathsDropTheSessionAndProviderPrefixes() {
        typealias Target = ModelCallForwarder.Target
        #expect(ModelCallForwarder.upstreamPath("/v1/chat/completions", target: Target(endpoint: .chatCompletions)) == "/v1/chat/completions")
        #expect(ModelCallForwarder.upstreamPath("/sessions/v1/v1/messages", target: Target(endpoint: .messages, session: "v1")) == "/v1/messages")
        #expect(ModelCallForwarder.upstreamPath(
            "/sessions/a/providers/groq/v1/models/llama", target: Target(endpoint: .models, session: "a", providerName: "groq")) == "/v1/models/llama")
    }

    @Test func originNeverShowsPathOrQuery() {
        #expect(ModelCallForwarder.origin("https://api.example.com:8443/v1/chat?key=secret") == "https://api.example.com:8443")
    }
}
