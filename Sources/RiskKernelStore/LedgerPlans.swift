import Foundation
import RiskKernelCore

/// The writes both stores make for runs, spend and decided tool calls, planned once: the rows
/// (in SQL both run) and the chained events, in order. A backend executes the plan in the
/// transaction in which it read what the plan was made from.
extension LedgerWrites {
    static func ms(_ date: Date) -> SQLValue { .integer(Timestamps.milliseconds(date)) }
    static func text(_ value: JSONValue) -> SQLValue { .text(CanonicalJSON.string(value, numbers: .asWritten)) }

    // MARK: runs

    /// A new run's row and its `run.started` event.
    static func newRun(_ run: NewRun, at now: Date) -> LedgerPlan {
        let metadata = JSONValue.object(run.metadata.mapValues { .string($0) })
        var plan = LedgerPlan()
        plan.run("""
            INSERT INTO runs (id, name, parent_run_id, policy_ref, budget_tokens, budget_dollars_micros, budget_loops,
                budget_seconds, status, metadata, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
            """,
            .text(run.id), SQLValue(run.name), SQLValue(run.parentRunId), SQLValue(run.policyRef), SQLValue(run.budget.tokens),
            SQLValue(run.budget.dollars?.micros), SQLValue(run.budget.loops), SQLValue(run.budget.seconds), .text(RunStatus.running.rawValue),
            text(metadata), ms(now))
        var data: [String: JSONValue] = ["metadata": metadata, "budget": budgetJSON(run.budget)]
        if let name = run.name { data["name"] = .string(name) }
        if let parent = run.parentRunId { data["parentRunId"] = .string(parent) }
        if let policy = run.policyRef { data["policy"] = .string(policy) }
        plan.append("run.started", .object(data), to: run.id)
        return plan
    }

    /// A run's status set to `status` (with `reason`) and its `run.status` event; `nil` when the
    /// run already stands so.
    static func runStatus(_ run: RunRecord, to status: RunStatus, reason: String?, at now: Date) -> LedgerPlan? {
        if run.status == status, run.haltReason == reason { return nil }
        var plan = LedgerPlan()
        plan.run(
            "UPDATE runs SET status = $1, halt_reason = $2, updated_at = $3, ended_at = $4 WHERE id = $5",
            .text(status.rawValue), SQLValue(reason ?? (status == .halted ? run.haltReason : nil)), ms(now),
            status.isClosed ? ms(now) : .null, .text(run.id))
        var data: [String: JSONValue] = ["status": .string(status.rawValue), "from": .string(run.status.rawValue)]
        if let reason { data["reason"] = .string(reason) }
        plan.append("run.status", .object(data), to: run.id)
        return plan
    }

    /// The end of a halted run (``RunEnd``); `nil` for a run in any other status.
    static func haltedRunEnd(_ run: RunRecord, at now: Date) -> LedgerPlan? {
        guard run.status == .halted else { return nil }
        var plan = LedgerPlan()
        plan.run("UPDATE runs SET updated_at = $1, ended_at = $1 WHERE id = $2", ms(now), .text(run.id))
        plan.append("run.status", ["status": "halted", "from": "halted", "reason": .string(RunEnd.reason)], to: run.id)
        return plan
    }

