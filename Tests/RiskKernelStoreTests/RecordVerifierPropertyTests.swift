import Foundation
import RiskKernelCore
import RiskKernelProvenance
import RiskKernelStore
import SeededRandom
import Testing

/// The kind behind the conformance cases: any one change to a covered column of any row, any
/// deleted row and any inserted row of the records a store wrote is found, naming its table and row.
@Suite("record checks: random tampering")
struct RecordVerifierPropertyTests {
    /// One change to the records, and the table and row it must be found at.
    struct Mutation {
        var table: String
        var row: String
        var apply: (inout ProvenanceRecords) -> Void
        /// Where in this file the mutation is written, to name it in a failure.
        var line: Int
    }

    static func mutations(of records: ProvenanceRecords, using random: inout SeededRandom) -> [Mutation] {
        var list: [Mutation] = []
        let bump = Int64(random.int(1...1000))
        for (i, entry) in records.ledger.enumerated() {
            list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].dollars = $0.ledger[i].dollars + Money(micros: bump) }, line: #line))
            list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger.remove(at: i) }, line: #line))
            if entry.kind == "model" {
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].promptTokens += bump }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].completionTokens -= bump }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].cachedPromptTokens += bump }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].model = "gpt-cheap" }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].provider = "elsewhere" }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].priced.toggle() }, line: #line))
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].step = ($0.ledger[i].step ?? 0) + bump }, line: #line))
            } else {
                list.append(Mutation(table: "ledger_entries", row: entry.id, apply: { $0.ledger[i].tool = ($0.ledger[i].tool ?? "") + "-other" }, line: #line))
            }
            list.append(Mutation(table: "ledger_entries", row: "led_copy", apply: { var copy = $0.ledger[i]; copy.id = "led_copy"; $0.ledger.append(copy) }, line: #line))
        }
        for (i, call) in records.toolCalls.enumerated() {
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].arguments = ["forged": .integer(bump)] }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].tool += "-other" }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].requestId = "x\(bump)" }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].sideEffect += ".other" }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].decision = $0.toolCalls[i].decision == "allow" ? "deny" : "allow" }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].status = $0.toolCalls[i].status == .succeeded ? .failed : .succeeded }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].approvalId = "apr_forged" }, line: #line))
            list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls.remove(at: i) }, line: #line))
            list.append(Mutation(table: "tool_calls", row: "call_copy", apply: { var copy = $0.toolCalls[i]; copy.id = "call_copy"; $0.toolCalls.append(copy) }, line: #line))
            if call.completedAt != nil {
                list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].isError.toggle() }, line: #line))
                list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].durationMs = Double(bump) + 0.5 + ($0.toolCalls[i].durationMs ?? 0) }, line: #line))
            }
            if call.result != nil {
                list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].result = ["content": []] }, line: #line))
                list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].resultDigest = String(repeating: "e", count: 64) }, line: #line))
            }
            if call.rule != nil { list.append(Mutation(table: "tool_calls", row: call.id, apply: { $0.toolCalls[i].rule = "none" }, line: #line)) }
        }
        for (i, approval) in records.approvals.enumerated() {
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].status = .denied }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].decidedBy = "mallory" }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].reason = "forged" }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].rule += "-other" }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].arguments = ["forged": true] }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].tool += "-other" }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals[i].consumedBy = "r\(bump)" }, line: #line))
            list.append(Mutation(table: "approvals", row: approval.id, apply: { $0.approvals.remove(at: i) }, line: #line))
            list.append(Mutation(table: "approvals", row: "apr_copy", apply: { var copy = $0.approvals[i]; copy.id = "apr_copy"; $0.approvals.append(copy) }, line: #line))
        }
        for (i, checkpoint) in records.checkpoints.enumerated() {
            list.append(Mutation(table: "checkpoints", row: checkpoint.id, apply: { $0.checkpoints[i].payload = ["forged": .integer(bump)] }, line: #line))
            list.append(Mutation(table: "checkpoints", row: checkpoint.id, apply: { $0.checkpoints[i].name += "-other" }, line: #line))
            list.append(Mutation(table: "checkpoints", row: checkpoint.id, apply: { $0.checkpoints[i].sequence += 1 }, line: #line))
            list.append(Mutation(table: "checkpoints", row: checkpoint.id, apply: { $0.checkpoints.remove(at: i) }, line: #line))
            list.append(Mutation(table: "checkpoints", row: "ckpt_copy", apply: { var copy = $0.checkpoints[i]; copy.id = "ckpt_copy"; $0.checkpoints.append(copy) }, line: #line))
        }
        for (i, attribution) in records.attributions.enumerated() {
            list.append(Mutation(table: "attributions", row: attribution.id, apply: { $0.attributions[i].linesAdded += bump }, line: #line))
            list.append(Mutation(table: "attributions", row: attribution.id, apply: { $0.attributions[i].file += ".other" }, line: #line))
            list.append(Mutation(table: "attributions", row: attribution.id, apply: { $0.attributions[i].author += "-other" }, line: #line))
            list.append(Mutation(table: "attributions", row: attribution.id, apply: { $0.attributions[i].tokens -= bump }, line: #line))
        }
        for (i, step) in records.steps.enumerated() {
            list.append(Mutation(table: "steps", row: "\(step.runId)/\(step.index)", apply: { $0.steps[i].ledgerEntryId = "led_other" }, line: #line))
            list.append(Mutation(table: "steps", row: "\(step.runId)/\(step.index)", apply: { $0.steps.remove(at: i) }, line: #line))
        }
        for (i, run) in records.runs.enumerated() {
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].usage.promptTokens -= bump }, line: #line))
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].usage.dollars = Money(micros: 0) }, line: #line))
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].usage.toolCalls += 1 }, line: #line))
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].usage.loops -= 1 }, line: #line))
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].treeUsage.completionTokens -= bump }, line: #line))
            list.append(Mutation(table: "runs", row: run.id, apply: { $0.runs[i].status = $0.runs[i].status == .running ? .completed : .running }, line: #line))
        }
        return list
    }

    @Test("any one change, deletion or insertion is found at its table and row")
    func randomTampering() async throws {
        let store = try StoreBackend.sqlite.makeStore()
        let written = try await RecordCoverageConformanceTests.write(store)
        let records = try await store.provenanceRecords(runIds: [written.parent.id, written.child.id])
        try #require(RecordVerifier.verify(records) == [])
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let all = Self.mutations(of: records, using: &random)
        // Every mutation once, then random ones (with the random amounts of this seed).
        for round in 0..<(all.count + 200) {
            let mutation = round < all.count ? all[round] : random.pick(all)
            var tampered = records
            mutation.apply(&tampered)
            let found = RecordVerifier.verify(tampered)
            #expect(found.contains { $0.table == mutation.table && $0.row == mutation.row },
                    "seed \(seed), round \(round): the mutation of line \(mutation.line) (\(mutation.table) \(mutation.row)) not found in \(found)")
        }
    }
}
