import ArgumentParser
import Foundation
import RiskKernelCore
import RiskKernelStore

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Summarize model spend by provider, model, day, run name or a metadata key, or tool calls and tool spend by tool.",
        discussion: "JSON (--json): {by, groups: [{key, calls, promptTokens, completionTokens, dollars}], total}.")
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("provider, model, day, name, metadata.KEY, or tool.", valueName: "grouping")) var by: String = "model"
    @Option(help: ArgumentHelp("From this date or time (YYYY-MM-DD or ISO 8601, UTC), inclusive.", valueName: "date")) var since: String?
    @Option(help: ArgumentHelp("Until this date or time (YYYY-MM-DD or ISO 8601, UTC), exclusive.", valueName: "date")) var until: String?

    func validate() throws {
        guard SummaryGrouping(by) != nil else {
            throw ValidationError("--by must be provider, model, day, name, metadata.KEY (KEY of letters, digits, _ - .) or tool, got \(by)")
        }
        if let since, DateArgument.parse(since) == nil { throw ValidationError("--since: not a date: \(since)") }
        if let until, DateArgument.parse(until) == nil { throw ValidationError("--until: not a date: \(until)") }
    }

    func run() async throws {
        let summary = try await storeOptions.openStore().summarize(
            by: SummaryGrouping(by)!, since: since.flatMap(DateArgument.parse), until: until.flatMap(DateArgument.parse))
        if output.json { return Output.printJSON(summary.json) }
        var table = TextTable(by.uppercased(), "CALLS", "PROMPT", "COMPLETION", "DOLLARS")
        for group in summary.groups + [summary.total] {
            table.add(
                Formatting.terminalSafe(group.key), "\(group.calls)", "\(group.promptTokens)", "\(group.completionTokens)",
                group.dollars.description)
        }
        print(table.render())
    }
}

enum DateArgument {
    /// `2026-11-23` (midnight UTC) or a full ISO 8601 time.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
