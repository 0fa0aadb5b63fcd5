import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Export and verify runs' audit trails.", subcommands: [Export.self, Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the hash chain of a run (or of every run) and name the first broken event.",
            discussion: """
                Recomputes every event's hash from its content, checks that each links to the one before, that sequences have no gaps, and that the last event is the head recorded with the run. An edited, deleted or reordered event is named by run and sequence. Exit status 1 when any chain is broken.
                """)
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Only this run.", valueName: "id")) var run: String?

        func run() async throws {
            let store = try await storeOptions.openStore()
            let runIds: [String]
            if let run {
                guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
                runIds = [run]
            } else {
                runIds = try await store.listRuns(status: nil, limit: Int.max).map(\.id).reversed()
            }
            var results: [ChainVerification] = []
            for runId in runIds {
                results.append(ChainVerifier.verify(runId: runId, events: try await store.events(runId: runId), anchor: try await store.chainHead(runId: runId)))
            }
            let broken = results.filter { !$0.isIntact }
            if output.json {
                Output.printJSON([
                    "intact": .bool(broken.isEmpty), "runs": .integer(Int64(results.count)),
                    "events": .integer(Int64(results.reduce(0) { $0 + $1.events })),
                    "broken": .array(broken.compactMap(\.failure).map { failure in
                        ["runId": .string(failure.runId), "sequence": .integer(failure.sequence), "kind": .string(failure.kind.rawValue), "detail": .string(failure.detail)]
                    }),
                ])
            } else {
                for result in broken { Output.error("BROKEN \(result.failure!)") }
                let events = results.reduce(0) { $0 + $1.events }
                print(broken.isEmpty ? "ok: \(results.count) run(s), \(events) event(s), every chain intact" : "\(broken.count) of \(results.count) run(s) have a broken chain")
            }
            if !broken.isEmpty { throw ExitCode(1) }
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
                    print(CanonicalJSON.string(.object(line)))
                }
            case .csv:
                print("sequence,time,kind,data,previousHash,hash")
                for event in events {
                    let fields = [
                        "\(event.sequence)", event.body["time"]?.stringValue ?? "", event.kind,
                        CanonicalJSON.string(event.body["data"] ?? .null), event.previousHash, event.hash,
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
