import Foundation
import RiskKernelCore

/// What every store writes for spend, worked out once: ledger entries, their events' data, and
/// which budgets a spend crosses.
enum LedgerWrites {
    /// The `model.recorded` event's data.
    static func modelRecorded(_ entry: LedgerEntry) -> JSONValue {
        var data: [String: JSONValue] = [
            "entryId": .string(entry.id), "provider": .string(entry.provider ?? ""), "model": .string(entry.model ?? ""),
            "promptTokens": .integer(entry.promptTokens), "completionTokens": .integer(entry.completionTokens),
            "cachedPromptTokens": .integer(entry.cachedPromptTokens), "dollars": .string(entry.dollars.decimalString),
            "priced": .bool(entry.priced), "step": .integer(entry.step ?? 0),
        ]
        if let responseId = entry.responseId { data["responseId"] = .string(responseId) }
        return .object(data)
    }

    /// The `tool.charged` event's data.
    static func toolCharged(_ entry: LedgerEntry) -> JSONValue {
        ["entryId": .string(entry.id), "callId": .string(entry.responseId ?? ""), "tool": .string(entry.tool ?? ""), "dollars": .string(entry.dollars.decimalString)]
    }

    /// The ledger entry of a model call, as stored.
    static func modelEntry(runId: String, _ call: NewModelCall, step: Int64, at now: Date) -> LedgerEntry {
        LedgerEntry(
            id: Identifiers.makeOrdered("led", at: now), runId: runId, kind: "model", provider: call.provider, model: call.model, tool: nil,
            promptTokens: call.promptTokens, completionTokens: call.completionTokens, cachedPromptTokens: call.cachedPromptTokens,
            dollars: call.dollars, priced: call.priced, responseId: call.responseId, step: step, createdAt: now)
    }

    /// The ledger entry of a priced tool's call (its call id kept as the response id), as stored.
    static func toolEntry(runId: String, callId: String, tool: String, dollars: Money, at now: Date) -> LedgerEntry {
        LedgerEntry(
            id: Identifiers.makeOrdered("led", at: now), runId: runId, kind: "tool", provider: nil, model: nil, tool: tool, promptTokens: 0,
            completionTokens: 0, cachedPromptTokens: 0, dollars: dollars, priced: true, responseId: callId, step: nil, createdAt: now)
    }

    /// Why the first halted member of `chain` (a run, then its ancestors) is halted, naming the
    /// ancestor when it is not the run itself.
    static func haltReason(of chain: [RunRecord]) -> String? {
        guard let halted = chain.first(where: { $0.status == .halted }) else { return nil }
        let reason = halted.haltReason ?? "halted"
        return halted.id == chain.first?.id ? reason : "ancestor run \(halted.id) is halted: \(reason)"
    }

    /// The budgets `spend` crosses: `ancestry` (the run then its ancestors, as read before the
    /// spend) with the spend added to each tree usage and every running member whose budget is now
    /// exhausted marked halted; `halts` lists those members and why.
    static func crossedBudgets(_ ancestry: [RunRecord], adding spend: Usage, at time: Date) -> (chain: [RunRecord], halts: [(runId: String, reason: String)]) {
        var chain = ancestry
        var halts: [(runId: String, reason: String)] = []
        for index in chain.indices {
            chain[index].treeUsage = chain[index].treeUsage + spend
            let member = chain[index]
            guard member.status == .running,
                  let exhausted = member.budget.exhaustion(of: member.treeUsage, elapsedSeconds: time.timeIntervalSince(member.createdAt))
            else { continue }
            chain[index].status = .halted
            chain[index].haltReason = exhausted.message
            halts.append((member.id, exhausted.message))
        }
        return (chain, halts)
    }
}
