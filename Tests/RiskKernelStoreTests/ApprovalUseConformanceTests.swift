import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

/// Approvals bound to exactly what runs: found again by their match key in the run tree, used once,
/// and neither decided nor used past their expiry; on every backend.
@Suite("Store conformance: approval match keys, single use and expiry")
struct ApprovalUseConformanceTests {
    /// Records a held call with `key` in `runId`, expiring `after` seconds from now.
    static func hold(_ store: any Store, runId: String, key: String, after: TimeInterval = 60) async throws -> ApprovalRecord {
        let decided = try await store.decideToolCall(runId: runId, recentSince: nil, approvalExpiresAt: Date().addingTimeInterval(after)) { _ in
            var call = NewToolCall(
                runId: runId, requestId: "1", tool: "send", sideEffect: "write", arguments: ["to": "[REDACTED:github-token]"],
                forwardedArguments: ["to": "ops"], decision: .needsApproval(rule: "tool=send"))
            call.approvalMatchKey = key
            return (call, ())
        }
        return try #require(decided.approval)
    }

    /// What a decision with `key` finds in the run tree of `runId`.
    static func match(_ store: any Store, runId: String, key: String) async throws -> ApprovalRecord? {
        let request = DecisionRequest(runId: runId, recentSince: nil, approvalExpiresAt: nil, approvalMatchKey: key) { inputs in
            (nil as NewToolCall?, inputs.matchingApproval)
        }
        return try await store.decideToolCalls([request])[0].get().verdict
    }

    @Test("a decision finds the newest unused approval of the run tree with its key, and no other", arguments: StoreBackend.allCases)
    func findsByKey(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let parent = try await store.createRun(NewRun())
        let child = try await store.createRun(NewRun(parentRunId: parent.id))
        let stranger = try await store.createRun(NewRun())
        let approval = try await Self.hold(store, runId: child.id, key: "k1")
        #expect(approval.matchKey == "k1")
        #expect(approval.forwardedArguments == ["to": "ops"])
        #expect(try await Self.match(store, runId: parent.id, key: "k1")?.id == approval.id)
        #expect(try await Self.match(store, runId: child.id, key: "k1")?.id == approval.id)
        #expect(try await Self.match(store, runId: child.id, key: "k2") == nil)
        #expect(try await Self.match(store, runId: stranger.id, key: "k1") == nil)

        _ = try await store.resolveApproval(id: approval.id, status: .approved, decidedBy: "alice", reason: nil)
        let used = try await store.consumeApproval(id: approval.id, requestId: "\"req-9\"")
        #expect(used.id == approval.id)
        // Used once: a second use is refused, and decisions no longer find it.
        await #expect(throws: StoreError.notPending(id: approval.id, status: "used already")) {
            _ = try await store.consumeApproval(id: approval.id, requestId: "\"req-10\"")
        }
        #expect(try await Self.match(store, runId: child.id, key: "k1") == nil)
        let stored = try #require(try await store.approval(id: approval.id))
        #expect(stored.consumedBy == "\"req-9\"")
        #expect(try await store.toolCall(id: approval.toolCallId)?.status == .forwarded)
        #expect(try await store.events(runId: child.id).filter { $0.kind == "approval.consumed" }.count == 1)
    }

    @Test("only an approved approval can be used", arguments: StoreBackend.allCases)
    func onlyApproved(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let pending = try await Self.hold(store, runId: run.id, key: "p")
        await #expect(throws: StoreError.notPending(id: pending.id, status: "pending")) {
            _ = try await store.consumeApproval(id: pending.id, requestId: "1")
        }
        _ = try await store.resolveApproval(id: pending.id, status: .denied, decidedBy: "bob", reason: "no")
        await #expect(throws: StoreError.notPending(id: pending.id, status: "denied")) {
            _ = try await store.consumeApproval(id: pending.id, requestId: "1")
        }
    }

    @Test("past its expiry an approval can be neither decided nor used, and reads as expired", arguments: StoreBackend.allCases)
    func expiry(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        _ = try await store.approvalMatchSecret()  // migrated before the clock starts
        // A loaded machine may take a while between the writes: when the approval expired before it
        // could be approved, the next try gives it a longer life.
        var approvedInTime: ApprovalRecord?
        var expiredTries: [String] = []
        for life in [2.0, 8, 30] where approvedInTime == nil {
            let held = try await Self.hold(store, runId: run.id, key: "b", after: life)
            do {
                _ = try await store.resolveApproval(id: held.id, status: .approved, decidedBy: "alice", reason: nil)
                approvedInTime = held
            } catch StoreError.notPending(_, "expired") {
                expiredTries.append(held.id)
            }
        }
        let approved = try #require(approvedInTime)
        let undecided = try await Self.hold(store, runId: run.id, key: "a", after: 0.5)
        let expiry = max(try #require(approved.expiresAt), try #require(undecided.expiresAt))
        try await Task.sleep(for: .milliseconds(Int64(max(0, expiry.timeIntervalSinceNow) * 1000) + 200))
        await #expect(throws: StoreError.notPending(id: undecided.id, status: "expired")) {
            _ = try await store.resolveApproval(id: undecided.id, status: .approved, decidedBy: "alice", reason: nil)
        }
        await #expect(throws: StoreError.notPending(id: approved.id, status: "approved")) {
            _ = try await store.consumeApproval(id: approved.id, requestId: "1")
        }
        #expect(try await store.approval(id: undecided.id).map { $0.asOf(Date()).status } == .expired)
        #expect(try await store.listApprovals(status: .pending, runId: run.id).isEmpty)
        #expect(Set(try await store.listApprovals(status: .expired, runId: run.id).map(\.id)) == Set([undecided.id] + expiredTries))
        let waited = try await store.waitForDecision(approvalId: undecided.id, until: Date().addingTimeInterval(5))
        #expect(waited.status == .expired)
    }

    @Test("a call completes once: a later outcome changes nothing", arguments: StoreBackend.allCases)
    func completesOnce(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let run = try await store.createRun(NewRun())
        let (call, _) = try await store.beginToolCall(
            NewToolCall(runId: run.id, requestId: "1", tool: "t", sideEffect: "read", arguments: [:], decision: .allow), approvalExpiresAt: nil)
        try await store.completeToolCall(id: call.id, outcome: ToolCallOutcome(status: .succeeded, isError: false, durationMs: 1))
        try await store.completeToolCall(id: call.id, outcome: ToolCallOutcome(status: .refused, isError: true, reason: "late", durationMs: 2))
        #expect(try await store.toolCall(id: call.id)?.status == .succeeded)
        #expect(try await store.events(runId: run.id).filter { $0.kind == "tool.completed" }.count == 1)
        await #expect(throws: StoreError.notFound("tool call call_missing")) {
            try await store.completeToolCall(id: "call_missing", outcome: ToolCallOutcome(status: .succeeded, isError: false, durationMs: 1))
        }
    }

    @Test("every store keeps one approval secret", arguments: StoreBackend.allCases)
    func secret(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let first = try await store.approvalMatchSecret()
        #expect(first.count == 32)
        #expect(try await store.approvalMatchSecret() == first)
    }
}

