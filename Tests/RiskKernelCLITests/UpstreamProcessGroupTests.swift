import Foundation
import RiskKernelCore
import RiskKernelGateway
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An upstream command that is a wrapper running the real server as its child (`npx`, `uvx`): when
/// the gateway stops, the whole process group goes, not only the wrapper.
@Suite("the upstream's process group")
struct UpstreamProcessGroupTests {
    static let wrapperScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wrapper_upstream.py").path

    /// Whether `pid` is a running process. A zombie is not: it has exited and only waits to be
    /// collected (an orphan's zombie may wait for ever where the init process collects nothing).
    static func running(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return true
        }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    @Test(
        "a wrapper that ignores SIGTERM and the server it runs both end when the client leaves; the gateway exits 0",
        arguments: [false, true])
    func wrapperAndServerEnd(serverIgnoresTerm: Bool) async throws {
        let sandbox = Sandbox()
        let pidFile = sandbox.root + "/server.pid"
        let client = try await sandbox.gateway(
            [], upstream: [Python.executable, Self.wrapperScript, pidFile] + (serverIgnoresTerm ? ["--stubborn"] : []))
        await client.start { _ in }
        _ = await client.handshake()
        #expect(await client.callTool("ping").toolText == "pong")
        let serverPid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.running(serverPid))
        defer { if Self.running(serverPid) { kill(serverPid, SIGKILL) } }

        let started = ContinuousClock.now
        // The server outlives its stdin and the wrapper ignores SIGTERM: after the grace period (3 s)
        // SIGTERM goes to the group, and (for a server that ignores it too) SIGKILL 3 s later.
        #expect(await client.close() == 0)
        let deadline = ContinuousClock.now + .seconds(5)
        while Self.running(serverPid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!Self.running(serverPid), "the wrapped server (pid \(serverPid)) outlived the gateway")
        #expect(ContinuousClock.now - started < .seconds(serverIgnoresTerm ? 12 : 8))
        let run = try #require(try await sandbox.cli(["runs", "list", "--json"]).json?.arrayValue?.first)
        #expect(run["status"] == "completed")
    }
}
