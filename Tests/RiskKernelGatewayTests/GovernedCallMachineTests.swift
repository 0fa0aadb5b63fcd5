import Foundation
import RiskKernelCore
import RiskKernelStore
import SeededRandom
import Testing

@testable import RiskKernelGateway

/// Every transition of a governed call's state machine, without a process or a store.
@Suite("A governed call's state machine")
struct GovernedCallMachineTests {
    static func approval(_ status: ApprovalStatus, expiresIn seconds: TimeInterval = 60, consumed: Bool = false) -> ApprovalRecord {
        ApprovalRecord(
            id: "apr_1", runId: "run_1", toolCallId: "call_1", tool: "send", sideEffect: "write", arguments: [:], rule: "tool=send",
            status: status, decidedBy: status == .pending ? nil : "alice", reason: status == .denied ? "no" : nil, createdAt: Date(),
            decidedAt: nil, expiresAt: Date().addingTimeInterval(seconds), consumedBy: consumed ? "1" : nil)
    }

    func approval(_ status: ApprovalStatus, expiresIn seconds: TimeInterval = 60, consumed: Bool = false) -> ApprovalRecord {
        Self.approval(status, expiresIn: seconds, consumed: consumed)
    }

    /// A machine held on apr_1 (`asTask`: the client asked for a task).
    func held(asTask: Bool = false) -> GovernedCallMachine {
        var machine = GovernedCallMachine(wantsTask: asTask)
        _ = machine.catalogueReady()
        _ = machine.decided(.hold(approvalId: "apr_1", announce: true))
        return machine
    }

    func ended(_ record: ApprovalRecord) -> (GovernedCallMachine.Action, GovernedCallMachine.State) {
        var machine = held()
        let action = machine.waitEnded(record, at: Date())
        return (action, machine.state)
    }

    @Test("received → deciding → forwarded → completed; each event once")
    func allowed() {
        var machine = GovernedCallMachine()
        #expect(machine.state == .received)
        #expect(machine.decided(.allow(callId: "c")) == .none, "no decision before the catalogue")
        #expect(machine.catalogueReady() == .submitDecision)
        #expect(machine.catalogueReady() == .none)
        #expect(machine.state == .deciding(cancelRequested: false))
        #expect(machine.decided(.allow(callId: "c")) == .forward)
        #expect(machine.state == .forwarded(callId: "c"))
        #expect(machine.decided(.allow(callId: "c")) == .none)
        #expect(machine.answered() == .deliver)
        #expect(machine.state == .completed && machine.isFinished)
        #expect(machine.answered() == .none)
        #expect(machine.cancelled() == .none)
    }

    @Test("denied, or not recorded: refused, never forwarded")
    func refusedDecisions() {
        var denied = GovernedCallMachine()
        _ = denied.catalogueReady()
        #expect(denied.decided(.deny(reason: "no")) == .refuse("no", recordRefused: false))
        #expect(denied.state == .refused)
        var unrecorded = GovernedCallMachine()
        _ = unrecorded.catalogueReady()
        #expect(unrecorded.decided(.unrecorded(error: "disk full")) == .fail("disk full"))
        #expect(unrecorded.answered() == .none)
    }

    @Test("needs approval: held; as a task when the client asked for one")
    func hold() {
        var plain = GovernedCallMachine()
        _ = plain.catalogueReady()
        #expect(plain.decided(.hold(approvalId: "apr_1", announce: true)) == .hold(announce: true, asTask: false))
        #expect(plain.state == .held(approvalId: "apr_1"))
        var retry = GovernedCallMachine(wantsTask: true)
        _ = retry.catalogueReady()
        #expect(retry.decided(.hold(approvalId: "apr_1", announce: false)) == .hold(announce: false, asTask: true))
        #expect(retry.heldAsTask)
    }

