import ArgumentParser
import Foundation
import Logging
import RiskKernelConsole
import RiskKernelModelProxy
import RiskKernelStore

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve a local web page that shows held calls the moment they appear and decides them, with runs and spend.",
        discussion: """
            At start it prints a login URL with a one-time token on stderr:

              riskkernel console: open http://127.0.0.1:8787/login?token=…

            Opening it signs the browser in (an HttpOnly, SameSite=Strict session cookie); the token does not work twice. Decisions are recorded under the name the page asks for once (default: $USER).

            Pages: / (approvals, live), /runs, /runs/ID, /spend. The JSON API the page uses (same shapes as the CLI's --json): GET /api/approvals?status=, POST /api/approvals/ID/approve|deny with {"reason", "scope"}, GET /api/runs, GET /api/runs/ID, GET /api/usage?by=, GET /api/events (server-sent events). Every /api request needs the session (401 otherwise); every POST needs the session's CSRF token in X-CSRF-Token and an Origin of the console (403 otherwise). See Protocol/console.md.

            Loopback only by default: a non-loopback --listen needs --allow-remote, and anyone who can reach the port and holds the login URL can decide.

            Exit status: 0 on SIGTERM or SIGINT; 2 when the console cannot start (a database or address it cannot use); 64 when the command line itself is wrong.
            """)

    @Option(help: ArgumentHelp("The address to listen on (port 0 picks a free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8787"

    @Flag(help: "Allow a --listen address that is not loopback.")
    var allowRemote = false

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("How much to log on stderr (default: notice, or $RISKKERNEL_LOG_LEVEL).", valueName: "level"))
    var logLevel: Logger.Level?

    func validate() throws {
        guard let address = LLMProxyConfiguration.parseListen(listen) else {
            throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8787 (got \(listen))")
        }
        if !Console.isLoopback(address.host), !allowRemote {
            throw ValidationError("--listen \(listen) is not a loopback address: give --allow-remote to serve the console beyond this machine")
        }
    }

    func run() async throws {
        let logger = LogSetup.logger(level: logLevel)
        let address = LLMProxyConfiguration.parseListen(listen)!
        if !Console.isLoopback(address.host) {
            Output.error("riskkernel console: warning: listening on \(address.host), beyond this machine: anyone who can reach it and holds the login URL can decide calls; the connection is not encrypted")
        }
        let store: any Store & StoreChangeObserving
        do {
            // The console records itself in the store (for the links in pending notices), so it may create it.
            guard let opened = try await storeOptions.openStore(creating: true) as? any Store & StoreChangeObserving else {
                throw CLIError("this store cannot signal changes")
            }
            store = opened
        } catch {
            throw GatewayCommand.cannotStart(error)
        }
        let configuration = Console.Configuration(
            host: address.host, port: address.port, allowRemote: allowRemote,
            defaultDecider: ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "console",
            storeOptions: storeOptions.commandOptions)
        do {
            try await Console.run(configuration: configuration, store: store, logger: logger) { origin, loginURL in
                Output.error("riskkernel console: listening on \(origin)")
                Output.error("riskkernel console: open \(loginURL)")
            }
        } catch {
            throw GatewayCommand.cannotStart(error)
        }
    }
}
