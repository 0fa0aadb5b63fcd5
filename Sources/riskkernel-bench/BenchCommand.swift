import ArgumentParser
import Foundation
import RiskKernelCore

#if canImport(Glibc)
import Glibc
#endif

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskkernel-bench",
        abstract: "Measure the RiskKernel gateway beside a direct connection and FastMCP's proxy, on one fast upstream.",
        subcommands: [RunCommand.self, UpstreamCommand.self, RelayCommand.self, HTTPRelayCommand.self, CrashWriterCommand.self, LLMProxyBenchCommand.self, ResultDigestCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// The figures the suite can measure (`--only`).
enum Figure: String, CaseIterable, ExpressibleByArgument {
    case latency, throughput, spawn, memory, ledger, usage, approval
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmarks and print each figure with its ratio to a direct connection.",
        discussion: """
            Figures: latency (sequential calls, one in flight, per message size), throughput (64 calls in
            flight), spawn (spawn to initialize response), memory (gateway RSS over many calls), ledger
            (store appends per second, and a crash check), usage (`riskkernel usage --by model` over a
            large ledger), approval (release after `riskkernel approvals approve` returns).
            Targets for latency and throughput: direct, a bare relay (a process that copies bytes both
            ways and does nothing else: the floor of any stdio proxy), gateway (default policy: secrets
            scanned, every decision and outcome committed to the ledger), the same gateway exporting
            OpenTelemetry spans to a local OTLP/HTTP receiver, gateway with the secrets scan off,
            gateway refusing by policy, and FastMCP's proxy (needs `fastmcp` in the Python given by
            --python).
            """)

    @Flag(help: "A short run (fewer calls and rows): about a minute.")
    var quick = false

    @Option(name: .customLong("only"), parsing: .upToNextOption, help: "Measure only these figures (latency throughput spawn memory ledger usage approval).")
    var only: [Figure] = []

    @Option(help: ArgumentHelp("Message sizes in bytes for latency (comma-separated).", valueName: "sizes"))
    var sizes: String?

    @Flag(help: "Leave FastMCP's proxy out.")
    var noFastmcp = false

    @Option(help: ArgumentHelp("The riskkernel binary (default: next to this one).", valueName: "path"))
    var riskkernel: String?

    @Option(help: ArgumentHelp("Python with fastmcp installed (default: .venv/bin/python).", valueName: "path"))
    var python: String = ".venv/bin/python"

    @Option(help: ArgumentHelp("The FastMCP proxy script.", valueName: "path"))
    var fastmcpScript: String = "scripts/bench-fastmcp-proxy.py"

    @Option(help: "Ledger rows for the usage figure (default 1,000,000).")
    var usageRows: Int?

    @Option(help: "Calls for the memory figure (default 100,000).")
    var memoryCalls: Int?

    @Flag(help: "Keep the working folder (databases, logs) and print where it is.")
    var keep = false

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        var suite = try Suite(options: self)
        try await suite.runAll()
    }
}

/// What was measured, for the summary.
struct Results {
    var latency: [String: [Int: Samples]] = [:]
    /// CPU seconds the process the client talks to used per sequential call (warm-up included).
    var cpuPerCall: [String: [Int: Double]] = [:]
    var throughput: [String: [Int: Throughput]] = [:]
    var peakKiB: [String: Int] = [:]
    var spawn: [String: Samples] = [:]
    var memorySamples: [(calls: Int, rssKiB: Int, hwmKiB: Int)] = []
    var memoryCalls = 0
    var ledger: LedgerFigures?
    var crash: CrashCheck?
    var usageSeconds: Samples?
    var usageRows = 0
    var usageBuildSeconds = 0.0
    var approval: Samples?
    var approveCommand: Samples?
    /// Microseconds per SQLite commit with nothing around it (StoreBench.commitFloor).
    var commitFloor: Double?
    /// The store's share of a governed call, one call per group and 64 per group: microseconds of
    /// wall time and of CPU per call (StoreBench.governedCallWrites).
    var storeShare: [Int: (wall: Double, cpu: Double)] = [:]
}

struct Suite {
    let quick: Bool
    let figures: Set<Figure>
    let sizes: [Int]
    let benchExecutable: String
    let riskkernel: String
    let python: String
    let fastmcpScript: String
    let withFastMCP: Bool
    let workDirectory: String
    let keep: Bool
    let log: String
    let usageRows: Int
    let memoryCalls: Int
    /// The collector the traced gateway exports its spans to.
    let otlpSink: OTLPSink?
    var results = Results()

