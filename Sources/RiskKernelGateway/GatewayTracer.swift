import Foundation
import RiskKernelCore

/// Receives the spans of a gateway's governed calls (`tools/call` and `riskkernel/recordModelCall`).
///
/// The gateway holds an optional tracer: without one (no OpenTelemetry configured) every hook is a
/// `nil` check and nothing is allocated, parsed or exported on the call path. An implementation
/// lives outside this module (RiskKernelTelemetry), so the gateway does not depend on an exporter.
public protocol GatewayTracer: Sendable {
    /// Whether spans may carry argument and result values (`--otel-include-content`). When false the
    /// gateway never hands them over.
    var includesContent: Bool { get }

    /// Starts the span of one `tools/call`, with its first child (the decision) already running.
    func startToolCall(_ start: ToolCallTraceStart) -> any ToolCallTrace

    /// Starts the span of one `riskkernel/recordModelCall`.
    func startModelCall(_ start: ModelCallTraceStart) -> any ModelCallTrace

    /// Ends what is still open and exports every span not yet sent, within a bounded time.
    func shutdown() async
}

/// What a tool call's span starts with.
public struct ToolCallTraceStart: Sendable {
    public var tool: String
    /// The JSON-RPC request id, as text.
    public var requestId: String
    public var runId: String
    /// The request's `params._meta`, whose W3C `traceparent` (and `tracestate`) the span continues.
    public var meta: JSONValue?
    /// The arguments with secrets redacted; `nil` unless the tracer includes content.
    public var arguments: JSONValue?

    public init(tool: String, requestId: String, runId: String, meta: JSONValue?, arguments: JSONValue?) {
        self.tool = tool
        self.requestId = requestId
        self.runId = runId
        self.meta = meta
        self.arguments = arguments
    }
}

/// The span of one `tools/call` and its children, driven by the gateway session (one actor), in this
/// order: ``decided(_:)``, then maybe ``approvalStarted(rule:)`` and ``approvalEnded(status:)``, then
/// maybe ``upstreamStarted()`` and ``upstreamEnded(error:result:)``, and always ``ended(error:)``
/// last. A step that never happens (a refusal, a cancellation) is simply not called.
public protocol ToolCallTrace: AnyObject {
    /// The decision is known: ends the decision span and labels the call with it.
    func decided(_ decision: Decision)
    /// The call is held for a person under `rule`: starts the approval wait span.
    func approvalStarted(rule: String)
    /// The wait ended with this approval status (`approved`, `denied`, `expired`...).
    func approvalEnded(status: String)
    /// The call is forwarded: starts the upstream round trip span and returns the W3C `traceparent`
    /// (and `tracestate`, if any) to put in the forwarded request's `params._meta`.
    func upstreamStarted() -> [String: String]
    /// The upstream answered: `error` is the JSON-RPC error message or the text of a result flagged
    /// `isError`; `result` is the redacted result, given only when the tracer includes content.
    func upstreamEnded(error: String?, result: JSONValue?)
    /// The call is over (answered, refused, cancelled or failed): ends every open span. `error`,
    /// when given, marks the call failed with that description.
    func ended(error: String?)
}

/// What a model call's span starts with (read leniently from the request: a bad field is left out,
/// and the method's own validation answers the client).
public struct ModelCallTraceStart: Sendable {
    public var provider: String?
    public var model: String?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var runId: String
    public var meta: JSONValue?

    public init(provider: String?, model: String?, inputTokens: Int64?, outputTokens: Int64?, runId: String, meta: JSONValue?) {
        self.provider = provider
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.runId = runId
        self.meta = meta
    }
}

/// The span of one `riskkernel/recordModelCall`.
public protocol ModelCallTrace: AnyObject {
    /// Ends the span with the method's result (`dollars`, `priced`, `halted`), or with `error`.
    func ended(result: JSONValue?, error: String?)
}
