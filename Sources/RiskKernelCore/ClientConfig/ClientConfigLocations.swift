/// Where each client keeps its MCP configuration, on macOS, Linux and Windows.
///
/// Pure: the caller passes the platform, the environment, the home directory and the working
/// directory, so that every platform's answer can be tested on any of them. Paths are joined with
/// `/` on macOS and Linux and `\` on Windows.
public enum ClientConfigLocations {
    /// An operating system, for the paths it uses.
    public enum Platform: Sendable {
        case macOS, linux, windows
    }

    /// The files the client may read, in the order they are tried; the caller keeps those that
    /// exist. Sources: each client's documentation of its MCP configuration (Claude Desktop's
    /// `claude_desktop_config.json`, Claude Code's `~/.claude.json` and project `.mcp.json`
    /// (`$CLAUDE_CONFIG_DIR` moves the former), Cursor's `~/.cursor/mcp.json` and project
    /// `.cursor/mcp.json`, Windsurf's `~/.codeium/windsurf/mcp_config.json`, VS Code's workspace
    /// `.vscode/mcp.json` and the user profile's `mcp.json` and `settings.json`).
    public static func candidates(
        for client: MCPClient, platform: Platform, environment: [String: String], home: String, workingDirectory: String
    ) -> [String] {
        let separator = platform == .windows ? "\\" : "/"
        func join(_ parts: String...) -> String {
            parts.enumerated().map { index, part in
                var part = part
                if index > 0 { while part.hasPrefix("/") || part.hasPrefix("\\") { part.removeFirst() } }
                while part.count > 1 && (part.hasSuffix("/") || part.hasSuffix("\\")) { part.removeLast() }
                return part
            }.joined(separator: separator)
        }
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        /// The per-user application data folder: ~/Library/Application Support, %APPDATA%, $XDG_CONFIG_HOME.
        let applicationData: String
        switch platform {
        case .macOS: applicationData = join(home, "Library", "Application Support")
        case .windows: applicationData = nonEmpty("APPDATA") ?? join(home, "AppData", "Roaming")
        case .linux: applicationData = nonEmpty("XDG_CONFIG_HOME") ?? join(home, ".config")
        }
        switch client {
        case .claudeDesktop:
            return [join(applicationData, "Claude", "claude_desktop_config.json")]
        case .claudeCode:
            let user = nonEmpty("CLAUDE_CONFIG_DIR").map { join($0, ".claude.json") } ?? join(home, ".claude.json")
            return [user, join(workingDirectory, ".mcp.json")]
        case .cursor:
            return [join(home, ".cursor", "mcp.json"), join(workingDirectory, ".cursor", "mcp.json")]
        case .windsurf:
            return [join(home, ".codeium", "windsurf", "mcp_config.json")]
        case .vscode:
            let user = join(applicationData, "Code", "User")
            return [join(workingDirectory, ".vscode", "mcp.json"), join(user, "mcp.json"), join(user, "settings.json")]
        }
    }
}
