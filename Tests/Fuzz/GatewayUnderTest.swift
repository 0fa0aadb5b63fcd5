import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `riskkernel gateway` process fed raw bytes, whose every output line is kept: for checking
/// that each request gets exactly one response. Blocking work runs on threads of its own, never on
/// the threads that the tests' async work shares.
final class GatewayUnderTest: @unchecked Sendable {
    /// `$RISKKERNEL_BIN`, else `.build/debug/riskkernel` in this checkout.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["RISKKERNEL_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/riskkernel").path
    }()

    static func requireBinary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("the riskkernel binary is missing at \(binary): run `swift build` before `swift test`")
            throw MissingBinary()
        }
        return binary
    }

    struct MissingBinary: Error {}

    let process = Process()
    let root: String
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var lines: [[UInt8]] = []
    private var finished = false

    /// Starts a gateway on a fresh database in front of `riskkernel demo-server`.
    init(options: [String] = [], upstream: [String]? = nil) throws {
        let binary = try Self.requireBinary()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("riskkernel-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/workspace", withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["gateway", "--db", root + "/db.sqlite", "--log-level", "critical"] + options + ["--"]
            + (upstream ?? [binary, "demo-server", "--root", root + "/workspace"])
        var environment = ProcessInfo.processInfo.environment
        environment["RISKKERNEL_DB"] = nil
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        let reading = output.fileHandleForReading.fileDescriptor
        Thread { [self] in
            var splitter = LineSplitter(maxLineBytes: 256 * 1024 * 1024)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reading, $0.baseAddress, 65536) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                buffer.withUnsafeBufferPointer { pointer in
                    splitter.feed(UnsafeBufferPointer(rebasing: pointer[0..<count])) { event in
                        if case .line(let line) = event { lock.withLock { lines.append(line) } }
                    }
                }
            }
            splitter.finish { event in if case .line(let line) = event { lock.withLock { lines.append(line) } } }
            lock.withLock { finished = true }
        }.start()
    }

    var pid: Int32 { process.processIdentifier }

    /// Writes `bytes` from a thread of its own (a write of 100 MiB blocks until the gateway reads it).
    func write(_ bytes: [UInt8]) async {
        await write(Data(bytes))
    }

    func write(_ data: Data) async {
        let handle = input.fileHandleForWriting
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                try? handle.write(contentsOf: data)
                continuation.resume()
            }.start()
        }
    }

    /// Every line written so far, parsed (lines that are not JSON are kept as `.null`).
    var messages: [JSONValue] {
        lock.withLock { lines }.map { (try? JSONParser.parse($0)) ?? .null }
    }

    /// Waits until a response with `id` arrives, or `seconds` pass; returns it.
    func response(id: JSONValue, within seconds: Double = 30) async -> JSONValue? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = messages.first(where: { $0["id"] == id && $0["method"] == nil }) { return found }
            if lock.withLock({ finished }) { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return messages.first { $0["id"] == id && $0["method"] == nil }
    }

    /// The peak resident memory of the gateway so far (`VmHWM`), in bytes.
    func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Closes stdin and waits (at most `seconds`) for the gateway to exit and its output to end;
    /// returns its exit status, or `nil` if it did not exit in time (it is then killed).
    func close(within seconds: Double = 60) async -> Int32? {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if !process.isRunning, lock.withLock({ finished }) { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGKILL)
        return nil
    }

    /// Removes the gateway's folder.
    func cleanUp() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
