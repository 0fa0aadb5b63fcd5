import Foundation
import RiskKernelCore

/// Runs a change (`wrap` or `unwrap`) over each configuration file: reads it, makes the change,
/// prints what happened to each entry, and writes it (or, with `--dry-run`, prints the diff).
enum ClientConfigRewrite {
    /// Changes every file `options` names with `change`; throws when a `--server` name is in none of them.
    static func run(
        _ options: ClientConfigOptions, verb: String,
        change: (String, ClientConfigFormat, Set<String>?) throws -> ClientConfigEditor.Change
    ) throws {
        let only = options.servers.isEmpty ? nil : Set(options.servers)
        var seen: Set<String> = []
        for (path, format) in try options.files() {
            let entries = try rewrite(path, format: format, only: only, dryRun: options.dryRun, verb: verb, change: change)
            seen.formUnion(entries.map(\.name))
        }
        if let only, !only.subtracting(seen).isEmpty {
            throw CLIError("no server entry named \(only.subtracting(seen).sorted().joined(separator: ", "))")
        }
        if options.dryRun { print("dry run: nothing written") }
    }

    static func rewrite(
        _ path: String, format: ClientConfigFormat, only: Set<String>?, dryRun: Bool, verb: String,
        change: (String, ClientConfigFormat, Set<String>?) throws -> ClientConfigEditor.Change
    ) throws -> [ClientConfigEditor.EntryReport] {
        // A client may write the file meanwhile (Claude Code keeps state in ~/.claude.json): then
        // read it again and redo the change on what it wrote.
        for _ in 0..<5 {
            let original = try FileReading.text(path)
            let result: ClientConfigEditor.Change
            do {
                result = try change(original, format, only)
            } catch let error as JSONParseError {
                throw CLIError("\(path): not valid JSON: \(error)")
            }
            print(ClientConfigFiles.display(path))
            report(result.entries)
            guard result.changed else {
                print("  nothing to \(verb)")
                return result.entries
            }
            if dryRun {
                let shown = ClientConfigFiles.display(path)
                print(UnifiedDiff.render(old: original, new: result.updated, oldName: shown, newName: shown), terminator: "")
                return result.entries
            }
            do {
                try ConfigFileWriter.replace(path, original: original, with: result.updated)
            } catch is ConfigFileWriter.Changed {
                continue
            }
            print("  written (the file as it was: \(ClientConfigFiles.display(ConfigFileWriter.backupPath(for: path))))")
            return result.entries
        }
        throw CLIError("\(path): the file kept changing while it was being rewritten; close the client and try again")
    }

    static func report(_ entries: [ClientConfigEditor.EntryReport]) {
        if entries.isEmpty { print("  no MCP server entries") }
        let locations = Set(entries.map(\.location))
        for entry in entries {
            let name = locations.count > 1 ? "\(entry.name) (\(entry.location))" : entry.name
            let text: String
            switch entry.outcome {
            case .wrapped: text = "wrapped"
            case .alreadyWrapped: text = "already wrapped"
            case .unwrapped: text = "unwrapped"
            case .notWrapped: text = "not wrapped, left as it is"
            case .remote(let why): text = "remote (\(why)), left alone"
            case .unrecognised(let why): text = "not a stdio server entry (\(why)), left alone"
            }
            print("  \(Formatting.terminalSafe(name)): \(text)")
        }
    }
}
