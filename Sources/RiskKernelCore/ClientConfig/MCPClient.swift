/// An MCP client whose configuration `riskkernel wrap` can rewrite.
public enum MCPClient: String, Sendable, CaseIterable {
    case claudeDesktop = "claude-desktop"
    case claudeCode = "claude-code"
    case cursor
    case vscode
    case windsurf

    /// The client's name for people.
    public var displayName: String {
        switch self {
        case .claudeDesktop: return "Claude Desktop"
        case .claudeCode: return "Claude Code"
        case .cursor: return "Cursor"
        case .vscode: return "VS Code"
        case .windsurf: return "Windsurf"
        }
    }

    /// How the servers are laid out in `file`, a configuration file of this client: VS Code's
    /// `settings.json` keeps them under `mcp.servers`, its `mcp.json` under `servers`; Claude Code's
    /// `~/.claude.json` has user servers and each project's; every other file has `mcpServers`.
    public func format(ofFile file: String) -> ClientConfigFormat {
        let name = file.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? file
        switch self {
        case .vscode: return name == "settings.json" ? .vscodeSettings : .vscodeServers
        case .claudeCode: return name == ".claude.json" ? .claudeCodeUser : .mcpServers
        case .claudeDesktop, .cursor, .windsurf: return .mcpServers
        }
    }
}
