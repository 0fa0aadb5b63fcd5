import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List runs, show one, draw a run's tree of sub-agents, close a run.",
        subcommands: [List.self, Show.self, Tree.self, Close.self])

    struct Tree: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tree",
            abstract: "Draw a run and its child runs (sub-agents started with --parent-run).",
            discussion: "Each line shows the run's own spend and, for runs with children, the spend of its whole tree.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The root run's id.") var id: String
        @Option(help: "Draw at most this many levels below the root.") var depth: Int?

        func validate() throws { if let depth, depth < 0 { throw ValidationError("--depth must not be negative") } }

        func run() async throws {
            let tree: SessionTree
            do {
                tree = try await SessionTree.load(from: try await storeOptions.openStore(), runId: id, depth: depth)
            } catch let error as StoreError {
                throw CLIError("\(error)")
            }
            if output.json { return Output.printJSON(tree.json) }
            print(tree.rendered { run in
                var text = "\(run.id)"
                if let name = run.name { text += " \(Formatting.terminalSafe(name))" }
                text += " [\(run.status.rawValue)] \(run.usage.totalTokens) tokens, \(run.usage.dollars)"
                if run.treeUsage != run.usage { text += " (tree: \(run.treeUsage.totalTokens) tokens, \(run.treeUsage.dollars))" }
                if let budget = run.budget.tokens { text += " budget \(budget) tokens" }
                if let budget = run.budget.dollars { text += " budget \(budget)" }
                return text
            })
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close",
            abstract: "Close a run as completed, merged or discarded (a sub-agent's work kept or thrown away).")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The run's id.") var id: String
        @Option(name: .customLong("as"), help: "How the run ends: its work kept (completed, merged) or thrown away (discarded).")
        var closing: ClosingStatus
        @Option(help: "Why.") var reason: String?

        /// The statuses a run can be closed as; help lists exactly these.
        enum ClosingStatus: String, CaseIterable, ExpressibleByArgument {
            case completed, merged, discarded
        }

        func run() async throws {
            let status = RunStatus(rawValue: closing.rawValue)!
            let store = try await storeOptions.openStore()
            guard let current = try await store.run(id: id) else { throw CLIError("no run with id \(id)") }
            // A run its gateway ended as completed may still be settled as merged or discarded.
            guard current.status != .merged, current.status != .discarded, current.status != status else {
                throw CLIError("run \(id) is already closed as \(current.status.rawValue)")
            }
            let closed = try await store.setRunStatus(id: id, status: status, reason: reason)
            if output.json { return Output.printJSON(closed.json) }
            print("run \(id) closed as \(status.rawValue)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only runs with this status.") var status: RunStatus?
        @Option(help: "At most this many runs.") var limit = 50

        func run() async throws {
            let runs = try await storeOptions.openStore().listRuns(status: status, limit: limit)
            if output.json { return Output.printJSON(.array(runs.map(\.json))) }
            guard !runs.isEmpty else { return print("no runs") }
            var table = TextTable("ID", "NAME", "STATUS", "POLICY", "TOKENS", "DOLLARS", "STEPS", "TOOL CALLS", "STARTED")
            for run in runs {
                table.add(
                    run.id, Formatting.terminalSafe(run.name ?? "-"), run.status.rawValue, Formatting.terminalSafe(run.policyRef ?? "-"),
                    "\(run.usage.totalTokens)", run.usage.dollars.description, "\(run.usage.loops)", "\(run.usage.toolCalls)",
                    Formatting.time(run.createdAt))
            }
            print(table.render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run: usage against budget, steps and tool calls.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The run's id.") var id: String

        func run() async throws {
            guard let detail = try await RunDetail.load(from: try await storeOptions.openStore(), runId: id) else {
                throw CLIError("no run with id \(id)")
            }
            if output.json { return Output.printJSON(detail.json) }
            let (run, ledger, calls, children) = (detail.run, detail.ledger, detail.toolCalls, detail.children)
            let (modelSpend, toolSpend) = (detail.modelSpend, detail.toolSpend)
            let approvals = Dictionary(detail.approvals.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            print("run \(run.id)\(run.name.map { " (\(Formatting.terminalSafe($0)))" } ?? "")")
            print("  status:   \(run.status.rawValue)\(run.haltReason.map { ": \($0)" } ?? "")")
            print("  policy:   \(run.policyRef ?? "-")")
            if let parent = run.parentRunId { print("  parent:   \(parent)") }
            if !children.isEmpty { print("  children: \(children.map(\.id).joined(separator: ", "))") }
            if !run.metadata.isEmpty {
                print("  metadata: \(run.metadata.keys.sorted().map { "\($0)=\(Formatting.terminalSafe(run.metadata[$0]!))" }.joined(separator: " "))")
            }
            print("  started:  \(Formatting.time(run.createdAt))\(run.endedAt.map { ", ended \(Formatting.time($0))" } ?? "")")
            print("")
            var usage = TextTable("", "USED", "TREE", "BUDGET")
            usage.add("tokens", "\(run.usage.totalTokens)", "\(run.treeUsage.totalTokens)", Formatting.limit(run.budget.tokens))
            usage.add("dollars", run.usage.dollars.description, run.treeUsage.dollars.description, Formatting.limit(run.budget.dollars))
            usage.add("  models", modelSpend.description, "-", "-")
            usage.add("  tools", toolSpend.description, "-", "-")
            usage.add("loops", "\(run.usage.loops)", "\(run.treeUsage.loops)", Formatting.limit(run.budget.loops))
            let elapsed = Int((run.endedAt ?? Date()).timeIntervalSince(run.createdAt))
            usage.add("seconds", "\(elapsed)", "-", Formatting.limit(run.budget.seconds))
            usage.add("tool calls", "\(run.usage.toolCalls)", "\(run.treeUsage.toolCalls)", "-")
            print(usage.render())
            let modelEntries = ledger.filter { $0.kind == "model" }
            if !modelEntries.isEmpty {
                print("\nsteps and model calls:")
                var table = TextTable("STEP", "PROVIDER", "MODEL", "PROMPT", "COMPLETION", "DOLLARS", "PRICED", "AT")
                for entry in modelEntries {
                    table.add(
                        Formatting.limit(entry.step), entry.provider ?? "-", entry.model ?? "-", "\(entry.promptTokens)",
                        "\(entry.completionTokens)", entry.dollars.description, entry.priced ? "yes" : "no", Formatting.time(entry.createdAt))
                }
                print(table.render())
            }
            let toolEntries = ledger.filter { $0.kind == "tool" }
            if !toolEntries.isEmpty {
                print("\npriced tool calls (spec.toolPrices):")
                var table = TextTable("TOOL", "DOLLARS", "AT")
                for entry in toolEntries { table.add(Formatting.terminalSafe(entry.tool ?? "-"), entry.dollars.description, Formatting.time(entry.createdAt)) }
                print(table.render())
            }
            if !calls.isEmpty {
                print("\ntool calls:")
                // APPROVAL: who decided and how long the call waited for a person; MS: the call's own time upstream.
                var table = TextTable("TOOL", "SIDE EFFECT", "DECISION", "APPROVAL", "STATUS", "MS", "REASON", "AT")
                for call in calls {
                    table.add(
                        Formatting.terminalSafe(call.tool), call.sideEffect, call.decision + (call.rule.map { " (\(Formatting.terminalSafe($0)))" } ?? ""),
                        Self.approvalSummary(call.approvalId.flatMap { approvals[$0] }),
                        call.status.rawValue, call.durationMs.map { String(format: "%.1f", $0) } ?? "-",
                        Formatting.truncate(Formatting.terminalSafe(call.reason ?? RunDetail.withheldReason(call) ?? "-"), 60), Formatting.time(call.createdAt))
                }
                print(table.render())
            }
        }
    }
}

extension RunsCommand.Show {
    /// `approved by alice after 12.4s wait`, `denied by bob after 3.0s wait`, `pending`, or `-`.
    static func approvalSummary(_ approval: ApprovalRecord?) -> String {
        guard let approval else { return "-" }
        let who = approval.decidedBy.map { " by \(Formatting.terminalSafe($0))" } ?? ""
        let wait = approval.decidedAt.map { String(format: " after %.1fs wait", $0.timeIntervalSince(approval.createdAt)) } ?? ""
        return "\(approval.status.rawValue)\(who)\(wait)"
    }
}

extension RunStatus: ExpressibleByArgument {}
