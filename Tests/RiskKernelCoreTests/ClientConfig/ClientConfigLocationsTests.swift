import RiskKernelCore
import Testing

@Suite("ClientConfigLocations")
struct ClientConfigLocationsTests {
    func paths(_ client: MCPClient, _ platform: ClientConfigLocations.Platform, _ environment: [String: String] = [:]) -> [String] {
        let home = platform == .windows ? #"C:\Users\ada"# : (platform == .macOS ? "/Users/ada" : "/home/ada")
        let cwd = platform == .windows ? #"C:\projects\app"# : "/projects/app"
        return ClientConfigLocations.candidates(for: client, platform: platform, environment: environment, home: home, workingDirectory: cwd)
    }

    @Test func claudeDesktop() {
        #expect(paths(.claudeDesktop, .macOS) == ["/Users/ada/Library/Application Support/Claude/claude_desktop_config.json"])
        #expect(paths(.claudeDesktop, .windows, ["APPDATA": #"C:\Users\ada\AppData\Roaming"#]) == [#"C:\Users\ada\AppData\Roaming\Claude\claude_desktop_config.json"#])
        #expect(paths(.claudeDesktop, .linux) == ["/home/ada/.config/Claude/claude_desktop_config.json"])
        #expect(paths(.claudeDesktop, .linux, ["XDG_CONFIG_HOME": "/cfg"]) == ["/cfg/Claude/claude_desktop_config.json"])
    }

    @Test func claudeCode() {
        #expect(paths(.claudeCode, .linux) == ["/home/ada/.claude.json", "/projects/app/.mcp.json"])
        #expect(paths(.claudeCode, .macOS, ["CLAUDE_CONFIG_DIR": "/Users/ada/.claude-work"]) == ["/Users/ada/.claude-work/.claude.json", "/projects/app/.mcp.json"])
        #expect(paths(.claudeCode, .windows) == [#"C:\Users\ada\.claude.json"#, #"C:\projects\app\.mcp.json"#])
    }

    @Test func cursorWindsurfAndVSCode() {
        #expect(paths(.cursor, .macOS) == ["/Users/ada/.cursor/mcp.json", "/projects/app/.cursor/mcp.json"])
        #expect(paths(.windsurf, .windows) == [#"C:\Users\ada\.codeium\windsurf\mcp_config.json"#])
        #expect(paths(.vscode, .macOS) == [
            "/projects/app/.vscode/mcp.json", "/Users/ada/Library/Application Support/Code/User/mcp.json",
            "/Users/ada/Library/Application Support/Code/User/settings.json",
        ])
        #expect(paths(.vscode, .linux)[2] == "/home/ada/.config/Code/User/settings.json")
        #expect(paths(.vscode, .windows, ["APPDATA": #"C:\Users\ada\AppData\Roaming"#])[1] == #"C:\Users\ada\AppData\Roaming\Code\User\mcp.json"#)
    }

    @Test func formatsFollowTheFile() {
        #expect(MCPClient.vscode.format(ofFile: "/x/Code/User/settings.json") == .vscodeSettings)
        #expect(MCPClient.vscode.format(ofFile: "/repo/.vscode/mcp.json") == .vscodeServers)
        #expect(MCPClient.claudeCode.format(ofFile: "/home/a/.claude.json") == .claudeCodeUser)
        #expect(MCPClient.claudeCode.format(ofFile: "/repo/.mcp.json") == .mcpServers)
        #expect(MCPClient.windsurf.format(ofFile: "mcp_config.json") == .mcpServers)
    }
}