    init(options: RunCommand) throws {
        quick = options.quick
        figures = options.only.isEmpty ? Set(Figure.allCases) : Set(options.only)
        sizes = try options.sizes.map { text in
            try text.split(separator: ",").map { part in
                guard let size = Int(part.trimmingCharacters(in: .whitespaces)), size >= 64 else {
                    throw ValidationError("--sizes takes byte counts of at least 64, got \(part)")
                }
                return size
            }
        } ?? [100, 1024, 10 * 1024, 100 * 1024, 1 << 20]
        benchExecutable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = (benchExecutable as NSString).deletingLastPathComponent
        riskkernel = options.riskkernel ?? directory + "/riskkernel"
        guard FileManager.default.isExecutableFile(atPath: riskkernel) else {
            throw ValidationError("no riskkernel binary at \(riskkernel); build it (swift build -c release --product riskkernel) or pass --riskkernel")
        }
        python = options.python
        fastmcpScript = options.fastmcpScript
        var withFastMCP = !options.noFastmcp && (figures.contains(.latency) || figures.contains(.throughput) || figures.contains(.spawn))
        if withFastMCP, !FileManager.default.isExecutableFile(atPath: python) || !FileManager.default.fileExists(atPath: fastmcpScript) {
            FileHandle.standardError.write(Data("riskkernel-bench: no \(python) or \(fastmcpScript): FastMCP's proxy is left out (scripts/bench installs it)\n".utf8))
            withFastMCP = false
        }
        self.withFastMCP = withFastMCP
        workDirectory = NSTemporaryDirectory() + "riskkernel-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        keep = options.keep
        log = workDirectory + "/stderr.log"
        usageRows = options.usageRows ?? (options.quick ? 100_000 : 1_000_000)
        memoryCalls = options.memoryCalls ?? (options.quick ? 20_000 : 100_000)
        otlpSink = figures.contains(.latency) || figures.contains(.throughput) ? try OTLPSink() : nil
    }

    // MARK: Targets

    func policyFile(_ name: String, _ spec: String) throws -> String {
        let path = "\(workDirectory)/\(name).yaml"
        let text = "apiVersion: riskkernel/v1\nkind: Policy\nmetadata:\n  name: \(name)\nspec:\n\(spec)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var upstream: [String] { [benchExecutable, "upstream"] }

    func gateway(_ label: String, policy: String, database: String, options: [String] = []) -> [String] {
        [riskkernel, "gateway", "--db", database, "--policy-file", policy, "--log-level", "error", "--run-name", "bench-\(label)"] + options + ["--"] + upstream
    }

    func targets() throws -> [Target] {
        let allow = try policyFile("bench-allow", "  sideEffects:\n    echo: read\n")
        let secretsOff = try policyFile("bench-secrets-off", "  secrets:\n    arguments: \"off\"\n    results: \"off\"\n")
        let deny = try policyFile("bench-deny", "  toolAllowlist: [\"some_other_tool\"]\n")
        var targets = [
            Target(name: "direct", kind: .direct, command: upstream),
            Target(name: "bare relay", kind: .direct, command: [benchExecutable, "relay", "--"] + upstream),
            Target(name: "gateway", kind: .gateway, command: gateway("allow", policy: allow, database: "\(workDirectory)/gateway.sqlite")),
        ]
        if let otlpSink {
            let command = gateway("traced", policy: allow, database: "\(workDirectory)/traced.sqlite", options: ["--otel-endpoint", otlpSink.endpoint])
            targets.append(Target(name: "gateway traced", kind: .gateway, command: command))
        }
        targets += [
            Target(name: "gateway secrets off", kind: .gateway, command: gateway("secrets-off", policy: secretsOff, database: "\(workDirectory)/secrets-off.sqlite")),
            Target(name: "gateway denied", kind: .gateway, command: gateway("deny", policy: deny, database: "\(workDirectory)/deny.sqlite"), refuses: true),
        ]
        if withFastMCP {
            targets.append(Target(name: "fastmcp proxy", kind: .fastmcp, command: [python, fastmcpScript] + upstream))
        }
        return targets
    }

    // MARK: Running

    mutating func runAll() async throws {
        let started = nowNanos()
        say("riskkernel-bench: \(quick ? "quick" : "full") run; figures: \(Figure.allCases.filter(figures.contains).map(\.rawValue).joined(separator: ", "))")
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) at start (other work on the machine inflates every figure)")
        say("gateway: \(shown(riskkernel))\nupstream: \(shown(benchExecutable)) upstream\(withFastMCP ? "\nfastmcp: \(python) \(fastmcpScript)" : "")\n")
        if figures.contains(.latency) || figures.contains(.throughput) {
            try proxies()
            try await storeShare()
        }
        if figures.contains(.spawn) { try spawn() }
        if figures.contains(.memory) { try memory() }
        if figures.contains(.ledger) { try await ledger() }
        if figures.contains(.usage) { try await usage() }
        if figures.contains(.approval) { try approval() }
        summary()
        say(String(format: "\ntotal time %.0f s", Double(nowNanos() - started) / 1e9))
        if keep {
            say("working folder kept: \(workDirectory)")
        } else {
            try? FileManager.default.removeItem(atPath: workDirectory)
        }
    }

