import ArgumentParser
import Foundation
import RiskKernelStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Bring the database schema up to date (every command also does this on open).")
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Only show which migrations are applied.") var status = false

    func run() async throws {
        let store = try await storeOptions.openStore(creating: true)
        let (applied, known) = try await store.migrationStatus()
        if output.json {
            return Output.printJSON(["database": .string(store.databaseDescription), "applied": .array(applied.map { .string($0) }), "known": .array(known.map { .string($0) })])
        }
        print("database \(store.databaseDescription)")
        for migration in known { print("  \(applied.contains(migration) ? "applied" : "pending")  \(migration)") }
        if !status { print("schema is up to date") }
    }
}
