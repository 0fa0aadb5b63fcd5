import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

extension Redaction: ExpressibleByArgument {}

struct ProvenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance", abstract: "Export, verify, show and import signed provenance bundles of runs.",
        discussion: """
            A bundle is a DSSE envelope around an in-toto Statement v1 (Protocol/provenance-bundle.schema.json): a run, its sub-agents' runs, their hash-chained events, tool calls, model calls, approvals, checkpoints, attributions and a report, signed with Ed25519 (and ML-DSA-65 when the key directory has that key too).
            """,
        subcommands: [Export.self, Verify.self, Show.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a signed bundle of a run and every run below it.",
            discussion: """
                none: every record as stored.

                content: tool-call arguments, results and reasons, approval arguments, checkpoint payloads, file paths and run metadata values (goals) become {"sha256": …} digests; events that carry such text are sealed (their hash and link stay, their body is withheld). Everything else still verifies, and imports when nothing is sealed.

                full: identifiers and names too: only each run's status, budget, usage and chain head (run ids as digests) and the report's totals remain. Signatures, the subject's head and the totals verify; there is nothing to import.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: ArgumentHelp("The run (its sub-agents' runs come along).", valueName: "id")) var run: String
        @Option(help: ArgumentHelp("What to hide (see below).", valueName: "level")) var redact: Redaction
        @Option(help: ArgumentHelp("The key directory (riskkernel keys generate).", valueName: "dir")) var key: String
        @Option(help: ArgumentHelp("Write the bundle here instead of to standard output.", valueName: "file")) var out: String?

        func run() async throws {
            let signers: [any BundleSigner]
            do { signers = try KeyDirectory.load(from: key) } catch let error as KeyError { throw CLIError(error.description) }
            let store = try await storeOptions.openStore()
            guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
            let envelope = try await ProvenanceBundles.export(from: store, runId: run, redaction: redact, signers: signers)
            let summary = try BundleContents.decode(payload: envelope.payload)
            let names = signers.map { "\($0.identity.algorithm.rawValue) \(DIDKey.shortened($0.identity.keyid))" }.joined(separator: " and ")
            let message = "\(summary.runs.count) run(s), \(summary.runs.reduce(0) { $0 + $1.head.length }) event(s), redaction \(redact.rawValue), signed by \(names)"
            guard let out else {
                FileHandle.standardOutput.write(Data(envelope.encoded))
                Output.error("bundle of run \(run): \(message)")
                return
            }
            do { try Data(envelope.encoded).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw CLIError("cannot write \(out): \(error.localizedDescription)")
            }
            print("wrote \(out): run \(run), \(message)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a bundle's signatures, expected signers, trusted signer, chains, records and report.",
            discussion: """
                Checks, in order: envelope, signatures, statement, signers (exactly the payload's expectedSigners, so a stripped signature fails), trust, subject (the root run's chain head), chains, records, redaction, report. Exit status 1, naming the failed check, when any fails.

                A valid signature proves only that someone signed: name the signers you trust with --trust. Without --trust the trust check fails, unless --any-signer says that any signer will do.
                """)
        @Argument(help: ArgumentHelp("The bundle (- for standard input).", valueName: "file")) var file: String
        @Option(name: .customLong("trust"), help: ArgumentHelp("A signer's did:key you trust (repeatable).", valueName: "did"))
        var trust: [String] = []
        @Flag(name: .customLong("any-signer"), help: "Accept a bundle whoever signed it (checks everything but trust).")
        var anySigner = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if anySigner, !trust.isEmpty { throw ValidationError("give --trust DID or --any-signer, not both") }
        }

        func run() async throws {
            var verification = BundleVerifier.verify(try BundleFile.read(file), trusting: try BundleFile.trusted(trust))
            if trust.isEmpty, !anySigner, let index = verification.checks.firstIndex(where: { $0.name == "trust" }) {
                let signers = verification.contents?.expectedSigners.map(\.keyid).joined(separator: ", ") ?? "an unknown key"
                verification.checks[index] = BundleCheck(
                    name: "trust", status: .failed,
                    detail: "signed by \(signers), which no --trust names; pass --trust DID for a signer you trust, or --any-signer to accept any")
            }
            if output.json {
                Output.printJSON(verification.json)
            } else {
                BundleFile.printChecks(verification)
                if verification.isValid, let contents = verification.contents {
                    let signer = anySigner ? ", any signer accepted" : ""
                    print("verified: \(Formatting.terminalSafe(contents.subjectName)) (redaction \(contents.redaction.rawValue), \(contents.runs.count) run(s)\(signer))")
                }
            }
            if let failure = verification.firstFailure {
                Output.error("verification failed: \(failure.name): \(Formatting.terminalSafe(failure.detail))")
                throw ExitCode(1)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a bundle readably: its runs, totals, signers, redaction and whether it verifies.")
        @Argument(help: ArgumentHelp("The bundle (- for standard input).", valueName: "file")) var file: String
        @Option(name: .customLong("trust"), help: ArgumentHelp("A signer's did:key you trust (repeatable).", valueName: "did"))
        var trust: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let verification = BundleVerifier.verify(try BundleFile.read(file), trusting: try BundleFile.trusted(trust))
            guard let contents = verification.contents else {
                throw CLIError("\(file) cannot be read as a bundle: \(verification.firstFailure?.description ?? "unknown format")")
            }
            if output.json {
                return Output.printJSON([
                    "subject": ["name": .string(contents.subjectName), "sha256": .string(contents.subjectDigest)],
                    "redaction": .string(contents.redaction.rawValue), "root": .string(contents.root),
                    "exportedAt": contents.exportedAt.map { .string(BundleTime.string($0)) } ?? .null,
                    "signers": .array(contents.expectedSigners.map { ["keyid": .string($0.keyid), "algorithm": .string($0.algorithm.rawValue)] }),
                    "report": contents.report, "verification": verification.json,
                ])
            }
            let safe = Formatting.terminalSafe
            print("subject:    \(safe(contents.subjectName))")
            print("chain head: \(contents.subjectDigest)")
            print("redaction:  \(contents.redaction.rawValue)")
            if let exportedAt = contents.exportedAt { print("exported:   \(Formatting.time(exportedAt))") }
            for (index, signer) in contents.expectedSigners.enumerated() {
                print("\(index == 0 ? "signers:   " : "           ") \(signer.algorithm.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(DIDKey.shortened(signer.keyid, to: 72))")
            }
            if let failure = verification.firstFailure {
                print("verified:   NO: \(failure.name): \(safe(failure.detail))")
            } else {
                let trust = verification.check("trust")?.status == .passed ? "signer trusted" : "signer not checked against --trust"
                print("verified:   yes (\(trust))")
            }
            print("")
            print("runs:")
            print(BundleFile.tree(contents))
            print("")
            BundleFile.printTotals(contents.report)
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Verify a bundle, then store its records; refuse (writing nothing) if any check fails.",
            discussion: """
                --trust is required: a bundle signed by a key you did not name is refused. A full-redaction bundle (totals only), a content bundle with sealed events, and a bundle whose runs this database already holds are refused too. Every check runs before the database is opened. When the root run's parent is not in this database, the root is stored without it.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: ArgumentHelp("The bundle (- for standard input).", valueName: "file")) var file: String
        @Option(name: .customLong("trust"), help: ArgumentHelp("A signer's did:key you trust (repeatable; at least one).", valueName: "did"))
        var trust: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let bytes = try BundleFile.read(file)
            let trusted = try BundleFile.trusted(trust)
            let result: ProvenanceBundles.ImportResult
            do {
                // Every check first: a bundle that fails one never reaches the database.
                let prepared = try ProvenanceBundles.prepareImport(bytes, trusting: trusted)
                result = try await ProvenanceBundles.importBundle(prepared, into: try await storeOptions.openStore(creating: true))
            } catch let error as BundleImportError {
                if output.json, let verification = error.verification { Output.printJSON(verification.json) }
                throw CLIError(Formatting.terminalSafe(error.description))
            }
            if output.json {
                return Output.printJSON([
                    "imported": .array(result.runIds.map(JSONValue.string)), "events": .integer(Int64(result.events)),
                    "records": .integer(Int64(result.records)), "detachedParent": result.detachedParent.map(JSONValue.string) ?? .null,
                    "verification": result.verification.json,
                ])
            }
            print("imported \(result.runIds.count) run(s), \(result.events) event(s) and \(result.records) record(s): \(result.runIds.joined(separator: ", "))")
            if let parent = result.detachedParent {
                print("note: the root's parent run \(parent) is not in this database; the root was stored without a parent")
            }
        }
    }
}

