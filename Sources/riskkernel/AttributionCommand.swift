import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

struct AttributionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution", abstract: "Record and report who changed what during a run.",
        subcommands: [Capture.self, Report.self])

    struct Capture: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "capture",
            abstract: "Record per-file lines added and removed in a git repository, with the run's tokens so far.",
            discussion: """
                Changes are measured with `git diff --numstat BASE` (committed and uncommitted changes of tracked files). BASE is --since, else the last commit made before the run started (else the empty tree).
                """)
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The run.", valueName: "id")) var run: String
        @Option(help: ArgumentHelp("The git repository.", valueName: "path")) var repo: String
        @Option(help: "Who made the changes: a person (human), an agent, or a peer reached remotely (remote_peer).") var authorType: AuthorType = .agent
        @Option(help: "Who made the changes (default: the run's name, else its id).") var author: String?
        @Option(help: ArgumentHelp("Measure from this git revision instead of the run's start.", valueName: "ref")) var since: String?

        func run() async throws {
            let store = try await storeOptions.openStore()
            guard let record = try await store.run(id: run) else { throw CLIError("no run with id \(run)") }
            let git = Git(repository: repo)
            let base: String
            if let since {
                base = try git.run(["rev-parse", "--verify", since + "^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                let before = try git.run(["rev-list", "-1", "--before=\(Int(record.createdAt.timeIntervalSince1970))", "HEAD"], allowFailure: true)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                base = before.isEmpty ? Git.emptyTree : before
            }
            let changes = GitNumstat.parse(try git.run(["diff", "--numstat", "-M", base]))
            let author = self.author ?? record.name ?? record.id
            let records = try await store.recordAttributions(
                runId: run, baseRef: base,
                changes.map { NewAttribution(author: author, authorType: authorType, file: $0.path, linesAdded: $0.added, linesRemoved: $0.removed) })
            if output.json { return Output.printJSON(.array(records.map(\.json))) }
            print("recorded \(records.count) file(s) changed since \(base.prefix(12)) for \(author) (\(authorType.rawValue))")
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "report", abstract: "Total a run's attributions by author and by file.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The run.", valueName: "id")) var run: String

        func run() async throws {
            let store = try await storeOptions.openStore()
            guard try await store.run(id: run) != nil else { throw CLIError("no run with id \(run)") }
            let report = AttributionReport(try await store.attributions(runId: run))
            if output.json { return Output.printJSON(report.json) }
            var authors = TextTable("AUTHOR", "TYPE", "FILES", "ADDED", "REMOVED", "TOKENS")
            for row in report.byAuthor {
                authors.add(Formatting.terminalSafe(row.key), row.authorType ?? "-", "\(row.files)", "\(row.linesAdded)", "\(row.linesRemoved)", "\(row.tokens)")
            }
            authors.add("total", "", "\(report.total.files)", "\(report.total.linesAdded)", "\(report.total.linesRemoved)", "\(report.total.tokens)")
            print(authors.render())
            var files = TextTable("FILE", "ADDED", "REMOVED")
            for row in report.byFile { files.add(Formatting.terminalSafe(row.key), "\(row.linesAdded)", "\(row.linesRemoved)") }
            print("\n" + files.render())
        }
    }
}

extension AuthorType: ExpressibleByArgument {}

/// Runs git in a repository.
struct Git {
    static let emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    let repository: String

    func run(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repository] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CLIError("cannot run git: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 && !allowFailure {
            throw CLIError("git \(arguments.joined(separator: " ")) failed in \(repository): \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
