import Foundation
import RiskKernelGateway
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The upstream runs in a process group of its own, and stopping it ends the group.
@Suite("upstream process group")
struct UpstreamProcessTests {
    /// Whether `pid` is a running process (a zombie has exited; it only waits to be collected).
    static func running(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return true
        }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// The first line the process writes to its stdout.
    static func firstLine(of upstream: UpstreamProcess) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(upstream.outputFileDescriptor, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("the upstream leads a group of its own, never the gateway's")
    func ownGroup() async throws {
        let upstream = try UpstreamProcess(command: ["/bin/sh", "-c", "read line; exit 0"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(upstream.processGroup == upstream.processIdentifier)
        #expect(upstream.processGroup != getpgrp())
        #expect(await upstream.shutDown(grace: .seconds(1)) == 0)
    }

    @Test("an upstream that exits and leaves a child behind in its group: the child is ended too")
    func leftoverChild() async throws {
        // The shell starts a child in its group, says its pid, and exits on its own.
        let upstream = try UpstreamProcess(
            command: ["/bin/sh", "-c", "sleep 60 & echo $!; sleep 0.2; exit 0"], environment: ["PATH": "/usr/bin:/bin"])
        let child = try #require(pid_t(Self.firstLine(of: upstream)))
        defer { if Self.running(child) { kill(child, SIGKILL) } }
        #expect(Self.running(child))
        #expect(getpgid(child) == upstream.processGroup)
        // Its exit is seen although the child still holds what it inherited from it.
        for _ in 0..<1500 where upstream.exited == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(upstream.exited == 0)
        #expect(Self.running(child))
        let started = ContinuousClock.now
        #expect(await upstream.shutDown(grace: .seconds(1)) == 0)
        // SIGTERM ends it at once; SIGKILL a grace period later if this test process ignores SIGTERM
        // (its children inherit that, and an in-process gateway test may have set it).
        #expect(ContinuousClock.now - started < .seconds(10))
        for _ in 0..<500 where Self.running(child) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.running(child), "the upstream's child \(child) outlived it")
    }

    @Test("a group whose members ignore SIGTERM gets SIGKILL after the grace period")
    func stubbornGroup() async throws {
        // SIGTERM is ignored by the shell and (inherited) by its child; only SIGKILL ends them.
        let upstream = try UpstreamProcess(
            command: ["/bin/sh", "-c", "trap '' TERM; sleep 60 & echo $!; while :; do sleep 1; done"], environment: ["PATH": "/usr/bin:/bin"])
        let child = try #require(pid_t(Self.firstLine(of: upstream)))
        defer { if Self.running(child) { kill(child, SIGKILL) } }
        let status = await upstream.shutDown(grace: .milliseconds(300))
        #expect(status == 128 + SIGKILL)
        for _ in 0..<500 where Self.running(child) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.running(child))
    }
}
