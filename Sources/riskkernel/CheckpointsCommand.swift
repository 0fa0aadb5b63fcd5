import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct CheckpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints", abstract: "Create and list a run's checkpoints (named points in its journal).",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Mark the current end of a run's journal with a name and a JSON payload.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The run.", valueName: "id")) var run: String
        @Option(help: "The checkpoint's name.") var name: String
        @Option(help: ArgumentHelp("A JSON payload (default null).", valueName: "json")) var payload: String?
        @Option(help: "The most checkpoints the run may hold.") var maxCheckpoints: Int = 1000

        func run() async throws {
            let value: JSONValue
            do {
                value = try payload.map { try JSONParser.parse($0) } ?? .null
            } catch {
                throw CLIError("--payload is not valid JSON: \(error)")
            }
            do {
                let checkpoint = try await storeOptions.openStore(maxCheckpointsPerRun: maxCheckpoints).createCheckpoint(runId: run, name: name, payload: value)
                if output.json { return Output.printJSON(checkpoint.json) }
                print("checkpoint \(checkpoint.id) \"\(checkpoint.name)\" marks event \(checkpoint.sequence) of run \(run)")
            } catch let error as StoreError {
                throw CLIError("\(error)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a run's checkpoints, newest first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The run.", valueName: "id")) var run: String

        func run() async throws {
            let store = try await storeOptions.openStore()
            guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
            let checkpoints = try await store.listCheckpoints(runId: run)
            if output.json { return Output.printJSON(.array(checkpoints.map(\.json))) }
            guard !checkpoints.isEmpty else { return print("run \(run) has no checkpoints") }
            var table = TextTable("ID", "NAME", "EVENT", "CREATED", "PAYLOAD")
            for checkpoint in checkpoints {
                table.add(
                    checkpoint.id, Formatting.terminalSafe(checkpoint.name), "\(checkpoint.sequence)", Formatting.time(checkpoint.createdAt),
                    Formatting.truncate(Formatting.terminalSafe(CanonicalJSON.string(checkpoint.payload, numbers: .asWritten)), 60))
            }
            print(table.render())
        }
    }
}
