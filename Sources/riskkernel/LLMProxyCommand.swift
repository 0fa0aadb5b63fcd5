import ArgumentParser
import Foundation
import Logging
import RiskKernelCore
import RiskKernelModelProxy
import RiskKernelStore

struct LLMProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-proxy",
        abstract: "Serve OpenAI and Anthropic routes locally, pricing, recording and budgeting every model call.",
        discussion: """
            Point an SDK, agent framework or coding agent at it as its base URL:

              OPENAI_BASE_URL=http://127.0.0.1:8788/sessions/my-agent/v1
              ANTHROPIC_BASE_URL=http://127.0.0.1:8788/sessions/my-agent

            Routes: POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, GET /v1/models; each also under /sessions/KEY (the session's run and budget, shared with `riskkernel gateway --session KEY`) and /providers/NAME (a --provider). Bodies and headers pass unchanged, streams chunk by chunk; API keys are never stored or logged. A call of a halted or spent session is answered with HTTP 402 and not sent. See docs/llm-proxy.md.

            Exit status: 0 on SIGTERM or SIGINT; 2 when the proxy cannot start (a policy, database or address it cannot use); 64 when the command line itself is wrong.
            """)

    @Option(help: ArgumentHelp("The address to listen on (port 0 picks a free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8788"

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("The stored policy whose budget new sessions (and the proxy's own run) get.", valueName: "name"))
    var policy: String?

    @Option(name: .customLong("openai-base-url"), help: ArgumentHelp("Where OpenAI routes go.", valueName: "url"))
    var openAIBaseURL: String = "https://api.openai.com"

    @Option(name: .customLong("anthropic-base-url"), help: ArgumentHelp("Where Anthropic routes go.", valueName: "url"))
    var anthropicBaseURL: String = "https://api.anthropic.com"

    @Option(help: ArgumentHelp("Another OpenAI-compatible provider, served under /providers/NAME/v1/… (repeatable).", valueName: "name=url"))
    var provider: [String] = []

    @Option(help: ArgumentHelp("A JSON price file that adds to or overrides the built-in prices.", valueName: "file"))
    var prices: String?

    @Option(help: ArgumentHelp("How much to log on stderr (default: notice, or $RISKKERNEL_LOG_LEVEL).", valueName: "level"))
    var logLevel: Logger.Level?

    func validate() throws {
        guard LLMProxyConfiguration.parseListen(listen) != nil else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8788 (got \(listen))")
        }
        for (flag, url) in [("--openai-base-url", openAIBaseURL), ("--anthropic-base-url", anthropicBaseURL)] where !LLMProxyConfiguration.isHTTPURL(url) {
            throw ValidationError("\(flag) must be an http or https URL (got \(url))")
        }
        var names: Set<String> = []
        for entry in provider {
            guard let parsed = LLMProxyConfiguration.parseProvider(entry) else {
                throw ValidationError("--provider takes NAME=URL, NAME of letters, digits, '-', '_' or '.', URL http or https (got \(entry))")
            }
            guard names.insert(parsed.name).inserted else { throw ValidationError("--provider \(parsed.name) is given twice") }
        }
    }

    func run() async throws {
        HeapTuning.apply()
        let logger = LogSetup.logger(level: logLevel)
        let configuration: LLMProxyConfiguration
        let store: any Store
        do {
            store = try await storeOptions.openStore(creating: true)
            let (loaded, reference): (Policy, String)
            if let policy {
                (loaded, reference) = try await PolicySource.load(name: policy, file: nil, store: store)
            } else {
                Output.error("riskkernel llm-proxy: no --policy given: no budget applies to new sessions (calls are still priced and recorded)")
                (loaded, reference) = (Policy.permissive, "default")
            }
            var priceTable = try PriceTable.builtIn()
            if let prices { priceTable = priceTable.merging(try PriceTable.load(data: try FileReading.read(prices), file: prices)) }
            let address = LLMProxyConfiguration.parseListen(listen)!
            configuration = LLMProxyConfiguration(
                host: address.host, port: address.port, openAIBaseURL: openAIBaseURL, anthropicBaseURL: anthropicBaseURL,
                providers: Dictionary(uniqueKeysWithValues: provider.compactMap(LLMProxyConfiguration.parseProvider)),
                policyRef: reference, budget: loaded.budget, prices: priceTable)
        } catch {
            throw GatewayCommand.cannotStart(error)
        }
        do {
            try await LLMProxy.run(configuration: configuration, store: store, logger: logger) { host, port, runId in
                let shownHost = host.contains(":") ? "[\(host)]" : host
                Output.error("riskkernel llm-proxy: listening on http://\(shownHost):\(port) (run \(runId) records calls outside a session)")
            }
        } catch {
            throw GatewayCommand.cannotStart(error)
        }
    }
}