    /// A path as printed: relative to the current directory when it lies below it, so that the
    /// output can be pasted without naming the machine's folders.
    func shown(_ path: String) -> String {
        let directory = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(directory) ? String(path.dropFirst(directory.count)) : path
    }

    func sequentialCount(_ size: Int) -> Int {
        let full = size <= 1024 ? 5000 : size <= 16 * 1024 ? 2000 : size <= 128 * 1024 ? 300 : 40
        return quick ? max(10, full / 10) : full
    }

    mutating func proxies() throws {
        let pipelinedSizes = [100, 10 * 1024]
        if figures.contains(.latency) {
            note("SQLite commit floor")
            let floor = try StoreBench.commitFloor(path: "\(workDirectory)/commit-floor.sqlite", commits: quick ? 2000 : 20000)
            results.commitFloor = floor
            say("## SQLite commit floor: one insert (two extra indexes) and one update per transaction, WAL, synchronous=NORMAL")
            say("\(fmtMicros(floor)) per commit (\(fmtRate(1e6 / floor)) commits/s, one after another)\n")
        }
        for target in try targets() {
            note("\(target.name): starting")
            let child = try Child(target.command, stderrPath: log)
            try child.initialize()
            var nextId = 1
            if figures.contains(.latency) {
                for size in sizes {
                    let count = sequentialCount(size)
                    let warmup = max(5, min(200, count / 10))
                    let cpuBefore = child.cpuSeconds()
                    let samples = try ProxyBench.sequential(child, target: target, size: size, warmup: warmup, count: count, nextId: &nextId)
                    results.latency[target.name, default: [:]][size] = samples
                    results.cpuPerCall[target.name, default: [:]][size] = (child.cpuSeconds() - cpuBefore) / Double(warmup + count)
                    note("\(target.name) \(fmtSize(size)): median \(fmtMicros(samples.median)), p99 \(fmtMicros(samples.p99))")
                }
            }
            if figures.contains(.throughput) {
                for size in pipelinedSizes {
                    let count = quick ? 5000 : 30000
                    let result = try ProxyBench.pipelined(
                        child, target: target, size: size, window: 64, count: count, timeLimit: quick ? 3 : 8, nextId: &nextId)
                    results.throughput[target.name, default: [:]][size] = result
                    note("\(target.name) \(fmtSize(size)) ×64: \(fmtRate(result.perSecond)) calls/s")
                }
            }
            if target.kind == .gateway { results.peakKiB[target.name] = child.memory().peak }
            child.finish()
        }
        if figures.contains(.latency) { printLatency() }
        if figures.contains(.throughput) { printThroughput() }
        if figures.contains(.latency) { printSecrets() }
        if figures.contains(.latency) { printTracing() }
    }

    func printLatency() {
        say("## Sequential tools/call round trip (1 in flight)")
        say("(CPU/call: user and system time of the process the client talks to, the upstream's own excluded for a proxy)")
        var table = Table("size", "target", "median", "p99", "added median", "added p99", "calls/s", "CPU/call", "n")
        for size in sizes {
            let direct = results.latency["direct"]?[size]
            for (name, bySize) in results.latency.sorted(by: { order($0.key) < order($1.key) }) {
                guard let samples = bySize[size] else { continue }
                let added = direct.map { (samples.median - $0.median, samples.p99 - $0.p99) }
                table.add(
                    fmtSize(size), name, fmtMicros(samples.median), fmtMicros(samples.p99),
                    name == "direct" ? "" : added.map { fmtMicros($0.0) } ?? "-", name == "direct" ? "" : added.map { fmtMicros($0.1) } ?? "-",
                    fmtRate(1e6 / samples.mean), results.cpuPerCall[name]?[size].map { fmtMicros($0 * 1e6) } ?? "-", "\(samples.count)")
            }
        }
        say(table.render() + "\n")
    }

