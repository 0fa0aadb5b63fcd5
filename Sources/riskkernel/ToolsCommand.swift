import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: "Review and approve the pinned tool definitions of upstream servers.",
        discussion: """
            The first time a gateway sees a server (named by `gateway --server-name`, or by its command), it pins the definition of every tool it lists. A tool whose definition later changes, or a tool that is new, is hidden and its calls are refused until it is approved here.
            """,
        subcommands: [List.self, Diff.self, Approve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List pinned tools with their status: pinned, changed or new.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Only this server's tools.", valueName: "name")) var server: String?

        func run() async throws {
            let pins = try await storeOptions.openStore().toolPins(server: server)
            if output.json { return Output.printJSON(.array(pins.map(\.json))) }
            guard !pins.isEmpty else { return print(server.map { "no pinned tools for server \"\(Formatting.terminalSafe($0))\"" } ?? "no pinned tools") }
            var table = TextTable("SERVER", "TOOL", "STATUS", "HASH", "PINNED", "SEEN")
            for pin in pins {
                table.add(
                    Formatting.truncate(Formatting.terminalSafe(pin.server), 40), Formatting.terminalSafe(pin.tool), pin.status.rawValue,
                    String(pin.hash.prefix(12)), Formatting.time(pin.pinnedAt), Formatting.time(pin.seenAt))
            }
            print(table.render())
            let held = pins.filter { $0.status != .pinned }
            if !held.isEmpty {
                // Each command as it runs, from any folder: the server, the tool and the store.
                let store = storeOptions.commandOptions
                print("\n\(held.count) tool(s) held. Review and approve each:")
                for pin in held {
                    let names = "--server \(ShellQuote.quote(pin.server)) \(ShellQuote.quote(pin.tool))"
                    print(Formatting.terminalSafe("  riskkernel tools diff \(names) \(store)"))
                    print(Formatting.terminalSafe("  " + ToolPinApproval.command(server: pin.server, tool: pin.tool, storeOptions: store)))
                }
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "Show how a tool's definition differs from the one pinned.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The server.", valueName: "name")) var server: String
        @Argument(help: "The tool.") var tool: String

        func run() async throws {
            let pins = try await storeOptions.openStore().toolPins(server: server)
            guard let pin = pins.first(where: { $0.tool == tool }) else {
                throw CLIError("server \"\(server)\" has no tool \"\(tool)\" (see `riskkernel tools list --server \(ShellQuote.quote(server)) \(storeOptions.commandOptions)`)")
            }
            if output.json {
                return Output.printJSON(["server": .string(server), "tool": .string(tool), "status": .string(pin.status.rawValue),
                                         "pinned": pin.pinnedDefinition ?? .null, "current": pin.definition])
            }
            let old = pin.pinnedDefinition.map { PrettyJSON.string($0).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
            let new = PrettyJSON.string(pin.definition).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            print("--- pinned \(pin.pinnedHash.map { String($0.prefix(12)) } ?? "(none: the tool is new)") \(Formatting.time(pin.pinnedAt))")
            print("+++ current \(pin.hash.prefix(12)) \(Formatting.time(pin.seenAt))")
            // Line by line: the lines themselves are made safe for the terminal, not the breaks between them.
            for line in LineDiff.render(LineDiff.diff(old, new)).split(separator: "\n", omittingEmptySubsequences: false) {
                print(Formatting.terminalSafe(String(line)))
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Pin the current definition of changed or new tools.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The server.", valueName: "name")) var server: String
        @Flag(help: "Approve every tool of the server.") var all = false
        @Option(help: ArgumentHelp("Who approves (recorded in the ledger).", valueName: "name")) var by: String?
        @Argument(help: "The tools to approve.") var tools: [String] = []

        func validate() throws {
            if all == !tools.isEmpty { throw ValidationError("name the tools to approve, or give --all (not both)") }
        }

        func run() async throws {
            let approved: [ToolPinRecord]
            do {
                approved = try await storeOptions.openStore().approveToolPins(
                    server: server, tools: all ? nil : tools, approvedBy: by ?? ProcessInfo.processInfo.environment["USER"])
            } catch let error as StoreError {
                throw CLIError("\(error)")
            }
            if output.json { return Output.printJSON(.array(approved.map(\.json))) }
            guard !approved.isEmpty else { return print("nothing to approve: the named tools of \"\(Formatting.terminalSafe(server))\" are already pinned") }
            for pin in approved { print("pinned \(Formatting.terminalSafe(pin.tool)) of \"\(Formatting.terminalSafe(server))\" at \(pin.hash.prefix(12))") }
        }
    }
}
