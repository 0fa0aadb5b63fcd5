import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import RiskKernelCore
import RiskKernelStore

/// Forwards one client request to its provider and answers with the provider's response, checking
/// the run's budget before and recording the call's usage after.
///
/// A model call (chat completions, responses, messages) whose run is halted or out of budget is
/// answered with HTTP 402 in the provider's error format and never forwarded. Otherwise the request
/// goes upstream with its body and headers unchanged (see ``ForwardedHeaders``), except a Chat
/// Completions stream that did not ask for usage, which is asked for it (see ``ChatStreamUsage``).
/// A streamed response is relayed chunk by chunk as it arrives; its events are read on the side.
/// The call is recorded before the response ends, so that the next call of the run is checked
/// against it.
struct ModelCallForwarder: Sendable {
    let client: HTTPClient
    let configuration: LLMProxyConfiguration
    let recorder: ModelSpendRecorder
    let logger: Logger

    /// The route a request came in on, after its session and provider prefixes.
    struct Target: Sendable {
        var endpoint: ProxyEndpoint
        var session: String?
        var providerName: String?
    }

    func handle(_ request: Request, target: Target) async throws -> Response {
        let flavor = Self.flavor(of: target.endpoint, headers: request.headers, providerName: target.providerName)
        if let session = target.session, !SessionRuns.isValidKey(session) {
            return ProviderErrors.badRequest(
                "riskkernel: invalid session key \"\(session)\": use 1 to 128 letters, digits, '.', '_', '-', ':' or '@'", flavor: flavor)
        }
        let provider: String
        let base: String
        if let name = target.providerName {
            guard target.endpoint != .messages, let url = configuration.providers[name] else {
                let known = configuration.providers.keys.sorted()
                return ProviderErrors.notFound(
                    "riskkernel: no provider \"\(name)\" serves \(target.endpoint == .messages ? "/v1/messages" : "this route") (providers: \(known.isEmpty ? "none; add one with --provider NAME=URL" : known.joined(separator: ", ")))",
                    flavor: flavor)
            }
            (provider, base) = (name, url)
        } else if flavor == .anthropic {
            (provider, base) = ("anthropic", configuration.anthropicBaseURL)
        } else {
            (provider, base) = ("openai", configuration.openAIBaseURL)
        }
        let url = base + Self.upstreamPath(request.uri.path, target: target) + (request.uri.query.map { "?" + $0 } ?? "")

        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxRequestBytes)
        } catch {
            return ProviderErrors.tooLarge("riskkernel: the request body is larger than \(configuration.maxRequestBytes) bytes", flavor: flavor)
        }
        guard let api = target.endpoint.api else {
            return try await forward(request, body: body, to: url, flavor: flavor) { upstream in
                Response(status: Self.status(upstream.status), headers: ForwardedHeaders.downstream(upstream.headers),
                         body: ResponseBody(asyncSequence: upstream.body))
            }
        }

        let runId: String
        do {
            runId = try await recorder.runId(session: target.session)
            if let reason = try await recorder.stopReason(runId: runId) {
                let owner = target.session.map { "session \"\($0)\" (run \(runId))" } ?? "run \(runId)"
                logger.notice("refused a \(provider) call of \(owner): \(reason)")
                return ProviderErrors.budget("riskkernel: \(owner) is halted: \(reason). The call was not sent to \(provider).", flavor: flavor)
            }
        } catch let error as StoreError {
            return ProviderErrors.internalError("riskkernel: \(error)", flavor: flavor)
        }

        let bytes = Array(body.readableBytesView)
        let parsed = try? JSONParser.parse(bytes)
        let requestedModel = parsed?["model"]?.stringValue
        let askedForUsage = api == .openAIChat ? ChatStreamUsage.requestingUsage(bytes, parsed: parsed) : nil
        let outgoing = askedForUsage.map { ByteBuffer(bytes: $0) } ?? body
        let call = RecordedCall(runId: runId, provider: provider, requestedModel: requestedModel, api: api)
        return try await forward(request, body: outgoing, to: url, flavor: flavor) { upstream in
            let headers = ForwardedHeaders.downstream(upstream.headers)
            let status = Self.status(upstream.status)
            if upstream.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") == true {
                return Response(status: status, headers: headers, body: relay(upstream.body, call: call, filtering: askedForUsage != nil))
            }
            let whole = try await upstream.body.collect(upTo: configuration.maxResponseBytes)
            if (200..<300).contains(upstream.status.code), let json = try? JSONParser.parse(whole.readableBytesView) {
                await recorder.record(
                    runId: runId, provider: provider, requestedModel: requestedModel, reading: ModelCallReading(api: api, body: json), cut: false)
            }
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: whole))
        }
    }

    /// What a streamed call is recorded as.
    struct RecordedCall: Sendable {
        var runId: String
        var provider: String
        var requestedModel: String?
        var api: ModelAPI
    }

    /// The response body of a stream: each upstream chunk written as it arrives (when `filtering`,
    /// each complete event as the client asked for it), the events read on the side, and the call
    /// recorded once: before the chunk that holds the stream's last event is written (clients stop
    /// reading at that event, and the next call must be checked against this one), or when the
    /// stream ends without it, is cut, or the client goes away.
    func relay(_ upstream: HTTPClientResponse.Body, call: RecordedCall, filtering: Bool) -> ResponseBody {
        let recorder = recorder
        return ResponseBody { writer in
            var reading = ModelCallReading(api: call.api)
            var parser = ServerSentEventParser()
            var recorded = false
            var filter = ChatStreamFilter()
            func record(cut: Bool) async {
                guard !recorded else { return }
                recorded = true
                await recorder.record(runId: call.runId, provider: call.provider, requestedModel: call.requestedModel, reading: reading, cut: cut)
            }
            do {
                for try await chunk in upstream {
                    let events = parser.feed(chunk.readableBytesView)
                    for event in events { reading.observe(event) }
                    if reading.complete { await record(cut: false) }
                    if filtering {
                        let kept = events.flatMap { filter.clientBytes($0) }
                        if !kept.isEmpty { try await writer.write(ByteBuffer(bytes: kept)) }
                    } else {
                        try await writer.write(chunk)
                    }
                }
                let pending = parser.pendingBytes
                if let last = parser.finish() {
                    reading.observe(last)
                    await record(cut: !reading.complete)
                    if filtering {
                        let kept = filter.clientBytes(last)
                        if !kept.isEmpty { try await writer.write(ByteBuffer(bytes: kept)) }
                    }
                } else if filtering, !filter.trailing(pending).isEmpty {
                    try await writer.write(ByteBuffer(bytes: filter.trailing(pending)))
                }
            } catch {
                await record(cut: true)
                throw error
            }
            await record(cut: !reading.complete)
            try await writer.finish(nil)
        }
    }

    /// Sends the request upstream and makes the response with `respond`; a provider that cannot
    /// be reached is answered with HTTP 502.
    private func forward(
        _ request: Request, body: ByteBuffer, to url: String, flavor: ErrorFlavor,
        respond: (HTTPClientResponse) async throws -> Response
    ) async throws -> Response {
        var upstreamRequest = HTTPClientRequest(url: url)
        upstreamRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        upstreamRequest.headers = ForwardedHeaders.upstream(request.headers)
        if request.method != .get || body.readableBytes > 0 { upstreamRequest.body = .bytes(body) }
        let upstream: HTTPClientResponse
        do {
            upstream = try await client.execute(upstreamRequest, deadline: .now() + .hours(24), logger: nil)
        } catch {
            logger.error("could not reach \(Self.origin(url)): \(error)")
            return ProviderErrors.badGateway("riskkernel: could not reach \(Self.origin(url)): \(error)", flavor: flavor)
        }
        return try await respond(upstream)
    }

    /// The scheme, host and port of `url` (never its path or query, which could carry a key).
    static func origin(_ url: String) -> String {
        guard let parsed = URLComponents(string: url) else { return "the provider" }
        return "\(parsed.scheme ?? "http")://\(parsed.host ?? "")\(parsed.port.map { ":\($0)" } ?? "")"
    }

    /// The request's path from its `/v1/` on: the session and provider prefixes removed.
    static func upstreamPath(_ path: String, target: Target) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if target.session != nil { parts = parts.dropFirst(2) }
        if target.providerName != nil { parts = parts.dropFirst(2) }
        return "/" + parts.joined(separator: "/")
    }

    /// Anthropic's format for `/v1/messages`, and for `/v1/models` asked the Anthropic way (with an
    /// `anthropic-version` or `x-api-key` header); OpenAI's otherwise.
    static func flavor(of endpoint: ProxyEndpoint, headers: HTTPFields, providerName: String?) -> ErrorFlavor {
        switch endpoint {
        case .messages: return .anthropic
        case .models:
            guard providerName == nil else { return .openAI }
            let anthropicVersion = HTTPField.Name("anthropic-version")!
            let apiKey = HTTPField.Name("x-api-key")!
            return headers[anthropicVersion] != nil || (headers[apiKey] != nil && headers[.authorization] == nil) ? .anthropic : .openAI
        default: return .openAI
        }
    }

    static func status(_ status: HTTPResponseStatus) -> HTTPResponse.Status {
        HTTPResponse.Status(code: Int(status.code), reasonPhrase: status.reasonPhrase)
    }
}
