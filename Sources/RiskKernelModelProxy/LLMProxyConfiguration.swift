import Foundation
import RiskKernelCore

/// What `riskkernel llm-proxy` serves and where it forwards.
public struct LLMProxyConfiguration: Sendable {
    /// The address to listen on (`--listen HOST:PORT`; port 0 picks a free one).
    public var host: String
    public var port: Int
    /// Where OpenAI's routes go (`--openai-base-url`), without `/v1`.
    public var openAIBaseURL: String
    /// Where Anthropic's routes go (`--anthropic-base-url`), without `/v1`.
    public var anthropicBaseURL: String
    /// Other OpenAI-compatible providers by name (`--provider NAME=URL`), served under `/providers/NAME/v1/…`.
    public var providers: [String: String]
    /// The policy new sessions and the proxy's own run are created with (its name, for the record).
    public var policyRef: String
    /// The budget new sessions and the proxy's own run are created with.
    public var budget: Budget
    /// The prices model calls are charged at.
    public var prices: PriceTable
    /// The largest request body accepted, in bytes.
    public var maxRequestBytes: Int
    /// The largest non-streamed response body read, in bytes.
    public var maxResponseBytes: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8788, openAIBaseURL: String = "https://api.openai.com",
        anthropicBaseURL: String = "https://api.anthropic.com", providers: [String: String] = [:], policyRef: String = "default",
        budget: Budget = .unlimited, prices: PriceTable, maxRequestBytes: Int = 64 << 20, maxResponseBytes: Int = 256 << 20
    ) {
        self.host = host
        self.port = port
        self.openAIBaseURL = Self.trimmedBase(openAIBaseURL)
        self.anthropicBaseURL = Self.trimmedBase(anthropicBaseURL)
        self.providers = providers.mapValues(Self.trimmedBase)
        self.policyRef = policyRef
        self.budget = budget
        self.prices = prices
        self.maxRequestBytes = maxRequestBytes
        self.maxResponseBytes = maxResponseBytes
    }

    /// A base URL without a trailing `/` or `/v1` (the routes bring their own `/v1/…`), so that
    /// `https://api.openai.com/v1`, as `OPENAI_BASE_URL` is usually written, works too.
    static func trimmedBase(_ url: String) -> String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base
    }

    /// Parses `--listen HOST:PORT` (`[::1]:8788` for IPv6). Returns `nil` for anything else.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    /// Whether `url` is an http or https URL with a host.
    public static func isHTTPURL(_ url: String) -> Bool {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme) else { return false }
        return parsed.host?.isEmpty == false
    }

    /// Parses `--provider NAME=URL`: NAME is 1 to 64 letters, digits, `-`, `_` or `.`; URL an http(s) URL.
    public static func parseProvider(_ text: String) -> (name: String, url: String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let name = String(text[..<equals])
        let url = String(text[text.index(after: equals)...])
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...64).contains(name.count), name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }), isHTTPURL(url) else { return nil }
        return (name, url)
    }
}
