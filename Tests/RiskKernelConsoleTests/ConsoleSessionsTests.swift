import Testing
@testable import RiskKernelConsole

@Suite struct ConsoleSessionsTests {
    @Test func aLoginTokenOpensOneSessionOnce() throws {
        var sessions = ConsoleSessions(defaultDecider: "alice")
        let token = sessions.issueLoginToken()
        #expect(token.count == 64)
        guard case .opened(let session) = sessions.redeem(loginToken: token) else { Issue.record("the token did not open a session"); return }
        #expect(session.decider == "alice")
        #expect(!session.nameConfirmed)
        #expect(session.id != session.csrfToken)
        #expect(sessions.session(id: session.id) == session)
        #expect(sessions.redeem(loginToken: token) == .alreadyUsed)
        #expect(sessions.redeem(loginToken: "not-a-token") == .unknown)
    }

    @Test func eachTokenAndSessionIsItsOwn() {
        var sessions = ConsoleSessions(defaultDecider: "alice")
        let first = sessions.issueLoginToken()
        let second = sessions.issueLoginToken()
        #expect(first != second)
        guard case .opened(let one) = sessions.redeem(loginToken: first), case .opened(let two) = sessions.redeem(loginToken: second) else {
            Issue.record("a token did not open a session")
            return
        }
        #expect(one.id != two.id)
        #expect(one.csrfToken != two.csrfToken)
    }

    @Test func renamingConfirmsTheNameAndRefusesBadOnes() throws {
        var sessions = ConsoleSessions(defaultDecider: "alice")
        guard case .opened(let session) = sessions.redeem(loginToken: sessions.issueLoginToken()) else { Issue.record("no session"); return }
        let renamed = try sessions.rename(sessionId: session.id, to: "  Bob Smith ")
        #expect(renamed?.decider == "Bob Smith")
        #expect(renamed?.nameConfirmed == true)
        #expect(throws: ConsoleInputError.self) { try sessions.rename(sessionId: session.id, to: "   ") }
        #expect(throws: ConsoleInputError.self) { try sessions.rename(sessionId: session.id, to: "bob\u{1B}[2J") }
        #expect(try sessions.rename(sessionId: "unknown", to: "carol") == nil)
    }
}

@Suite struct RequestAccessTests {
    let session = ConsoleSession(id: "s1", csrfToken: "c1", decider: "alice", nameConfirmed: true)
    let access = RequestAccess(allowedHosts: RequestAccess.loopbackHosts(port: 8787))

    func verdict(
        _ method: String, _ path: String, host: String? = "127.0.0.1:8787", origin: String? = nil, cookie: String? = "s1", csrf: String? = nil
    ) -> RequestAccess.Verdict {
        access.verdict(.init(method: method, path: path, host: host, origin: origin, sessionCookie: cookie, csrfToken: csrf)) { [session] in
            $0 == session.id ? session : nil
        }
    }

    @Test func anAPIRequestNeedsTheSession() {
        #expect(verdict("GET", "/api/approvals", cookie: nil) == .unauthorized)
        #expect(verdict("GET", "/api/approvals", cookie: "forged") == .unauthorized)
        #expect(verdict("GET", "/api/approvals") == .signedIn(session))
        #expect(verdict("GET", "/", cookie: nil) == .unauthorized)
    }

    @Test func loginAndAssetsAreOpen() {
        #expect(verdict("GET", "/login", cookie: nil) == .open)
        #expect(verdict("GET", "/assets/console.js", cookie: nil) == .open)
    }

    @Test func aStateChangingRequestNeedsTheOriginAndTheCSRFToken() {
        let post = { (origin: String?, csrf: String?, cookie: String?) in
            verdict("POST", "/api/approvals/apr_1/approve", origin: origin, cookie: cookie, csrf: csrf)
        }
        #expect(post("http://127.0.0.1:8787", "c1", "s1") == .signedIn(session))
        guard case .forbidden = post("http://evil.example", "c1", "s1") else { Issue.record("a cross-origin POST was let in"); return }
        guard case .forbidden = post(nil, "c1", "s1") else { Issue.record("a POST without Origin was let in"); return }
        guard case .forbidden = post("http://127.0.0.1:8787", "c2", "s1") else { Issue.record("a wrong CSRF token was let in"); return }
        guard case .forbidden = post("http://127.0.0.1:8787", nil, "s1") else { Issue.record("a missing CSRF token was let in"); return }
        // Cross-origin is refused before the session is looked at: 403, not 401.
        guard case .forbidden = post("http://evil.example", nil, nil) else { Issue.record("a cross-origin POST was not refused"); return }
        #expect(post("http://127.0.0.1:8787", "c1", nil) == .unauthorized)
    }

    @Test func aForeignHostIsRefused() {
        guard case .forbidden = verdict("GET", "/api/approvals", host: "attacker.example:8787") else { Issue.record("a rebinding Host was let in"); return }
        guard case .forbidden = verdict("GET", "/api/approvals", host: nil) else { Issue.record("a request without Host was let in"); return }
        #expect(verdict("GET", "/api/approvals", host: "localhost:8787") == .signedIn(session))
    }
}
