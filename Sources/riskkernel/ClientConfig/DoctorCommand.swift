import ArgumentParser
import Foundation
import RiskKernelCore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the store, the policies and the client configurations, and say what to fix.",
        discussion: """
            The store opens (its schema brought up to date) and every run's hash chain is intact; every \
            stored policy is valid; in each client configuration found (or the one given), each wrapped \
            server's gateway binary and command are found, its env variables are passed on, and its policy \
            is stored in its gateway's database; servers that are not wrapped are listed. Exit status 1 \
            when there is a problem (warnings alone leave it 0).
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Only this client's configuration (default: every client's that exists).", valueName: "client"))
    var client: MCPClient?

    @Option(help: ArgumentHelp("Check this configuration file (with --client).", valueName: "file"))
    var config: String?

    func validate() throws {
        if config != nil, client == nil { throw ValidationError("--config needs --client, which says how to read the file") }
    }

    func run() async throws {
        var report = DoctorReport()
        let ownPolicies = await DoctorStoreCheck.check(storeOptions, report: &report)
        var storePolicies: [String: Set<String>?] = [DoctorCommand.identity(of: storeOptions): ownPolicies]

        var otherStores = DoctorReport()  // stores that entries name, reported after the clients
        var checked = 0
        for client in client.map({ [$0] }) ?? MCPClient.allCases {
            let files = config.map { [$0] } ?? ClientConfigFiles.candidates(for: client).filter { FileManager.default.fileExists(atPath: $0) }
            for file in files {
                checked += 1
                let subject = "\(client.displayName) \(ClientConfigFiles.display(file))"
                report.heading(subject)
                let document: JSONText
                do {
                    document = try JSONText(try FileReading.text(file))
                } catch {
                    report.problem(subject, "cannot be read: \(error)", fix: "fix the file (the client cannot read it either), or restore \(ConfigFileWriter.backupPath(for: file)) if riskkernel wrote it")
                    continue
                }
                let entries = ServerEntry.all(in: document, format: client.format(ofFile: file))
                if entries.isEmpty { report.ok("no MCP server entries") }
                for entry in entries {
                    let check = DoctorServerCheck(client: client, file: file, entry: entry)
                    var policies: Set<String>? = ownPolicies
                    if case .wrapped(let wrapped) = entry.kind, let arguments = check.storeArguments(wrapped) {
                        let options = try StoreOptions.parse(arguments)
                        if let known = storePolicies[DoctorCommand.identity(of: options)] {
                            policies = known
                        } else {
                            var nested = DoctorReport()
                            policies = await DoctorStoreCheck.check(options, report: &nested)
                            storePolicies[DoctorCommand.identity(of: options)] = policies
                            otherStores.absorb(nested)
                        }
                    }
                    check.check(policies: policies, report: &report)
                }
            }
        }
        report.absorb(otherStores)
        if checked == 0 {
            report.heading("clients")
            report.warning("clients", "no MCP client configuration found", fix: "`riskkernel wrap --client NAME` (\(MCPClient.allCases.map(\.rawValue).joined(separator: ", "))), or give a file with --client NAME --config FILE")
        }
        print(report.render())
        if !report.problems.isEmpty { throw ExitCode(1) }
    }

    /// The database `options` open, so that a store is checked once however it is named.
    static func identity(of options: StoreOptions) -> String {
        options.resolvedDatabaseURL.map { "postgres " + $0 } ?? options.resolvedPath
    }
}
