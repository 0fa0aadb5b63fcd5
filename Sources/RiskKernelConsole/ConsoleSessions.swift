import Foundation

/// A person signed in to the console: who decides, and the token their state-changing requests carry.
public struct ConsoleSession: Sendable, Equatable {
    /// The value of the session cookie.
    public var id: String
    /// Sent back in the `X-CSRF-Token` header (or a form's `csrf` field) of every state-changing request.
    public var csrfToken: String
    /// Recorded as `decidedBy` on every decision made in this session.
    public var decider: String
    /// Whether the person has confirmed (or changed) the name they decide as.
    public var nameConfirmed: Bool
}

/// The console's sign-in state, apart from any I/O: one-time login tokens and the sessions they opened.
///
/// A login token opens one session, once: a second use is refused, so a login URL copied from a
/// terminal's scrollback (or a shell history) opens nothing after the person has used it.
public struct ConsoleSessions: Sendable {
    /// What redeeming a login token did.
    public enum Login: Sendable, Equatable {
        case opened(ConsoleSession)
        /// The token was valid once and has been used.
        case alreadyUsed
        case unknown
    }

    private var unusedTokens: Set<String> = []
    private var usedTokens: Set<String> = []
    private var sessions: [String: ConsoleSession] = [:]
    private let defaultDecider: String

    /// `defaultDecider` is the name a session decides as until the person gives another.
    public init(defaultDecider: String) {
        self.defaultDecider = defaultDecider
    }

    /// A new one-time login token (256 random bits, hex).
    public mutating func issueLoginToken() -> String {
        let token = Self.randomToken()
        unusedTokens.insert(token)
        return token
    }

    /// Opens a session with `token`, which cannot be used again.
    public mutating func redeem(loginToken token: String) -> Login {
        guard unusedTokens.remove(token) != nil else { return usedTokens.contains(token) ? .alreadyUsed : .unknown }
        usedTokens.insert(token)
        let session = ConsoleSession(id: Self.randomToken(), csrfToken: Self.randomToken(), decider: defaultDecider, nameConfirmed: false)
        sessions[session.id] = session
        return .opened(session)
    }

    /// The session with the cookie value `id`, if one is open.
    public func session(id: String) -> ConsoleSession? { sessions[id] }

    /// Sets the name a session decides as. Throws ``ConsoleInputError`` for an empty or over-long
    /// name or one with control characters; returns `nil` when the session is not open.
    public mutating func rename(sessionId: String, to name: String) throws -> ConsoleSession? {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ConsoleInputError("a decider's name is 1 to 100 characters, without control characters")
        }
        guard sessions[sessionId] != nil else { return nil }
        sessions[sessionId]!.decider = trimmed
        sessions[sessionId]!.nameConfirmed = true
        return sessions[sessionId]
    }

    /// 32 random bytes from the system's generator, as 64 hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Input the console refuses, with the message the person or script is shown.
public struct ConsoleInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
