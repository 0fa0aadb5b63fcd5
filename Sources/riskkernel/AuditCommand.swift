import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Export, seal and verify runs' audit trails.", subcommands: [Export.self, Verify.self, Seal.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the hash chain of a run (or of every run), check every record against it, and name what is broken.",
            discussion: """
                Recomputes every event's hash from its content (under the rule the event names), checks that each links to the one before, that sequences have no gaps, and that the last event is the head recorded with the run. An edited, deleted or reordered event is named by run and sequence.

                Then checks the rows that report or decide against the chain: ledger entries and steps, tool calls and their outcomes, approvals and their decisions, checkpoints, attributions, each run's status, usage and tree usage, and facts, grants and tool pins. Those three tables belong to the store, not to one run (a grant, a pin or a fact written in any run governs the calls of every run), so --run checks them whole too. An edited column, a deleted row or an inserted row is named by table, row and the event it disagrees with.

                With --trust, also checks the chains against seals (`riskkernel audit seal`): those of --seals FILE, else those stored in the database. A seal must verify and be signed by a DID you trust; every run it sealed must still have the sealed hash at the sealed sequence, or the chain was rewritten after the seal.

                Exit status 1 when any chain is broken, any record disagrees with its chain, or any chain differs from a seal.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Only this run.", valueName: "id")) var run: String?
        @Option(help: ArgumentHelp("Check the chains against the seals of this file (needs --trust).", valueName: "file")) var seals: String?
        @Option(name: .customLong("trust"), help: ArgumentHelp("A did:key whose seals you trust (repeatable).", valueName: "did"))
        var trusted: [String] = []

        func validate() throws {
            if seals != nil, trusted.isEmpty { throw ValidationError("--seals needs --trust DID: a seal signed by a key you did not name proves nothing") }
        }

        func run() async throws {
            let store = try await storeOptions.openStore()
            // Every run is read for the record checks: a run's tree usage sums its children's.
            let allRunIds: [String] = try await store.listRuns(status: nil, limit: Int.max).map(\.id).reversed()
            let runIds: [String]
            if let run {
                guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
                runIds = [run]
            } else {
                runIds = allRunIds
            }
            var results: [ChainVerification] = []
            for runId in runIds {
                results.append(ChainVerifier.verify(runId: runId, events: try await store.events(runId: runId), anchor: try await store.chainHead(runId: runId)))
            }
            let checked = Set(runIds)
            let records = try await store.provenanceRecords(runIds: allRunIds)
            // The store-wide rows (facts, grants, tool pins) govern every run's calls: checked whole, with --run too.
            let mismatches = RecordVerifier.verify(records).filter { checked.contains($0.runId) }
                + SharedRecordVerifier.verify(
                    events: records.events, facts: try await store.listFacts(namespace: nil), grants: try await store.listGrants(),
                    pins: try await store.toolPins(server: nil))
            let sealed = try await checkSeals(store, runs: checked)
            let broken = results.filter { !$0.isIntact }
            let intact = broken.isEmpty && mismatches.isEmpty && sealed.violations.isEmpty
            if output.json {
                Output.printJSON([
                    "intact": .bool(intact), "runs": .integer(Int64(results.count)),
                    "events": .integer(Int64(results.reduce(0) { $0 + $1.events })),
                    "broken": .array(broken.compactMap(\.failure).map { failure in
                        ["runId": .string(failure.runId), "sequence": .integer(failure.sequence), "kind": .string(failure.kind.rawValue), "detail": .string(failure.detail)]
                    }),
                    "records": .array(mismatches.map(\.json)),
                    "seals": .integer(Int64(sealed.count)),
                    "sealViolations": .array(sealed.violations.map(\.json)),
                ])
            } else {
                for result in broken { Output.error("BROKEN \(result.failure!)") }
                for mismatch in mismatches { Output.error("RECORD \(mismatch)") }
                for violation in sealed.violations { Output.error("SEAL \(violation)") }
                let events = results.reduce(0) { $0 + $1.events }
                let sealText = trusted.isEmpty ? "" : ", \(sealed.count) seal(s) hold"
                if intact {
                    print("ok: \(results.count) run(s), \(events) event(s), every chain intact and every record matches it\(sealText)")
                } else {
                    var parts: [String] = []
                    if !broken.isEmpty { parts.append("\(broken.count) of \(results.count) run(s) have a broken chain") }
                    if !mismatches.isEmpty { parts.append("\(mismatches.count) record(s) disagree with their chain") }
                    if !sealed.violations.isEmpty { parts.append("\(sealed.violations.count) sealed head(s) differ from the chain now") }
                    print(parts.joined(separator: "; "))
                }
            }
            if !intact { throw ExitCode(1) }
        }

        /// The seals of --seals (else of the store) checked against the chains of `runs`; none without --trust.
        func checkSeals(_ store: any Store, runs: Set<String>) async throws -> (count: Int, violations: [SealViolation]) {
            guard !trusted.isEmpty else { return (0, []) }
            let lines: [String]
            if let seals { lines = try SealFile.read(seals) } else { lines = try await store.seals().map(\.envelope) }
            let source = seals ?? "the database"
            guard !lines.isEmpty else { throw CLIError("\(source) holds no seal; make one with `riskkernel audit seal --key DIR`") }
            var violations: [SealViolation] = []
            for (index, line) in lines.enumerated() {
                let opened: ChainSeals.Opened
                do { opened = try ChainSeals.open(line, trusting: Set(trusted)) } catch {
                    throw CLIError("\(source): seal \(index + 1): \(error)")
                }
                let mine = ChainSeals.Opened(sealedAt: opened.sealedAt, heads: opened.heads.filter { runs.contains($0.runId) || run == nil }, signers: opened.signers)
                violations += try await ChainSeals.check(mine) { runId in
                    guard try await store.run(id: runId) != nil else { return [] }
                    return try await store.events(runId: runId)
                }
            }
            return (lines.count, violations)
        }
    }

    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Sign every run's chain head with the provenance key, so that a chain rewritten later is found.",
            discussion: """
                Anyone with write access to the database can edit an event and recompute the rest of its chain. A seal signs each run's head now (run, sequence, hash, time) with the key directory's keys (riskkernel keys generate); `riskkernel audit verify --seals FILE --trust DID` then finds any chain that no longer has a sealed head.

                The seal is appended to the database's seals and to a seal file (one seal a line; default: seals.jsonl in the key directory). Keep a copy of the seal file away from the database: whoever can rewrite the database can delete the seals stored in it. `riskkernel gateway --seal-every SECONDS --key DIR` seals periodically.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: ArgumentHelp("The key directory (riskkernel keys generate).", valueName: "dir")) var key: String
        @Option(help: ArgumentHelp("Append the seal to this file (default: seals.jsonl in the key directory).", valueName: "file")) var seals: String?

        func run() async throws {
            let signers: [any BundleSigner]
            do { signers = try KeyDirectory.load(from: key) } catch let error as KeyError { throw CLIError(error.description) }
            let store = try await storeOptions.openStore()
            let file = seals ?? SealFile.defaultPath(keyDirectory: key)
            let (record, heads) = try await ChainSealer(store: store, signers: signers, sealFile: file).seal()
            print("sealed \(heads) chain head(s) at \(Timestamps.iso8601(record.sealedAt)), signed by \(DIDKey.shortened(signers[0].identity.keyid)); appended to \(file) and the database")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Print every event of a run in time order, as JSON lines or CSV.",
            discussion: """
                Each event is one link of the run's hash chain: {runId, sequence, kind, time, data, previousHash, hash}.

                CSV columns: sequence, time, kind, data (canonical JSON), previousHash, hash.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: ArgumentHelp("The run.", valueName: "id")) var run: String
        @Option(help: "JSON lines (one event a line) or CSV.") var format: AuditFormat = .jsonl

        func run() async throws {
            let store = try await storeOptions.openStore()
            guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
            let events = try await store.events(runId: run)
            switch format {
            case .jsonl:
                for event in events {
                    var line = event.body.objectValue ?? [:]
                    line["previousHash"] = .string(event.previousHash)
                    line["hash"] = .string(event.hash)
                    print(CanonicalJSON.string(.object(line), rule: EventChain.rule(of: event.body) ?? .riskkernelV1))
                }
            case .csv:
                print("sequence,time,kind,data,previousHash,hash")
                for event in events {
                    let fields = [
                        "\(event.sequence)", event.body["time"]?.stringValue ?? "", event.kind,
                        CanonicalJSON.string(event.body["data"] ?? .null, rule: EventChain.rule(of: event.body) ?? .riskkernelV1), event.previousHash, event.hash,
                    ]
                    print(fields.map(CSV.field).joined(separator: ","))
                }
            }
        }
    }
}

enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, csv
}

enum CSV {
    /// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run it.
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
