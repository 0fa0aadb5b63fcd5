import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals", abstract: "List and decide calls held for approval.",
        discussion: "Approvals are decided only here (out of band), never on the agent's own channel.",
        subcommands: [List.self, Approve.self, Deny.self, Watch.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List approvals, newest first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only approvals with this status: pending, approved, denied or expired.") var status: ApprovalStatus?
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

        func run() async throws {
            try await Decide.run(storeOptions, id: id, status: .approved, by: by, reason: reason, json: output.json)
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
