import Foundation
import Hummingbird
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

/// The console's HTML pages, rendered on the server.
enum Pages {
    /// How many decided approvals the history shows.
    static let historyLength = 50

    static func layout(title: String, page: String, session: ConsoleSession?, content: String) -> String {
        var context: [String: Any] = ["title": title, "page": page, "content": content, "signedIn": session != nil]
        context["onApprovals"] = page == "approvals"
        context["onRuns"] = page == "runs" || page == "run"
        context["onSpend"] = page == "spend"
        context["csrf"] = session?.csrfToken ?? false
        context["decider"] = session?.decider ?? ""
        return Templates.render("layout", context)
    }

    static func message(title: String, text: String, hint: String? = nil) -> String {
        layout(title: title, page: "message", session: nil, content: Templates.render("message", ["title": title, "text": text, "hint": Views.optional(hint)]))
    }

    static func signedOut() -> String {
        message(
            title: "Sign in", text: "This console needs a session: open the login URL that `riskkernel console` printed when it started.",
            hint: "Each login URL works once. Start the console again for a new one.")
    }

    static func register(on router: Router<ConsoleRequestContext>, state: ConsoleState, storeOptions: String) {
        let store = state.store
        router.get("/") { _, context in
            let session = context.session!
            let live = try await approvalsLive(store: store, storeOptions: storeOptions)
            let content = Templates.render("approvals", ["live": live, "nameConfirmed": session.nameConfirmed, "decider": session.decider])
            return Replies.page(layout(title: "Approvals", page: "approvals", session: session, content: content))
        }
        router.get("/fragments/approvals") { _, _ in
            Replies.page(try await approvalsLive(store: store, storeOptions: storeOptions))
        }
        // The address a gateway's pending notice links to.
        router.get("/approvals/:id") { _, context in
            Replies.redirect(to: "/#\(context.parameters.get("id") ?? "")")
        }
        router.post("/api/tools/pins/approve") { request, context in
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let value = try? JSONParser.parse(body.readableBytesView), let server = value["server"]?.stringValue, let tool = value["tool"]?.stringValue else {
                return Replies.error(.badRequest, "the body is {\"server\": \"…\", \"tool\": \"…\"}")
            }
            let pins = try await store.approveToolPins(server: server, tools: [tool], approvedBy: context.session!.decider)
            guard !pins.isEmpty else { return Replies.error(.notFound, "server \(server) has no changed or new tool \(tool)") }
            return Replies.json(.array(pins.map(\.json)))
        }
        router.get("/runs") { _, context in
            let runs = try await store.listRuns(status: nil, limit: 200)
            let content = Templates.render("runs", ["runs": runs.map(Views.runRow), "hasRuns": !runs.isEmpty])
            return Replies.page(layout(title: "Runs", page: "runs", session: context.session, content: content))
        }
        router.get("/runs/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let detail = try await RunDetail.load(from: store, runId: id) else {
                return Replies.page(layout(
                    title: "No such run", page: "run", session: context.session,
                    content: Templates.render("message", ["title": "No such run", "text": "There is no run with id \(id).", "hint": false])), status: .notFound)
            }
            return Replies.page(layout(title: "Run \(id)", page: "run", session: context.session, content: try await runPage(detail, store: store)))
        }
        router.get("/spend") { _, context in
            let byDay = try await store.summarize(by: .day, since: nil, until: nil)
            let byModel = try await store.summarize(by: .model, since: nil, until: nil)
            func chart(_ summary: UsageSummary, _ title: String) -> String {
                BarChart(
                    bars: summary.groups.map { .init(label: $0.key, value: Double($0.dollars.micros), valueText: "\($0.dollars) · \($0.calls) calls") },
                    title: title
                ).svg()
            }
            let content = Templates.render("spend", [
                "byDay": chart(byDay, "Model spend by day"), "byModel": chart(byModel, "Model spend by model"),
                "total": byDay.total.dollars.description, "calls": "\(byDay.total.calls)",
            ])
            return Replies.page(layout(title: "Spend", page: "spend", session: context.session, content: content))
        }
    }

    /// The pending approvals (newest first), the held tool definitions and the latest decisions.
    static func approvalsLive(store: any Store, storeOptions: String) async throws -> String {
        let now = Date()
        let all = try await store.listApprovals(status: nil, runId: nil).map { $0.asOf(now) }
        let pending = all.filter { $0.status == .pending }
        let decided = all.filter { $0.status != .pending }.sorted { ($0.decidedAt ?? $0.createdAt) > ($1.decidedAt ?? $1.createdAt) }.prefix(historyLength)
        let pins = try await store.toolPins(server: nil).filter { $0.status != .pinned }
        return Templates.render("live", [
            "pending": pending.map(Views.approval), "pendingCount": "\(pending.count)", "decided": decided.map(Views.approval),
            "pins": pins.map(Views.pin), "hasPins": !pins.isEmpty, "storeOptions": storeOptions,
        ])
    }

    static func runPage(_ detail: RunDetail, store: any Store) async throws -> String {
        let run = detail.run
        let chain = ChainVerifier.verify(runId: run.id, events: try await store.events(runId: run.id), anchor: try await store.chainHead(runId: run.id))
        var root = run
        while let parentId = root.parentRunId, let parent = try await store.run(id: parentId) { root = parent }
        let tree = try await SessionTree.load(from: store, runId: root.id, depth: 20)
        let timeline = Views.timeline(detail)
        return Templates.render("run", [
            "id": run.id, "name": Views.optional(run.name), "status": run.status.rawValue, "haltReason": Views.optional(run.haltReason),
            "chainClass": chain.isIntact ? "intact" : "broken",
            "chainText": chain.isIntact
                ? "Chain verified: \(chain.events) events, each hash linked to the one before and to the head recorded with the run."
                : "Chain BROKEN: \(chain.failure.map { "\($0)" } ?? "")",
            "budget": Views.budget(run, now: Date()), "policy": run.policyRef ?? "-", "createdAt": Views.time(run.createdAt),
            "endedAt": Views.time(run.endedAt), "parent": Views.optional(run.parentRunId),
            "tree": [Views.tree(tree, current: run.id)], "timeline": timeline, "hasTimeline": !timeline.isEmpty,
        ])
    }
}
