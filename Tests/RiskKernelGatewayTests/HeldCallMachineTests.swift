import Foundation
import RiskKernelCore
import RiskKernelStore
import Testing

@testable import RiskKernelGateway

/// Every transition of a held call's state machine, without a process or a store.
@Suite("A held call's state machine")
struct HeldCallMachineTests {
    func approval(_ status: ApprovalStatus, expiresIn seconds: TimeInterval = 60, consumed: Bool = false) -> ApprovalRecord {
        ApprovalRecord(
            id: "apr_1", runId: "run_1", toolCallId: "call_1", tool: "send", sideEffect: "write", arguments: [:], rule: "tool=send",
            status: status, decidedBy: status == .pending ? nil : "alice", reason: status == .denied ? "no" : nil, createdAt: Date(),
            decidedAt: nil, expiresAt: Date().addingTimeInterval(seconds), consumedBy: consumed ? "1" : nil)
    }

    func ended(_ record: ApprovalRecord) -> (HeldCallMachine.Action, HeldCallMachine.State) {
        var machine = HeldCallMachine(approvalId: "apr_1")
        let action = machine.waitEnded(record, at: Date())
        return (action, machine.state)
    }

    @Test("approved: the approval is used, then the call is forwarded; only once")
    func approved() {
        var machine = HeldCallMachine(approvalId: "apr_1")
        #expect(machine.waitEnded(approval(.approved), at: Date()) == .consume)
        #expect(machine.state == .consuming)
        #expect(machine.cancelled(shuttingDown: false) == .none, "a consuming call is not detached halfway")
        #expect(machine.consumed() == .forward)
        #expect(machine.state == .forwarded)
        #expect(machine.consumed() == .none)
        #expect(machine.waitEnded(approval(.approved), at: Date()) == .none)
    }

    @Test("a use the store refuses or cannot record answers the call, never forwards it")
    func consumeFails() {
        var refused = HeldCallMachine(approvalId: "apr_1")
        _ = refused.waitEnded(approval(.approved), at: Date())
        guard case .refuse(let reason, recordRefused: false) = refused.consumeFailed(status: "used already", error: "") else {
            Issue.record("a refused use was not a refusal")
            return
        }
        #expect(reason.contains("used already"))
        #expect(refused.consumed() == .none)
        var failing = HeldCallMachine(approvalId: "apr_1")
        _ = failing.waitEnded(approval(.approved), at: Date())
        #expect(failing.consumeFailed(status: nil, error: "disk full") == .fail("disk full"))
        #expect(failing.state == .answered)
    }

    @Test("denied and expired refuse and record the approval's call; a used one refuses without recording")
    func refusals() {
        #expect(ended(approval(.denied)) == (.refuse("denied by alice: no", recordRefused: true), .answered))
        guard case (.refuse(let expired, recordRefused: true), .answered) = ended(approval(.pending, expiresIn: -1)) else {
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
    }

    @Test("undecided at the end of the hold: a pending result")
    func pending() {
        #expect(ended(approval(.pending)) == (.answerPending, .answered))
    }

    @Test("a cancellation detaches (no answer); shutdown answers pending; neither after the call ended")
    func cancellation() {
        var cancelled = HeldCallMachine(approvalId: "apr_1")
        #expect(cancelled.cancelled(shuttingDown: false) == .detach)
        #expect(cancelled.state == .detached)
        #expect(cancelled.waitEnded(approval(.approved), at: Date()) == .none, "a detached request never runs on a later approval")
        var shutdown = HeldCallMachine(approvalId: "apr_1")
        #expect(shutdown.cancelled(shuttingDown: true) == .answerPending)
        var answered = HeldCallMachine(approvalId: "apr_1")
        _ = answered.waitEnded(approval(.pending), at: Date())
        #expect(answered.cancelled(shuttingDown: false) == .none)
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
}