    @Test("approved: the approval is used, then the call is forwarded under the approval's call; only once")
    func approved() {
        var machine = held()
        #expect(machine.waitEnded(approval(.approved), at: Date()) == .consume)
        #expect(machine.state == .consuming(approvalId: "apr_1", cancelRequested: false))
        #expect(machine.waitEnded(approval(.approved), at: Date()) == .none)
        #expect(machine.consumed(callId: "call_1") == .forward)
        #expect(machine.state == .forwarded(callId: "call_1"))
        #expect(machine.consumed(callId: "call_1") == .none)
        #expect(machine.answered() == .deliver)
    }

    @Test("a use the store refuses or cannot record answers the call, never forwards it")
    func consumeFails() {
        var refused = held()
        _ = refused.waitEnded(approval(.approved), at: Date())
        guard case .refuse(let reason, recordRefused: false) = refused.consumeFailed(status: "used already", error: "") else {
            Issue.record("a refused use was not a refusal")
            return
        }
        #expect(reason.contains("used already"))
        #expect(refused.consumed(callId: "call_1") == .none)
        var failing = held()
        _ = failing.waitEnded(approval(.approved), at: Date())
        #expect(failing.consumeFailed(status: nil, error: "disk full") == .fail("disk full"))
        #expect(failing.state == .refused)
        var unreadable = held()
        #expect(unreadable.waitFailed("store gone") == .fail("store gone"))
        #expect(unreadable.waitEnded(approval(.approved), at: Date()) == .none)
    }

    @Test("denied and expired refuse and record the approval's call; a used one refuses without recording")
    func refusals() {
        #expect(ended(approval(.denied)) == (.refuse("denied by alice: no", recordRefused: true), .refused))
        guard case (.refuse(let expired, recordRefused: true), .refused) = ended(approval(.pending, expiresIn: -1)) else {
            Issue.record("an expired approval did not refuse")
            return
        }
        #expect(expired.contains("expired"))
        guard case (.refuse(_, recordRefused: true), _) = ended(approval(.approved, expiresIn: -1)) else {
            Issue.record("an approval approved past its expiry was used")
            return
        }
        guard case (.refuse(let used, recordRefused: false), _) = ended(approval(.approved, consumed: true)) else {
            Issue.record("a used approval ran again")
            return
        }
        #expect(used.contains("used by an identical call"))
        #expect(ended(approval(.expired)).1 == .refused)
    }

    @Test("undecided at the end of the hold: a pending result; a task keeps waiting")
    func pending() {
        #expect(ended(approval(.pending)) == (.answerPending, .detached))
        var task = held(asTask: true)
        #expect(task.waitEnded(approval(.pending), at: Date()) == .waitAgain)
        #expect(task.state == .held(approvalId: "apr_1"))
    }

    @Test("cancellation in every state: no answer, nothing forwarded, an approval left pending")
    func cancellation() {
        var waiting = GovernedCallMachine()
        #expect(waiting.cancelled() == .stopWaiting(answerShutdown: false))
        #expect(waiting.catalogueReady() == .none)

        var deciding = GovernedCallMachine()
        _ = deciding.catalogueReady()
        #expect(deciding.cancelled() == .none)
        #expect(deciding.state == .deciding(cancelRequested: true))
        #expect(deciding.decided(.allow(callId: "c")) == .recordCancelled(callId: "c"), "a recorded allow is recorded cancelled, not forwarded")
        var decidingHeld = GovernedCallMachine()
        _ = decidingHeld.catalogueReady()
        _ = decidingHeld.cancelled()
        #expect(decidingHeld.decided(.hold(approvalId: "apr_1", announce: true)) == .none, "the approval stays pending")
        #expect(decidingHeld.state == .detached)

        var held = held()
        #expect(held.cancelled() == .stopWaiting(answerShutdown: false))
        #expect(held.waitEnded(approval(.approved), at: Date()) == .none, "a detached request never runs on a later approval")

        var consuming = self.held()
        _ = consuming.waitEnded(approval(.approved), at: Date())
        #expect(consuming.cancelled() == .none)
        #expect(consuming.consumed(callId: "call_1") == .recordCancelled(callId: "call_1"))
        #expect(consuming.state == .detached)

        var forwarded = GovernedCallMachine()
        _ = forwarded.catalogueReady()
        _ = forwarded.decided(.allow(callId: "c"))
        #expect(forwarded.cancelled() == .cancelForwarded(callId: "c"))
        #expect(forwarded.answered() == .none, "a late answer is dropped")
    }

