import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore

/// Records as the templates read them. An absent value is `false`, never missing: Mustache would
/// otherwise look the name up in the enclosing context (a child run would show its parent's name).
enum Views {
    static func time(_ date: Date?) -> Any { date.map { Timestamps.iso8601($0) } ?? false }
    static func optional(_ text: String?) -> Any { text.flatMap { $0.isEmpty ? nil : $0 } ?? false }

    static func approval(_ approval: ApprovalRecord) -> [String: Any] {
        [
            "id": approval.id, "tool": approval.tool, "sideEffect": approval.sideEffect, "rule": approval.rule, "runId": approval.runId,
            "server": optional(approval.server), "status": approval.status.rawValue,
            "arguments": PrettyJSON.string(approval.forwardedArguments ?? approval.arguments),
            "forwarded": approval.forwardedArguments == nil ? false : PrettyJSON.string(approval.arguments),
            "createdAt": time(approval.createdAt), "expiresAt": time(approval.expiresAt), "decidedAt": time(approval.decidedAt ?? approval.expiresAt),
            "decidedBy": optional(approval.decidedBy), "reason": optional(approval.reason),
        ]
    }

    static func pin(_ pin: ToolPinRecord) -> [String: Any] {
        let old = pin.pinnedDefinition.map { PrettyJSON.string($0).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
        let new = PrettyJSON.string(pin.definition).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lines = LineDiff.render(LineDiff.diff(old, new)).split(separator: "\n", omittingEmptySubsequences: false).map { line -> [String: Any] in
            let kind = line.hasPrefix("+") ? "added" : line.hasPrefix("-") ? "removed" : "same"
            return ["kind": kind, "text": String(line)]
        }
        return ["server": pin.server, "tool": pin.tool, "status": pin.status.rawValue, "diff": lines]
    }

    static func runRow(_ run: RunRecord) -> [String: Any] {
        [
            "id": run.id, "name": run.name ?? "", "status": run.status.rawValue, "policy": run.policyRef ?? "-",
            "tokens": "\(run.usage.totalTokens)", "dollars": run.usage.dollars.description, "toolCalls": "\(run.usage.toolCalls)",
            "createdAt": time(run.createdAt),
        ]
    }

    static func tree(_ tree: SessionTree, current: String) -> [String: Any] {
        [
            "id": tree.run.id, "name": optional(tree.run.name), "status": tree.run.status.rawValue, "current": tree.run.id == current,
            "dollars": tree.run.treeUsage.dollars.description, "hasChildren": !tree.children.isEmpty,
            "children": tree.children.map { Self.tree($0, current: current) },
        ]
    }

    /// Rows of used, tree and budget for tokens, dollars, loops and seconds.
    static func budget(_ run: RunRecord, now: Date) -> [[String: Any]] {
        let seconds = Int64((run.endedAt ?? now).timeIntervalSince(run.createdAt))
        func row(_ label: String, _ used: Double, _ usedText: String, _ tree: String, _ limit: Double?, _ limitText: String?) -> [String: Any] {
            let fraction = limit.map { $0 > 0 ? min(used / $0, 1) : 1 } ?? 0
            return [
                "label": label, "used": usedText, "tree": tree, "limit": limitText ?? "-", "hasLimit": limit != nil,
                "fraction": String(format: "%.3f", fraction), "percent": String(format: "%.0f%%", fraction * 100),
            ]
        }
        let dollars = { (money: Money) in Double(money.micros) / 1_000_000 }
        return [
            row("tokens", Double(run.usage.totalTokens), "\(run.usage.totalTokens)", "\(run.treeUsage.totalTokens)",
                run.budget.tokens.map(Double.init), run.budget.tokens.map { "\($0)" }),
            row("dollars", dollars(run.usage.dollars), run.usage.dollars.description, run.treeUsage.dollars.description,
                run.budget.dollars.map(dollars), run.budget.dollars?.description),
            row("loops", Double(run.usage.loops), "\(run.usage.loops)", "\(run.treeUsage.loops)", run.budget.loops.map(Double.init), run.budget.loops.map { "\($0)" }),
            row("seconds", Double(seconds), "\(seconds)", "-", run.budget.seconds.map(Double.init), run.budget.seconds.map { "\($0)" }),
            row("tool calls", Double(run.usage.toolCalls), "\(run.usage.toolCalls)", "\(run.treeUsage.toolCalls)", nil, nil),
        ]
    }

    /// Tool calls, model calls, approvals (held and decided) and checkpoints, oldest first.
    static func timeline(_ detail: RunDetail) -> [[String: Any]] {
        var items: [(Date, [String: Any])] = []
        func item(_ at: Date, _ kind: String, _ label: String, _ title: String, _ detail: String) {
            items.append((at, ["at": Timestamps.iso8601(at), "kind": kind, "label": label, "title": title, "detail": detail]))
        }
        for call in detail.toolCalls {
            let outcome = [call.decision + (call.rule.map { " (\($0))" } ?? ""), call.status.rawValue, call.reason ?? RunDetail.withheldReason(call)]
                .compactMap { $0 }.joined(separator: " · ")
            item(call.createdAt, "tool", "tool call", call.tool, outcome)
        }
        for entry in detail.ledger where entry.kind == "model" {
            item(entry.createdAt, "model", "model call", [entry.provider, entry.model].compactMap { $0 }.joined(separator: " "),
                 "\(entry.promptTokens) + \(entry.completionTokens) tokens · \(entry.dollars)")
        }
        for approval in detail.approvals {
            item(approval.createdAt, "approval", "held", approval.tool, "rule \(approval.rule)")
            if let decidedAt = approval.decidedAt {
                let who = approval.decidedBy.map { " by \($0)" } ?? ""
                item(decidedAt, "approval", approval.status.rawValue, approval.tool, who + (approval.reason.map { ": \($0)" } ?? ""))
            }
        }
        for checkpoint in detail.checkpoints {
            item(checkpoint.createdAt, "checkpoint", "checkpoint", checkpoint.name, "")
        }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
