/// What a model call's response says about the call: its usage, model and id.
///
/// Built from a whole JSON body (``init(api:body:)``) or, for a streamed response, event by event
/// (``observe(_:)``). A stream counts as `complete` once its API's last event has been seen
/// (Chat Completions: `data: [DONE]`; Responses: `response.completed`, `response.incomplete` or
/// `response.failed`; Messages: `message_stop`); a stream that ends before is cut, and what was
/// seen of it is all there is.
public struct ModelCallReading: Sendable, Hashable {
    public let api: ModelAPI
    /// The usage, once the response reported it.
    public private(set) var usage: ModelUsage?
    /// The model the provider says answered (it may name a dated version of the one asked for).
    public private(set) var model: String?
    /// The provider's id of the response (`chatcmpl-…`, `resp_…`, `msg_…`).
    public private(set) var responseId: String?
    /// Whether the response ended as its API ends a response.
    public private(set) var complete = false
    /// Anthropic's cumulative usage: `message_start`'s, updated field by field by each `message_delta`.
    private var anthropicUsage: [String: JSONValue] = [:]

    /// An empty reading, to be filled by ``observe(_:)``.
    public init(api: ModelAPI) {
        self.api = api
    }

    /// Reads a whole (not streamed) response body of `api`.
    public init(api: ModelAPI, body: JSONValue) {
        self.api = api
        model = body["model"]?.stringValue
        responseId = body["id"]?.stringValue
        usage = ModelUsage(api: api, usage: body["usage"])
        complete = true
    }

    /// Takes in one event of a streamed response.
    public mutating func observe(_ event: ServerSentEvent) {
        let text = event.data
        if api == .openAIChat, text.trimmingPrefixSpaces == "[DONE]" {
            complete = true
            return
        }
        guard !text.isEmpty, let data = try? JSONParser.parse(text), case .object = data else { return }
        switch api {
        case .openAIChat:
            if model == nil { model = data["model"]?.stringValue }
            if responseId == nil { responseId = data["id"]?.stringValue }
            if let reported = ModelUsage(api: api, usage: data["usage"]) { usage = reported }
        case .openAIResponses:
            let type = data["type"]?.stringValue ?? event.event ?? ""
            if let response = data["response"] {
                if let name = response["model"]?.stringValue { model = name }
                if let id = response["id"]?.stringValue { responseId = id }
                if let reported = ModelUsage(api: api, usage: response["usage"]) { usage = reported }
            }
            if ["response.completed", "response.incomplete", "response.failed"].contains(type) { complete = true }
        case .anthropicMessages:
            let type = data["type"]?.stringValue ?? event.event ?? ""
            switch type {
            case "message_start":
                let message = data["message"]
                model = message?["model"]?.stringValue ?? model
                responseId = message?["id"]?.stringValue ?? responseId
                if let start = message?["usage"]?.objectValue { anthropicUsage = start }
            case "message_delta":
                for (key, value) in data["usage"]?.objectValue ?? [:] where !value.isNull { anthropicUsage[key] = value }
            case "message_stop":
                complete = true
            default:
                break
            }
            if let reported = ModelUsage(api: api, usage: .object(anthropicUsage)) { usage = reported }
        }
    }
}

extension String {
    fileprivate var trimmingPrefixSpaces: Substring { self.drop(while: { $0 == " " }) }
}
