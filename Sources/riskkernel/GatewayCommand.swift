import ArgumentParser
import Foundation
import Logging
import RiskKernelCore
import RiskKernelGateway
import RiskKernelStore
import RiskKernelTelemetry

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve MCP on stdio in front of an upstream server, governing every tool call.",
        discussion: """
            Put the upstream server's command after `--`:

              riskkernel gateway --policy dev -- uvx mcp-server-git --repository .

            Each gateway process is one run. stdout carries protocol messages only; logs go to stderr.

            Exit status: 0 after the client closes stdin or on SIGTERM or SIGINT; 1 when the upstream server exits on its own (in-flight calls fail, the run is marked failed; it is not restarted); 2 when the gateway cannot start (a policy, database, file or upstream command it cannot use); 64 when the command line itself is wrong (an unknown option, a bad value).
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("A stored policy (see `riskkernel policy apply`), or one in --policy-file.", valueName: "name"))
    var policy: String?

    @Option(help: ArgumentHelp("Read the policy from this YAML or JSON file.", valueName: "file"))
    var policyFile: String?

    @Option(help: ArgumentHelp("A JSON price file that adds to or overrides the built-in prices.", valueName: "file"))
    var prices: String?

    @Option(help: "Override the policy's token budget (prompt + completion).")
    var budgetTokens: Int64?

    @Option(help: ArgumentHelp("Override the policy's dollar budget (e.g. 2.50).", valueName: "dollars"))
    var budgetDollars: String?

    @Option(help: "Override the policy's loop budget (agent steps).")
    var budgetLoops: Int64?

    @Option(help: "Override the policy's time budget in seconds.")
    var budgetSeconds: Int64?

    @Option(help: "A name for this run (used by `usage --by name`).")
    var runName: String?

    @Option(help: ArgumentHelp("Resume this run after a crash, with its usage, budget and pending approvals.", valueName: "id"))
    var runId: String?

    @Option(help: ArgumentHelp("Make this run a child of another (its spend counts against the parent's budget).", valueName: "id"))
    var parentRun: String?

    @Option(help: ArgumentHelp(
        "Record into this session: its run (created with this policy by whoever uses the key first, gateway or `riskkernel llm-proxy` at /sessions/KEY) is this run's parent, so the agent's tool calls and model calls share its budget.",
        valueName: "key"))
    var session: String?

    @Option(help: ArgumentHelp("Attach metadata to the run (repeatable).", valueName: "key=value"))
    var metadata: [String] = []

    @Option(help: ArgumentHelp(
        "How long an approval can be decided and used: the agent's identical retry attaches to it until then (default: the policy's spec.approvals.timeout, else 3600).",
        valueName: "seconds"))
    var approvalTimeout: Double?

    @Option(help: ArgumentHelp(
        "How long a held call waits for a decision before it is answered with a pending result naming the approval; keep it below the client's tool-call timeout (default: the policy's spec.approvals.hold, else 25).",
        valueName: "seconds"))
    var approvalHold: Double?

    @Option(help: ArgumentHelp("Tell people of new approvals on the desktop: desktop (notify-send on Linux, osascript on macOS); with the policy's spec.approvals.notify.", valueName: "desktop"))
    var notify: [String] = []

    @Option(help: ArgumentHelp("POST each new approval as JSON to this URL (Slack incoming webhooks show its text field); repeatable.", valueName: "url"))
    var notifyWebhook: [String] = []

    @Option(help: ArgumentHelp("Run this command (no shell) for each new approval, with the approval as JSON on its stdin; repeatable.", valueName: "command"))
    var notifyCommand: [String] = []

    @Option(help: ArgumentHelp("The longest message accepted on either side, in bytes.", valueName: "bytes"))
    var maxLineBytes: Int = 16 * 1024 * 1024

    @Option(help: ArgumentHelp("Checkpoints the gateway takes by itself: steps, policy (on a resume under another policy), or none; repeatable.", valueName: "kind"))
    var autoCheckpoint: [String] = ["steps", "policy"]

    @Option(help: "The most checkpoints one run may hold.")
    var maxCheckpoints: Int = 1000

    @Option(help: ArgumentHelp("Give the upstream this variable from the gateway's environment (NAME) or this value (NAME=VALUE); repeatable. By default it gets only PATH, HOME, USER, LOGNAME, SHELL, TERM, TMPDIR, TZ, LANG and LC_*.", valueName: "name[=value]"))
    var env: [String] = []

    @Option(help: ArgumentHelp("Give the upstream the NAME=VALUE lines of this file.", valueName: "file"))
    var envFile: String?

    @Flag(help: "Give the upstream the gateway's whole environment (RISKKERNEL_* variables still only when named with --env).")
    var inheritEnv = false

    @Option(help: ArgumentHelp("The upstream server's identity for tool pinning (default: its command line). Pins are kept per name; what the server says about itself is never used.", valueName: "name"))
    var serverName: String?

    @Option(help: ArgumentHelp("Export a span per tool call and model call to this OTLP/HTTP collector (e.g. http://localhost:4318; spans go to its /v1/traces). Without it the OTEL_EXPORTER_OTLP_* variables decide; with neither, nothing is exported.", valueName: "url"))
    var otelEndpoint: String?

    @Flag(help: "Put tool call arguments and results (secrets redacted) in the exported spans.")
    var otelIncludeContent = false

    @Option(help: ArgumentHelp("How much to log on stderr (default: notice, or $RISKKERNEL_LOG_LEVEL).", valueName: "level"))
    var logLevel: Logger.Level?

    @Option(help: ArgumentHelp("Seal every run's chain head this often (see `riskkernel audit seal`), and once more on exit; needs --key.", valueName: "seconds"))
    var sealEvery: Double?

    @Option(help: ArgumentHelp("The key directory that signs the seals of --seal-every.", valueName: "dir"))
    var key: String?

    @Option(help: ArgumentHelp("The seal file of --seal-every (default: seals.jsonl in the key directory).", valueName: "file"))
    var seals: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The upstream MCP server's command and arguments, after `--`.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the upstream server's command after `--`, e.g. `riskkernel gateway -- uvx mcp-server-time`") }
        if let approvalTimeout, !(approvalTimeout > 0) { throw ValidationError("--approval-timeout must be positive") }
        if let approvalHold, !(approvalHold > 0) { throw ValidationError("--approval-hold must be positive") }
        for target in notify where target != "desktop" { throw ValidationError("--notify takes desktop (got \(target)); use --notify-webhook URL or --notify-command CMD for the others") }
        for url in notifyWebhook where !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
            throw ValidationError("--notify-webhook must be an http or https URL (got \(url))")
        }
        guard maxLineBytes >= 1024 else { throw ValidationError("--max-line-bytes must be at least 1024") }
        if let budgetDollars, Money(dollars: budgetDollars) == nil { throw ValidationError("--budget-dollars must be an amount like 2.50") }
        if runId != nil, parentRun != nil { throw ValidationError("--parent-run applies to new runs; a resumed run keeps its parent") }
        if let session {
            guard SessionRuns.isValidKey(session) else {
                throw ValidationError("--session takes 1 to 128 letters, digits, '.', '_', '-', ':' or '@' (got \(session))")
            }
            if runId != nil { throw ValidationError("--session applies to new runs; a resumed run keeps its parent") }
            if parentRun != nil { throw ValidationError("--session and --parent-run both name the parent run; give one") }
        }
        for entry in metadata where !entry.contains("=") { throw ValidationError("--metadata takes KEY=VALUE, got \(entry)") }
        for kind in autoCheckpoint where !["steps", "policy", "none"].contains(kind) {
            throw ValidationError("--auto-checkpoint takes steps, policy or none, got \(kind)")
        }
        if let serverName, serverName.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--server-name must not be empty") }
        guard maxCheckpoints >= 0 else { throw ValidationError("--max-checkpoints must not be negative") }
        if let sealEvery, !(sealEvery > 0) { throw ValidationError("--seal-every must be a positive number of seconds") }
        if sealEvery != nil, key == nil { throw ValidationError("--seal-every needs --key DIR (the key that signs the seals)") }
        if sealEvery == nil, key != nil || seals != nil { throw ValidationError("--key and --seals apply to --seal-every") }
    }

    func run() async throws {
        HeapTuning.apply()
        let logger = LogSetup.logger(level: logLevel)
        let upstreamEnvironment: [String: String]
        do {
            upstreamEnvironment = try buildUpstreamEnvironment()
        } catch {
            throw Self.cannotStart(error)
        }
        // Started first, so that the server's own start-up overlaps the gateway's (store, policy, prices).
        let spawned = Result { try UpstreamProcess(command: command, environment: upstreamEnvironment) }
        let prepared: (configuration: GatewayConfiguration, store: any Store, tracer: (any GatewayTracer)?)
        do {
            prepared = try await prepare(upstreamEnvironment: upstreamEnvironment, logger: logger)
        } catch {
            if case .success(let upstream) = spawned { _ = await upstream.shutDown(grace: .seconds(1)) }
            throw Self.cannotStart(error)
        }
        let sealer: PeriodicSealer?
        do {
            sealer = try sealEvery.map { seconds in
                PeriodicSealer(sealer: try ChainSealer(key: key!, seals: seals, store: prepared.store), every: seconds, logger: logger)
            }
        } catch {
            if case .success(let upstream) = spawned { _ = await upstream.shutDown(grace: .seconds(1)) }
            throw Self.cannotStart(error)
        }
        let status = await PeriodicSealer.running(sealer) {
            await Gateway.run(configuration: prepared.configuration, store: prepared.store, logger: logger, tracer: prepared.tracer, spawned: spawned)
        }
        await prepared.tracer?.shutdown()
        if status != 0 { throw ExitCode(status) }
    }

    /// A gateway that cannot start (a policy, database, file or option value it cannot use) says
    /// why on stderr and exits with status 2, as its help promises.
    static func cannotStart(_ error: any Error) -> ExitCode {
        Output.error("Error: \(error)")
        return ExitCode(2)
    }

    /// Everything the gateway needs besides its upstream: the tracer, the store, the policy, the prices.
    func prepare(upstreamEnvironment: [String: String], logger: Logger) async throws -> (GatewayConfiguration, any Store, (any GatewayTracer)?) {
        let tracer = try GatewayTelemetry.makeTracer(endpoint: otelEndpoint, includeContent: otelIncludeContent, logger: logger)
        if inheritEnv { logger.warning("--inherit-env: the upstream server gets every variable of the gateway's environment") }
        let store = try await storeOptions.openStore(maxCheckpointsPerRun: maxCheckpoints, creating: true)
        let overridden = budgetTokens != nil || budgetDollars != nil || budgetLoops != nil || budgetSeconds != nil
        let (policy, reference) = try await PolicySource.load(name: policy, file: policyFile, store: store, budgetOverridden: overridden)
        // A price file is read and checked now (a bad one stops the start); the built-in table is
        // parsed on the first model call recorded.
        let added = try prices.map { try PriceTable.load(data: try FileReading.read($0), file: $0) }
        let priceTable = DeferredPriceTable {
            let builtIn = try PriceTable.builtIn()
            return added.map(builtIn.merging) ?? builtIn
        }
        let overrides = Budget(
            tokens: budgetTokens, dollars: budgetDollars.flatMap { Money(dollars: $0) }, loops: budgetLoops, seconds: budgetSeconds)
        var runMetadata: [String: String] = [:]
        for entry in metadata {
            let parts = entry.split(separator: "=", maxSplits: 1)
            runMetadata[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        var parentRunId = parentRun
        if let session {
            // The session's run, created with this policy's budget if this gateway is its first user.
            parentRunId = try await SessionRuns.open(key: session, policyRef: reference, budget: policy.budget.overridden(by: overrides), in: store).id
            runMetadata[SessionRuns.metadataKey] = session
        }
        let configuration = GatewayConfiguration(
            upstreamCommand: command, serverName: serverName, upstreamEnvironment: upstreamEnvironment, policy: policy, budget: policy.budget.overridden(by: overrides), policyRef: reference,
            prices: priceTable, resumeRunId: runId, runName: runName, parentRunId: parentRunId, metadata: runMetadata,
            approvalTimeout: approvalTimeout.map { .milliseconds(Int64($0 * 1000)) }, approvalHold: approvalHold.map { .milliseconds(Int64($0 * 1000)) },
            approvalNotify: notify.map { _ in .desktop } + notifyWebhook.map { .webhook($0) } + notifyCommand.map { .command($0) },
            maxLineBytes: maxLineBytes,
            storeCommandOptions: storeOptions.commandOptions,
            autoCheckpoints: autoCheckpoint.contains("none") ? [] : AutoCheckpoints(autoCheckpoint.map { $0 == "steps" ? .steps : .policyChange }))
        return (configuration, store, tracer)
    }
}

extension GatewayCommand {
    func buildUpstreamEnvironment() throws -> [String: String] {
        do {
            let (names, optionAssignments) = try UpstreamEnvironment.parseOptions(env)
            let fileAssignments = try envFile.map { try UpstreamEnvironment.parseFile(try FileReading.text($0), file: $0) } ?? []
            let assignments = fileAssignments + optionAssignments
            return UpstreamEnvironment.build(
                from: ProcessInfo.processInfo.environment, passThrough: names, assignments: assignments, inheritAll: inheritEnv)
        } catch let problem as UpstreamEnvironment.Problem {
            throw CLIError(problem.description)
        }
    }
}

/// Finds the policy a gateway runs under.
enum PolicySource {
    /// `--policy-file` (choosing `--policy` among several documents), else the stored `--policy`,
    /// else a permissive policy named `default` (with a warning that says whether `--budget-*`
    /// options set a budget for it).
    static func load(name: String?, file: String?, store: any Store, budgetOverridden: Bool = false) async throws -> (Policy, String) {
        if let file {
            let policies = try PolicyParser.parse(try FileReading.text(file), file: file)
            if let name {
                guard let policy = policies.first(where: { $0.name == name }) else {
                    throw CLIError("\(file): has no policy named \"\(name)\" (it has: \(policies.map(\.name).joined(separator: ", ")))")
                }
                return (policy, "\(file)#\(name)")
            }
            guard policies.count == 1 else {
                throw CLIError("\(file): holds \(policies.count) policies; choose one with --policy NAME")
            }
            return (policies[0], "\(file)#\(policies[0].name)")
        }
        if let name {
            guard let record = try await store.policy(named: name) else {
                throw CLIError("no stored policy named \"\(name)\"; store it with `riskkernel policy apply FILE` or pass --policy-file")
            }
            return (try record.policy(), name)
        }
        Output.error(budgetOverridden
            ? "riskkernel: no --policy given: every tool is allowed, within the budget the --budget-* options set (calls are still recorded)"
            : "riskkernel: no --policy given: every tool is allowed and no budget applies (calls are still recorded)")
        var policy = Policy.permissive
        policy.name = "default"
        return (policy, "default")
    }
}

enum FileReading {
    static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the file") }
        return data
    }

    static func text(_ path: String) throws -> String {
        guard let text = String(data: try read(path), encoding: .utf8) else { throw CLIError("\(path): not UTF-8 text") }
        return text
    }
}
