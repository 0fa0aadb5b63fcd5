import HTTPTypes
import Hummingbird

/// Applies ``RequestAccess`` to every request, and the console's security headers to every response.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let state: ConsoleState

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let facts = RequestAccess.Facts(
            method: request.method.rawValue, path: request.uri.path, host: request.head.authority,
            origin: request.headers[.origin], sessionCookie: request.cookies[SessionCookie.name]?.value,
            csrfToken: request.headers[Self.csrfHeader])
        var response: Response
        switch state.verdict(facts) {
        case .open:
            response = try await next(request, context)
        case .signedIn(let session):
            var context = context
            context.session = session
            response = try await next(request, context)
        case .unauthorized:
            response = request.uri.path.hasPrefix("/api/")
                ? Replies.error(.unauthorized, "sign in first: open the login URL that riskkernel console printed")
                : Replies.page(Pages.signedOut(), status: .unauthorized)
        case .forbidden(let reason):
            response = request.uri.path.hasPrefix("/api/") ? Replies.error(.forbidden, reason) : Replies.page(Pages.message(title: "Forbidden", text: reason), status: .forbidden)
        }
        Self.secure(&response.headers)
        return response
    }

    /// No framing, no sniffing, no referrer (a login URL carries its token), nothing from elsewhere, nothing cached.
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

/// The session cookie.
enum SessionCookie {
    static let name = "riskkernel_console"

    /// HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), for the whole console.
    static func cookie(_ session: ConsoleSession) -> Cookie {
        Cookie(name: name, value: session.id, path: "/", httpOnly: true, sameSite: .strict)
    }
}