/// Reading bundle files and printing what the provenance commands show.
enum BundleFile {
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return Array(data)
    }

    static func trusted(_ dids: [String]) throws -> Set<String> {
        for did in dids {
            do { _ = try DIDKey(parsing: did) } catch { throw CLIError("--trust \(DIDKey.shortened(did)): \(error)") }
        }
        return Set(dids)
    }

    static func printChecks(_ verification: BundleVerification) {
        var table = TextTable("result", "check", "detail")
        for check in verification.checks {
            let result = switch check.status {
            case .passed: "ok"
            case .failed: "FAILED"
            case .skipped: "skipped"
            }
            table.add(result, check.name, Formatting.terminalSafe(check.detail))
        }
        print(table.render())
    }

    /// The runs drawn as a tree (ids shortened in a full bundle).
    static func tree(_ contents: BundleContents) -> String {
        let entries = contents.report["runs"]?.arrayValue ?? []
        func describe(_ run: ProvenanceReport.RunFacts) -> String {
            let key = BundleContents.key(run.id)
            var text = Formatting.terminalSafe(key.hasPrefix("sha256:") ? String(key.prefix(19)) + "…" : key)
            if let name = run.name { text += " \"\(Formatting.terminalSafe(name))\"" }
            text += "  \(run.status)  \(run.usage.totalTokens) tokens  \(run.usage.dollars)  \(run.usage.toolCalls) tool call(s)  \(run.head.length) event(s)"
            if let entry = entries.first(where: { $0["runId"] == run.id }), let approvals = entry["approvals"]?.int64Value, approvals > 0 {
                text += "  \(approvals) approval(s)"
            }
            return text
        }
        var lines: [String] = []
        func draw(_ run: ProvenanceReport.RunFacts, prefix: String, connector: String) {
            lines.append(prefix + connector + describe(run))
            let children = contents.runs.filter { !$0.parentRunId.isNull && $0.parentRunId == run.id }
            let childPrefix = prefix + (connector == "├─ " ? "│  " : connector.isEmpty ? "" : "   ")
            for (index, child) in children.enumerated() { draw(child, prefix: childPrefix, connector: index == children.count - 1 ? "└─ " : "├─ ") }
        }
        if let root = contents.runs.first { draw(root, prefix: "", connector: "") }
        return lines.joined(separator: "\n")
    }

    static func printTotals(_ report: JSONValue) {
        let totals = report["totals"]
        func number(_ key: String) -> String { totals?[key].map { $0.stringValue ?? CanonicalJSON.string($0) } ?? "-" }
        func breakdown(_ key: String) -> String {
            let members = report[key]?.objectValue ?? [:]
            guard !members.isEmpty else { return "" }
            return " (" + members.keys.sorted().map { "\(Formatting.terminalSafe($0)) \(CanonicalJSON.string(members[$0]!))" }.joined(separator: ", ") + ")"
        }
        var table = TextTable("total", "value")
        table.add("tokens", "\(number("totalTokens")) (prompt \(number("promptTokens")), completion \(number("completionTokens")), cached \(number("cachedPromptTokens")))")
        table.add("dollars", "$" + number("dollars"))
        table.add("model calls", number("modelCalls"))
        table.add("tool calls", number("toolCalls") + breakdown("toolCallsByDecision"))
        table.add("approvals", number("approvals") + breakdown("approvalsByStatus"))
        table.add("checkpoints", number("checkpoints"))
        table.add("attributions", "\(number("attributions")) (+\(number("linesAdded")) -\(number("linesRemoved")) lines)")
        table.add("events", number("events"))
        print(table.render())
    }
}
