import Foundation
import RiskKernelCore

/// Errors every store reports the same way.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was written by a newer RiskKernel; it was not touched.
    case schemaTooNew(found: String, supported: String)
    case notFound(String)
    /// An approval that has already been decided (or expired).
    case notPending(id: String, status: String)
    case invalidArgument(String)
    case limitReached(String)
    case unavailable(String)
    /// A run's stored totals are not what its chain gives (edited after they were written), so a
    /// budget decision will not rely on them; `detail` says which totals and what the chain gives.
    case tampered(runId: String, detail: String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let supported):
            return "the database was written by a newer RiskKernel (schema \(found); this binary knows up to \(supported)); upgrade riskkernel. The database was not changed."
        case .notFound(let what): return "\(what) not found"
        case .notPending(let id, let status): return "approval \(id) is not pending (it is \(status))"
        case .invalidArgument(let message): return message
        case .limitReached(let message): return message
        case .unavailable(let message): return "the store is unavailable: \(message)"
        case .tampered(let runId, let detail):
            return "run \(runId) disagrees with its hash chain: \(detail); nothing is decided on totals the chain does not give "
                + "(see `riskkernel audit verify --run \(runId)`)"
        }
    }
}

/// The durable record of runs, spend, tool calls, approvals, facts, policies and checkpoints.
///
/// This is the seam between the gateway and the database: callers never see SQL. Every write that
/// a ledger event describes appends that event to the run's hash chain in the same transaction.
///
/// The ledger writes on a call's path (decisions, outcomes, model calls) go through one queue per
/// store, ``submit(_:start:then:)``, which makes the writes that wait together in one transaction.
/// The other writes on a call's path are `nonisolated(nonsending)`: they start, and resume after
/// each wait, on the caller's executor, not on the shared pool.
public protocol Store: Sendable {
    // MARK: Policies
    /// Inserts or replaces a policy by name; replacing keeps `createdAt`.
    func upsertPolicy(_ policy: Policy) async throws -> PolicyRecord
    func policy(named name: String) async throws -> PolicyRecord?
    func listPolicies() async throws -> [PolicyRecord]
    /// Returns whether a policy was deleted.
    func deletePolicy(named name: String) async throws -> Bool

    // MARK: Runs
    func createRun(_ run: NewRun) async throws -> RunRecord
    func run(id: String) async throws -> RunRecord?
    /// Newest first; `status` filters.
    func listRuns(status: RunStatus?, limit: Int) async throws -> [RunRecord]
    func childRuns(of id: String) async throws -> [RunRecord]
    /// Sets a run's status (and halt reason), appending a `run.status` event.
    func setRunStatus(id: String, status: RunStatus, reason: String?) async throws -> RunRecord
    /// Records that the gateway serving a halted run has stopped: sets its `endedAt` (a halted run
    /// stays halted, so no status change does), appending a `run.status` event (halted from halted,
    /// reason `RunEnd.reason`). A run in any other status is returned unchanged.
    func endHaltedRun(id: String) async throws -> RunRecord
    func steps(runId: String) async throws -> [StepRecord]
    /// The budgets that govern a run's next call (its own, then each ancestor's) and why it is
    /// halted, if it or an ancestor is. Throws ``StoreError/tampered(runId:detail:)`` when the run
    /// tree's stored totals or status are not what its chains give (as a call's decision does).
    func governanceState(runId: String) async throws -> GovernanceState

    // MARK: Spend
    /// Records what a forwarded call of a priced tool cost: a `tool` ledger entry, the dollars added
    /// to the usage of the run and every ancestor (halting any whose budget is crossed), and a
    /// `tool.charged` event; all in one transaction.
    nonisolated(nonsending) func recordToolSpend(runId: String, callId: String, tool: String, dollars: Money) async throws -> SpendResult
    /// The calls let through (not refused) in the run's whole tree since `since`, for rate limits.
    func recentToolCalls(runId: String, since: Date) async throws -> [RecentToolCall]
    /// Every ledger entry of a run, oldest first.
    func ledger(runId: String) async throws -> [LedgerEntry]
    /// The ledger grouped by `grouping`, within `since ..< until` when given.
    func summarize(by grouping: SummaryGrouping, since: Date?, until: Date?) async throws -> UsageSummary

