import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds.
@inline(__always)
func nowNanos() -> UInt64 {
    nanoseconds(of: CLOCK_MONOTONIC)
}

/// The CPU time of the calling thread (user and system) in nanoseconds.
func threadCPUNanos() -> UInt64 {
    nanoseconds(of: CLOCK_THREAD_CPUTIME_ID)
}

@inline(__always)
private func nanoseconds(of clock: clockid_t) -> UInt64 {
    var spec = timespec()
    clock_gettime(clock, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads newline-delimited lines from a descriptor on the calling thread (no hand-off to another
/// thread, so that the client adds as little as possible to what is measured).
final class LineInput: @unchecked Sendable {
    let fileDescriptor: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0

    init(fileDescriptor: Int32, capacity: Int = 256 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// The next line without its newline, or `nil` at end of file.
    func readLine() -> [UInt8]? {
        var searched = start
        while true {
            if end > searched, let found = memchr(buffer + searched, 0x0A, end - searched) {
                let newline = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let line = Array(UnsafeBufferPointer(start: buffer + start, count: newline - start))
                start = newline + 1
                if start == end { start = 0; end = 0 }
                return line
            }
            searched = end
            if start > 0 {
                // Move the partial line to the front.
                let pending = end - start
                memmove(buffer, buffer + start, pending)
                searched -= start
                start = 0
                end = pending
            }
            if end == capacity {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: buffer, count: end)
                buffer.deallocate()
                buffer = grown
                capacity *= 2
            }
            let count = read(fileDescriptor, buffer + end, capacity - end)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return nil }
            end += count
        }
    }
}

/// Writes all of `bytes` to a descriptor; false when the other end has gone away.
@discardableResult
func writeAll(_ fileDescriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            return false
        }
        offset += written
    }
    return true
}

/// A child process with pipes on its stdin and stdout, started with posix_spawn.
final class Child: @unchecked Sendable {
    let pid: pid_t
    let input: Int32
    let output: LineInput
    let command: [String]
    private var reaped = false
    private(set) var exitStatus: Int32 = -1

    /// Starts `command` (an absolute path first); its stderr goes to `stderrPath` (appended).
    init(_ command: [String], environment: [String: String]? = nil, stderrPath: String) throws {
        self.command = command
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let errorFile = open(stderrPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard errorFile >= 0 else { throw BenchError("cannot open \(stderrPath)") }
        defer { close(errorFile) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorFile, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var child: pid_t = 0
        let status = posix_spawn(&child, command[0], &actions, nil, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw BenchError("cannot start \(command[0]): \(String(cString: strerror(status)))")
        }
        pid = child
        input = toChild[1]
        output = LineInput(fileDescriptor: fromChild[0])
    }

    /// Writes `line` and a newline.
    @discardableResult
    func send(_ line: [UInt8]) -> Bool {
        var message = line
        message.append(0x0A)
        return message.withUnsafeBytes { writeAll(input, $0) }
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// The next message that is a response (lines carrying a `method` are skipped; `onOther` sees them).
    func readResponse(onOther: (([UInt8]) -> Void)? = nil) throws -> [UInt8] {
        while true {
            guard let line = output.readLine() else {
                throw BenchError("\(command.first.map { ($0 as NSString).lastPathComponent } ?? "child") closed its output")
            }
            if isRequestOrNotification(line) {
                onOther?(line)
                continue
            }
            return line
        }
    }

    /// Sends `initialize` and `notifications/initialized`; returns the initialize response.
    @discardableResult
    func initialize() throws -> [UInt8] {
        send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"riskkernel-bench","version":"1.0"}}}"#)
        let response = try readResponse()
        send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        return response
    }

    /// The CPU time the process has used, user and system, in seconds (`utime` and `stime` of
    /// /proc/PID/stat, proc(5); clock ticks of `sysconf(_SC_CLK_TCK)`, 10 ms here). Its own threads
    /// only: the upstream a gateway spawned is not counted.
    func cpuSeconds() -> Double { processCPUSeconds(pid) }

    /// Resident memory from /proc/PID/status: (VmRSS, VmHWM) in KiB.
    func memory() -> (rss: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        var rss = 0
        var peak = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { rss = Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0 }
            if line.hasPrefix("VmHWM:") { peak = Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0 }
        }
        return (rss, peak)
    }

    /// Closes stdin and waits for the process to exit (SIGTERM, then SIGKILL, if it lingers).
    @discardableResult
    func finish(grace: Double = 10) -> Int32 {
        if reaped { return exitStatus }
        close(input)
        let deadline = nowNanos() + UInt64(grace * 1e9)
        var signalled = 0
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                reaped = true
                exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                // Drain and close our end of its output.
                close(output.fileDescriptor)
                return exitStatus
            }
            if result < 0 { reaped = true; return -1 }
            if nowNanos() > deadline {
                kill(pid, signalled == 0 ? SIGTERM : SIGKILL)
                signalled += 1
            }
            usleep(2000)
        }
    }
}

/// Whether a JSON-RPC line is a request or notification rather than a response. Looks for a
/// `"method"` key near either end of the line (bench payloads are runs of one letter).
func isRequestOrNotification(_ line: [UInt8]) -> Bool {
    let key: [UInt8] = Array("\"method\"".utf8)
    func contains(_ slice: ArraySlice<UInt8>) -> Bool {
        guard slice.count >= key.count else { return false }
        var index = slice.startIndex
        while index <= slice.endIndex - key.count {
            if slice[index] == 0x22, slice[index..<(index + key.count)].elementsEqual(key) { return true }
            index += 1
        }
        return false
    }
    if line.count <= 512 { return contains(line[...]) }
    return contains(line.prefix(256)) || contains(line.suffix(256))
}

/// Runs a command to completion; returns its exit status and when it returned.
func runCommand(_ command: [String], stderrPath: String, stdoutPath: String = "/dev/null") throws -> (status: Int32, returned: UInt64) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in envp { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
    guard spawned == 0 else { throw BenchError("cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let returned = nowNanos()
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, returned)
}

/// Starts a thread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.stackSize = 1 << 20
    thread.start()
}

/// The CPU time process `pid` has used, user and system, in seconds (`utime` and `stime` of
/// /proc/PID/stat, proc(5); clock ticks of `sysconf(_SC_CLK_TCK)`, 10 ms here); 0 when it cannot
/// be read.
func processCPUSeconds(_ pid: pid_t) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let end = text.lastIndex(of: ")") else { return 0 }
    // After "pid (comm)": state is field 3, utime field 14, stime field 15.
    let fields = text[text.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
