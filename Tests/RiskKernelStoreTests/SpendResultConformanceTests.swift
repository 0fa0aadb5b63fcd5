import Foundation
import RiskKernelCore
import RiskKernelStore
import SeededRandom
import Testing

/// A spend's result gives the run as the store holds it after the spend, worked out from what was
/// written instead of read back.
@Suite("Store conformance: the run a spend returns")
struct SpendResultConformanceTests {
    @Test("each spend returns the run the store reads back: usage, tree usage, status, halt reason, times", arguments: StoreBackend.allCases)
    func returnedRunIsStoredRun(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        var generator = SeededRandom(seed: 0x5BE1D)
        // A tree of three with small budgets, so that spends cross them on the way.
        let root = try await store.createRun(NewRun(name: "root", budget: Budget(tokens: 40_000, dollars: Money(dollars: "0.50"))))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: root.id, budget: Budget(loops: 12)))
        let grandchild = try await store.createRun(
            NewRun(name: "grandchild", parentRunId: child.id, budget: Budget(dollars: Money(dollars: "0.20")), metadata: ["team": "a"]))
        let runs = [root.id, child.id, grandchild.id]
        for step in 0..<60 {
            let runId = generator.pick(runs)
            let spent: SpendResult
            if generator.chance(0.7) {
                let call = NewModelCall(
                    provider: "openai", model: "gpt-4o", promptTokens: Int64(generator.int(0...3_000)), completionTokens: Int64(generator.int(0...900)),
                    cachedPromptTokens: Int64(generator.int(0...200)), dollars: Money(micros: Int64(generator.int(0...30_000))),
                    priced: generator.chance(0.9), responseId: generator.chance(0.5) ? "resp_\(step)" : nil)
                spent = try await store.recordModelCall(runId: runId, call)
            } else {
                spent = try await store.recordToolSpend(
                    runId: runId, callId: "call_\(step)", tool: "search", dollars: Money(micros: Int64(generator.int(0...40_000))))
            }
            let stored = try #require(try await store.run(id: runId))
            #expect(spent.run == stored, "step \(step), run \(runId)")
            #expect(try await store.ledger(runId: runId).last == spent.entry, "step \(step)")
        }
        // The budgets were crossed on the way, so the halts were compared too.
        #expect(try await store.run(id: root.id)?.status == .halted)
    }
}
