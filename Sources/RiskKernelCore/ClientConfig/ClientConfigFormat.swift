/// Where a configuration file keeps its MCP servers.
public enum ClientConfigFormat: String, Sendable {
    /// `{"mcpServers": {NAME: ENTRY}}`: Claude Desktop, Cursor, Windsurf and Claude Code's `.mcp.json`.
    case mcpServers
    /// Claude Code's `~/.claude.json`: `mcpServers` (user scope) and `projects[PATH].mcpServers`.
    case claudeCodeUser
    /// VS Code's `mcp.json` (in `.vscode/` or the user profile): `{"servers": {NAME: ENTRY}}`.
    case vscodeServers
    /// VS Code's user `settings.json` (JSONC): `{"mcp": {"servers": {NAME: ENTRY}}}`.
    case vscodeSettings

    /// Each object of `document` that maps server names to entries, with a label saying where it is
    /// (`mcpServers`, `projects["/repo"].mcpServers`).
    public func serverMaps(in document: JSONText) -> [(label: String, map: JSONText.Node)] {
        let root = document.root
        var maps: [(String, JSONText.Node)] = []
        func add(_ label: String, _ node: JSONText.Node?) {
            if let node, node.isObject { maps.append((label, node)) }
        }
        switch self {
        case .mcpServers:
            add("mcpServers", root["mcpServers"])
        case .claudeCodeUser:
            add("mcpServers", root["mcpServers"])
            for project in root["projects"]?.members ?? [] {
                add("projects[\(CanonicalJSON.string(.string(project.key)))].mcpServers", project.value["mcpServers"])
            }
        case .vscodeServers:
            add("servers", root["servers"])
        case .vscodeSettings:
            add("mcp.servers", root["mcp"]?["servers"])
            add("\"mcp.servers\"", root["mcp.servers"])
        }
        return maps
    }
}
