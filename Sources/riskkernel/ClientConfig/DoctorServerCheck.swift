import Foundation
import RiskKernelCore

/// `doctor`'s look at one server entry of a client configuration.
struct DoctorServerCheck {
    var client: MCPClient
    var file: String
    var entry: ServerEntry

    var subject: String {
        "\(client.displayName) \(ClientConfigFiles.display(file))"
    }

    /// Where a wrapped entry's gateway keeps its records: its `--database-url` or `--db`, else the
    /// variables its `env` gives the gateway, else nil (the gateway's default, as doctor's own).
    func storeArguments(_ wrapped: WrappedServer) -> [String]? {
        if let url = wrapped.values(of: "--database-url").last { return ["--database-url", url] }
        if let db = wrapped.values(of: "--db").last { return ["--db", db] }
        let env = entry.node["env"]
        if let url = env?["RISKKERNEL_DATABASE_URL"]?.string, !url.isEmpty, !url.contains("${") { return ["--database-url", url] }
        if let db = env?["RISKKERNEL_DB"]?.string, !db.isEmpty, !db.contains("${") { return ["--db", db] }
        return nil
    }

    /// Checks the entry; `policies` gives the stored policy names of the entry's store (nil when
    /// that store could not be opened).
    func check(policies: Set<String>?, report: inout DoctorReport) {
        let name = Formatting.terminalSafe(entry.name)
        let rewrap = "`riskkernel unwrap --client \(client.rawValue) --server \(ShellQuote.quote(entry.name))`, then `riskkernel wrap` with the same options and the ones you want"
        switch entry.kind {
        case .remote(let why):
            report.ok("\(name): remote (\(why)); not governed by the gateway")
        case .unrecognised(let why):
            report.ok("\(name): not a stdio server entry (\(why)); left alone")
        case .stdio:
            report.warning(subject, "\(name): not wrapped; its tool calls do not go through the gateway",
                           fix: "`riskkernel wrap --client \(client.rawValue) --config \(ShellQuote.quote(file)) --server \(ShellQuote.quote(entry.name))`")
        case .wrapped(let wrapped):
            var fine = true
            if ExecutablePath.search(wrapped.executable, path: ProcessInfo.processInfo.environment["PATH"]) == nil {
                fine = false
                report.problem(subject, "\(name): the gateway binary \(wrapped.executable) is missing or not executable",
                               fix: "install riskkernel again (scripts/install), or \(rewrap)")
            }
            let path = entry.node["env"]?["PATH"]?.string ?? ProcessInfo.processInfo.environment["PATH"]
            let command = wrapped.upstream[0]
            let found = ExecutablePath.search(command, path: path)
            if found == nil {
                fine = false
                report.problem(subject, "\(name): the server's command \"\(Formatting.terminalSafe(command))\" is not found on PATH",
                               fix: "install it, or write its absolute path after \"--\" in the entry's args")
            }
            let passed = Set(wrapped.values(of: "--env").map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
            for variable in entry.environmentNames where !variable.hasPrefix("RISKKERNEL_") && !passed.contains(variable) {
                fine = false
                report.problem(subject, "\(name): its env sets \(variable), but the gateway does not pass it to the server",
                               fix: "add \"--env\", \"\(variable)\" before \"--\" in the entry's args, or \(rewrap)")
            }
            let policyNames = wrapped.values(of: "--policy")
            if let file = wrapped.values(of: "--policy-file").last {
                do {
                    let policies = try PolicyParser.parse(try FileReading.text(file), file: file)
                    if let wanted = policyNames.last, !policies.contains(where: { $0.name == wanted }) {
                        fine = false
                        report.problem(subject, "\(name): \(file) has no policy named \"\(wanted)\"", fix: "name one of \(policies.map(\.name).joined(separator: ", ")) with --policy")
                    }
                } catch {
                    fine = false
                    report.problem(subject, "\(name): its policy file is not usable: \(error)", fix: "fix the file (`riskkernel policy check FILE`)")
                }
            } else if let wanted = policyNames.last, let policies, !policies.contains(wanted) {
                fine = false
                report.problem(subject, "\(name): its policy \"\(wanted)\" is not stored in the gateway's database, so the gateway will not start",
                               fix: "store it: `riskkernel policy apply FILE\(storeArguments(wrapped).map { " " + $0.map(ShellQuote.quote).joined(separator: " ") } ?? "")` with the file that defines it")
            }
            if fine {
                let policy = policyNames.last.map { "policy \($0)" } ?? "the default policy"
                report.ok("\(name): wrapped (\(policy)); server command found: \(Formatting.terminalSafe(found ?? command))")
            }
        }
    }
}
