import Foundation

/// Who may do what on the console: the rules every request passes before a route sees it, apart
/// from any I/O.
///
/// - `Host` must name the console itself (a loopback name and the bound port, unless
///   `--allow-remote`), so a page of another site cannot reach it by DNS rebinding: 403.
/// - A state-changing request (anything but GET and HEAD) must carry an `Origin` equal to
///   `http://` + its `Host`: 403 otherwise, before anything else is looked at.
/// - `/login`, `/assets/…` and `/healthz` are open; every other route needs the session cookie:
///   401 otherwise (a page says how to sign in; `/api/…` answers JSON).
/// - A state-changing request must also carry the session's CSRF token in `X-CSRF-Token`: 403 otherwise.
public struct RequestAccess: Sendable {
    /// What the rules decided.
    public enum Verdict: Sendable, Equatable {
        case open
        case signedIn(ConsoleSession)
        case unauthorized
        case forbidden(String)
    }

    /// The request, as far as the rules look at it.
    public struct Facts: Sendable {
        public var method: String
        public var path: String
        public var host: String?
        public var origin: String?
        public var sessionCookie: String?
        public var csrfToken: String?

        public init(method: String, path: String, host: String?, origin: String?, sessionCookie: String?, csrfToken: String?) {
            self.method = method
            self.path = path
            self.host = host
            self.origin = origin
            self.sessionCookie = sessionCookie
            self.csrfToken = csrfToken
        }
    }

    /// The `Host` values accepted (`127.0.0.1:8787`, `localhost:8787`, …); `nil` accepts any (`--allow-remote`).
    public var allowedHosts: Set<String>?

    public init(allowedHosts: Set<String>?) {
        self.allowedHosts = allowedHosts
    }

    /// The `Host` values of a console bound to `host`:`port` on a loopback address.
    public static func loopbackHosts(port: Int) -> Set<String> {
        ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"]
    }

    /// Paths served without a session.
    static func isOpen(_ path: String) -> Bool {
        path == "/login" || path.hasPrefix("/assets/") || path == "/healthz"
    }

    public static func isStateChanging(_ method: String) -> Bool {
        method != "GET" && method != "HEAD"
    }

    public func verdict(_ request: Facts, session: (String) -> ConsoleSession?) -> Verdict {
        guard let host = request.host?.lowercased(), allowedHosts.map({ $0.contains(host) }) ?? true else {
            return .forbidden("the Host header does not name this console")
        }
        let changing = Self.isStateChanging(request.method)
        if changing, request.origin?.lowercased() != "http://\(host)" {
            return .forbidden("a state-changing request needs an Origin header of this console (http://\(host))")
        }
        if Self.isOpen(request.path) { return .open }
        guard let cookie = request.sessionCookie, let signedIn = session(cookie) else { return .unauthorized }
        if changing, request.csrfToken.map({ Self.constantTimeEqual($0, signedIn.csrfToken) }) != true {
            return .forbidden("a state-changing request needs the session's CSRF token in X-CSRF-Token")
        }
        return .signedIn(signedIn)
    }

    /// Compares without stopping at the first difference.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
