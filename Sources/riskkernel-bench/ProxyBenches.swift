import Foundation
import RiskKernelCore

#if canImport(Glibc)
import Glibc
#endif

/// One way of reaching the bench upstream: directly, through the gateway under some policy, or
/// through FastMCP's proxy.
struct Target {
    enum Kind { case direct, gateway, fastmcp }
    var name: String
    var kind: Kind
    var command: [String]
    /// Whether calls are expected to be refused (no upstream round trip).
    var refuses = false
}

/// Builds `tools/call` lines for the `echo` tool: arguments `{size, payload}` where the payload is
/// `size` bytes, so that a request and its response each carry about `size` bytes.
struct CallTemplate {
    let size: Int
    private let head = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private let tail: [UInt8]

    init(size: Int) {
        self.size = size
        var tail = Array(#","method":"tools/call","params":{"name":"echo","arguments":{"size":"#.utf8)
        tail.append(contentsOf: Array("\(size),\"payload\":\"".utf8))
        tail.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: Swift.max(0, size - 48)))
        tail.append(contentsOf: Array(#""}}}"#.utf8))
        self.tail = tail
    }

    func request(id: Int) -> [UInt8] {
        var bytes = head
        bytes.reserveCapacity(head.count + 20 + tail.count + 1)
        bytes.append(contentsOf: Array(String(id).utf8))
        bytes.append(contentsOf: tail)
        return bytes
    }
}

enum Expectation { case echo(Int), refused }

/// Checks a `tools/call` response fully (used on the first response of each series).
func verify(_ line: [UInt8], _ expectation: Expectation, target: String) throws {
    let message = try JSONParser.parse(line)
    guard let result = message["result"] else {
        throw BenchError("\(target): expected a result, got \(String(decoding: line.prefix(300), as: UTF8.self))")
    }
    let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
    let isError = result["isError"]?.boolValue ?? false
    switch expectation {
    case .echo(let size):
        guard !isError, text.utf8.count == size else {
            throw BenchError("\(target): expected an echo of \(size) bytes, got \(String(decoding: line.prefix(300), as: UTF8.self))")
        }
    case .refused:
        guard isError else { throw BenchError("\(target): expected a refusal, got \(String(decoding: line.prefix(300), as: UTF8.self))") }
    }
}

/// A counting semaphore that may be released with credits outstanding (DispatchSemaphore may not).
final class Credits: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int
    init(_ count: Int) { available = count }
    func wait() {
        condition.lock()
        while available == 0 { condition.wait() }
        available -= 1
        condition.unlock()
    }
    func signal() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }
}

/// How many calls the writer thread has sent (counted before each send), and whether it stopped.
final class WriterState: @unchecked Sendable {
    private let lock = NSLock()
    private var sent = 0
    private var finished = false
    func willSend() { lock.lock(); sent += 1; lock.unlock() }
    func finish() { lock.lock(); finished = true; lock.unlock() }
    func read() -> (Int, Bool) { lock.lock(); defer { lock.unlock() }; return (sent, finished) }
}

/// What one pipelined series measured.
struct Throughput {
    var calls: Int
    var seconds: Double
    var perSecond: Double { Double(calls) / seconds }
}

enum ProxyBench {
    /// Sequential calls, one in flight: each call's round trip in microseconds.
    static func sequential(_ child: Child, target: Target, size: Int, warmup: Int, count: Int, nextId: inout Int) throws -> Samples {
        let template = CallTemplate(size: size)
        let expectation: Expectation = target.refuses ? .refused : .echo(size)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for index in 0..<(warmup + count) {
            let request = template.request(id: nextId)
            nextId += 1
            let started = nowNanos()
            child.send(request)
            let response = try child.readResponse()
            let elapsed = nowNanos() - started
            if index == 0 { try verify(response, expectation, target: target.name) }
            if index >= warmup { samples.append(Double(elapsed) / 1000) }
        }
        return Samples(samples)
    }

    /// `window` calls in flight: a writer thread keeps the window full, this thread reads.
    /// Stops sending after `count` calls or `timeLimit` seconds, whichever comes first.
    static func pipelined(
        _ child: Child, target: Target, size: Int, window: Int, count: Int, timeLimit: Double, nextId: inout Int,
        every: Int = 0, onProgress: ((Int) -> Void)? = nil
    ) throws -> Throughput {
        let template = CallTemplate(size: size)
        let expectation: Expectation = target.refuses ? .refused : .echo(size)
        let credits = Credits(window)
        let state = WriterState()
        let firstId = nextId
        nextId += count
        let started = nowNanos()
        let deadline = started + UInt64(timeLimit * 1e9)
        startThread {
            for index in 0..<count {
                credits.wait()
                if nowNanos() > deadline { break }
                state.willSend()
                if !child.send(template.request(id: firstId + index)) { break }
            }
            state.finish()
        }
        var received = 0
        while true {
            let (sent, finished) = state.read()
            if received < sent {
                let response = try child.readResponse()
                if received == 0 { try verify(response, expectation, target: target.name) }
                received += 1
                credits.signal()
                if every > 0, received % every == 0 { onProgress?(received) }
                continue
            }
            if finished { break }
            usleep(20)  // the window is empty: the writer is about to send or to stop
        }
        let elapsed = Double(nowNanos() - started) / 1e9
        return Throughput(calls: received, seconds: elapsed)
    }

    /// Milliseconds from spawning `command` to reading its `initialize` response.
    static func spawnToInitialize(_ command: [String], runs: Int, warmup: Int, stderrPath: String) throws -> Samples {
        var samples: [Double] = []
        for index in 0..<(warmup + runs) {
            let started = nowNanos()
            let child = try Child(command, stderrPath: stderrPath)
            let response = try child.initialize()
            let elapsed = nowNanos() - started
            guard (try? JSONParser.parse(response))?["result"]?["protocolVersion"] != nil else {
                throw BenchError("\(command[0]): bad initialize response \(String(decoding: response.prefix(200), as: UTF8.self))")
            }
            child.finish()
            if index >= warmup { samples.append(Double(elapsed) / 1000) }
        }
        return Samples(samples)
    }
}
