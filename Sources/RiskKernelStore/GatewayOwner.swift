import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway process that serves a run: the host it runs on, its pid, and what tells that process
/// apart from a later one that was given the same pid.
///
/// A gateway records itself in its run when it starts (``Store/claimRun(id:owner:)``). A run that is
/// still `running` while its owner on this host is gone was left by a gateway that died (`kill -9`, a
/// crash, a power cut); ``Store/recoverAbandonedRuns(host:sparing:expiredBefore:isRunning:)`` ends it.
public struct GatewayOwner: Sendable, Hashable {
    public var host: String
    public var pid: Int32
    /// The boot and start time of the process (Linux: `/proc/sys/kernel/random/boot_id` and field 22
    /// of `/proc/PID/stat`), or `nil` where they cannot be read.
    public var processStart: String?

    public init(host: String, pid: Int32, processStart: String?) {
        self.host = host
        self.pid = pid
        self.processStart = processStart
    }

    /// This process.
    public static func current() -> GatewayOwner {
        let pid = getpid()
        return GatewayOwner(host: currentHost(), pid: pid, processStart: processStart(of: pid))
    }

    /// The name of this host.
    public static func currentHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the process is still running. Only meaningful on the host that recorded it.
    public func isRunning() -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0, errno != EPERM { return false }
        // The pid is in use: by the same process only if it started at the same moment.
        guard let recorded = processStart, let now = Self.processStart(of: pid) else { return true }
        return recorded == now
    }

    /// `BOOT_ID:START_TICKS` for a pid on Linux; `nil` elsewhere or when the process is gone.
    static func processStart(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "(comm)": state is field 3, starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return boot.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + fields[19]
    }
}

/// What ``Store/recoverAbandonedRuns(host:sparing:expiredBefore:isRunning:)`` ended.
public struct RecoveryReport: Sendable, Hashable {
    /// Runs whose gateway died while they were `running`, now `failed`.
    public var failedRuns: [String] = []
    /// Approvals that were pending for a dead gateway or past their expiry, now `expired`.
    public var expiredApprovals: [String] = []
    /// Tool calls that were waiting or in flight, now `cancelled` or `failed`.
    public var endedToolCalls: [String] = []

    public init() {}

    public var isEmpty: Bool { failedRuns.isEmpty && expiredApprovals.isEmpty && endedToolCalls.isEmpty }
}

/// The reasons recovery records.
enum RecoveryReasons {
    static let decidedBy = "riskkernel"
    static let runFailed = "the gateway serving the run stopped without ending it (the process died)"
    static let approvalAbandoned = "the gateway waiting for this approval stopped without ending it (the process died)"
    static let callAbandoned = "the gateway stopped before it recorded the call's outcome (the process died); whether the upstream ran it is unknown"
    static let callNotDecided = "the gateway stopped before a decision (the process died)"
    static let approvalPastExpiry = "no decision before it expired, and no gateway was waiting for it"
}