    // MARK: Tool calls
    /// Adds ledger writes to the store's one group commit: the writes waiting together are made
    /// in one transaction, each caller's in order, and `then` is called once, when that
    /// transaction ended, with one result per write, in order, so nothing needs to be read back.
    /// `start` says when the group begins if none is being written (``GroupStart``). `then` runs
    /// on whichever thread wrote the group (a scheduled job's, the store's writer, a task's); it
    /// must be quick and must not wait for the store.
    ///
    /// A ``LedgerWrite/decision(_:)`` reads the run's governance state (and the run tree's calls
    /// since `recentSince`, the matching approval and grant, when asked) as the writes before it
    /// left them, calls its `decide`, and stores the call it returns (with a pending approval for
    /// `needsApproval`, expiring at `approvalExpiresAt`); `decide` runs inside the transaction, so
    /// it must be quick and pure (it may throw to record nothing), and a `nil` call records
    /// nothing. A ``LedgerWrite/completion(_:)`` stores how a call ended and appends its
    /// `tool.completed` event; a call completes once (a later outcome changes nothing). A
    /// ``LedgerWrite/modelCall(runId:_:)`` is ``recordModelCall(runId:_:)``. A write that fails (its
    /// run or call is missing, say) fails alone; an error of the transaction itself (the disk, the
    /// lock) fails every write of the group.
    func submit<Verdict: Sendable>(
        _ writes: [LedgerWrite<Verdict>], start: GroupStart, then: @escaping @Sendable ([Result<LedgerWritten<Verdict>, any Error>]) -> Void
    )
    /// Stores a decided tool call (and, for `needsApproval`, its pending approval) before anything is forwarded.
    nonisolated(nonsending) func beginToolCall(_ call: NewToolCall, approvalExpiresAt: Date?) async throws -> (ToolCallRecord, ApprovalRecord?)
    /// Marks a stored tool call as forwarded upstream.
    nonisolated(nonsending) func markToolCallForwarded(id: String) async throws
    func toolCall(id: String) async throws -> ToolCallRecord?
    /// A run's tool calls, oldest first.
    func toolCalls(runId: String) async throws -> [ToolCallRecord]

    // MARK: Approvals
    func approval(id: String) async throws -> ApprovalRecord?
    /// Newest first.
    func listApprovals(status: ApprovalStatus?, runId: String?) async throws -> [ApprovalRecord]
    /// Decides an approval only while it is pending and not past its `expiresAt`; otherwise throws
    /// ``StoreError/notPending(id:status:)``.
    func resolveApproval(id: String, status: ApprovalStatus, decidedBy: String?, reason: String?) async throws -> ApprovalRecord
    /// Waits until the approval is no longer pending (decided, or past its `expiresAt`) or
    /// `deadline` passes; returns it as last read (``ApprovalRecord/asOf(_:)``).
    func waitForDecision(approvalId: String, until deadline: Date) async throws -> ApprovalRecord
    /// Runs the held call on an approved approval, once: marks the approval used by `requestId`
    /// (the request id key of the call that is forwarded) and its call `forwarded`, and appends an
    /// `approval.consumed` event; all in one transaction. Throws ``StoreError/notPending(id:status:)``
    /// when the approval is not approved, was used already, or is past its `expiresAt`.
    nonisolated(nonsending) func consumeApproval(id: String, requestId: String) async throws -> ApprovalRecord
    /// Makes a grant from an approved approval (`--scope run|always`) and appends a
    /// `grant.created` event to the approval's run. Throws ``StoreError/notPending(id:status:)``
    /// when the approval is not approved.
    func createGrant(_ grant: NewGrant) async throws -> GrantRecord
    /// Every grant, newest first.
    func listGrants() async throws -> [GrantRecord]
    /// Ends a grant at once (for gateways already running too: each decision reads the grants) and
    /// appends a `grant.revoked` event. Throws ``StoreError/notFound(_:)`` for an unknown id.
    func revokeGrant(id: String) async throws -> GrantRecord
    /// The secret that keys approval match keys (``ApprovalMatchKey``): made on first use and kept
    /// in the store, so that every gateway on the store computes the same keys.
    func approvalMatchSecret() async throws -> [UInt8]

    // MARK: Sampling
    /// Records a request of the upstream server to the client's model: a `sampling.requested`
    /// event in the run's chain (no content).
    func recordSampling(runId: String, _ request: SamplingRequest) async throws

    // MARK: Facts
    func putFact(namespace: String, key: String, value: JSONValue, runId: String?) async throws -> FactRecord
    func fact(namespace: String, key: String) async throws -> FactRecord?
    func listFacts(namespace: String?) async throws -> [FactRecord]

