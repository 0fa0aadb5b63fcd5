import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import RiskKernelCore
import RiskKernelStore

/// `riskkernel llm-proxy`: a local HTTP server that agents and SDKs use as their OpenAI or Anthropic
/// base URL, so that every model call is priced, recorded and held to a budget without a code change.
///
/// Routes (each also under `/sessions/{KEY}`, `/providers/{NAME}` and
/// `/sessions/{KEY}/providers/{NAME}`): `POST /v1/chat/completions`, `POST /v1/responses`,
/// `POST /v1/messages`, `GET /v1/models`, `GET /v1/models/{id}`. See docs/llm-proxy.md.
public enum LLMProxy {
    /// The name of the run that records calls made outside a session.
    public static let runName = "llm-proxy"

    /// Serves until SIGTERM or SIGINT. Creates the proxy's own run first (named ``runName``, with
    /// the configuration's policy and budget), then calls `onListening` with the bound address and the run id.
    ///
    /// Throws when the run cannot be created or the address cannot be bound.
    public static func run(
        configuration: LLMProxyConfiguration, store: any Store, logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int, _ runId: String) async -> Void
    ) async throws {
        let run = try await store.createRun(NewRun(
            name: runName, policyRef: configuration.policyRef, budget: configuration.budget, metadata: ["component": "llm-proxy"]))
        var clientConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30), read: .seconds(600)))
        clientConfiguration.decompression = .disabled
        try await HTTPClient.withHTTPClient(configuration: clientConfiguration) { client in
            let recorder = ModelSpendRecorder(store: store, configuration: configuration, proxyRunId: run.id, logger: logger)
            let forwarder = ModelCallForwarder(client: client, configuration: configuration, recorder: recorder, logger: logger)
            let app = Application(
                router: router(forwarder),
                configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? configuration.port
                    await onListening(configuration.host, port, run.id)
                },
                logger: serverLogger(logger))
            try await app.runService()
        }
    }

    /// The HTTP server's own logger: no finer than `notice`, as Hummingbird logs each request's URI
    /// below that, and a query string can carry a key (`?api-key=`).
    static func serverLogger(_ logger: Logger) -> Logger {
        var quieter = logger
        if quieter.logLevel < .notice { quieter.logLevel = .notice }
        return quieter
    }

    /// The route a request came in on, read from its path parameters.
    @Sendable static func target(_ endpoint: ProxyEndpoint, _ context: BasicRequestContext) -> ModelCallForwarder.Target {
        .init(endpoint: endpoint, session: context.parameters.get("session"), providerName: context.parameters.get("provider"))
    }

    /// The route table: every endpoint under every prefix.
    static func router(_ forwarder: ModelCallForwarder) -> Router<BasicRequestContext> {
        let router = Router()
        for prefix in ["", "/sessions/:session", "/providers/:provider", "/sessions/:session/providers/:provider"] {
            for endpoint in [ProxyEndpoint.chatCompletions, .responses, .messages] {
                router.post("\(prefix)/v1/\(endpoint.rawValue)") { request, context in
                    try await forwarder.handle(request, target: target(endpoint, context))
                }
            }
            router.get("\(prefix)/v1/models") { request, context in
                try await forwarder.handle(request, target: target(.models, context))
            }
            router.get("\(prefix)/v1/models/:model") { request, context in
                try await forwarder.handle(request, target: target(.models, context))
            }
        }
        return router
    }
}