    func printThroughput() {
        say("## Pipelined tools/call, 64 in flight")
        var table = Table("size", "target", "calls/s", "vs direct", "calls")
        for size in [100, 10 * 1024] {
            let direct = results.throughput["direct"]?[size]
            for (name, bySize) in results.throughput.sorted(by: { order($0.key) < order($1.key) }) {
                guard let result = bySize[size] else { continue }
                let ratio = direct.map { String(format: "%.0f%%", 100 * result.perSecond / $0.perSecond) } ?? "-"
                table.add(fmtSize(size), name, fmtRate(result.perSecond), ratio, "\(result.calls)")
            }
        }
        say(table.render() + "\n")
    }

    func printSecrets() {
        guard let on = results.latency["gateway"], let off = results.latency["gateway secrets off"] else { return }
        say("## Secrets scan cost per call (arguments and results scanned vs spec.secrets off)")
        var table = Table("size", "median scanned", "median off", "scan cost (median)", "64-in-flight scanned", "64-in-flight off")
        for size in sizes {
            guard let a = on[size], let b = off[size] else { continue }
            let tOn = results.throughput["gateway"]?[size].map { fmtRate($0.perSecond) } ?? ""
            let tOff = results.throughput["gateway secrets off"]?[size].map { fmtRate($0.perSecond) } ?? ""
            table.add(fmtSize(size), fmtMicros(a.median), fmtMicros(b.median), fmtMicros(a.median - b.median), tOn, tOff)
        }
        say(table.render() + "\n")
    }

    func printTracing() {
        guard let on = results.latency["gateway traced"], let off = results.latency["gateway"] else { return }
        let exported = otlpSink?.counts ?? (requests: 0, bytes: 0)
        say("## Tracing cost per call (spans exported over OTLP/HTTP to a local receiver vs no exporter)")
        say("the receiver got \(exported.requests) export requests, \(fmtKiB(exported.bytes / 1024)) of spans")
        var table = Table("size", "median traced", "median off", "tracing cost (median)", "p99 traced", "p99 off", "64-in-flight traced", "64-in-flight off")
        for size in sizes {
            guard let a = on[size], let b = off[size] else { continue }
            let tOn = results.throughput["gateway traced"]?[size].map { fmtRate($0.perSecond) } ?? ""
            let tOff = results.throughput["gateway"]?[size].map { fmtRate($0.perSecond) } ?? ""
            table.add(fmtSize(size), fmtMicros(a.median), fmtMicros(b.median), fmtMicros(a.median - b.median), fmtMicros(a.p99), fmtMicros(b.p99), tOn, tOff)
        }
        say(table.render() + "\n")
    }

    func order(_ name: String) -> Int {
        ["direct": 0, "bare relay": 1, "gateway": 2, "gateway traced": 3, "gateway secrets off": 4, "gateway denied": 5, "fastmcp proxy": 6][name] ?? 9
    }

    mutating func spawn() throws {
        let runs = quick ? 5 : 20
        let database = "\(workDirectory)/spawn.sqlite"
        let allow = try policyFile("bench-allow", "  sideEffects:\n    echo: read\n")
        var commands: [(String, [String])] = [("direct", upstream), ("gateway", gateway("spawn", policy: allow, database: database))]
        if withFastMCP { commands.append(("fastmcp proxy", [python, fastmcpScript] + upstream)) }
        for (name, command) in commands {
            note("spawn: \(name)")
            results.spawn[name] = try ProxyBench.spawnToInitialize(command, runs: name == "fastmcp proxy" ? max(3, runs / 4) : runs, warmup: 2, stderrPath: log)
        }
        say("## Spawn to initialize response (existing database; median of \(runs))")
        var table = Table("target", "median", "p90", "max", "added median")
        let direct = results.spawn["direct"]
        for (name, _) in commands {
            guard let samples = results.spawn[name] else { continue }
            table.add(
                name, fmtMicros(samples.median), fmtMicros(samples.percentile(90)), fmtMicros(samples.max),
                name == "direct" ? "" : direct.map { fmtMicros(samples.median - $0.median) } ?? "-")
        }
        say(table.render() + "\n")
    }

