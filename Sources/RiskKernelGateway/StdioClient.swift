import Foundation
import RiskKernelCore

/// A minimal JSON-RPC client for a child process that speaks MCP on stdio: the demo's scripted
/// agent, and the tests' way to drive a gateway byte for byte.
public actor StdioClient {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let writer: LineWriter
    private var nextId: Int64 = 1
    private var waiting: [Int64: CheckedContinuation<JSONValue, Never>] = [:]
    private var notificationHandler: (@Sendable (JSONValue) -> Void)?
    private var closeHandler: (@Sendable () -> Void)?
    private var unmatched: [Int64: JSONValue] = [:]
    private var orphans: [JSONValue] = []
    private var closed = false

    /// The child's process id.
    public nonisolated let processIdentifier: Int32

    /// Starts `executable`; its stderr is this process's stderr. SIGPIPE is ignored in this process
    /// from then on, so that writing to a child that has exited is an error, not the end of the process.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        writer = LineWriter(fileHandle: input.fileHandleForWriting)
        try process.run()
        processIdentifier = process.processIdentifier
    }

    /// Starts reading; `onNotification` receives every message that has a `method` (notifications
    /// and server-to-client requests); `onClose` runs once when the child closes its output (it
    /// exited, or will), after every waiting request has been answered with an error.
    public func start(onNotification: @escaping @Sendable (JSONValue) -> Void, onClose: (@Sendable () -> Void)? = nil) {
        notificationHandler = onNotification
        closeHandler = onClose
        let lines = LineReader.lines(from: output.fileHandleForReading.fileDescriptor, maxLineBytes: 64 * 1024 * 1024)
        Task {
            for await event in lines {
                guard case .line(let bytes) = event, let message = try? JSONParser.parse(bytes) else { continue }
                self.receive(message)
            }
            self.connectionClosed()
        }
    }

    private func receive(_ message: JSONValue) {
        if message["method"] != nil {
            notificationHandler?(message)
        } else if let id = message["id"]?.int64Value, let continuation = waiting.removeValue(forKey: id) {
            continuation.resume(returning: message)
        } else if let id = message["id"]?.int64Value {
            unmatched[id] = message
        } else {
            orphans.append(message)
        }
    }

    /// The process closed its output: every request still waiting gets an error response.
    private func connectionClosed() {
        closed = true
        let pending = waiting
        waiting = [:]
        for (id, continuation) in pending { continuation.resume(returning: Self.closedResponse(id)) }
        closeHandler?()
        closeHandler = nil
    }

    /// Whether the child has closed its output: every later request is answered with an error at once.
    public var isClosed: Bool { closed }

    static func closedResponse(_ id: Int64) -> JSONValue {
        ["jsonrpc": "2.0", "id": .integer(id), "error": ["code": -32000, "message": "the connection closed before a response"]]
    }

    /// Sends a request and waits for its response (the whole response object).
    public func request(_ method: String, _ params: JSONValue = [:]) async -> JSONValue {
        let id = nextId
        nextId += 1
        if closed { return Self.closedResponse(id) }
        return await withCheckedContinuation { continuation in
            waiting[id] = continuation
            writer.writeLine(JSONRPC.encode(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params]))
        }
    }

    /// Sends a raw line as it is (for malformed input), without waiting.
    public func sendRaw(_ bytes: [UInt8]) {
        writer.writeLine(bytes)
    }

    /// Waits for the response with `id`, for requests sent raw.
    public func response(id: Int64) async -> JSONValue {
        if let early = unmatched.removeValue(forKey: id) { return early }
        if closed { return Self.closedResponse(id) }
        return await withCheckedContinuation { continuation in waiting[id] = continuation }
    }

    /// Responses that arrived with an id nobody waits for (e.g. `null` for parse errors), oldest first.
    public func takeUnmatchedResponses() -> [JSONValue] {
        defer { orphans = [] }
        return orphans
    }

    public func notify(_ method: String, _ params: JSONValue = [:]) {
        writer.writeLine(JSONRPC.notification(method: method, params: params))
    }

    /// Closes the process's stdin and waits for it to exit; returns its status.
    public func close() async -> Int32 {
        writer.close()
        let process = self.process
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}
