/// `spec.approvals`: how long a held call waits for a person before it is answered, and how long
/// an approval lives.
///
/// A held call is answered after ``hold`` with a pending result that names the approval, because
/// clients give up on a tool call long before a person reacts (the OpenAI Agents SDK after 5 s,
/// Claude Code after 30 to 60 s, Claude Desktop after 60 s); the approval itself stays pending
/// for ``timeout``, and the agent's identical retry attaches to it.
public struct ApprovalSettings: Sendable, Hashable {
    /// How long a held call waits before it is answered with a pending result (`spec.approvals.hold`).
    public var hold: Duration?
    /// How long an approval can be decided and used (`spec.approvals.timeout`).
    public var timeout: Duration?
    /// Where a person is told of a new approval (`spec.approvals.notify`).
    public var notify: [ApprovalNotifyTarget]
    /// Whether the gateway also asks the client application to decide, through MCP's
    /// `elicitation/create`, when the client declared the `elicitation` capability
    /// (`spec.approvals.askClient`, off by default). It trusts the client to show the question to
    /// a person, which a headless agent framework may not do; a decision made elsewhere first wins.
    public var askClient: Bool

    public init(hold: Duration? = nil, timeout: Duration? = nil, notify: [ApprovalNotifyTarget] = [], askClient: Bool = false) {
        self.hold = hold
        self.timeout = timeout
        self.notify = notify
        self.askClient = askClient
    }

    /// The hold when neither the policy nor `--approval-hold` sets one: 25 s, below the 30 s of the
    /// shortest common interactive client (Claude Code) and the 60 s of the TypeScript SDK's default.
    /// Clients with shorter limits (the OpenAI Agents SDK's 5 s) get progress notifications when
    /// they send a `progressToken`, or a pending result and a retry.
    public static let defaultHold: Duration = .seconds(25)
    /// An approval's life when neither the policy nor `--approval-timeout` sets one: one hour.
    public static let defaultTimeout: Duration = .seconds(3600)
}

/// One place a person is told of a new approval: `desktop` (notify-send on Linux, osascript on
/// macOS), `webhook: URL` (an HTTP POST of the approval as JSON, with a `text` field that Slack's
/// incoming webhooks show) or `command: CMD` (run without a shell, the same JSON on its stdin).
public enum ApprovalNotifyTarget: Sendable, Hashable, CustomStringConvertible {
    case desktop
    case webhook(String)
    case command(String)

    public var description: String {
        switch self {
        case .desktop: return "desktop"
        case .webhook(let url): return "webhook \(url)"
        case .command(let command): return "command \(command)"
        }
    }
}
