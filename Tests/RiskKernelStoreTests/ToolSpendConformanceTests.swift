import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Priced tool calls and the counts rate limits read, on each backend.
@Suite("Store conformance: tool spend and recent calls")
struct ToolSpendConformanceTests {
    @Test("tool spend adds to the tree's dollars, halts a crossed budget, and groups by tool with the calls", arguments: StoreBackend.allCases)
    func toolSpend(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let root = try await store.createRun(NewRun(name: "root", budget: Budget(dollars: Money(dollars: "0.10"))))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: root.id))
        for (index, tool) in ["search", "search", "fetch"].enumerated() {
            let (call, _) = try await store.beginToolCall(
                NewToolCall(runId: child.id, requestId: "\(index)", tool: tool, sideEffect: "read", arguments: [:], decision: .allow),
                approvalExpiresAt: nil)
            if tool == "search" {
                let spent = try await store.recordToolSpend(runId: child.id, callId: call.id, tool: tool, dollars: Money(dollars: "0.05")!)
                #expect(spent.entry.kind == "tool" && spent.entry.tool == "search")
            }
        }
        _ = try await store.beginToolCall(
            NewToolCall(runId: child.id, requestId: "9", tool: "search", sideEffect: "read", arguments: [:], decision: .deny(rule: "x", reason: "y")),
            approvalExpiresAt: nil)
        let rootNow = try #require(try await store.run(id: root.id))
        #expect(rootNow.treeUsage.dollars == Money(dollars: "0.10"))
        #expect(rootNow.status == .halted)
        #expect(try await store.governanceState(runId: child.id).haltReason != nil)
        #expect(try await store.events(runId: child.id).filter { $0.kind == "tool.charged" }.count == 2)
        let summary = try await store.summarize(by: .tool, since: nil, until: nil)
        #expect(summary.by == "tool")
        #expect(summary.groups.map { "\($0.key):\($0.calls):\($0.dollars)" } == ["search:2:$0.100000", "fetch:1:$0.000000"])
        #expect(summary.total.dollars == Money(dollars: "0.10"))
        // Model grouping still counts model calls only.
        #expect(try await store.summarize(by: .model, since: nil, until: nil).groups.isEmpty)
        await #expect(throws: StoreError.self) {
            _ = try await store.recordToolSpend(runId: child.id, callId: "c", tool: "t", dollars: Money(micros: -1))
        }
    }

    @Test("recent calls cover the whole run tree, skip refused calls, and start at the given time", arguments: StoreBackend.allCases)
    func recentCalls(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let root = try await store.createRun(NewRun(name: "root"))
        let child = try await store.createRun(NewRun(name: "child", parentRunId: root.id))
        let grandchild = try await store.createRun(NewRun(name: "grandchild", parentRunId: child.id))
        let other = try await store.createRun(NewRun(name: "other"))
        let start = Date().addingTimeInterval(-1)
        for (run, tool, decision) in [(root.id, "a", Decision.allow), (grandchild.id, "b", .allow), (child.id, "c", .deny(rule: "r", reason: "no")),
                                      (other.id, "d", .allow), (child.id, "e", .needsApproval(rule: "tool=e"))] {
            _ = try await store.beginToolCall(
                NewToolCall(runId: run, requestId: tool, tool: tool, sideEffect: "read", arguments: [:], decision: decision), approvalExpiresAt: nil)
        }
        #expect(try await store.recentToolCalls(runId: grandchild.id, since: start).map(\.tool).sorted() == ["a", "b", "e"])
        #expect(try await store.recentToolCalls(runId: other.id, since: start).map(\.tool) == ["d"])
        #expect(try await store.recentToolCalls(runId: root.id, since: Date().addingTimeInterval(60)).isEmpty)
    }
}
