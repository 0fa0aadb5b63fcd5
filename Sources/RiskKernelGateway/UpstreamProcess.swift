import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why the upstream server could not be started.
public struct UpstreamSpawnError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var reason: String
    public var description: String { "cannot start upstream server \"\(command)\": \(reason)" }
}

/// The real MCP server, spawned as a child process with pipes on its stdin and stdout; its stderr
/// is the gateway's stderr.
public final class UpstreamProcess: @unchecked Sendable {
    public let command: [String]
    private let process: Process
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    /// Writes messages to the upstream's stdin.
    public let writer: LineWriter
    private let exitLock = NSLock()
    private var exitStatus: Int32?
    private var exitWaiters: [CheckedContinuation<Int32, Never>] = []

    /// Starts `command` (the first element is looked up on `PATH` unless it contains a `/`).
    public init(command: [String], environment: [String: String], workingDirectory: String? = nil) throws {
        guard let executable = command.first, !executable.isEmpty else {
            throw UpstreamSpawnError(command: "", reason: "no command given; put the server's command after --")
        }
        self.command = command
        guard let path = Self.resolve(executable, path: environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") else {
            throw UpstreamSpawnError(command: executable, reason: "not found on PATH or not executable")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        writer = LineWriter(fileHandle: stdinPipe.fileHandleForWriting)
        process.terminationHandler = { [weak self] finished in
            self?.recordExit(finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus)
        }
        do {
            try process.run()
        } catch {
            throw UpstreamSpawnError(command: executable, reason: "\(error.localizedDescription)")
        }
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// The upstream's stdout, for a ``LineReader``.
    public var outputFileDescriptor: Int32 { stdoutPipe.fileHandleForReading.fileDescriptor }

    /// Waits for the process to exit; returns its status (128 + signal when killed by a signal).
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            exitLock.lock()
            if let status = exitStatus {
                exitLock.unlock()
                continuation.resume(returning: status)
            } else {
                exitWaiters.append(continuation)
                exitLock.unlock()
            }
        }
    }

    /// The exit status, if it has exited.
    public var exited: Int32? {
        exitLock.lock()
        defer { exitLock.unlock() }
        return exitStatus
    }

    private func recordExit(_ status: Int32) {
        exitLock.lock()
        exitStatus = status
        let waiters = exitWaiters
        exitWaiters = []
        exitLock.unlock()
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Closes the upstream's stdin, then escalates to SIGTERM and SIGKILL if it does not exit in time.
    public func shutDown(grace: Duration = .seconds(3)) async -> Int32 {
        writer.close()
        if let status = await waitForExit(within: grace) { return status }
        kill(process.processIdentifier, SIGTERM)
        if let status = await waitForExit(within: grace) { return status }
        kill(process.processIdentifier, SIGKILL)
        return await waitForExit()
    }

    private func waitForExit(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status = exited { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exited
    }

    static func resolve(_ executable: String, path: String) -> String? {
        if executable.contains("/") {
            return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil
        }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
