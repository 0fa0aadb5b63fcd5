import Foundation
import Logging
import RiskKernelCore
import RiskKernelStore

extension GatewaySession {
    /// Waits for a person's decision on the call's approval on a task of its own, which a
    /// cancellation stops: at most the hold window (`--approval-hold`) for a call answered by
    /// response, the approval's whole life for one held as a task. Progress goes to a request that
    /// carries a `progressToken` meanwhile.
    func waitForPerson(key: String, approval: ApprovalRecord) {
        guard let call = calls[key] else { return }
        let asTask = call.ownedTaskId != nil
        let expiry = approval.expiresAt ?? .distantFuture
        let deadline = asTask ? expiry : min(Date().addingTimeInterval(configuration.approvalHold.seconds), expiry)
        let request = call.request
        calls[key]?.waiter = Task {
            let latest: ApprovalRecord
            do {
                latest = try await waitForDecision(approval, until: deadline, call: request)
            } catch {
                // Cancelled: the machine has already been told.
                guard !Task.isCancelled, !(error is CancellationError) else { return }
                step(key) { $0.waitFailed("RiskKernel could not read approval \(approval.id), so the call was not forwarded: \(error)") }
                return
            }
            traceApprovalEnded(key: key, status: latest.asOf(Date()).status)
            if latest.asOf(Date()).status != .pending { withdrawElicitation(approval.id) }
            calls[key]?.approval = latest
            step(key) { $0.waitEnded(latest, at: Date()) }
        }
    }

    /// Uses the approval for this request (once, in the store), then goes on with the call.
    func consumeApproval(key: String) {
        guard let call = calls[key], let approval = call.approval else { return }
        let tool = call.request.tool
        Task {
            do {
                _ = try await store.consumeApproval(id: approval.id, requestId: key)
                logger.notice("approval \(approval.id) granted by \(approval.decidedBy ?? "unknown"); forwarding tool \(tool)")
                step(key) { $0.consumed(callId: approval.toolCallId) }
            } catch StoreError.notPending(_, let status) {
                step(key) { $0.consumeFailed(status: status, error: "") }
            } catch {
                let message = "RiskKernel could not record the approval of tool \"\(tool)\", so the call was not forwarded: \(error)"
                step(key) { $0.consumeFailed(status: nil, error: message) }
            }
        }
    }

    /// Waits for the approval's decision until `deadline`, sending `notifications/progress` every
    /// few seconds meanwhile when the request asked for progress.
    func waitForDecision(_ approval: ApprovalRecord, until deadline: Date, call: ToolCallRequest) async throws -> ApprovalRecord {
        let store = self.store
        guard let token = call.progressToken else { return try await store.waitForDecision(approvalId: approval.id, until: deadline) }
        return try await withThrowingTaskGroup(of: ApprovalRecord?.self) { group in
            group.addTask { try await store.waitForDecision(approvalId: approval.id, until: deadline) }
            group.addTask {
                var count = 0
                while !Task.isCancelled {
                    count += 1
                    await self.sendToClient(JSONRPC.notification(
                        method: "notifications/progress", params: ApprovalTexts.progress(token: token, count: count, tool: call.tool, approvalId: approval.id)))
                    try await Task.sleep(for: Self.progressInterval)
                }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let decided = next { return decided }
            }
            throw CancellationError()
        }
    }

    /// How often a held call with a `progressToken` is sent progress: below the 5 s the MCP
    /// clients that reset their timeout on progress need.
    static let progressInterval: Duration = .seconds(4)

    /// Tells the client (a log message), the gateway's log and the notify targets how to decide a
    /// new approval, with its page on the console when a console serves the same store.
    func announceApproval(_ approval: ApprovalRecord, tool: String) {
        let store = self.store
        spawn { session in
            let console = (try? await store.consoleURL(heartbeatSince: Date().addingTimeInterval(-ConsoleHeartbeat.freshness))) ?? nil
            session.announceApproval(approval, tool: tool, consoleURL: console.map { ConsoleHeartbeat.approvalURL(consoleURL: $0, approvalId: approval.id) })
        }
    }

    private func announceApproval(_ approval: ApprovalRecord, tool: String, consoleURL: String?) {
        let approveCommand = approvalCommand("approve", approval.id)
        let denyCommand = approvalCommand("deny", approval.id) + " --reason TEXT"
        let console = consoleURL.map { " or open \($0)" } ?? ""
        logger.notice("tool \(tool) needs approval (rule \(approval.rule)): approve with `\(approveCommand)` or deny with `\(denyCommand)`\(console)")
        notifier.notify(ApprovalNotice(approval: approval, approveCommand: approveCommand, denyCommand: denyCommand, consoleURL: consoleURL))
        var data: [String: JSONValue] = [
            "message": .string("RiskKernel is holding tool \"\(tool)\" for approval (rule \(approval.rule)). Approve: \(approveCommand)\(console)"),
            "approvalId": .string(approval.id), "tool": .string(tool), "rule": .string(approval.rule),
            "approveCommand": .string(approveCommand), "denyCommand": .string(denyCommand),
        ]
        if let consoleURL { data["consoleUrl"] = .string(consoleURL) }
        sendToClient(JSONRPC.notification(method: "notifications/message", params: [
            "level": "warning", "logger": "riskkernel", "data": .object(data),
        ]))
    }

    func approvalCommand(_ verb: String, _ approvalId: String) -> String {
        var command = "riskkernel approvals \(verb) \(approvalId)"
        if let options = configuration.storeCommandOptions { command += " " + options }
        return command
    }
}
