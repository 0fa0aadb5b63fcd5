import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Store, list, show, delete and check policy bundles.",
        subcommands: [Apply.self, List.self, Show.self, Delete.self, Check.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply", abstract: "Validate policy files and store every policy in them (replacing by name).")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "YAML or JSON policy files.") var files: [String]

        func validate() throws { if files.isEmpty { throw ValidationError("give at least one policy file") } }

        func run() async throws {
            // Validate everything before storing anything.
            var policies: [Policy] = []
            for file in files { policies += try PolicyParser.parse(try FileReading.text(file), file: file) }
            let store = try await storeOptions.openStore(creating: true)
            var records: [PolicyRecord] = []
            for policy in policies { records.append(try await store.upsertPolicy(policy)) }
            if output.json {
                Output.printJSON(.array(records.map(\.json)))
            } else {
                for record in records { print("applied policy \(record.name)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored policies, most recently changed first.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let records = try await storeOptions.openStore().listPolicies()
            if output.json { return Output.printJSON(.array(records.map(\.json))) }
            var table = TextTable("NAME", "BUDGET", "ALLOWLIST", "APPROVAL RULES", "UPDATED")
            for record in records {
                let policy = try? record.policy()
                table.add(
                    record.name, policy.map { BudgetText.describe($0.budget) } ?? "?",
                    policy.map { $0.toolAllowlist.map { $0.map(\.pattern).joined(separator: ",") } ?? "(all)" } ?? "?",
                    policy.map { $0.approvalRules.map(\.description).joined(separator: ", ") } ?? "?",
                    Formatting.time(record.updatedAt))
            }
            print(records.isEmpty ? "no policies stored; add one with `riskkernel policy apply FILE`" : table.render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a stored policy as JSON.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The policy's name.") var name: String

        func run() async throws {
            guard let record = try await storeOptions.openStore().policy(named: name) else { throw CLIError("no stored policy named \"\(name)\"") }
            Output.printJSON(record.json)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a stored policy.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The policy's name.") var name: String

        func run() async throws {
            guard try await storeOptions.openStore().deletePolicy(named: name) else { throw CLIError("no stored policy named \"\(name)\"") }
            print("deleted policy \(name)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate policy files without storing them.")
        @OptionGroup var output: OutputOptions
        @Argument(help: "YAML or JSON policy files.") var files: [String]

        func validate() throws { if files.isEmpty { throw ValidationError("give at least one policy file") } }

        func run() async throws {
            var failed = false
            var results: [JSONValue] = []
            for file in files {
                do {
                    let policies = try PolicyParser.parse(try FileReading.text(file), file: file)
                    results.append(["file": .string(file), "valid": true, "policies": .array(policies.map { .string($0.name) })])
                    if !output.json { print("\(file): ok (\(policies.map(\.name).joined(separator: ", ")))") }
                } catch {
                    failed = true
                    results.append(["file": .string(file), "valid": false, "error": .string("\(error)")])
                    if !output.json { Output.error("\(error)") }
                }
            }
            if output.json { Output.printJSON(.array(results)) }
            if failed { throw ExitCode(1) }
        }
    }
}

enum BudgetText {
    static func describe(_ budget: Budget) -> String {
        var parts: [String] = []
        if let tokens = budget.tokens { parts.append("\(tokens) tokens") }
        if let dollars = budget.dollars { parts.append(dollars.description) }
        if let loops = budget.loops { parts.append("\(loops) loops") }
        if let seconds = budget.seconds { parts.append("\(seconds)s") }
        return parts.isEmpty ? "unlimited" : parts.joined(separator: ", ")
    }
}