    // MARK: Checkpoints
    func createCheckpoint(runId: String, name: String, payload: JSONValue) async throws -> CheckpointRecord
    func latestCheckpoint(runId: String) async throws -> CheckpointRecord?
    /// Newest first.
    func listCheckpoints(runId: String) async throws -> [CheckpointRecord]

    // MARK: Journal
    /// A run's hash-chained events in sequence order.
    func events(runId: String) async throws -> [EventRecord]
    /// The chain's length and last hash as anchored in the run's record (written with each event),
    /// so that a deleted last event is noticed.
    func chainHead(runId: String) async throws -> ChainHead?
    /// The head of every run's chain that has events (run, length, last hash, the last event's
    /// time), by run id: what a seal signs.
    func chainHeads() async throws -> [RunChainHead]

    // MARK: Seals
    /// Appends a seal (a signed DSSE envelope, as the seal file holds it: one line of JSON) to the
    /// store's seals.
    func appendSeal(_ seal: SealRecord) async throws
    /// The seals stored, oldest first.
    func seals() async throws -> [SealRecord]

    // MARK: Tool pins
    /// Records the tools a server lists now. The first time the server is seen, they are all
    /// pinned; afterwards a changed or new tool is recorded as seen but not pinned. Ledger events go
    /// to `runId`'s chain. Returns the server's pins as they now stand.
    func observeTools(server: String, tools: [ToolDefinition], runId: String?) async throws -> [ToolPinRecord]
    /// Pins, by server then tool name; `server` filters.
    func toolPins(server: String?) async throws -> [ToolPinRecord]
    /// Pins the definitions last seen of `tools` (every tool of the server when `nil`), appending a
    /// `tool.pinApproved` event to the chain of the run that saw each. Returns the pins changed.
    func approveToolPins(server: String, tools: [String]?, approvedBy: String?) async throws -> [ToolPinRecord]

    // MARK: Provenance
    /// Stores per-file changes of a run (with the run's tokens at this moment) and appends an
    /// `attribution.captured` event.
    func recordAttributions(runId: String, baseRef: String, _ changes: [NewAttribution]) async throws -> [AttributionRecord]
    func attributions(runId: String) async throws -> [AttributionRecord]
    /// Every record of the given runs, for a provenance bundle.
    func provenanceRecords(runIds: [String]) async throws -> ProvenanceRecords
    /// Stores the records of a verified bundle in one transaction; refuses (writing nothing) when
    /// any of its runs already exists.
    func importProvenance(_ records: ProvenanceRecords) async throws

    // MARK: Consoles
    /// Records (or refreshes) that an approvals console serves this store at `url`
    /// (`http://127.0.0.1:8787`), so that gateways can link their pending notices to it.
    func registerConsole(url: String, owner: GatewayOwner) async throws
    /// Forgets a console (it is shutting down).
    func unregisterConsole(url: String) async throws
    /// The URL of the console that refreshed its record last, if it did so at or after
    /// `heartbeatSince` (an older record is of a console that stopped without saying so).
    func consoleURL(heartbeatSince: Date) async throws -> String?

    // MARK: Recovery after a crash
    /// Records `owner` as the gateway process serving the run (a new run, or one resumed with `--run-id`).
    func claimRun(id: String, owner: GatewayOwner) async throws
    /// Ends what dead gateways left behind, in one transaction: each `running` or `halted` run whose
    /// owner on `host` is no longer running (`isRunning` says) has its pending approvals expired
    /// and their calls cancelled, its forwarded calls failed, and, if `running`, is marked `failed`.
    /// Pending approvals that expired before `expiredBefore` are expired too, unless a live gateway
    /// on this host serves their run. `sparing` (the caller's own run) is never touched.
    func recoverAbandonedRuns(
        host: String, sparing runId: String?, expiredBefore: Date, isRunning: @escaping @Sendable (GatewayOwner) -> Bool
    ) async throws -> RecoveryReport
}

/// What the decision pipeline needs to know about a run's budgets.
public struct GovernanceState: Sendable, Hashable {
    public var run: RunRecord
    public var budgets: [BudgetScope]
    /// Why the run or its nearest halted ancestor is halted.
    public var haltReason: String?

    public init(run: RunRecord, budgets: [BudgetScope], haltReason: String?) {
        self.run = run
        self.budgets = budgets
        self.haltReason = haltReason
    }

