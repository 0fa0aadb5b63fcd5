import Foundation
import RiskKernelCore

/// When the gateway records checkpoints by itself.
public struct AutoCheckpoints: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// After each step (each recorded model call).
    public static let steps = AutoCheckpoints(rawValue: 1)
    /// When a resumed run is served under a different policy than before.
    public static let policyChange = AutoCheckpoints(rawValue: 2)
    public static let all: AutoCheckpoints = [.steps, .policyChange]
}

/// Everything a gateway process is started with.
public struct GatewayConfiguration: Sendable {
    /// The upstream server's command and arguments.
    public var upstreamCommand: [String]
    /// The upstream's identity for tool pinning: `--server-name`, else its command line.
    public var serverName: String
    /// The environment the upstream is started with (see ``UpstreamEnvironment``).
    public var upstreamEnvironment: [String: String]
    public var policy: Policy
    /// The budget in force: the policy's with command-line overrides.
    public var budget: Budget
    /// How the policy was named (`--policy NAME` or the file), stored with the run.
    public var policyRef: String
    /// The model prices `riskkernel/recordModelCall` charges by, built on its first use.
    public var prices: DeferredPriceTable
    /// Resume this run instead of starting a new one.
    public var resumeRunId: String?
    public var runName: String?
    public var parentRunId: String?
    public var metadata: [String: String]
    /// How long an approval can be decided and used (`--approval-timeout`, `spec.approvals.timeout`).
    public var approvalTimeout: Duration
    /// How long a held call waits for a decision before it is answered with a pending result
    /// (`--approval-hold`, `spec.approvals.hold`).
    public var approvalHold: Duration
    /// Where people are told of new approvals (`--notify…` and `spec.approvals.notify`).
    public var approvalNotify: [ApprovalNotifyTarget]
    /// The longest line accepted on either side.
    public var maxLineBytes: Int
    /// The store options every command the gateway prints carries, as shell text (`--db
    /// /abs/path.sqlite`, `--database-url …`), so that the command runs as printed from any folder.
    public var storeCommandOptions: String?
    /// Results larger than this (canonical JSON bytes) are kept in the ledger as a digest only.
    public var maxStoredResultBytes: Int
    public var autoCheckpoints: AutoCheckpoints

    public init(
        upstreamCommand: [String], serverName: String? = nil, upstreamEnvironment: [String: String] = UpstreamEnvironment.build(from: ProcessInfo.processInfo.environment),
        policy: Policy = .permissive, budget: Budget? = nil, policyRef: String? = nil, prices: DeferredPriceTable = DeferredPriceTable(PriceTable(prices: [])),
        resumeRunId: String? = nil, runName: String? = nil, parentRunId: String? = nil, metadata: [String: String] = [:],
        approvalTimeout: Duration? = nil, approvalHold: Duration? = nil, approvalNotify: [ApprovalNotifyTarget] = [], maxLineBytes: Int = 16 * 1024 * 1024, storeCommandOptions: String? = nil,
        maxStoredResultBytes: Int = 64 * 1024, autoCheckpoints: AutoCheckpoints = .all
    ) {
        self.upstreamCommand = upstreamCommand
        self.serverName = serverName ?? Self.defaultServerName(upstreamCommand, environment: upstreamEnvironment)
        self.upstreamEnvironment = upstreamEnvironment
        self.policy = policy
        self.budget = budget ?? policy.budget
        self.policyRef = policyRef ?? policy.name
        self.prices = prices
        self.resumeRunId = resumeRunId
        self.runName = runName
        self.parentRunId = parentRunId
        self.metadata = metadata
        self.approvalTimeout = approvalTimeout ?? policy.approvals.timeout ?? ApprovalSettings.defaultTimeout
        self.approvalHold = approvalHold ?? policy.approvals.hold ?? ApprovalSettings.defaultHold
        self.approvalNotify = policy.approvals.notify + approvalNotify.filter { !policy.approvals.notify.contains($0) }
        self.maxLineBytes = maxLineBytes
        self.storeCommandOptions = storeCommandOptions
        self.maxStoredResultBytes = maxStoredResultBytes
        self.autoCheckpoints = autoCheckpoints
    }

    /// A server's default identity: its command line normalized (``ServerIdentity``), the
    /// executable looked up on the upstream's `PATH`, relative paths taken from the working folder.
    public static func defaultServerName(_ command: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        ServerIdentity.normalized(command, directory: FileManager.default.currentDirectoryPath, searchPath: environment["PATH"])
    }
}
