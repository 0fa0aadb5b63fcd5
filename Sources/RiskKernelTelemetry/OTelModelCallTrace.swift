import Foundation
import RiskKernelCore
import RiskKernelGateway
import Tracing

/// One `riskkernel/recordModelCall`: a server span with the GenAI attributes of the model call it
/// records and the dollars it was priced at.
final class OTelModelCallTrace: ModelCallTrace {
    private typealias Names = SpanAttributeNames
    private let span: any Span

    init(tracer: any Tracer, start: ModelCallTraceStart, parent: ServiceContext) {
        span = tracer.startSpan("riskkernel/recordModelCall", context: parent, ofKind: .server)
        span.updateAttributes { attributes in
            attributes[Names.mcpMethodName] = "riskkernel/recordModelCall"
            attributes[Names.networkTransport] = "pipe"
            attributes[Names.runId] = start.runId
            if let provider = start.provider { attributes[Names.genAIProviderName] = provider }
            if let model = start.model { attributes[Names.genAIRequestModel] = model }
            if let tokens = start.inputTokens { attributes[Names.genAIInputTokens] = SpanAttribute.int64(tokens) }
            if let tokens = start.outputTokens { attributes[Names.genAIOutputTokens] = SpanAttribute.int64(tokens) }
        }
    }

    func ended(result: JSONValue?, error: String?) {
        if let result {
            span.updateAttributes { attributes in
                // Money is a decimal string (six decimals) everywhere, never a floating-point number.
                if let dollars = result["dollars"]?.stringValue { attributes[Names.dollars] = dollars }
                if let priced = result["priced"]?.boolValue { attributes[Names.priced] = priced }
                if let halted = result["halted"]?.boolValue { attributes[Names.halted] = halted }
            }
        }
        if let error {
            span.attributes[Names.errorType] = error.hasPrefix("invalid params") ? "invalid_params" : "internal_error"
            span.setStatus(SpanStatus(code: .error, message: error))
        }
        span.end()
    }
}
