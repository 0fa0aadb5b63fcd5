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

    /// `allowedHosts` as ``RequestAccess/allowedHosts``; set again with ``bound(allowedHosts:)``
    /// once the port is known.
    public init(store: any Store & StoreChangeObserving, defaultDecider: String, allowedHosts: Set<String>?) {
        self.store = store
        feed = ChangeFeed()
        sessions = NIOLockedValueBox(ConsoleSessions(defaultDecider: defaultDecider))
        access = NIOLockedValueBox(RequestAccess(allowedHosts: allowedHosts))
    }

    /// Sets the `Host` values accepted once the console is bound (its port known).
    public func bound(allowedHosts: Set<String>?) {
        access.withLockedValue { $0.allowedHosts = allowedHosts }
    }

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
