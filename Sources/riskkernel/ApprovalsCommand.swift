import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals", abstract: "List and decide calls held for approval.",
        discussion: "Approvals are decided only here (out of band), never on the agent's own channel.",
        subcommands: [List.self, Approve.self, Deny.self, Watch.self, Grants.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List approvals, newest first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only approvals with this status.") var status: ApprovalStatus?
        @Option(help: ArgumentHelp("Only approvals of this run.", valueName: "id")) var run: String?

        func run() async throws {
            let approvals = try await storeOptions.openStore().listApprovals(status: status, runId: run)
            if output.json { return Output.printJSON(.array(approvals.map(\.json))) }
            guard !approvals.isEmpty else { return print("no approvals\(status.map { " with status \($0.rawValue)" } ?? "")") }
            var table = TextTable("ID", "STATUS", "TOOL", "SIDE EFFECT", "RULE", "RUN", "CREATED", "DECIDED BY", "ARGUMENTS")
            for approval in approvals {
                table.add(
                    approval.id, approval.status.rawValue, Formatting.terminalSafe(approval.tool), Formatting.terminalSafe(approval.sideEffect),
                    Formatting.terminalSafe(approval.rule), approval.runId, Formatting.time(approval.createdAt),
                    Formatting.terminalSafe(approval.decidedBy ?? "-"),
                    Formatting.truncate(Formatting.terminalSafe(Self.argumentsText(approval)), 60))
            }
            print(table.render())
        }

        /// The arguments that will run, and the model's own before them when a rule rewrote them.
        static func argumentsText(_ approval: ApprovalRecord) -> String {
            func text(_ value: JSONValue) -> String { CanonicalJSON.string(value, numbers: .asWritten) }
            guard let forwarded = approval.forwardedArguments else { return text(approval.arguments) }
            return "runs \(text(forwarded)) (model sent \(text(approval.arguments)))"
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a pending call; the gateway forwards it.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The approval's id.") var id: String
        @Option(help: "Who approves (default: $USER).") var by: String?
        @Option(help: "Why.") var reason: String?
        @Option(help: ArgumentHelp(
            "once (this call), run (this tool, any arguments, for the rest of the run tree) or always (this tool of this server, in any run, until revoked).",
            valueName: "scope"))
        var scope: ApprovalScope = .once
        @Option(name: .customLong("for"), help: ArgumentHelp("How long a run or always grant lasts: 30m, 4h, 7d (default: until revoked).", valueName: "duration"))
        var duration: String?

        func validate() throws {
            if let duration {
                guard RateLimit.parseDuration(duration) != nil else { throw ValidationError("--for takes a duration such as 30m, 4h or 7d (got \(duration))") }
                guard scope != .once else { throw ValidationError("--for applies to --scope run or always") }
            }
        }

        func run() async throws {
            try await Decide.run(storeOptions, id: id, status: .approved, by: by, reason: reason, json: output.json && scope == .once)
            guard let grantScope = scope.grantScope else { return }
            let store = try await storeOptions.openStore()
            let until = duration.flatMap(RateLimit.parseDuration).map { Date().addingTimeInterval($0.seconds) }
            do {
                let grant = try await store.createGrant(NewGrant(
                    approvalId: id, scope: grantScope, grantedBy: by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli", expiresAt: until))
                if output.json { return Output.printJSON(grant.json) }
                let reach = grantScope == .run ? "the rest of run tree \(grant.rootRunId ?? "-")" : "server \(Formatting.terminalSafe(grant.server)), any run"
                print("granted \(grant.id): tool \(Formatting.terminalSafe(grant.tool)) for \(reach)\(until.map { " until \(Formatting.time($0))" } ?? ", until revoked")")
            } catch let error as StoreError {
                throw CLIError("approved \(id), but could not make the \(grantScope.rawValue) grant: \(error)")
            }
        }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deny", abstract: "Deny a pending call; the agent is told the reason.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The approval's id.") var id: String
        @Option(help: "Why (shown to the agent).") var reason: String
        @Option(help: "Who denies (default: $USER).") var by: String?

        func run() async throws {
            try await Decide.run(storeOptions, id: id, status: .denied, by: by, reason: reason, json: output.json)
        }
    }

    enum Decide {
        static func run(_ storeOptions: StoreOptions, id: String, status: ApprovalStatus, by: String?, reason: String?, json: Bool) async throws {
            let store = try await storeOptions.openStore()
            let decider = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            do {
                let approval = try await store.resolveApproval(id: id, status: status, decidedBy: decider, reason: reason)
                if json { return Output.printJSON(approval.json) }
                print("\(status == .approved ? "approved" : "denied") \(approval.id): tool \(Formatting.terminalSafe(approval.tool)) (run \(approval.runId))")
            } catch let error as StoreError {
                throw CLIError("cannot \(status == .approved ? "approve" : "deny") \(id): \(error)")
            }
        }
    }
}

extension ApprovalStatus: ExpressibleByArgument {}

/// `approvals approve --scope`: the call alone, or a standing grant.
enum ApprovalScope: String, ExpressibleByArgument, CaseIterable {
    case once, run, always

    var grantScope: GrantScope? {
        switch self {
        case .once: return nil
        case .run: return .run
        case .always: return .always
        }
    }
}

extension ApprovalsCommand {
    struct Grants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "grants", abstract: "List standing grants made with approve --scope run|always, newest first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let grants = try await storeOptions.openStore().listGrants()
            if output.json { return Output.printJSON(.array(grants.map(\.json))) }
            guard !grants.isEmpty else { return print("no grants") }
            var table = TextTable("ID", "SERVER", "TOOL", "SCOPE", "EXPIRES", "REVOKED")
            for grant in grants {
                table.add(
                    grant.id, Formatting.terminalSafe(grant.server), Formatting.terminalSafe(grant.tool), grant.scope.rawValue,
                    grant.expiresAt.map(Formatting.time) ?? "-", grant.revokedAt.map(Formatting.time) ?? "-")
            }
            print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "End a grant at once, also for gateways already running.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The grant's id (grt_…).") var id: String

        func run() async throws {
            do {
                let grant = try await storeOptions.openStore().revokeGrant(id: id)
                if output.json { return Output.printJSON(grant.json) }
                print("revoked \(grant.id): tool \(Formatting.terminalSafe(grant.tool)) (\(grant.scope.rawValue))")
            } catch let error as StoreError {
                throw CLIError("cannot revoke \(id): \(error)")
            }
        }
    }
}
