import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RiskKernelCore
import RiskKernelStore
import Testing
@testable import RiskKernelConsole

/// The console's routes through Hummingbird's router, on a real SQLite store.
@Suite struct ConsoleHTTPTests {
    /// The authority Hummingbird's router tests give every request.
    static let host = "localhost"

    func withConsole(_ body: @escaping @Sendable (ConsoleState, any TestClientProtocol) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("store.sqlite").path)
        let state = ConsoleState(store: store, defaultDecider: "alice", allowedHosts: [Self.host])
        let app = Application(router: Console.router(state: state, storeOptions: "--db store.sqlite"))
        try await app.test(.router) { client in try await body(state, client) }
    }

    /// Signs in with a fresh login token; the session cookie and the CSRF token.
    func signIn(_ state: ConsoleState, _ client: any TestClientProtocol) async throws -> (cookie: String, csrf: String) {
        let token = state.issueLoginToken()
        let cookie = try await client.execute(uri: "/login?token=\(token)", method: .get, headers: [:]) { response in
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/")
            let setCookie = response.headers[.setCookie] ?? ""
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            return String(setCookie.split(separator: ";")[0])
        }
        let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            return String(buffer: response.body)
        }
        let marker = #"<meta name="csrf-token" content=""#
        let start = try #require(page.range(of: marker))
        let csrf = String(page[start.upperBound...].prefix { $0 != "\"" })
        return (cookie, csrf)
    }

    @Test func anAPIRequestWithoutTheSessionGets401() async throws {
        try await withConsole { _, client in
            try await client.execute(uri: "/api/approvals", method: .get, headers: [:]) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("\"error\""))
            }
        }
    }

    @Test func aReusedLoginTokenIsRefused() async throws {
        try await withConsole { state, client in
            let token = state.issueLoginToken()
            try await client.execute(uri: "/login?token=\(token)", method: .get, headers: [:]) { response in
                #expect(response.status == .seeOther)
            }
            try await client.execute(uri: "/login?token=\(token)", method: .get, headers: [:]) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.setCookie] == nil)
            }
        }
    }

    @Test func signedInReadsTheSameJSONAsTheCLI() async throws {
        try await withConsole { state, client in
            let (cookie, _) = try await signIn(state, client)
            try await client.execute(uri: "/api/approvals?status=pending", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
            }
            try await client.execute(uri: "/api/usage?by=day", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"groups\""))
            }
            try await client.execute(uri: "/api/usage?by=nonsense", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func spendIsChartedAndRunsAreListed() async throws {
        try await withConsole { state, client in
            let (cookie, _) = try await signIn(state, client)
            let run = try await state.store.createRun(NewRun(name: "charted"))
            _ = try await state.store.recordModelCall(runId: run.id, NewModelCall(
                provider: "openai", model: "gpt-4o", promptTokens: 1000, completionTokens: 200, dollars: Money(micros: 4500), priced: true))
            try await client.execute(uri: "/spend", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains(#"<svg class="chart""#))
                #expect(page.contains("gpt-4o"))
                #expect(page.contains("$0.0045"))
            }
            try await client.execute(uri: "/runs", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"data-run-id="\#(run.id)""#))
            }
            try await client.execute(uri: "/runs/\(run.id)", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"data-chain="intact""#))
            }
        }
    }

    @Test func aPOSTNeedsTheOriginAndTheCSRFToken() async throws {
        try await withConsole { state, client in
            let (cookie, csrf) = try await signIn(state, client)
            let uri = "/api/approvals/apr_unknown/approve"
            let csrfName = HTTPField.Name("X-CSRF-Token")!
            try await client.execute(
                uri: uri, method: .post, headers: [.cookie: cookie, .origin: "http://evil.example", csrfName: csrf]
            ) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: uri, method: .post, headers: [.cookie: cookie, .origin: "http://\(Self.host)"]) { response in
                #expect(response.status == .forbidden)
            }
            // Let through: the approval does not exist.
            try await client.execute(
                uri: uri, method: .post, headers: [.cookie: cookie, .origin: "http://\(Self.host)", csrfName: csrf]
            ) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: "/api/approvals/apr_unknown/deny", method: .post,
                headers: [.cookie: cookie, .origin: "http://\(Self.host)", csrfName: csrf, .contentType: "application/json"],
                body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("reason"))
            }
        }
    }
}
