import Foundation
import RiskKernelCore
import RiskKernelStore

/// The life of one governed `tools/call`, apart from I/O (in the style of postgres-nio's state
/// machines): the session feeds it what happened and performs the action it returns. It is the
/// only record of where a call is; the session keeps one per request id.
///
/// ```
/// received ──catalogue ready──▶ deciding ──allow──────────────────────────────▶ forwarded ──answered──▶ completed
///                                  ├──deny, or the decision not recorded──▶ refused
///                                  └──needs approval──▶ held ──approved──▶ consuming ──used──▶ forwarded
///                                                         ├──denied, expired, used by another──▶ refused
///                                                         └──hold window closed, undecided──▶ detached (pending result)
/// cancelled by the client: received, held ──▶ detached (no answer; an approval stays pending)
///                          deciding, consuming ──▶ detached once the write in flight ends (nothing forwarded)
///                          forwarded ──▶ detached (the upstream is told; the call is recorded cancelled)
/// ```
/// A call held as a task the gateway owns (the client sent `params.task`) is answered with the task
/// at once and waits for the person for the approval's whole life instead of a hold window; its
/// result goes to the task.
///
/// An approval is never forwarded on its own: only a request in `held` reaches `forwarded` on an
/// approval, and only through the store's single use of it (`consuming`).
struct GovernedCallMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Waiting for the upstream's tool catalogue (the call's side effect needs it).
        case received
        /// The decision is in a group commit; `cancelRequested`: the client cancelled meanwhile.
        case deciding(cancelRequested: Bool)
        /// Waiting for a person's decision on `approvalId`.
        case held(approvalId: String)
        /// The store is recording the approval's use by this request.
        case consuming(approvalId: String, cancelRequested: Bool)
        /// Sent upstream under the ledger's call `callId`.
        case forwarded(callId: String)
        /// Answered with the upstream's answer.
        case completed
        /// Answered with a refusal or an error, never forwarded.
        case refused
        /// Ends with no answer of its own: cancelled, or answered with a pending result while its
        /// approval stays open for the agent's retry.
        case detached
    }

    /// How a decision came out, as recorded.
    enum DecisionOutcome: Sendable, Equatable {
        /// Forward under the ledger's call `callId`.
        case allow(callId: String)
        case deny(reason: String)
        /// Wait for `approvalId`; `announce`: a new approval (people are told), not a retry's.
        case hold(approvalId: String, announce: Bool)
        /// The decision could not be recorded.
        case unrecorded(error: String)
    }

    /// What the session does next.
    enum Action: Sendable, Equatable {
        /// Submit the call's decision to the next group commit.
        case submitDecision
        /// Forward the call upstream (the decision's or the approval's call record).
        case forward
        /// Refuse with `reason`; `recordRefused`: also record the approval's call as refused.
        case refuse(String, recordRefused: Bool)
        /// Answer with a JSON-RPC error (`message`), nothing forwarded.
        case fail(String)
        /// Start waiting for the approval; `announce`: tell people of it; `asTask`: answer now
        /// with a task the gateway owns, and wait for the approval's whole life.
        case hold(announce: Bool, asTask: Bool)
        /// Use the approval (``Store/consumeApproval(id:requestId:)``), then report how that went.
        case consume
        /// Answer with a pending result naming the approval (the approval stays open).
        case answerPending
        /// Keep waiting (a task's approval is still open after the wait).
        case waitAgain
        /// Stop the wait; nothing is answered (`answerShutdown`: answer that the gateway is
        /// shutting down, with a pending result when the call was held).
        case stopWaiting(answerShutdown: Bool)
        /// The client cancelled after the decision allowed the call: record the call `cancelled`,
        /// forward nothing, answer nothing.
        case recordCancelled(callId: String)
        /// The client cancelled a forwarded call: tell the upstream, record the call `cancelled`.
        case cancelForwarded(callId: String)
        /// Pass the upstream's answer on (and record the outcome).
        case deliver
        /// Nothing to do: the event came too late to matter.
        case none
    }

    private(set) var state: State = .received
    /// Whether the client asked for a task (`params.task`): a held call is then answered with one.
    let wantsTask: Bool
    /// Whether the call is held as a task the gateway owns.
    private(set) var heldAsTask = false

    init(wantsTask: Bool = false) {
        self.wantsTask = wantsTask
    }

    /// Whether the call has ended (no more events change it).
    var isFinished: Bool {
        switch state {
        case .completed, .refused, .detached: true
        default: false
        }
    }

    /// The tool catalogue is loaded (or was already): the call can be decided.
    mutating func catalogueReady() -> Action {
        guard state == .received else { return .none }
        state = .deciding(cancelRequested: false)
        return .submitDecision
    }

    /// The decision's group commit ended.
    mutating func decided(_ outcome: DecisionOutcome) -> Action {
        guard case .deciding(let cancelRequested) = state else { return .none }
        if cancelRequested {
            state = .detached
            // A recorded allow would otherwise stay in flight; a held call's approval stays pending.
            if case .allow(let callId) = outcome { return .recordCancelled(callId: callId) }
            return .none
        }
        switch outcome {
        case .allow(let callId):
            state = .forwarded(callId: callId)
            return .forward
        case .deny(let reason):
            state = .refused
            return .refuse(reason, recordRefused: false)
        case .unrecorded(let error):
            state = .refused
            return .fail(error)
        case .hold(let approvalId, let announce):
            state = .held(approvalId: approvalId)
            heldAsTask = wantsTask
            return .hold(announce: announce, asTask: wantsTask)
        }
    }

    /// The wait for the person ended with the approval as last read (decided, or still pending
    /// when the hold window closed).
    mutating func waitEnded(_ approval: ApprovalRecord, at now: Date) -> Action {
        guard case .held(let approvalId) = state else { return .none }
        let current = approval.asOf(now)
        if current.isPastExpiry(now), current.status != .denied {
            state = .refused
            return .refuse(ApprovalTexts.expiry(current), recordRefused: current.consumedBy == nil)
        }
        switch current.status {
        case .approved where current.consumedBy == nil:
            state = .consuming(approvalId: approvalId, cancelRequested: false)
            return .consume
        case .approved:
            state = .refused
            return .refuse("approval \(current.id) was used by an identical call already; call again to ask a person anew", recordRefused: false)
        case .denied:
            state = .refused
            return .refuse(ApprovalTexts.denial(current), recordRefused: true)
        case .expired:
            state = .refused
            return .refuse(ApprovalTexts.expiry(current), recordRefused: true)
        case .pending:
            if heldAsTask { return .waitAgain }
            state = .detached
            return .answerPending
        }
    }

    /// The wait for the person failed (the store could not be read).
    mutating func waitFailed(_ message: String) -> Action {
        guard case .held = state else { return .none }
        state = .refused
        return .fail(message)
    }

    /// The store used the approval for this request.
    mutating func consumed(callId: String) -> Action {
        guard case .consuming(_, let cancelRequested) = state else { return .none }
        if cancelRequested {
            state = .detached
            return .recordCancelled(callId: callId)
        }
        state = .forwarded(callId: callId)
        return .forward
    }

    /// The store refused the use (`status`: used already, expired, …), or could not record it
    /// (`status` nil, `error` says why).
    mutating func consumeFailed(status: String?, error: String) -> Action {
        guard case .consuming(let approvalId, let cancelRequested) = state else { return .none }
        if cancelRequested {
            state = .detached
            return .none
        }
        state = .refused
        guard let status else { return .fail(error) }
        return .refuse("approval \(approvalId) can no longer be used (it is \(status)); call again to ask a person anew", recordRefused: false)
    }

    /// The client cancelled the request (`notifications/cancelled`, or `tasks/cancel` of its
    /// task), or the gateway is shutting down.
    mutating func cancelled(shuttingDown: Bool = false) -> Action {
        switch state {
        case .received:
            state = .detached
            return .stopWaiting(answerShutdown: shuttingDown)
        case .deciding:
            state = .deciding(cancelRequested: true)
            return .none
        case .held:
            state = .detached
            return .stopWaiting(answerShutdown: shuttingDown)
        case .consuming(let approvalId, _):
            state = .consuming(approvalId: approvalId, cancelRequested: true)
            return .none
        case .forwarded(let callId):
            // A shutdown lets forwarded calls finish; only the client cancels them.
            guard !shuttingDown else { return .none }
            state = .detached
            return .cancelForwarded(callId: callId)
        case .completed, .refused, .detached:
            return .none
        }
    }

    /// The upstream answered the forwarded call.
    mutating func answered() -> Action {
        guard case .forwarded = state else { return .none }
        state = .completed
        return .deliver
    }
}
