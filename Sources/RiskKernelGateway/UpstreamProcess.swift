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
///
/// The server runs in a process group of its own, and shutting it down ends the whole group: a
/// command that is a wrapper running the real server as its child (`npx`, `uvx`, a shell script)
/// leaves nothing behind, even when the wrapper ignores SIGTERM or exits before its children.
public final class UpstreamProcess: @unchecked Sendable {
    public let command: [String]
    private let process: Process
    /// The process group the server leads (its pid), or `nil` when it could not be given one: then
    /// only the server itself is signalled. Never the gateway's own group. Set once, in `init`.
    public private(set) var processGroup: pid_t?
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
            try Self.withSignalsUnblocked { try process.run() }
        } catch {
            throw UpstreamSpawnError(command: executable, reason: "\(error.localizedDescription)")
        }
        processGroup = Self.ownGroup(of: process.processIdentifier)
    }

    /// Runs `body` (the spawn) with no signal blocked on the calling thread. A child starts with
    /// the signal mask of the thread that spawned it, and the threads of Swift's concurrency pool
    /// (Dispatch's workers) block SIGTERM, SIGINT, SIGHUP and others: spawned from one of them, the
    /// server could never be asked to stop, only killed.
    static func withSignalsUnblocked<Result>(_ body: () throws -> Result) rethrows -> Result {
        var unblocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    /// The process group that `pid` leads. swift-corelibs-foundation spawns with
    /// `POSIX_SPAWN_SETPGROUP` (group 0: a new group led by the child); when it did not, the group
    /// is set here (which works while the child has not yet called exec). `nil` when the child
    /// leads no group of its own, so that a group signal could reach another process, such as the
    /// gateway itself.
    static func ownGroup(of pid: pid_t) -> pid_t? {
        guard pid > 1 else { return nil }
        if getpgid(pid) != pid { _ = setpgid(pid, pid) }
        let group = getpgid(pid)
        guard group == pid, group != getpgrp() else { return nil }
        return group
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
    ///
    /// Foundation's `Process` learns of the exit only when every process holding its notification
    /// socket has ended, and the server's children inherit it: a server that exited while its
    /// children run would look alive. So the status is also read from the kernel, without
    /// collecting the process (`waitid` with `WNOWAIT`), which leaves that to Foundation.
    public var exited: Int32? {
        exitLock.lock()
        let recorded = exitStatus
        exitLock.unlock()
        return recorded ?? Self.peekExit(of: process.processIdentifier)
    }

    /// The exit status of the child `pid` if it has exited, without collecting it; `nil` while it
    /// runs (or once it has been collected).
    static func peekExit(of pid: pid_t) -> Int32? {
        var info = siginfo_t()
        guard pid > 0, waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid else {
            return nil
        }
        let status = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? status : 128 + status
    }

    private func recordExit(_ status: Int32) {
        exitLock.lock()
        exitStatus = status
        let waiters = exitWaiters
        exitWaiters = []
        exitLock.unlock()
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Closes the upstream's stdin, then escalates to SIGTERM and SIGKILL if it does not exit in
    /// time, each sent to the server's whole process group; once the server has exited, whatever is
    /// left of its group is ended too (``endGroup(grace:)``). Returns the server's exit status.
    public func shutDown(grace: Duration = .seconds(3)) async -> Int32 {
        writer.close()
        let status: Int32
        if let exited = await waitForExit(within: grace) {
            status = exited
        } else {
            signal(SIGTERM)
            if let exited = await waitForExit(within: grace) {
                status = exited
            } else {
                signal(SIGKILL)
                status = await waitForExit(within: grace) ?? 128 + SIGKILL
            }
        }
        await endGroup(grace: grace)
        return status
    }

    /// Ends what is left of the server's process group after the server has exited: its children
    /// and their children, unless they left the group (`setsid`). SIGTERM, then SIGKILL to the group
    /// if a member is still running after `grace`. Nothing to do when the group is empty.
    public func endGroup(grace: Duration = .seconds(3)) async {
        guard let group = processGroup, Self.groupHasLiveMembers(group) else { return }
        kill(-group, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !Self.groupHasLiveMembers(group) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(-group, SIGKILL)
    }

    /// Sends `number` to the server's process group, or to the server alone when it has none.
    private func signal(_ number: Int32) {
        if let group = processGroup {
            kill(-group, number)
        } else {
            kill(process.processIdentifier, number)
        }
    }

    /// Whether a process of `group` is still running. A zombie does not count: it has exited and
    /// only waits for its parent (or, orphaned, for an init that may never collect it).
    static func groupHasLiveMembers(_ group: pid_t) -> Bool {
        #if os(Linux)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return kill(-group, 0) == 0 }
        for entry in entries where entry.first?.isNumber == true {
            // /proc/PID/stat: "PID (COMM) STATE PPID PGRP ..."; COMM may hold spaces and parentheses.
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/stat"),
                  let text = String(data: data, encoding: .utf8), let close = text.lastIndex(of: ")")
            else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let pgrp = pid_t(fields[2]), pgrp == group else { continue }
            if fields[0] != "Z" && fields[0] != "X" { return true }
        }
        return false
        #else
        return kill(-group, 0) == 0
        #endif
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
