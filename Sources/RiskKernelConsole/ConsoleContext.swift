import Hummingbird

/// A request's context on the console: Hummingbird's, and the session the access rules found.
public struct ConsoleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AccessMiddleware`` for every route that needs a session.
    public var session: ConsoleSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        session = nil
    }
}