    mutating func memory() throws {
        let allow = try policyFile("bench-allow", "  sideEffects:\n    echo: read\n")
        let target = Target(name: "gateway", kind: .gateway, command: gateway("memory", policy: allow, database: "\(workDirectory)/memory.sqlite"))
        note("memory: \(memoryCalls) calls through the gateway")
        let child = try Child(target.command, stderrPath: log)
        try child.initialize()
        var nextId = 1
        let start = child.memory()
        results.memorySamples = [(0, start.rss, start.peak)]
        let every = memoryCalls / 10
        var samples: [(Int, Int, Int)] = []
        let result = try ProxyBench.pipelined(
            child, target: target, size: 1024, window: 64, count: memoryCalls, timeLimit: 600, nextId: &nextId, every: every
        ) { calls in
            let now = child.memory()
            samples.append((calls, now.rss, now.peak))
        }
        results.memorySamples += samples
        results.memoryCalls = result.calls
        child.finish()
        say("## Gateway memory over \(result.calls) calls (1 KiB each way, 64 in flight; /proc/PID/status)")
        var table = Table("calls", "VmRSS", "VmHWM")
        for sample in results.memorySamples { table.add("\(sample.calls)", fmtKiB(sample.rssKiB), fmtKiB(sample.hwmKiB)) }
        say(table.render() + "\n")
    }

    /// What the store alone costs per governed call, without the gateway's pipes, threads and
    /// parsing: the decision and outcome writes a gateway commits, one call per group (calls one
    /// after another) and 64 per group (64 in flight).
    mutating func storeShare() async throws {
        note("the store's share of a governed call")
        let groups = [1, 64]
        results.storeShare = try await StoreBench.storeShare(path: "\(workDirectory)/store-share.sqlite", calls: quick ? 1280 : 12800, groups: groups)
        var table = Table("calls per group", "wall per call", "CPU per call", "calls/s")
        for perGroup in groups {
            guard let share = results.storeShare[perGroup] else { continue }
            table.add("\(perGroup)", fmtMicros(share.wall), fmtMicros(share.cpu), fmtRate(1e6 / share.wall))
        }
        say("## The store's share of a governed call: its decision and the outcome of the call before, in one transaction, made on the calling thread (no pipe, no thread hand-off, no parsing)")
        say(table.render() + "\n")
    }

    mutating func ledger() async throws {
        let count = quick ? 5000 : 40000
        note("ledger: \(count) appends")
        let figures = try await StoreBench.ledgerAppends(path: "\(workDirectory)/ledger.sqlite", modelCalls: count, toolCalls: count / 2)
        results.ledger = figures
        note("ledger: crash check")
        results.crash = try StoreBench.crashCheck(benchExecutable: benchExecutable, path: "\(workDirectory)/crash.sqlite", stderrPath: log)
        say("## Ledger appends through SQLiteStore, one process: one append after another, and 64 tasks appending at once")
        say("journal_mode=\(figures.journalMode) (read from the file), synchronous=NORMAL (set by SQLiteStore on each connection)")
        var table = Table("operation", "per second", "count")
        table.add("recordModelCall, one after another (1 commit each)", fmtRate(figures.modelCallsPerSecond), "\(figures.modelCalls)")
        table.add("recordModelCall, 64 tasks at once", fmtRate(figures.concurrentPerSecond), "\(figures.concurrentCalls)")
        table.add("beginToolCall + completeToolCall (2 commits)", fmtRate(figures.toolCallsPerSecond), "\(figures.toolCalls)")
        say(table.render())
        if let crash = results.crash {
            say("crash check: a writer killed with SIGKILL had reported \(crash.acknowledged) committed appends; \(crash.found) found after reopening: \(crash.passed ? "none lost" : "LOST")\n")
        }
    }