    static func budgetJSON(_ budget: Budget) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let tokens = budget.tokens { members["tokens"] = .integer(tokens) }
        if let dollars = budget.dollars { members["dollars"] = .string(dollars.decimalString) }
        if let loops = budget.loops { members["loops"] = .integer(loops) }
        if let seconds = budget.seconds { members["seconds"] = .integer(seconds) }
        return .object(members)
    }

    // MARK: spend

    /// A model call of the first run of `ancestry` (the run, then its ancestors, as read in the
    /// transaction): its ledger entry, the step it opens, the usage it adds, its `model.recorded`
    /// event and the halts of the budgets it crosses. `result` holds the entry and the run as the
    /// plan leaves it, so that nothing is read back after the plan is executed.
    static func modelCall(_ call: NewModelCall, ancestry: [RunRecord], at now: Date) throws -> (plan: LedgerPlan, result: SpendResult) {
        let run = ancestry[0]
        let entry = modelEntry(runId: run.id, call, step: run.usage.loops + 1, at: now)
        var plan = LedgerPlan()
        plan.run("""
            INSERT INTO ledger_entries (id, run_id, kind, provider, model, prompt_tokens, completion_tokens,
                cached_prompt_tokens, dollars_micros, priced, response_id, step_index, created_at)
            VALUES ($1, $2, 'model', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """,
            .text(entry.id), .text(run.id), .text(call.provider), .text(call.model), .integer(call.promptTokens), .integer(call.completionTokens),
            .integer(call.cachedPromptTokens), .integer(call.dollars.micros), .bool(call.priced), SQLValue(call.responseId), SQLValue(entry.step),
            ms(now))
        plan.run(
            "INSERT INTO steps (run_id, step_index, ledger_entry_id, created_at) VALUES ($1, $2, $3, $4)",
            .text(run.id), SQLValue(entry.step), .text(entry.id), ms(now))
        let spend = Usage(
            promptTokens: call.promptTokens, completionTokens: call.completionTokens, cachedPromptTokens: call.cachedPromptTokens,
            dollars: call.dollars, loops: 1, modelCalls: 1)
        plan.append(contentsOf: try usage(spend, ancestry: ancestry, at: now, event: ("model.recorded", modelRecorded(entry))))
        let result = spent(spend, entry: entry, ancestry: ancestry, at: now, plan: &plan)
        return (plan, result)
    }

    /// A priced tool's call of the first run of `ancestry`: its `tool` ledger entry, the dollars
    /// added, its `tool.charged` event and the halts of the budgets it crosses; `result` as for
    /// ``modelCall(_:ancestry:at:)``.
    static func toolSpend(callId: String, tool: String, dollars: Money, ancestry: [RunRecord], at now: Date) throws
        -> (plan: LedgerPlan, result: SpendResult)
    {
        guard dollars >= .zero else { throw StoreError.invalidArgument("a tool's price must not be negative") }
        let runId = ancestry[0].id
        let entry = toolEntry(runId: runId, callId: callId, tool: tool, dollars: dollars, at: now)
        var plan = LedgerPlan()
        plan.run("""
            INSERT INTO ledger_entries (id, run_id, kind, tool, dollars_micros, priced, response_id, created_at)
            VALUES ($1, $2, 'tool', $3, $4, $5, $6, $7)
            """,
            .text(entry.id), .text(runId), .text(tool), .integer(dollars.micros), .bool(true), .text(callId), ms(now))
        let spend = Usage(dollars: dollars)
        plan.append(contentsOf: try usage(spend, ancestry: ancestry, at: now, event: ("tool.charged", toolCharged(entry))))
        let result = spent(spend, entry: entry, ancestry: ancestry, at: now, plan: &plan)
        return (plan, result)
    }

    /// Adds to `plan` the halts of the budgets `spend` crosses (``halts(_:adding:at:)``), and
    /// returns the spend's result: `entry`, the run as the plan leaves its row (usage, tree usage,
    /// status and `updated_at`) and why it is halted after the spend.
    private static func spent(_ spend: Usage, entry: LedgerEntry, ancestry: [RunRecord], at now: Date, plan: inout LedgerPlan) -> SpendResult {
        let (halts, haltReason, chain) = self.halts(ancestry, adding: spend, at: now)
        plan.append(contentsOf: halts)
        var run = chain[0]
        run.usage = run.usage + spend
        run.updatedAt = now
        return SpendResult(entry: entry, run: run, haltReason: haltReason)
    }

    /// `spend` added to the first run's own usage and to the tree usage of it and every ancestor
    /// of `ancestry`, with `event` appended to the first run's chain; throws when a total would
    /// overflow (``SpendLimits/checkRoom(for:in:)``). Each ancestor's row takes one `UPDATE`; the
    /// first run's usage is added by the statement that moves its chain anchor past `event`, so
    /// that its row is written once.
    static func usage(_ spend: Usage, ancestry: [RunRecord], at time: Date, event: (kind: String, data: JSONValue)) throws -> LedgerPlan {
        try SpendLimits.checkRoom(for: spend, in: ancestry)
        let deltas: [SQLValue] = [
            .integer(spend.promptTokens), .integer(spend.completionTokens), .integer(spend.cachedPromptTokens), .integer(spend.dollars.micros),
            .integer(spend.loops), .integer(spend.modelCalls), .integer(spend.toolCalls),
        ]
        var plan = LedgerPlan()
        for member in ancestry.dropFirst() {
            plan.run("""
                UPDATE runs SET tree_prompt_tokens = tree_prompt_tokens + $1, tree_completion_tokens = tree_completion_tokens + $2,
                    tree_cached_prompt_tokens = tree_cached_prompt_tokens + $3, tree_dollars_micros = tree_dollars_micros + $4,
                    tree_loops = tree_loops + $5, tree_model_calls = tree_model_calls + $6, tree_tool_calls = tree_tool_calls + $7
                WHERE id = $8
                """, values: deltas + [.text(member.id)])
        }
        let anchor = LedgerPlan.AnchorUpdate(
            sql: """
                UPDATE runs SET chain_length = $1, chain_head = $2,
                    prompt_tokens = prompt_tokens + $3, completion_tokens = completion_tokens + $4,
                    cached_prompt_tokens = cached_prompt_tokens + $5, dollars_micros = dollars_micros + $6, loops = loops + $7,
                    model_calls = model_calls + $8, tool_calls = tool_calls + $9,
                    tree_prompt_tokens = tree_prompt_tokens + $3, tree_completion_tokens = tree_completion_tokens + $4,
                    tree_cached_prompt_tokens = tree_cached_prompt_tokens + $5, tree_dollars_micros = tree_dollars_micros + $6,
                    tree_loops = tree_loops + $7, tree_model_calls = tree_model_calls + $8, tree_tool_calls = tree_tool_calls + $9,
                    updated_at = $10
                WHERE id = $11
                """,
            values: deltas + [ms(time), .text(ancestry[0].id)])
        plan.append(event.kind, event.data, to: ancestry[0].id, anchor: anchor)
        return plan
    }

    /// Halts every running member of `ancestry` (as read before `spend` was added) whose budget
    /// its tree has now crossed, each with a `run.status` event; `haltReason` is why the run (or an
    /// ancestor) is halted after the spend, and `chain` is ``crossedBudgets(_:adding:at:)``'s.
    static func halts(_ ancestry: [RunRecord], adding spend: Usage, at time: Date) -> (plan: LedgerPlan, haltReason: String?, chain: [RunRecord]) {
        let (chain, halts) = crossedBudgets(ancestry, adding: spend, at: time)
        var plan = LedgerPlan()
        for halt in halts {
            plan.run("UPDATE runs SET status = 'halted', halt_reason = $1, updated_at = $2 WHERE id = $3", .text(halt.reason), ms(time), .text(halt.runId))
            plan.append("run.status", ["status": "halted", "from": "running", "reason": .string(halt.reason)], to: halt.runId)
        }
        return (plan, haltReason(of: chain), chain)
    }

    // MARK: tool calls

    /// A decided call of the first run of `ancestry`: its row, the tool call it adds to the usage,
    /// its `tool.decided` event and, for `needsApproval`, its pending approval and
    /// `approval.requested` event.
    static func toolCall(_ call: NewToolCall, ancestry: [RunRecord], approvalExpiresAt: Date?, at now: Date) throws
        -> (written: WrittenToolCall, plan: LedgerPlan)
    {
        let written = WrittenToolCall(call)
        let argumentsBytes = CanonicalJSON.encode(call.arguments, numbers: .asWritten)
        let forwardedBytes = call.forwardedArguments.map { CanonicalJSON.encode($0, numbers: .asWritten) }
        let argumentsText = String(decoding: argumentsBytes, as: UTF8.self)
        let forwardedText = forwardedBytes.map { String(decoding: $0, as: UTF8.self) }
        let arguments = SQLValue.text(argumentsText), forwarded = SQLValue(forwardedText)
        let aside = ToolCallRows.keepsAside(argumentsText, forwardedText)
        var plan = LedgerPlan()
        plan.run("""
            INSERT INTO tool_calls (id, run_id, request_id, tool, side_effect, arguments, forwarded_arguments, decision, rule, reason,
                approval_id, status, is_error, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """,
            .text(call.id), .text(call.runId), .text(call.requestId), .text(call.tool), .text(call.sideEffect),
            aside ? .text("") : arguments, aside ? .null : forwarded,
            .text(call.decision.kind), SQLValue(written.rule), SQLValue(written.reason), SQLValue(written.approvalId),
            .text(written.status.rawValue), .bool(written.status == .refused), ms(now))
        if aside {
            plan.run("INSERT INTO tool_call_arguments (call_id, arguments, forwarded_arguments) VALUES ($1, $2, $3)", .text(call.id), arguments, forwarded)
        }
        plan.append(contentsOf: try usage(
            Usage(toolCalls: 1), ancestry: ancestry, at: now, event: ("tool.decided", written.event(stored: argumentsBytes, storedForwarded: forwardedBytes))))
        if let approvalId = written.approvalId, let rule = written.rule {
            plan.run("""
                INSERT INTO approvals (id, run_id, tool_call_id, tool, side_effect, arguments, forwarded_arguments, match_key, server, rule,
                    status, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)
                """,
                .text(approvalId), .text(call.runId), .text(call.id), .text(call.tool), .text(call.sideEffect), arguments, forwarded,
                SQLValue(call.approvalMatchKey), SQLValue(call.server), .text(rule), ms(now), approvalExpiresAt.map(ms) ?? .null)
            plan.append("approval.requested", ["approvalId": .string(approvalId), "callId": .string(call.id), "rule": .string(rule)], to: call.runId)
        }
        return (written, plan)
    }
}
