import Foundation
import Hummingbird
import Logging
import NIOCore
import RiskKernelCore
import RiskKernelStore
import ServiceLifecycle

/// `riskkernel console`: a local web page where a person decides held calls as they appear, and
/// sees runs, spend and the audit trail.
///
/// Routes: pages `/`, `/runs`, `/runs/{id}`, `/spend`, `/approvals/{id}`; `/login?token=`; the JSON
/// API `/api/approvals`, `/api/approvals/{id}/approve|deny`, `/api/runs`, `/api/runs/{id}`,
/// `/api/usage`, `/api/events` (server-sent events), `/api/session`, `/api/tools/pins/approve`;
/// `/assets/…`. Access rules: ``RequestAccess``. See Protocol/console.md.
public enum Console {
    /// Where a console listens and whom it lets in.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port.
        public var port: Int
        /// Accept any `Host` (a console on a non-loopback address); the loopback names only otherwise.
        public var allowRemote: Bool
        /// The name decisions are recorded under until the person gives another (the OS user).
        public var defaultDecider: String
        /// The store options a printed command needs to reach this store (`--db /path`), for the empty state.
        public var storeOptions: String

        public init(host: String, port: Int, allowRemote: Bool, defaultDecider: String, storeOptions: String) {
            self.host = host
            self.port = port
            self.allowRemote = allowRemote
            self.defaultDecider = defaultDecider
            self.storeOptions = storeOptions
        }
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The router of a console over `state`: every route, behind ``AccessMiddleware``.
    public static func router(state: ConsoleState, storeOptions: String) -> Router<ConsoleRequestContext> {
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: AccessMiddleware(state: state))
        router.get("/healthz") { _, _ in Replies.json(["ok": true]) }
        router.get("/login") { request, _ in
            guard let token = request.uri.queryParameters["token"].map(String.init) else {
                return Replies.page(Pages.signedOut(), status: .badRequest)
            }
            switch state.redeem(loginToken: token) {
            case .opened(let session):
                var response = Replies.redirect(to: "/")
                response.setCookie(SessionCookie.cookie(session))
                return response
            case .alreadyUsed:
                return Replies.page(Pages.message(
                    title: "Login link already used", text: "This login link has been used once and does not work again.",
                    hint: "Start riskkernel console again for a new login URL."), status: .forbidden)
            case .unknown:
                return Replies.page(Pages.message(title: "Not a login link", text: "This is not a login link of this console."), status: .forbidden)
            }
        }
        Assets.register(on: router)
        ConsoleAPI.register(on: router, state: state)
        Pages.register(on: router, state: state, storeOptions: storeOptions)
        return router
    }

    /// Serves until SIGTERM or SIGINT; calls `onListening` with the console's origin
    /// (`http://127.0.0.1:8787`) and a one-time login URL once it listens.
    ///
    /// Throws when the address cannot be bound.
    public static func run(
        configuration: Configuration, store: any Store & StoreChangeObserving, logger: Logger,
        onListening: @escaping @Sendable (_ origin: String, _ loginURL: String) async -> Void
    ) async throws {
        let state = ConsoleState(store: store, defaultDecider: configuration.defaultDecider, allowedHosts: [])
        let (boundOrigins, boundOrigin) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        var serverLogger = logger
        if serverLogger.logLevel < .notice { serverLogger.logLevel = .notice }
        let app = Application(
            router: router(state: state, storeOptions: configuration.storeOptions),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                let origin = "http://\(shownHost):\(port)"
                state.bound(
                    allowedHosts: configuration.allowRemote ? nil : RequestAccess.loopbackHosts(port: port).union(["\(shownHost):\(port)"]))
                boundOrigin.yield(origin)
                boundOrigin.finish()
                await onListening(origin, "\(origin)/login?token=\(state.issueLoginToken())")
            },
            logger: serverLogger)
        let feed = FeedService(state: state)
        let registration = RegistrationService(store: store, origins: boundOrigins, logger: serverLogger)
        let group = ServiceGroup(configuration: .init(services: [app, feed, registration], gracefulShutdownSignals: [.sigterm, .sigint], logger: serverLogger))
        try await group.run()
    }
}

/// Forwards the store's change signal to the open event streams, and ends them at shutdown (so the
/// server's graceful shutdown does not wait for pages that never close).
struct FeedService: Service {
    let state: ConsoleState

    func run() async throws {
        let changes = state.store.changes()
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown { await state.feed.forward(changes) }
        } onGracefulShutdown: {
            state.feed.finish()
        }
        state.feed.finish()
    }
}

/// Keeps the console's record in the store while it runs (``Store/registerConsole(url:owner:)``),
/// refreshed every ``ConsoleHeartbeat/interval``, and removes it at shutdown, so that gateways on
/// the store link their pending notices to it.
struct RegistrationService: Service {
    let store: any Store
    let origins: AsyncStream<String>
    let logger: Logger

    func run() async throws {
        var iterator = origins.makeAsyncIterator()
        guard let origin = await iterator.next() else { return }
        let owner = GatewayOwner.current()
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await store.registerConsole(url: origin, owner: owner)
                    } catch {
                        logger.warning("could not record the console in the store: \(error)")
                    }
                    try await Task.sleep(for: ConsoleHeartbeat.interval)
                }
            }
        } onGracefulShutdown: {}
        try? await store.unregisterConsole(url: origin)
    }
}
