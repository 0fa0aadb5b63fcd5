import Foundation
import RiskKernelCore
import RiskKernelStore

/// The session's tracing hooks. Each is one call from the code it observes; without a tracer each
/// returns after a `nil` check, and the forwarded bytes are left as they are.
extension GatewaySession {
    /// A `tools/call` was accepted for governance: starts its span (and the decision span).
    func traceToolCallStarted(key: String, tool: String, params: [String: JSONValue], arguments: JSONValue) {
        guard let tracer else { return }
        // Spelled out: `content` is absent (nil), not JSON null, when the tracer takes no content.
        var content: JSONValue?
        if tracer.includesContent { content = secretScanner.redacting(arguments) }
        toolCallTraces[key] = tracer.startToolCall(ToolCallTraceStart(
            tool: tool, requestId: key, runId: runId, meta: params["_meta"], arguments: content))
    }

    /// The pipeline decided the call.
    func traceDecided(key: String, decision: Decision) {
        toolCallTraces[key]?.decided(decision)
    }

    /// The call is held for approval under `rule`.
    func traceApprovalStarted(key: String, rule: String) {
        toolCallTraces[key]?.approvalStarted(rule: rule)
    }

    /// The approval wait ended with `status`.
    func traceApprovalEnded(key: String, status: ApprovalStatus) {
        toolCallTraces[key]?.approvalEnded(status: status.rawValue)
    }

    /// The call is about to be forwarded: starts the upstream span and returns the request to send,
    /// whose `params._meta.traceparent` names the tool call's span (unchanged without a tracer).
    func traceUpstreamStarted(key: String, raw: [UInt8]) -> [UInt8] {
        guard let trace = toolCallTraces[key] else { return raw }
        return Self.settingMeta(trace.upstreamStarted(), in: raw)
    }

    /// The upstream answered the call.
    func traceUpstreamAnswered(key: String, body: JSONValue) {
        guard let trace = toolCallTraces[key] else { return }
        var result: JSONValue?
        if tracer?.includesContent == true, let payload = body["result"] { result = secretScanner.redacting(payload) }
        trace.upstreamEnded(error: Self.errorText(of: body), result: result)
    }

    /// The call is over; `error` marks it failed.
    func traceToolCallEnded(key: String, error: String? = nil) {
        toolCallTraces.removeValue(forKey: key)?.ended(error: error)
    }

    /// Runs `riskkernel/recordModelCall` inside its span.
    func tracingModelCall(_ params: JSONValue?, _ body: () async throws -> JSONValue) async throws -> JSONValue {
        guard let tracer else { return try await body() }
        let members = params?.objectValue ?? [:]
        let trace = tracer.startModelCall(ModelCallTraceStart(
            provider: members["provider"]?.stringValue, model: members["model"]?.stringValue,
            inputTokens: members["promptTokens"]?.int64Value, outputTokens: members["completionTokens"]?.int64Value,
            runId: runId, meta: members["_meta"]))
        do {
            let result = try await body()
            trace.ended(result: result, error: nil)
            return result
        } catch {
            trace.ended(result: nil, error: (error as? InvalidParams).map { "invalid params: \($0.message)" } ?? "\(error)")
            throw error
        }
    }

    /// The error a trace gives a result flagged `isError` (whose text is content, and is not copied).
    static let toolReportedError = "the tool reported an error (isError)"

    /// The error a tool call's response reports: its JSON-RPC error message, or
    /// ``toolReportedError`` for a result flagged `isError`.
    static func errorText(of body: JSONValue) -> String? {
        if let error = body["error"] { return error["message"]?.stringValue ?? "JSON-RPC error" }
        if body["result"]?["isError"]?.boolValue == true { return toolReportedError }
        return nil
    }

    /// The request with these members set in `params._meta` (everything else kept).
    static func settingMeta(_ entries: [String: String], in raw: [UInt8]) -> [UInt8] {
        guard !entries.isEmpty, case .object(var message)? = try? JSONParser.parse(raw),
              case .object(var params)? = message["params"] else { return raw }
        var meta = params["_meta"]?.objectValue ?? [:]
        for (name, value) in entries { meta[name] = .string(value) }
        params["_meta"] = .object(meta)
        message["params"] = .object(params)
        return JSONRPC.encode(.object(message))
    }
}