@Suite("Store conformance: grants")
struct GrantConformanceTests {
    /// What a decision for `tool` of `server` in `runId` finds.
    static func grant(_ store: any Store, runId: String, tool: String = "send", server: String = "srv") async throws -> GrantRecord? {
        let request = DecisionRequest(runId: runId, recentSince: nil, approvalExpiresAt: nil, grantQuery: GrantQuery(tool: tool, server: server)) { inputs in
            (nil as NewToolCall?, inputs.grant)
        }
        return try await store.decideToolCalls([request])[0].get().verdict
    }

    static func approved(_ store: any Store, runId: String) async throws -> ApprovalRecord {
        let decided = try await store.decideToolCall(runId: runId, recentSince: nil, approvalExpiresAt: Date().addingTimeInterval(60)) { _ in
            var call = NewToolCall(runId: runId, requestId: "1", tool: "send", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "tool=send"))
            call.server = "srv"
            return (call, ())
        }
        let approval = try #require(decided.approval)
        #expect(approval.server == "srv")
        return try await store.resolveApproval(id: approval.id, status: .approved, decidedBy: "alice", reason: nil)
    }

    @Test("a run grant covers its run tree, an always grant its server, until revoked or expired", arguments: StoreBackend.allCases)
    func reach(backend: StoreBackend) async throws {
        let store = try backend.makeStore()
        let parent = try await store.createRun(NewRun())
        let child = try await store.createRun(NewRun(parentRunId: parent.id))
        let stranger = try await store.createRun(NewRun())

        let pending = try await store.decideToolCall(runId: child.id, recentSince: nil, approvalExpiresAt: nil) { _ in
            (NewToolCall(runId: child.id, requestId: "0", tool: "send", sideEffect: "write", arguments: [:], decision: .needsApproval(rule: "r")), ())
        }
        let pendingId = try #require(pending.approval).id
        await #expect(throws: StoreError.notPending(id: pendingId, status: "pending")) {
            _ = try await store.createGrant(NewGrant(approvalId: pendingId, scope: .run, grantedBy: nil, expiresAt: nil))
        }

        let forRun = try await store.createGrant(NewGrant(approvalId: try await Self.approved(store, runId: child.id).id, scope: .run, grantedBy: "alice", expiresAt: nil))
        #expect(forRun.rootRunId == parent.id && forRun.tool == "send" && forRun.server == "srv")
        #expect(try await Self.grant(store, runId: parent.id)?.id == forRun.id)
        #expect(try await Self.grant(store, runId: stranger.id) == nil)
        #expect(try await Self.grant(store, runId: child.id, tool: "other") == nil)

        let always = try await store.createGrant(NewGrant(
            approvalId: try await Self.approved(store, runId: child.id).id, scope: .always, grantedBy: nil, expiresAt: Date().addingTimeInterval(3600)))
        #expect(try await Self.grant(store, runId: stranger.id)?.id == always.id)
        #expect(try await Self.grant(store, runId: stranger.id, server: "another") == nil)

        let revoked = try await store.revokeGrant(id: always.id)
        #expect(revoked.revokedAt != nil)
        #expect(try await Self.grant(store, runId: stranger.id) == nil)
        #expect(try await store.listGrants().map(\.id) == [always.id, forRun.id])
        await #expect(throws: StoreError.notFound("grant grt_missing")) { _ = try await store.revokeGrant(id: "grt_missing") }
        let kinds = try await store.events(runId: child.id).map(\.kind)
        #expect(kinds.filter { $0.hasPrefix("grant.") } == ["grant.created", "grant.created", "grant.revoked"])

        let expiring = try await store.createGrant(NewGrant(
            approvalId: try await Self.approved(store, runId: stranger.id).id, scope: .run, grantedBy: nil, expiresAt: Date().addingTimeInterval(8)))
        #expect(try await Self.grant(store, runId: stranger.id)?.id == expiring.id)
        let expiry = try #require(expiring.expiresAt)
        try await Task.sleep(for: .milliseconds(Int64(max(0, expiry.timeIntervalSinceNow) * 1000) + 200))
        #expect(try await Self.grant(store, runId: stranger.id) == nil)
    }
}
