import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import RiskKernelModelProxy

/// The least an HTTP proxy built on the LLM proxy's stack can cost: Hummingbird receives each
/// request, AsyncHTTPClient sends it on with its body and headers (as the proxy forwards them,
/// ``ForwardedHeaders``), and the response's body is
/// streamed back, with no parsing, no budget check and no ledger. `riskkernel-bench llm-proxy`
/// measures it beside the LLM proxy, so that the floor the stack and the extra hop set on this
/// machine is a figure of the same run.
struct HTTPRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-relay",
        abstract: "Relay HTTP requests to a server unchanged with Hummingbird and AsyncHTTPClient (the floor of the LLM proxy's stack).")

    @Option(help: ArgumentHelp("Where to send requests: scheme, host and port.", valueName: "url"))
    var upstream: String

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen = "127.0.0.1:0"

    func validate() throws {
        guard upstream.hasPrefix("http://") || upstream.hasPrefix("https://") else { throw ValidationError("--upstream must be an http:// or https:// URL") }
        guard listen.split(separator: ":").count == 2, Int(listen.split(separator: ":")[1]) != nil else {
            throw ValidationError("--listen must be host:port")
        }
    }

    func run() async throws {
        let parts = listen.split(separator: ":")
        let upstream = upstream
        // The client the LLM proxy makes.
        try await HTTPClient.withHTTPClient(configuration: LLMProxy.clientConfiguration) { client in
            let router = Router()
            router.post("**") { request, _ in try await Self.relay(request, client: client, upstream: upstream) }
            router.get("**") { request, _ in try await Self.relay(request, client: client, upstream: upstream) }
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname(String(parts[0]), port: Int(parts[1])!)),
                onServerRunning: { channel in
                    // The line `ProxyProcess` waits for, as the LLM proxy prints it.
                    FileHandle.standardError.write(Data("riskkernel-bench http-relay: listening on http://\(parts[0]):\(channel.localAddress?.port ?? 0) (to \(upstream))\n".utf8))
                },
                logger: StandInProvider.quietLogger)
            try await app.run()
        }
    }

    static func relay(_ request: Request, client: HTTPClient, upstream: String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 20)
        var outgoing = HTTPClientRequest(url: upstream + request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""))
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        outgoing.headers = ForwardedHeaders.upstream(request.headers)
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        let response = try await client.execute(outgoing, deadline: .now() + .hours(1), logger: nil)
        return Response(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: ForwardedHeaders.downstream(response.headers),
            body: ResponseBody(asyncSequence: response.body))
    }
}