    mutating func usage() async throws {
        let path = "\(workDirectory)/usage.sqlite"
        note("usage: building \(usageRows) ledger rows")
        results.usageBuildSeconds = try await StoreBench.buildUsageDatabase(path: path, rows: usageRows)
        results.usageRows = usageRows
        var samples: [Double] = []
        for index in 0..<(quick ? 3 : 6) {
            let started = nowNanos()
            let (status, returned) = try runCommand([riskkernel, "usage", "--by", "model", "--db", path], stderrPath: log, stdoutPath: "\(workDirectory)/usage.txt")
            guard status == 0 else { throw BenchError("riskkernel usage exited with status \(status); see \(log)") }
            if index > 0 { samples.append(Double(returned - started) / 1000) }
        }
        results.usageSeconds = Samples(samples)
        let output = (try? String(contentsOfFile: "\(workDirectory)/usage.txt", encoding: .utf8)) ?? ""
        say("## `riskkernel usage --by model` over \(usageRows) ledger rows (whole command, process start to exit; built in \(String(format: "%.1f", results.usageBuildSeconds)) s)")
        say("median \(fmtMicros(results.usageSeconds!.median)), max \(fmtMicros(results.usageSeconds!.max)) over \(samples.count) runs after one warm-up")
        say(output.split(separator: "\n").suffix(3).joined(separator: "\n") + "\n")
    }

    mutating func approval() throws {
        let rounds = quick ? 4 : 15
        let database = "\(workDirectory)/approval.sqlite"
        let policy = try policyFile("bench-approval", "  approvalRules:\n    - tool: echo\n")
        note("approval: \(rounds) rounds")
        let child = try Child(gateway("approval", policy: policy, database: database), stderrPath: log)
        try child.initialize()
        var release: [Double] = []
        var command: [Double] = []
        let template = CallTemplate(size: 100)
        for round in 0..<rounds {
            child.send(template.request(id: round + 1))
            var approvalId: String?
            while approvalId == nil {
                guard let line = child.output.readLine() else { throw BenchError("the gateway closed its output") }
                approvalId = (try? JSONParser.parse(line))?["params"]?["data"]?["approvalId"]?.stringValue
            }
            let arrived = ArrivalBox()
            startThread {
                let response = try? child.readResponse()
                arrived.set(nowNanos(), response)
            }
            let started = nowNanos()
            let (status, returned) = try runCommand([riskkernel, "approvals", "approve", approvalId!, "--db", database, "--by", "bench"], stderrPath: log)
            guard status == 0 else { throw BenchError("approvals approve exited with status \(status); see \(log)") }
            let (time, response) = arrived.wait()
            guard let response else { throw BenchError("no response after approval") }
            try verify(response, .echo(100), target: "approval")
            release.append((Double(time) - Double(returned)) / 1000)
            command.append(Double(returned - started) / 1000)
        }
        child.finish()
        results.approval = Samples(release)
        results.approveCommand = Samples(command)
        say("## Approval release: from `riskkernel approvals approve` returning to the client reading the response (\(rounds) rounds)")
        say("median \(fmtMicros(results.approval!.median)), max \(fmtMicros(results.approval!.max)); the approve command itself took median \(fmtMicros(results.approveCommand!.median))\n")
    }

    // MARK: Summary

