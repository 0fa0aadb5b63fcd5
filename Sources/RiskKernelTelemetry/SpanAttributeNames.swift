/// The attribute names the gateway's spans use: OpenTelemetry's MCP and GenAI semantic conventions
/// where they have one, `riskkernel.*` for the gateway's own.
enum SpanAttributeNames {
    static let mcpMethodName = "mcp.method.name"
    static let jsonRPCRequestId = "jsonrpc.request.id"
    static let networkTransport = "network.transport"
    static let genAIOperationName = "gen_ai.operation.name"
    static let genAIToolName = "gen_ai.tool.name"
    static let genAIToolCallArguments = "gen_ai.tool.call.arguments"
    static let genAIToolCallResult = "gen_ai.tool.call.result"
    static let genAIProviderName = "gen_ai.provider.name"
    static let genAIRequestModel = "gen_ai.request.model"
    static let genAIInputTokens = "gen_ai.usage.input_tokens"
    static let genAIOutputTokens = "gen_ai.usage.output_tokens"
    static let errorType = "error.type"

    static let runId = "riskkernel.run.id"
    static let decision = "riskkernel.decision"
    static let rule = "riskkernel.rule"
    static let approvalStatus = "riskkernel.approval.status"
    static let dollars = "riskkernel.dollars"
    static let priced = "riskkernel.priced"
    static let halted = "riskkernel.halted"
}
