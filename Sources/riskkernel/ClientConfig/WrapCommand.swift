import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct WrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrap",
        abstract: "Put each MCP server of a client's configuration behind the gateway.",
        discussion: """
            Each stdio server entry is rewritten to start `riskkernel gateway` (this binary's absolute path) \
            with --server-name set to the entry's name, the given policy and store options, --env NAME for \
            each variable of the entry's env, then `--` and the entry's own command and arguments. The env \
            stays. Remote entries (url, http, sse) are left alone and listed; wrapped entries are recognised, \
            so a second run changes nothing. Only those values change: the rest of the file stays as it was. \
            The file is replaced atomically, and the file as it was is kept beside it \
            (FILE.riskkernel-backup). `riskkernel unwrap` puts the entries back.

              riskkernel wrap --client claude-desktop --policy dev --dry-run

              riskkernel wrap --client claude-code --server git
            """)

    @OptionGroup var options: ClientConfigOptions

    @Option(help: ArgumentHelp("The stored policy the gateway runs under (default: a permissive one that records everything).", valueName: "name"))
    var policy: String?

    @Option(help: ArgumentHelp("The SQLite database the gateway uses (default: the gateway's own default).", valueName: "path"))
    var db: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp("A PostgreSQL database for the gateway instead of SQLite.", valueName: "url"))
    var databaseURL: String?

    func validate() throws {
        if db != nil, databaseURL != nil { throw ValidationError("give --db or --database-url, not both") }
        if let policy, policy.isEmpty { throw ValidationError("--policy must not be empty") }
    }

    func run() async throws {
        let wrapping = GatewayWrapping(
            executable: ExecutablePath.current(), policy: policy,
            db: db.map(StorePaths.absolute), databaseURL: databaseURL)
        try ClientConfigRewrite.run(options, verb: "wrap") { text, format, only in
            try ClientConfigEditor.wrap(text, format: format, wrapping: wrapping, only: only)
        }
        if let policy { await checkStored(policy: policy) }
    }

    /// Says so when the policy the gateways will ask for is not in their database: they would not start.
    func checkStored(policy: String) async {
        var arguments: [String] = []
        if let db { arguments = ["--db", StorePaths.absolute(db)] }
        if let databaseURL { arguments = ["--database-url", databaseURL] }
        guard let options = try? StoreOptions.parse(arguments) else { return }
        let shown = options.resolvedDatabaseURL.map(PostgresStoreConfiguration.redacted) ?? options.resolvedPath
        do {
            let exists = options.resolvedDatabaseURL != nil || FileManager.default.fileExists(atPath: options.resolvedPath)
            if exists, try await options.openStore().policy(named: policy) != nil { return }
            print("note: no policy named \"\(policy)\" is stored in \(shown) yet; store it before the client starts the gateway: riskkernel policy apply FILE\(arguments.isEmpty ? "" : " " + arguments.map(ShellQuote.quote).joined(separator: " "))")
        } catch {
            print("note: could not check that policy \"\(policy)\" is stored in \(shown): \(error)")
        }
    }
}
