import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `riskkernel-bench llm-proxy`: what `riskkernel llm-proxy` adds to a model call, against a direct
/// connection to the same local stand-in provider.
struct LLMProxyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-proxy",
        abstract: "Measure the latency the LLM proxy adds per call and to the first streamed byte.",
        discussion: """
            A stand-in provider in this process answers POST /v1/chat/completions with a fixed completion (or a stream of five events) and fixed usage. The same client (AsyncHTTPClient, one connection kept alive per target) calls it directly, through a bare HTTP relay on the proxy's stack (`riskkernel-bench http-relay`: Hummingbird and AsyncHTTPClient, nothing else) and through `riskkernel llm-proxy` (which checks the run's budget, then prices and records each call in a SQLite ledger before the response ends), call by call in turn. Target: at most 1 ms added at the median.
            """)

    @Option(help: "Calls per target and kind (default 2000).")
    var calls: Int = 2000

    @Option(help: ArgumentHelp("The riskkernel binary (default: next to this one).", valueName: "path"))
    var riskkernel: String?

    @Flag(help: "Keep the working folder (database, proxy log) and print where it is.")
    var keep = false

    func validate() throws {
        guard calls >= 10 else { throw ValidationError("--calls must be at least 10") }
    }

    func run() async throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let binary = riskkernel ?? (executable as NSString).deletingLastPathComponent + "/riskkernel"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no riskkernel binary at \(binary); build it or pass --riskkernel")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-bench-llm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: folder) } else { note("working folder: \(folder)") } }

        let standIn = try await StandInProvider.start()
        let upstream = "http://127.0.0.1:\(standIn.port)"
        let proxy = try ProxyProcess.start(
            binary: binary, arguments: ["llm-proxy", "--listen", "127.0.0.1:0", "--db", folder + "/bench.sqlite", "--openai-base-url", upstream])
        defer { proxy.stop() }
        let relay = try ProxyProcess.start(binary: executable, arguments: ["http-relay", "--upstream", upstream])
        defer { relay.stop() }
        try await HTTPClient.withHTTPClient { client in
            let targets = [
                ("direct", upstream), ("relay", "http://127.0.0.1:\(relay.port)"), ("proxy", "http://127.0.0.1:\(proxy.port)/sessions/bench"),
            ]
            var results: [String: [Double]] = [:]
            var cpu: [String: Double] = [:]
            for (kind, streaming) in [("call", false), ("first streamed byte", true)] {
                // Warm-up: connections, the proxy's session run, the ledger file.
                for _ in 0..<20 {
                    for (_, base) in targets { _ = try await Self.call(client, base, streaming: streaming) }
                }
                let before = (relay: processCPUSeconds(relay.process.processIdentifier), proxy: processCPUSeconds(proxy.process.processIdentifier))
                for _ in 0..<calls {
                    for (name, base) in targets { results["\(name) \(kind)", default: []].append(try await Self.call(client, base, streaming: streaming)) }
                }
                cpu["relay \(kind)"] = (processCPUSeconds(relay.process.processIdentifier) - before.relay) * 1e6 / Double(calls)
                cpu["proxy \(kind)"] = (processCPUSeconds(proxy.process.processIdentifier) - before.proxy) * 1e6 / Double(calls)
            }
            var table = Table(
                "measure", "direct median / p99", "bare relay median / p99", "proxy median / p99", "relay added", "proxy added",
                "CPU/call relay, proxy", "target ≤ 1 ms")
            for kind in ["call", "first streamed byte"] {
                let (direct, relay, proxy) = (Samples(results["direct \(kind)"]!), Samples(results["relay \(kind)"]!), Samples(results["proxy \(kind)"]!))
                let added = proxy.median - direct.median
                table.add(
                    kind, "\(fmtMicros(direct.median)) / \(fmtMicros(direct.p99))", "\(fmtMicros(relay.median)) / \(fmtMicros(relay.p99))",
                    "\(fmtMicros(proxy.median)) / \(fmtMicros(proxy.p99))", fmtMicros(relay.median - direct.median), fmtMicros(added),
                    "\(fmtMicros(cpu["relay \(kind)"]!)), \(fmtMicros(cpu["proxy \(kind)"]!))", added <= 1000 ? "met" : "missed")
            }
            say("LLM proxy: \(calls) sequential calls per target, in turn (chat completions, fixed usage)")
            say(table.render())
        }
        try await standIn.stop()
    }

    /// One call; returns microseconds to the whole response (`streaming` false) or to its first body byte.
    static func call(_ client: HTTPClient, _ base: String, streaming: Bool) async throws -> Double {
        var request = HTTPClientRequest(url: base + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "authorization", value: "Bearer sk-bench")
        request.body = .bytes(ByteBuffer(string: StandInProvider.requestBody(streaming: streaming)))
        let start = nowNanos()
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .ok else { throw BenchError("\(base): HTTP \(response.status.code)") }
        var elapsed: UInt64 = 0
        for try await _ in response.body where elapsed == 0 {
            if streaming { elapsed = nowNanos() - start }
        }
        if !streaming { elapsed = nowNanos() - start }
        return Double(elapsed) / 1000
    }
}

/// The stand-in provider: Chat Completions with a fixed answer and usage, whole or streamed.
struct StandInProvider: Sendable {
    let port: Int
    let task: Task<Void, any Error>

    static func requestBody(streaming: Bool) -> String {
        #"{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello."}]"# + (streaming ? #","stream":true,"stream_options":{"include_usage":true}}"# : "}")
    }

    static let completion = #"{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0}}}"#

    static let events = [
        #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}"#,
        #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hello."}}],"usage":null}"#,
        #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
        #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#,
        "data: [DONE]",
    ].map { $0 + "\n\n" }

    /// The stand-in's logger: its start and its shutdown are not results.
    static var quietLogger: Logger {
        var logger = Logger(label: "stand-in")
        logger.logLevel = .critical
        return logger
    }

    static func start() async throws -> StandInProvider {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let streaming = String(buffer: body).contains(#""stream":true"#)
            var headers = HTTPFields()
            headers[.contentType] = streaming ? "text/event-stream" : "application/json"
            guard streaming else { return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: completion))) }
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for event in events { try await writer.write(ByteBuffer(string: event)) }
                try await writer.finish(nil)
            })
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger)
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw BenchError("the stand-in provider did not start") }
        return StandInProvider(port: port, task: task)
    }

    func stop() async throws {
        task.cancel()
        _ = await task.result
    }
}

/// An HTTP server as a child process (`riskkernel llm-proxy`, `riskkernel-bench http-relay`), on a
/// port it picks and prints.
final class ProxyProcess: @unchecked Sendable {
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(binary: String, arguments: [String]) throws -> ProxyProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server prints `… listening on http://127.0.0.1:PORT (…)` on stderr once it serves.
        var seen = Data()
        while true {
            let chunk = errors.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("\(arguments[0]) exited before listening: \(String(decoding: seen, as: UTF8.self))") }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == " " {
                    startThread { while !errors.fileHandleForReading.availableData.isEmpty {} }
                    return ProxyProcess(process: process, port: port)
                }
            }
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
