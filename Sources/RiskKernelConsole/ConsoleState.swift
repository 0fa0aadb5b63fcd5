import Foundation
import NIOConcurrencyHelpers
import RiskKernelStore

/// What every route of one console shares: the store, the sign-in state, the access rules and the
/// feed of store changes.
public final class ConsoleState: Sendable {
    public let store: any Store & StoreChangeObserving
    public let feed: ChangeFeed
    private let sessions: NIOLockedValueBox<ConsoleSessions>
    private let access: NIOLockedValueBox<RequestAccess>
    private let origin: NIOLockedValueBox<String?>

    /// `allowedHosts` as ``RequestAccess/allowedHosts``; set again with ``bound(origin:allowedHosts:)``
    /// once the port is known.
    public init(store: any Store & StoreChangeObserving, defaultDecider: String, allowedHosts: Set<String>?) {
        self.store = store
        feed = ChangeFeed()
        sessions = NIOLockedValueBox(ConsoleSessions(defaultDecider: defaultDecider))
        access = NIOLockedValueBox(RequestAccess(allowedHosts: allowedHosts))
        origin = NIOLockedValueBox(nil)
    }

    /// Records where the console listens: `origin` as `http://127.0.0.1:8787`.
    public func bound(origin: String, allowedHosts: Set<String>?) {
        self.origin.withLockedValue { $0 = origin }
        access.withLockedValue { $0.allowedHosts = allowedHosts }
    }

    /// Where the console listens, once bound.
    public var baseURL: String? { origin.withLockedValue { $0 } }

    public func issueLoginToken() -> String { sessions.withLockedValue { $0.issueLoginToken() } }

    func redeem(loginToken: String) -> ConsoleSessions.Login { sessions.withLockedValue { $0.redeem(loginToken: loginToken) } }

    func rename(sessionId: String, to name: String) throws -> ConsoleSession? {
        try sessions.withLockedValue { try $0.rename(sessionId: sessionId, to: name) }
    }

    func verdict(_ facts: RequestAccess.Facts) -> RequestAccess.Verdict {
        let rules = access.withLockedValue { $0 }
        return sessions.withLockedValue { state in rules.verdict(facts) { state.session(id: $0) } }
    }
}
