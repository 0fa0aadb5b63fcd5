import RiskKernelCore

/// The routes the proxy serves, each at `/v1/…`, `/sessions/{KEY}/v1/…`, `/providers/{NAME}/v1/…`
/// and `/sessions/{KEY}/providers/{NAME}/v1/…`.
public enum ProxyEndpoint: String, Sendable, CaseIterable {
    /// `POST /v1/chat/completions` (OpenAI Chat Completions).
    case chatCompletions = "chat/completions"
    /// `POST /v1/responses` (OpenAI Responses).
    case responses = "responses"
    /// `POST /v1/messages` (Anthropic Messages).
    case messages = "messages"
    /// `GET /v1/models` and `GET /v1/models/{id}`: passed through, not recorded.
    case models = "models"

    /// The API whose usage a response of this route reports; `nil` for the pass-through routes.
    public var api: ModelAPI? {
        switch self {
        case .chatCompletions: .openAIChat
        case .responses: .openAIResponses
        case .messages: .anthropicMessages
        case .models: nil
        }
    }
}

/// The error body shape a client of a route expects.
public enum ErrorFlavor: Sendable {
    /// `{"error": {"message", "type", "param", "code"}}`.
    case openAI
    /// `{"type": "error", "error": {"type", "message"}}`.
    case anthropic
}
