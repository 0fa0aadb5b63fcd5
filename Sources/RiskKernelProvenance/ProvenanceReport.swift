import Foundation
import RiskKernelCore
import RiskKernelStore

/// A bundle's report: totals over the run tree and a summary per run.
///
/// Token, dollar, call and event totals come from each run's own usage and chain head, so a `full`
/// bundle (which keeps only those) can recompute them; counts of approvals, checkpoints and attributions
/// and the breakdowns by decision and status come from the records (claims, in a `full` bundle).
public enum ProvenanceReport {
    /// What the report needs of one run.
    public struct RunFacts: Sendable, Hashable {
        /// The run id, or its digest object in a `full` bundle.
        public var id: JSONValue
        public var parentRunId: JSONValue
        public var name: String?
        public var status: String
        public var usage: Usage
        public var treeUsage: Usage
        public var head: ChainHead

        public init(id: JSONValue, parentRunId: JSONValue, name: String?, status: String, usage: Usage, treeUsage: Usage, head: ChainHead) {
            self.id = id
            self.parentRunId = parentRunId
            self.name = name
            self.status = status
            self.usage = usage
            self.treeUsage = treeUsage
            self.head = head
        }
    }

    /// The keys of `totals` and of each `runs` entry that follow from the runs alone.
    public static let totalsFromRuns: Set<String> = [
        "runs", "events", "loops", "promptTokens", "completionTokens", "cachedPromptTokens", "totalTokens", "dollars", "modelCalls", "toolCalls",
    ]
    public static let runKeysFromRuns: Set<String> = [
        "runId", "parentRunId", "status", "events", "loops", "promptTokens", "completionTokens", "cachedPromptTokens", "totalTokens", "dollars",
        "modelCalls", "toolCalls", "treeTotalTokens", "treeDollars",
    ]

    public static func make(
        runs: [RunFacts], toolCalls: [ToolCallRecord], approvals: [ApprovalRecord], checkpoints: [CheckpointRecord],
        attributions: [AttributionRecord]
    ) -> JSONValue {
        let usage = runs.reduce(Usage.zero) { $0 + $1.usage }
        func counts<T>(_ items: [T], _ key: (T) -> String) -> JSONValue {
            .object(Dictionary(grouping: items, by: key).mapValues { .integer(Int64($0.count)) })
        }
        let totals: JSONValue = [
            "runs": .integer(Int64(runs.count)), "events": .integer(runs.reduce(0) { $0 + $1.head.length }), "loops": .integer(usage.loops),
            "promptTokens": .integer(usage.promptTokens), "completionTokens": .integer(usage.completionTokens),
            "cachedPromptTokens": .integer(usage.cachedPromptTokens), "totalTokens": .integer(usage.totalTokens),
            "dollars": .string(usage.dollars.decimalString), "modelCalls": .integer(usage.modelCalls), "toolCalls": .integer(usage.toolCalls),
            "approvals": .integer(Int64(approvals.count)), "checkpoints": .integer(Int64(checkpoints.count)),
            "attributions": .integer(Int64(attributions.count)), "linesAdded": .integer(attributions.reduce(0) { $0 + $1.linesAdded }),
            "linesRemoved": .integer(attributions.reduce(0) { $0 + $1.linesRemoved }),
        ]
        let perRun: [JSONValue] = runs.map { run in
            let key = run.id.stringValue
            var entry: [String: JSONValue] = [
                "runId": run.id, "parentRunId": run.parentRunId, "status": .string(run.status), "events": .integer(run.head.length),
                "loops": .integer(run.usage.loops), "promptTokens": .integer(run.usage.promptTokens),
                "completionTokens": .integer(run.usage.completionTokens), "cachedPromptTokens": .integer(run.usage.cachedPromptTokens),
                "totalTokens": .integer(run.usage.totalTokens), "dollars": .string(run.usage.dollars.decimalString),
                "modelCalls": .integer(run.usage.modelCalls), "toolCalls": .integer(run.usage.toolCalls),
                "treeTotalTokens": .integer(run.treeUsage.totalTokens), "treeDollars": .string(run.treeUsage.dollars.decimalString),
                "approvals": .integer(Int64(approvals.filter { $0.runId == key }.count)),
                "checkpoints": .integer(Int64(checkpoints.filter { $0.runId == key }.count)),
                "attributions": .integer(Int64(attributions.filter { $0.runId == key }.count)),
            ]
            if let name = run.name { entry["name"] = .string(name) }
            return .object(entry)
        }
        return [
            "totals": totals, "toolCallsByDecision": counts(toolCalls, \.decision), "toolCallsByStatus": counts(toolCalls, \.status.rawValue),
            "approvalsByStatus": counts(approvals, \.status.rawValue), "runs": .array(perRun),
        ]
    }

    /// The report as a `full` bundle carries it: run ids as digests, no names.
    public static func redactedForFull(_ report: JSONValue) -> JSONValue {
        guard case .object(var members) = report else { return report }
        members["runs"] = .array((report["runs"]?.arrayValue ?? []).map { entry in
            var fields = entry.objectValue ?? [:]
            fields.removeValue(forKey: "name")
            for key in ["runId", "parentRunId"] {
                if let id = fields[key]?.stringValue { fields[key] = Redactor.digest(text: id) }
            }
            return .object(fields)
        })
        return .object(members)
    }

    /// `report` restricted to what follows from the runs alone (for checking a `full` bundle).
    public static func fromRunsOnly(_ report: JSONValue) -> JSONValue {
        let totals = (report["totals"]?.objectValue ?? [:]).filter { totalsFromRuns.contains($0.key) }
        let runs = (report["runs"]?.arrayValue ?? []).map { entry in JSONValue.object((entry.objectValue ?? [:]).filter { runKeysFromRuns.contains($0.key) }) }
        return ["totals": .object(totals), "runs": .array(runs)]
    }
}
