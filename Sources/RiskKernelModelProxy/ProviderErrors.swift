import Foundation
import HTTPTypes
import Hummingbird
import RiskKernelCore

/// Answers that the proxy makes itself, in the error format of the provider the client talks to,
/// so that its SDK raises its usual error with the proxy's message.
///
/// Formats: OpenAI's `{"error": {"message", "type", "param", "code"}}`
/// (https://platform.openai.com/docs/guides/error-codes) and Anthropic's
/// `{"type": "error", "error": {"type", "message"}}` (https://docs.anthropic.com/en/api/errors).
enum ProviderErrors {
    /// A refusal because the run is halted or its budget is spent: HTTP 402, which the OpenAI and
    /// Anthropic SDKs do not retry (they retry 408, 409, 429 and 5xx).
    static func budget(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.init(code: 402, reasonPhrase: "Payment Required"), flavor: flavor, message: message,
                 openAIType: "budget_exceeded", anthropicType: "billing_error")
    }

    /// A request the proxy cannot take (a bad session key, a body that is not JSON): HTTP 400.
    static func badRequest(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.badRequest, flavor: flavor, message: message, openAIType: "invalid_request_error", anthropicType: "invalid_request_error")
    }

    /// An unknown `--provider` name: HTTP 404.
    static func notFound(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.notFound, flavor: flavor, message: message, openAIType: "invalid_request_error", anthropicType: "not_found_error")
    }

    /// A request body larger than the proxy accepts: HTTP 413.
    static func tooLarge(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.contentTooLarge, flavor: flavor, message: message, openAIType: "invalid_request_error", anthropicType: "request_too_large")
    }

    /// The provider could not be reached: HTTP 502.
    static func badGateway(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.badGateway, flavor: flavor, message: message, openAIType: "api_error", anthropicType: "api_error")
    }

    /// The store failed: HTTP 500 (the call was not forwarded, or not recorded).
    static func internalError(_ message: String, flavor: ErrorFlavor) -> Response {
        response(.internalServerError, flavor: flavor, message: message, openAIType: "api_error", anthropicType: "api_error")
    }

    static func body(flavor: ErrorFlavor, message: String, openAIType: String, anthropicType: String) -> JSONValue {
        switch flavor {
        case .openAI:
            ["error": ["message": .string(message), "type": .string(openAIType), "param": .null, "code": .string(openAIType)]]
        case .anthropic:
            ["type": "error", "error": ["type": .string(anthropicType), "message": .string(message)]]
        }
    }

    private static func response(
        _ status: HTTPResponse.Status, flavor: ErrorFlavor, message: String, openAIType: String, anthropicType: String
    ) -> Response {
        let text = CanonicalJSON.string(body(flavor: flavor, message: message, openAIType: openAIType, anthropicType: anthropicType))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
