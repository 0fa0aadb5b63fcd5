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

    /// How the proxy's HTTP client is made: no redirect followed, 30 s to connect, 600 s between
    /// reads, bodies passed on as they come (no decompression), and no spans of its own (the
    /// client would otherwise make one per request for the global tracer).
    public static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30), read: .seconds(600)))
        configuration.decompression = .disabled
        configuration.tracing.tracer = nil
        return configuration
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

    /// The prefixes every route is served under, in Hummingbird's path syntax.
    public static let routePrefixes = ["", "/sessions/:session", "/providers/:provider", "/sessions/:session/providers/:provider"]

    /// Every route as `METHOD path` (Hummingbird's `:name` parameters), as the router serves them
    /// and Protocol/llm-proxy.openapi.json lists them.
    public static var routes: [(method: String, path: String, endpoint: ProxyEndpoint)] {
        routePrefixes.flatMap { prefix in
            [ProxyEndpoint.chatCompletions, .responses, .messages].map { ("POST", "\(prefix)/v1/\($0.rawValue)", $0) }
                + [("GET", "\(prefix)/v1/models", .models), ("GET", "\(prefix)/v1/models/:model", .models)]
        }
    }

    /// The route table: every endpoint under every prefix.
    static func router(_ forwarder: ModelCallForwarder) -> Router<BasicRequestContext> {
        let router = Router()
        for route in routes {
            let endpoint = route.endpoint
            let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
                try await forwarder.handle(request, target: target(endpoint, context))
            }
            if route.method == "POST" {
                router.post(RouterPath(route.path), use: handler)
            } else {
                router.get(RouterPath(route.path), use: handler)
            }
        }
        return router
    }
}