    func summary() {
        say("## Summary: each target beside its floor, measured in this run")
        var table = Table("figure", "target", "measured", "floor", "ratio", "")
        func verdict(_ ok: Bool) -> String { ok ? "ok" : "MISSED" }
        func ratio(_ value: Double, _ floor: Double) -> String { floor > 0 ? String(format: "%.2f×", value / floor) : "-" }
        let direct = results.latency["direct"]
        func added(_ name: String, _ size: Int) -> Double? {
            guard let base = direct?[size], let samples = results.latency[name]?[size] else { return nil }
            return samples.median - base.median
        }
        if let gateway = added("gateway", 100) {
            let relay = added("bare relay", 100) ?? 0
            let floor = relay + (results.commitFloor ?? 0)
            let store = results.storeShare[1].map { "; the store's writes alone \(fmtMicros($0.wall))" } ?? ""
            table.add(
                "added latency, 100 B, median", "≤ 120 µs, ≤ 1.5× floor", fmtMicros(gateway),
                "\(fmtMicros(floor)) (relay \(fmtMicros(relay)) + 1 commit \(fmtMicros(results.commitFloor ?? 0)))\(store)", ratio(gateway, floor),
                verdict(gateway <= 120 && gateway <= 1.5 * floor))
        }
        for (size, limit) in [(100 * 1024, 1000.0), (1 << 20, 8000.0)] {
            guard let gateway = added("gateway", size) else { continue }
            let fast = added("fastmcp proxy", size)
            table.add(
                "added latency, \(fmtSize(size)), median", "≤ \(fmtMicros(limit)), below FastMCP", fmtMicros(gateway),
                "relay \(added("bare relay", size).map(fmtMicros) ?? "-"), FastMCP \(fast.map(fmtMicros) ?? "-")", fast.map { ratio(gateway, $0) + " of FastMCP" } ?? "-",
                verdict(gateway <= limit && fast.map { gateway < $0 } ?? true))
        }
        if results.latency["fastmcp proxy"] != nil {
            let slower = sizes.filter { size in
                guard let gateway = added("gateway", size), let fast = added("fastmcp proxy", size) else { return false }
                return gateway >= fast
            }
            table.add(
                "added latency below FastMCP's at every size", "every size", slower.isEmpty ? "every size" : "not at " + slower.map(fmtSize).joined(separator: ", "),
                "", "", verdict(slower.isEmpty))
        }
        if let gateway = results.throughput["gateway"]?[100] {
            let relay = results.throughput["bare relay"]?[100]
            table.add(
                "calls/s, 64 in flight, 100 B", "≥ 30,000", fmtRate(gateway.perSecond),
                "relay \(relay.map { fmtRate($0.perSecond) } ?? "-"), direct \(results.throughput["direct"]?[100].map { fmtRate($0.perSecond) } ?? "-")"
                    + (results.storeShare[64].map { "; the store's writes alone \(fmtRate(1e6 / $0.wall))" } ?? ""),
                relay.map { String(format: "%.0f%% of relay", 100 * gateway.perSecond / $0.perSecond) } ?? "-", verdict(gateway.perSecond >= 30_000))
        }
        if let last = results.memorySamples.last, let first = results.memorySamples.first {
            let mid = results.memorySamples[results.memorySamples.count / 2]
            let flat = last.rssKiB - mid.rssKiB < 2048
            table.add(
                "peak RSS over \(results.memoryCalls) calls (VmHWM; RSS mid → end)", "≤ 30 MiB, flat",
                "\(fmtKiB(last.hwmKiB)); \(fmtKiB(mid.rssKiB)) → \(fmtKiB(last.rssKiB))", "at start \(fmtKiB(first.rssKiB))",
                ratio(Double(last.hwmKiB), Double(first.rssKiB)), verdict(last.hwmKiB <= 30 * 1024 && flat))
        }
        if let ledger = results.ledger {
            table.add(
                "ledger appends/s (recordModelCall) from 64 tasks", "≥ 20,000", fmtRate(ledger.concurrentPerSecond),
                results.commitFloor.map { "1 commit each: \(fmtRate(1e6 / $0))" } ?? "one after another: \(fmtRate(ledger.modelCallsPerSecond))",
                results.commitFloor.map { ratio(ledger.concurrentPerSecond, 1e6 / $0) } ?? "-", verdict(ledger.concurrentPerSecond >= 20_000))
        }
        if let direct = results.spawn["direct"], let gateway = results.spawn["gateway"] {
            let addedSpawn = gateway.median - direct.median
            table.add(
                "spawn to initialize response, over the upstream's own (median)", "≤ 30 ms", fmtMicros(addedSpawn),
                results.spawn["fastmcp proxy"].map { "FastMCP \(fmtMicros($0.median - direct.median))" } ?? "", "", verdict(addedSpawn <= 30_000))
        }
        if let usage = results.usageSeconds {
            table.add(
                "`usage --by model` over \(results.usageRows) rows (median)", "≤ 1 s", fmtMicros(usage.median), "", "",
                verdict(usage.median <= 1_000_000 && results.usageRows >= 1_000_000))
        }
        if let approval = results.approval {
            table.add(
                "approval release after `approvals approve` returns (max)", "≤ 100 ms", "\(fmtMicros(approval.max)) (median \(fmtMicros(approval.median)))",
                "", "", verdict(approval.max <= 100_000))
        }
        say(table.render())
    }
}

/// A value set once by another thread.
final class ArrivalBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var time: UInt64 = 0
    private var response: [UInt8]?
    func set(_ time: UInt64, _ response: [UInt8]?) {
        self.time = time
        self.response = response
        semaphore.signal()
    }
    func wait() -> (UInt64, [UInt8]?) {
        semaphore.wait()
        return (time, response)
    }
}
