import Foundation
import Hummingbird
import RiskKernelCore
import RiskKernelStore

/// The JSON API (`/api/…`) the page uses and scripts may too; each answer has the shape of the
/// CLI's `--json` for the same question (see Protocol/console.md).
enum ConsoleAPI {
    static func register(on router: Router<ConsoleRequestContext>, state: ConsoleState) {
        let store = state.store
        router.get("/api/approvals") { request, _ in
            let status: ApprovalStatus?
            do {
                status = try parameter(request, "status", as: ApprovalStatus.self, "pending, approved, denied or expired")
            } catch let error as ConsoleInputError {
                return Replies.error(.badRequest, error.description)
            }
            let run = request.uri.queryParameters["run"].map(String.init)
            return Replies.json(.array(try await store.listApprovals(status: status, runId: run).map(\.json)))
        }
        router.post("/api/approvals/:id/:action") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard let action = context.parameters.get("action"), action == "approve" || action == "deny" else {
                return Replies.error(.notFound, "the actions are approve and deny")
            }
            let decision: DecisionBody
            do {
                decision = try DecisionBody.parse(try await request.body.collect(upTo: 64 * 1024), action: action)
            } catch let error as ConsoleInputError {
                return Replies.error(.badRequest, error.description)
            }
            return try await decide(id: id, decision, decider: context.session!.decider, store: store)
        }
        router.post("/api/session") { request, context in
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let name = (try? JSONParser.parse(body.readableBytesView))?["name"]?.stringValue else {
                return Replies.error(.badRequest, "the body is {\"name\": \"…\"}")
            }
            do {
                guard let session = try state.rename(sessionId: context.session!.id, to: name) else { return Replies.error(.unauthorized, "the session has ended") }
                return Replies.json(["decidedBy": .string(session.decider)])
            } catch let error as ConsoleInputError {
                return Replies.error(.badRequest, error.description)
            }
        }
        router.get("/api/runs") { request, _ in
            let status: RunStatus?
            do {
                status = try parameter(request, "status", as: RunStatus.self, RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
            } catch let error as ConsoleInputError {
                return Replies.error(.badRequest, error.description)
            }
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 50
            return Replies.json(.array(try await store.listRuns(status: status, limit: max(1, min(limit, 10_000))).map(\.json)))
        }
        router.get("/api/runs/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let detail = try await RunDetail.load(from: store, runId: id) else { return Replies.error(.notFound, "no run with id \(id)") }
            return Replies.json(detail.json)
        }
        router.get("/api/usage") { request, _ in
            let by = request.uri.queryParameters["by"].map(String.init) ?? "model"
            guard let grouping = SummaryGrouping(by) else {
                return Replies.error(.badRequest, "by must be provider, model, day, name, metadata.KEY or tool (got \(by))")
            }
            return Replies.json(try await store.summarize(by: grouping, since: nil, until: nil).json)
        }
        router.get("/api/events") { _, _ in
            EventStream.response(feed: state.feed, store: store)
        }
    }

    /// The query parameter `name` as a `T`; `nil` when absent or empty.
    static func parameter<T: RawRepresentable<String>>(_ request: Request, _ name: String, as: T.Type, _ choices: String) throws -> T? {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let value = T(rawValue: text) else { throw ConsoleInputError("\(name) must be one of \(choices) (got \(text))") }
        return value
    }

    /// Decides as `approvals approve|deny` does: the approval (or, for scope run or always, the
    /// grant made with it) as JSON; 404 for an unknown id, 409 for one no longer pending.
    static func decide(id: String, _ decision: DecisionBody, decider: String, store: any Store) async throws -> Response {
        let approval: ApprovalRecord
        do {
            approval = try await store.resolveApproval(id: id, status: decision.status, decidedBy: decider, reason: decision.reason)
        } catch StoreError.notFound(let what) {
            return Replies.error(.notFound, "\(what) not found")
        } catch let error as StoreError {
            return Replies.error(.conflict, "cannot \(decision.status == .approved ? "approve" : "deny") \(id): \(error)")
        }
        guard let scope = decision.grantScope else { return Replies.json(approval.json) }
        do {
            let grant = try await store.createGrant(NewGrant(
                approvalId: id, scope: scope, grantedBy: decider, expiresAt: decision.grantSeconds.map { Date().addingTimeInterval($0) }))
            return Replies.json(grant.json)
        } catch let error as StoreError {
            return Replies.error(.conflict, "approved \(id), but could not make the \(scope.rawValue) grant: \(error)")
        }
    }
}

/// The body of `POST /api/approvals/{id}/approve|deny`: `{"reason": "…", "scope": "once|run|always", "for": "4h"}`,
/// each member optional but a denial's reason (shown to the agent).
struct DecisionBody: Sendable, Equatable {
    var status: ApprovalStatus
    var reason: String?
    /// `nil` for scope `once`.
    var grantScope: GrantScope?
    /// How long a grant lasts, in seconds; `nil` until revoked.
    var grantSeconds: Double?

    static func parse(_ body: ByteBuffer, action: String) throws -> DecisionBody {
        let value: JSONValue
        if body.readableBytes == 0 {
            value = [:]
        } else {
            guard let parsed = try? JSONParser.parse(body.readableBytesView), parsed.objectValue != nil else {
                throw ConsoleInputError("the body is a JSON object: {\"reason\": \"…\", \"scope\": \"once|run|always\", \"for\": \"4h\"}")
            }
            value = parsed
        }
        let reason = value["reason"]?.stringValue.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let status: ApprovalStatus = action == "approve" ? .approved : .denied
        if status == .denied, reason == nil { throw ConsoleInputError("a denial needs a reason (it is shown to the agent)") }
        var request = DecisionBody(status: status, reason: reason)
        switch value["scope"]?.stringValue ?? "once" {
        case "once": break
        case "run": request.grantScope = .run
        case "always": request.grantScope = .always
        case let other: throw ConsoleInputError("scope must be once, run or always (got \(other))")
        }
        if status == .denied, request.grantScope != nil { throw ConsoleInputError("a scope applies to approvals only") }
        if let duration = value["for"]?.stringValue {
            guard request.grantScope != nil else { throw ConsoleInputError("for applies to scope run or always") }
            guard let parsed = RateLimit.parseDuration(duration) else { throw ConsoleInputError("for takes a duration such as 30m, 4h or 7d (got \(duration))") }
            request.grantSeconds = parsed.seconds
        }
        return request
    }
}
