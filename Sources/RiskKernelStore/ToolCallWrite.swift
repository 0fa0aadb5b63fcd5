import Foundation

/// One write of a tool call's record, for ``Store/writeToolCalls(_:)``: a decision, made and
/// recorded before the call is forwarded, or an outcome, recorded after its response was passed on.
public enum ToolCallWrite<Verdict: Sendable>: Sendable {
    case decision(DecisionRequest<Verdict>)
    case completion(ToolCallCompletion)
}

/// What one ``ToolCallWrite`` wrote: the recorded decision, or that the outcome is stored.
public enum ToolCallWritten<Verdict: Sendable>: Sendable {
    case decision(RecordedDecision<Verdict>)
    case completion

    /// The recorded decision; throws ``StoreError/unavailable(_:)`` for an outcome's result.
    public func decision() throws -> RecordedDecision<Verdict> {
        guard case .decision(let recorded) = self else { throw StoreError.unavailable("the store answered a decision with an outcome") }
        return recorded
    }
}

extension Store {
    /// Decides tool calls and records the decisions in one transaction (see ``writeToolCalls(_:)``).
    nonisolated(nonsending) public func decideToolCalls<Verdict: Sendable>(
        _ requests: [DecisionRequest<Verdict>]
    ) async throws -> [Result<RecordedDecision<Verdict>, any Error>] {
        try await writeToolCalls(requests.map { .decision($0) }).map { result in result.flatMap { written in Result { try written.decision() } } }
    }

    /// Decides one tool call and records it in one transaction (see ``writeToolCalls(_:)``).
    nonisolated(nonsending) public func decideToolCall<Verdict: Sendable>(
        runId: String, recentSince: Date?, approvalExpiresAt: Date?,
        decide: @escaping @Sendable (DecisionInputs) throws -> (call: NewToolCall?, verdict: Verdict)
    ) async throws -> RecordedDecision<Verdict> {
        let request = DecisionRequest(runId: runId, recentSince: recentSince, approvalExpiresAt: approvalExpiresAt, decide: decide)
        return try await decideToolCalls([request])[0].get()
    }

    /// Stores how tool calls ended, in one transaction (see ``writeToolCalls(_:)``).
    nonisolated(nonsending) public func completeToolCalls(_ completions: [ToolCallCompletion]) async throws -> [Result<Void, any Error>] {
        let writes: [ToolCallWrite<Never>] = completions.map { .completion($0) }
        return try await writeToolCalls(writes).map { $0.map { _ in () } }
    }

    /// Stores how a tool call ended.
    nonisolated(nonsending) public func completeToolCall(id: String, outcome: ToolCallOutcome) async throws {
        try await completeToolCalls([ToolCallCompletion(id: id, outcome: outcome)])[0].get()
    }
}