    @Test("shutdown: waiting calls are answered (pending when held); forwarded calls finish")
    func shutdown() {
        var held = held()
        #expect(held.cancelled(shuttingDown: true) == .stopWaiting(answerShutdown: true))
        var forwarded = GovernedCallMachine()
        _ = forwarded.catalogueReady()
        _ = forwarded.decided(.allow(callId: "c"))
        #expect(forwarded.cancelled(shuttingDown: true) == .none)
        #expect(forwarded.answered() == .deliver)
    }

    @Test("a pending result names the tool and the approval and carries its state in _meta")
    func pendingResult() {
        let result = ApprovalTexts.pendingResult(tool: "send", approval: approval(.pending), modern: true)
        #expect(result["isError"] == true)
        #expect(result["resultType"] == "complete")
        let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        #expect(text.contains("\"send\"") && text.contains("apr_1") && text.contains("same arguments"))
        let meta = result["_meta"]?["riskkernel.dev/approval"]
        #expect(meta?["id"] == "apr_1")
        #expect(meta?["status"] == "pending")
        #expect(meta?["expiresAt"]?.stringValue?.hasSuffix("Z") == true)
    }

    /// Random event sequences (seeded): whatever the order, a call is forwarded at most once,
    /// answered at most once, never forwarded after the client cancelled it, and forwarded on an
    /// approval only through its use.
    @Test("property: at most one forward and one answer; nothing after a cancellation", arguments: 0..<200)
    func randomEvents(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        var machine = GovernedCallMachine(wantsTask: random.next() % 2 == 0)
        var forwards = 0, answers = 0, consumes = 0
        var cancelledByClient = false
        let statuses: [ApprovalStatus] = [.pending, .approved, .denied, .expired]
        for _ in 0..<12 {
            let action: GovernedCallMachine.Action
            switch random.next() % 11 {
            case 0: action = machine.catalogueReady()
            case 1: action = machine.decided(.allow(callId: "c"))
            case 2: action = machine.decided(.deny(reason: "no"))
            case 3: action = machine.decided(.hold(approvalId: "apr_1", announce: true))
            case 4: action = machine.waitEnded(Self.approval(statuses[Int(random.next() % 4)], expiresIn: random.next() % 5 == 0 ? -1 : 60), at: Date())
            case 5: action = machine.consumed(callId: "call_1")
            case 6: action = machine.consumeFailed(status: "expired", error: "")
            case 7:
                action = machine.cancelled()
                cancelledByClient = cancelledByClient || action != .none || machine.state == .deciding(cancelRequested: true)
                    || { if case .consuming(_, true) = machine.state { return true } else { return false } }()
            case 8: action = machine.answered()
            case 9: action = machine.waitFailed("x")
            default: action = machine.decided(.unrecorded(error: "x"))
            }
            switch action {
            case .forward:
                forwards += 1
                #expect(!cancelledByClient, "forwarded after the client cancelled")
            case .consume:
                consumes += 1
            case .refuse, .fail, .answerPending, .deliver:
                answers += 1
                #expect(!cancelledByClient, "answered after the client cancelled")
            case .stopWaiting(let answerShutdown):
                #expect(!answerShutdown)
            default:
                break
            }
        }
        #expect(forwards <= 1)
        #expect(answers <= 1)
        #expect(consumes <= 1)
    }
}
