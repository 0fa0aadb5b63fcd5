import Foundation
import RiskKernelCore
import RiskKernelGateway
import Tracing

/// One `tools/call`: a server span named `tools/call TOOL` with children for the decision, the wait
/// for approval and the upstream round trip (a client span). Driven by the gateway session alone.
final class OTelToolCallTrace: ToolCallTrace {
    private typealias Names = SpanAttributeNames
    private let tracer: any Tracer
    private let tool: String
    private let root: any Span
    private var decisionSpan: (any Span)?
    private var approvalSpan: (any Span)?
    private var upstreamSpan: (any Span)?
    /// Why the call did not succeed, once known.
    private var failure: (type: String, message: String)?
    private var decision: Decision?
    private var ended = false

    init(tracer: any Tracer, start: ToolCallTraceStart, parent: ServiceContext) {
        self.tracer = tracer
        tool = start.tool
        root = tracer.startSpan("tools/call \(start.tool)", context: parent, ofKind: .server)
        root.updateAttributes { attributes in
            attributes[Names.mcpMethodName] = "tools/call"
            attributes[Names.genAIOperationName] = "execute_tool"
            attributes[Names.genAIToolName] = start.tool
            attributes[Names.jsonRPCRequestId] = start.requestId
            attributes[Names.networkTransport] = "pipe"
            attributes[Names.runId] = start.runId
            if let arguments = start.arguments {
                attributes[Names.genAIToolCallArguments] = CanonicalJSON.string(arguments)
            }
        }
        decisionSpan = tracer.startSpan("riskkernel.decision", context: root.context, ofKind: .internal)
    }

    func decided(_ decision: Decision) {
        guard self.decision == nil else { return }
        self.decision = decision
        let rule: String?
        switch decision {
        case .allow: rule = nil
        case .deny(let denyingRule, _):
            rule = denyingRule
            // The reason may quote argument values: only the rule is recorded.
            failure = ("refused", "refused by rule \(denyingRule)")
        case .needsApproval(let approvalRule): rule = approvalRule
        }
        for span in [root] + [decisionSpan].compactMap({ $0 }) {
            span.attributes[Names.decision] = decision.kind
            if let rule { span.attributes[Names.rule] = rule }
        }
        decisionSpan?.end()
        decisionSpan = nil
    }

    func approvalStarted(rule: String) {
        if decision == nil { decided(.needsApproval(rule: rule)) }
        let span = tracer.startSpan("riskkernel.approval", context: root.context, ofKind: .internal)
        span.attributes[Names.rule] = rule
        approvalSpan = span
    }

    func approvalEnded(status: String) {
        guard let span = approvalSpan else { return }
        span.attributes[Names.approvalStatus] = status
        root.attributes[Names.approvalStatus] = status
        if status != "approved" {
            failure = ("refused", "approval \(status)")
            span.setStatus(SpanStatus(code: .error, message: "approval \(status)"))
        }
        span.end()
        approvalSpan = nil
    }

    func upstreamStarted() -> [String: String] {
        let span = tracer.startSpan("tools/call \(tool)", context: root.context, ofKind: .client)
        span.updateAttributes { attributes in
            attributes[Names.mcpMethodName] = "tools/call"
            attributes[Names.genAIOperationName] = "execute_tool"
            attributes[Names.genAIToolName] = tool
            attributes[Names.networkTransport] = "pipe"
        }
        upstreamSpan = span
        var members: [String: String] = [:]
        tracer.inject(root.context, into: &members, using: MetaInjector())
        return members
    }

    func upstreamEnded(error: String?, result: JSONValue?) {
        guard let span = upstreamSpan else { return }
        if let result {
            let text = CanonicalJSON.string(result)
            span.attributes[Names.genAIToolCallResult] = text
            root.attributes[Names.genAIToolCallResult] = text
        }
        if let error {
            failure = ("tool_error", error)
            span.attributes[Names.errorType] = "tool_error"
            span.setStatus(SpanStatus(code: .error, message: error))
        }
        span.end()
        upstreamSpan = nil
    }

    func ended(error: String?) {
        guard !ended else { return }
        ended = true
        if let error { failure = ("upstream_unavailable", error) }
        if decision == nil, failure == nil { failure = ("not_decided", "the call ended before it was decided (cancelled, or the ledger write failed)") }
        if approvalSpan != nil, failure == nil { failure = ("cancelled", "the wait for approval ended without a decision") }
        for span in [decisionSpan, approvalSpan, upstreamSpan].compactMap({ $0 }) {
            if let failure { span.setStatus(SpanStatus(code: .error, message: failure.message)) }
            span.end()
        }
        if let failure {
            root.attributes[Names.errorType] = failure.type
            root.setStatus(SpanStatus(code: .error, message: failure.message))
        }
        root.end()
    }
}
