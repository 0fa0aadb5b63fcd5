/// `spec.tasks`: what the gateway does with MCP tasks (2025-11-25), by which a `tools/call` may
/// answer with a task handle and deliver its result later through `tasks/result`.
public enum TaskMode: String, Sendable, Hashable, CaseIterable {
    /// Tasks pass, governed like the calls that made them: only tasks created by governed calls of
    /// this run are served (`tasks/get`, `tasks/result`, `tasks/cancel`, `tasks/list`, status
    /// notifications), and their results are redacted and recorded as the call's outcome. The default.
    case govern
    /// Task support is stripped from what the gateway relays (the server's `capabilities.tasks`,
    /// each tool's `execution.taskSupport`, a call's `params.task`), so the upstream answers plainly;
    /// `tasks/*` requests are refused.
    case off
}

/// `spec.sampling`: whether the upstream server may ask the client's model for a completion
/// (`sampling/createMessage`). Each request is recorded in the ledger either way (no content).
public enum SamplingMode: String, Sendable, Hashable, CaseIterable {
    /// Relayed to the client. The default.
    case allow
    /// Answered with an error; the client's model is never asked.
    case deny
}