    /// The state of the first run of `ancestry` (the run, then its ancestors nearest first) at `now`.
    init(ancestry: [RunRecord], now: Date) {
        let run = ancestry[0]
        let scopes = ancestry.map { member in
            BudgetScope(
                runId: member.id, budget: member.budget, usage: member.treeUsage,
                elapsedSeconds: now.timeIntervalSince(member.createdAt), isOwn: member.id == run.id)
        }
        self.init(run: run, budgets: scopes, haltReason: LedgerWrites.haltReason(of: ancestry))
    }
}

extension GovernanceState {
    /// Why nothing more of the run is forwarded, as the decision pipeline judges it: the run or an
    /// ancestor is halted, or a budget in force (its own, or an ancestor's over its whole tree) is
    /// used up, e.g. an ancestor's seconds, or a spend of another run of the tree that the ancestor's
    /// stopped gateway could not halt it for. What `halted` reports to an agent.
    public var stopReason: String? {
        if let haltReason { return haltReason }
        for scope in budgets {
            if let exhausted = scope.budget.exhaustion(of: scope.usage, elapsedSeconds: scope.elapsedSeconds) {
                return exhausted.message + (scope.isOwn ? "" : " of ancestor run \(scope.runId)")
            }
        }
        return nil
    }
}

/// The end of a halted run.
public enum RunEnd {
    /// The reason of the `run.status` event that records it.
    public static let reason = "ended: the gateway serving the halted run stopped"
}

/// One decision for ``Store/submit(_:start:then:)``: whose run, what to read, and the decision to make.
public struct DecisionRequest<Verdict: Sendable>: Sendable {
    public var runId: String
    /// When given, the run tree's calls since then are read for the decision (rate limits).
    public var recentSince: Date?
    /// When a `needsApproval` call's approval expires.
    public var approvalExpiresAt: Date?
    /// When given, the newest unused approval of the run tree with this match key is read for the
    /// decision (``DecisionInputs/matchingApproval``), so that an identical retry attaches to it.
    public var approvalMatchKey: String?
    /// When given, an active grant for the tool (of the server, or of the run tree) is read for the
    /// decision (``DecisionInputs/grant``).
    public var grantQuery: GrantQuery?
    /// Chooses, from the run's state, the call to record (or `nil`) and what to tell the caller.
    public var decide: @Sendable (DecisionInputs) throws -> (call: NewToolCall?, verdict: Verdict)

    public init(
        runId: String, recentSince: Date?, approvalExpiresAt: Date?, approvalMatchKey: String? = nil, grantQuery: GrantQuery? = nil,
        decide: @escaping @Sendable (DecisionInputs) throws -> (call: NewToolCall?, verdict: Verdict)
    ) {
        self.grantQuery = grantQuery
        self.runId = runId
        self.recentSince = recentSince
        self.approvalExpiresAt = approvalExpiresAt
        self.approvalMatchKey = approvalMatchKey
        self.decide = decide
    }
}

/// How one stored tool call ended, for ``Store/completeToolCalls(_:)``.
public struct ToolCallCompletion: Sendable {
    public var id: String
    public var outcome: ToolCallOutcome

    public init(id: String, outcome: ToolCallOutcome) {
        self.id = id
        self.outcome = outcome
    }
}

/// What a tool call's decision is made from, read in the transaction that records it.
public struct DecisionInputs: Sendable {
    public var state: GovernanceState
    /// The run tree's calls let through since the requested time, or `nil` when none were asked for.
    public var recentCalls: [RecentToolCall]?
    /// The transaction's clock.
    public var now: Date
    /// The newest unused approval of the run tree with the request's match key, as it stands at
    /// `now`; `nil` when none was asked for or none exists.
    public var matchingApproval: ApprovalRecord?
    /// An active grant for the tool, when one was asked for and exists.
    public var grant: GrantRecord?

    public init(state: GovernanceState, recentCalls: [RecentToolCall]?, now: Date, matchingApproval: ApprovalRecord? = nil, grant: GrantRecord? = nil) {
        self.state = state
        self.recentCalls = recentCalls
        self.now = now
        self.matchingApproval = matchingApproval
        self.grant = grant
    }
}

/// What ``Store/decideToolCalls(_:)`` decided and wrote for one request.
public struct RecordedDecision<Verdict: Sendable>: Sendable {
    /// What the caller's `decide` returned beside the call.
    public var verdict: Verdict
    /// The stored call, as written; `nil` when `decide` asked to record nothing.
    public var call: ToolCallRecord?
    /// The pending approval stored with a `needsApproval` call.
    public var approval: ApprovalRecord?

    public init(verdict: Verdict, call: ToolCallRecord?, approval: ApprovalRecord?) {
        self.verdict = verdict
        self.call = call
        self.approval = approval
    }
}
