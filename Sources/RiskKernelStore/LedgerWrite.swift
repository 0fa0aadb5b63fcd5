import Foundation

/// One write to the ledger, for ``Store/submit(_:start:then:)``: a tool call's decision, made and
/// recorded before the call is forwarded; its outcome, recorded after its response was passed on;
/// or a model call, recorded before it is acknowledged.
public enum LedgerWrite<Verdict: Sendable>: Sendable {
    case decision(DecisionRequest<Verdict>)
    case completion(ToolCallCompletion)
    /// A model call of run `runId` (see ``Store/recordModelCall(runId:_:)``).
    case modelCall(runId: String, NewModelCall)
}

/// What one ``LedgerWrite`` wrote.
public enum LedgerWritten<Verdict: Sendable>: Sendable {
    case decision(RecordedDecision<Verdict>)
    case completion
    case modelCall(SpendResult)

    /// The recorded decision; throws ``StoreError/unavailable(_:)`` for another write's result.
    public func decision() throws -> RecordedDecision<Verdict> {
        guard case .decision(let recorded) = self else { throw StoreError.unavailable("the store answered a decision with another write's result") }
        return recorded
    }

    /// The recorded model call; throws ``StoreError/unavailable(_:)`` for another write's result.
    public func spend() throws -> SpendResult {
        guard case .modelCall(let spend) = self else { throw StoreError.unavailable("the store answered a model call with another write's result") }
        return spend
    }
}

/// When the group commit that holds a write begins (``Store/submit(_:start:then:)``). A write
/// that arrives while a group is being written always waits for it and goes in the next group.
public enum GroupStart: Sendable {
    /// Submits a job that runs on the caller's own thread, after the work already queued there.
    public typealias Scheduler = @Sendable (_ job: @escaping @Sendable () -> Void) -> Void

    /// At once, on the store's writer: for a write its caller waits for (a model call). A write
    /// added while a scheduled job is pending joins that job's group instead. PostgreSQL writes
    /// it in a transaction of its own, beside the others.
    case now
    /// In a job of the caller's own thread, which makes the group's transaction and waits for its
    /// commit: the writes asked for by the work queued on that thread before the job (the rest of a
    /// burst of requests) join the group, and none is handed to another thread and back. For a
    /// caller whose thread is its own (the gateway's session).
    case scheduled(by: Scheduler)
    /// After at most this long: the write waits for a group begun for another write to join,
    /// so that a write off the call's path (an outcome) costs no commit of its own.
    case within(Duration)
}

extension Store {
    /// ``submit(_:start:then:)`` with a group begun at once; returns once the writes' transaction
    /// ended, with one result per write, in order.
    nonisolated(nonsending) public func write<Verdict: Sendable>(_ writes: [LedgerWrite<Verdict>]) async -> [Result<LedgerWritten<Verdict>, any Error>] {
        await withCheckedContinuation { continuation in
            submit(writes, start: .now) { continuation.resume(returning: $0) }
        }
    }

    /// Records a model call (see ``LedgerWrite/modelCall(runId:_:)``) in the next group commit:
    /// appends it to the ledger, opens a step, adds it to the usage of the run and of every
    /// ancestor, and halts the run when its budget or an ancestor's is crossed; all in one
    /// transaction, so concurrent spenders cannot overspend unseen. Returns once it is committed.
    /// Throws ``StoreError/invalidArgument(_:)`` for counts or dollars out of range
    /// (``SpendLimits``) and ``StoreError/notFound(_:)`` for an unknown run.
    nonisolated(nonsending) public func recordModelCall(runId: String, _ call: NewModelCall) async throws -> SpendResult {
        let writes: [LedgerWrite<Never>] = [.modelCall(runId: runId, call)]
        return try await write(writes)[0].get().spend()
    }

    /// Decides tool calls and records the decisions in one transaction (see ``submit(_:start:then:)``).
    nonisolated(nonsending) public func decideToolCalls<Verdict: Sendable>(
        _ requests: [DecisionRequest<Verdict>]
    ) async -> [Result<RecordedDecision<Verdict>, any Error>] {
        await write(requests.map { .decision($0) }).map { result in result.flatMap { written in Result { try written.decision() } } }
    }

    /// Decides one tool call and records it in one transaction (see ``submit(_:start:then:)``).
    nonisolated(nonsending) public func decideToolCall<Verdict: Sendable>(
        runId: String, recentSince: Date?, approvalExpiresAt: Date?,
        decide: @escaping @Sendable (DecisionInputs) throws -> (call: NewToolCall?, verdict: Verdict)
    ) async throws -> RecordedDecision<Verdict> {
        let request = DecisionRequest(runId: runId, recentSince: recentSince, approvalExpiresAt: approvalExpiresAt, decide: decide)
        return try await decideToolCalls([request])[0].get()
    }

    /// Stores how tool calls ended, in one transaction (see ``submit(_:start:then:)``).
    nonisolated(nonsending) public func completeToolCalls(_ completions: [ToolCallCompletion]) async -> [Result<Void, any Error>] {
        let writes: [LedgerWrite<Never>] = completions.map { .completion($0) }
        return await write(writes).map { $0.map { _ in () } }
    }

    /// Stores how a tool call ended.
    nonisolated(nonsending) public func completeToolCall(id: String, outcome: ToolCallOutcome) async throws {
        try await completeToolCalls([ToolCallCompletion(id: id, outcome: outcome)])[0].get()
    }
}
