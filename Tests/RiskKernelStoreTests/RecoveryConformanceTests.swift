import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Ending what a gateway that died left behind, on every backend.
@Suite("Store conformance: recovery after a crash")
struct RecoveryConformanceTests {
    /// A run as a gateway leaves it when killed: one approval pending, one call forwarded.
    static func abandonedRun(_ store: any Store, owner: GatewayOwner, expiresAt: Date? = nil) async throws -> (RunRecord, ApprovalRecord, ToolCallRecord) {
        let run = try await store.createRun(NewRun(name: "abandoned"))
        try await store.claimRun(id: run.id, owner: owner)
        let (_, approval) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "send", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "send")),
            approvalExpiresAt: expiresAt ?? Date().addingTimeInterval(600))
        let (forwarded, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "2", tool: "read", sideEffect: "read", arguments: [:], decision: .allow), approvalExpiresAt: nil)
        return (run, try #require(approval), forwarded)
    }

    @Test("a dead gateway's run is failed, its approvals expired and its calls ended, in the chain; live and spared runs are untouched", arguments: StoreBackend.allCases)
    func deadGateway(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let host = "host-\(UUID().uuidString)"
        let dead = GatewayOwner(host: host, pid: 1001, processStart: "boot:1")
        let alive = GatewayOwner(host: host, pid: 1002, processStart: "boot:2")
        let (deadRun, deadApproval, deadCall) = try await Self.abandonedRun(store, owner: dead)
        let (liveRun, liveApproval, _) = try await Self.abandonedRun(store, owner: alive)
        let (sparedRun, sparedApproval, _) = try await Self.abandonedRun(store, owner: dead)
        let (elsewhereRun, _, _) = try await Self.abandonedRun(store, owner: GatewayOwner(host: "other-host", pid: 1001, processStart: nil))

        let report = try await store.recoverAbandonedRuns(
            host: host, sparing: sparedRun.id, expiredBefore: Date().addingTimeInterval(-60), isRunning: { $0.pid == 1002 })
        #expect(report.failedRuns == [deadRun.id])
        #expect(report.expiredApprovals == [deadApproval.id])
        #expect(Set(report.endedToolCalls) == [deadApproval.toolCallId, deadCall.id])

        let failed = try #require(try await store.run(id: deadRun.id))
        #expect(failed.status == .failed)
        #expect(failed.haltReason?.contains("the process died") == true)
        let approval = try #require(try await store.approval(id: deadApproval.id))
        #expect(approval.status == .expired)
        #expect(approval.reason?.contains("the process died") == true)
        let calls = try await store.toolCalls(runId: deadRun.id)
        #expect(calls.map(\.status) == [.cancelled, .unknown])
        let kinds = try await store.events(runId: deadRun.id).map(\.kind).suffix(4)
        #expect(Array(kinds) == ["approval.decided", "tool.completed", "tool.completed", "run.status"])

        for (run, pending) in [(liveRun, liveApproval), (sparedRun, sparedApproval)] {
            #expect(try await store.run(id: run.id)?.status == .running)
            #expect(try await store.approval(id: pending.id)?.status == .pending)
        }
        #expect(try await store.run(id: elsewhereRun.id)?.status == .running)

        // Done once: a second pass finds nothing.
        let again = try await store.recoverAbandonedRuns(
            host: host, sparing: sparedRun.id, expiredBefore: Date().addingTimeInterval(-60), isRunning: { $0.pid == 1002 })
        #expect(again.isEmpty)
    }

    @Test("an approval past its expiry is expired unless a live gateway of this host serves its run", arguments: StoreBackend.allCases)
    func pastExpiry(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let host = "host-\(UUID().uuidString)"
        let past = Date().addingTimeInterval(-3600)
        let (_, elsewhere, _) = try await Self.abandonedRun(store, owner: GatewayOwner(host: "other-host", pid: 7, processStart: nil), expiresAt: past)
        let (_, served, _) = try await Self.abandonedRun(store, owner: GatewayOwner(host: host, pid: 8, processStart: nil), expiresAt: past)
        let (_, notYet, _) = try await Self.abandonedRun(store, owner: GatewayOwner(host: "other-host", pid: 9, processStart: nil))
        let report = try await store.recoverAbandonedRuns(host: host, sparing: nil, expiredBefore: Date(), isRunning: { _ in true })
        #expect(report.expiredApprovals == [elsewhere.id])
        #expect(report.failedRuns.isEmpty)
        let expired = try #require(try await store.approval(id: elsewhere.id))
        #expect(expired.status == .expired)
        #expect(expired.reason == "no decision before it expired, and no gateway was waiting for it")
        #expect(try await store.toolCall(id: elsewhere.toolCallId)?.status == .cancelled)
        #expect(try await store.approval(id: served.id)?.status == .pending)
        #expect(try await store.approval(id: notYet.id)?.status == .pending)
    }

    @Test("this process is running; a pid with another start time, or no process, is not")
    func liveness() {
        let me = GatewayOwner.current()
        #expect(me.isRunning())
        #expect(me.host == GatewayOwner.currentHost())
        #if os(Linux)
        #expect(me.processStart != nil)
        var reused = me
        reused.processStart = "another-boot:1"
        #expect(!reused.isRunning())
        #endif
        #expect(!GatewayOwner(host: me.host, pid: Int32.max - 1, processStart: nil).isRunning())
        #expect(!GatewayOwner(host: me.host, pid: 0, processStart: nil).isRunning())
    }
}
