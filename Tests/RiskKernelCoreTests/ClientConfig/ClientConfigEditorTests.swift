import RiskKernelCore
import Testing

@Suite("ClientConfigEditor")
struct ClientConfigEditorTests {
    let wrapping = GatewayWrapping(executable: "/opt/rk/bin/riskkernel", policy: "dev", db: "/var/rk/rk.sqlite")

    let desktop = """
        {
          "globalShortcut": "Ctrl+Space",
          "mcpServers": {
            "git": {
              "command": "uvx",
              "args": ["mcp-server-git", "--repository", "/repo"],
              "env": {"GIT_TOKEN": "t0ken", "RISKKERNEL_LOG_LEVEL": "info"}
            },
            "time": {
              "command": "uvx",
              "args": [
                "mcp-server-time",
                "--local-timezone=Europe/Paris"
              ]
            },
            "bare": {"command": "my-server"},
            "linear": {"url": "https://mcp.linear.app/sse"},
            "odd": {"args": ["x"]}
          },
          "theme": "dark"
        }

        """

    func value(_ text: String, _ path: String...) throws -> JSONValue? {
        var value: JSONValue? = try JSONParser.parse(text)
        for key in path { value = value?[key] }
        return value
    }

    @Test func wrapsStdioEntriesAndLeavesEverythingElse() throws {
        let change = try ClientConfigEditor.wrap(desktop, format: .mcpServers, wrapping: wrapping)
        #expect(change.changed)
        let git = try #require(try value(change.updated, "mcpServers", "git"))
        #expect(git["command"] == .string("/opt/rk/bin/riskkernel"))
        #expect(git["args"] == .array([
            "gateway", "--server-name", "git", "--policy", "dev", "--db", "/var/rk/rk.sqlite", "--env", "GIT_TOKEN",
            "--", "uvx", "mcp-server-git", "--repository", "/repo",
        ].map { .string($0) }))
        #expect(git["env"] == ["GIT_TOKEN": "t0ken", "RISKKERNEL_LOG_LEVEL": "info"])
        let bare = try #require(try value(change.updated, "mcpServers", "bare"))
        #expect(bare["args"] == .array(["gateway", "--server-name", "bare", "--policy", "dev", "--db", "/var/rk/rk.sqlite", "--", "my-server"].map { .string($0) }))
        #expect(try value(change.updated, "mcpServers", "linear") == ["url": "https://mcp.linear.app/sse"])
        #expect(try value(change.updated, "theme") == "dark")
        // Lines outside the changed values are byte for byte the same.
        let before = desktop.split(separator: "\n", omittingEmptySubsequences: false)
        let after = change.updated.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(before.prefix(4) == after.prefix(4))
        #expect(before.suffix(6) == after.suffix(6))
        #expect(change.entries.map(\.outcome) == [.wrapped, .wrapped, .wrapped, .remote("url"), .unrecognised("no command")])
    }

    @Test func theNewArgsFollowTheOldLayout() throws {
        let change = try ClientConfigEditor.wrap(desktop, format: .mcpServers, wrapping: wrapping)
        #expect(change.updated.contains(#"""
                  "args": [
                    "gateway",
                    "--server-name",
                    "time",
            """#))
        #expect(change.updated.contains(#""command": "/opt/rk/bin/riskkernel", "args": ["gateway", "--server-name", "bare""#))
    }

    @Test func wrappingTwiceChangesNothing() throws {
        let once = try ClientConfigEditor.wrap(desktop, format: .mcpServers, wrapping: wrapping)
        let twice = try ClientConfigEditor.wrap(once.updated, format: .mcpServers, wrapping: wrapping)
        #expect(!twice.changed)
        #expect(twice.entries.filter { $0.outcome == .alreadyWrapped }.map(\.name) == ["git", "time", "bare"])
    }

    @Test func unwrapRestoresTheOriginalText() throws {
        let wrapped = try ClientConfigEditor.wrap(desktop, format: .mcpServers, wrapping: wrapping)
        let unwrapped = try ClientConfigEditor.unwrap(wrapped.updated, format: .mcpServers)
        // "bare" had no args: it comes back with an empty list, the only difference.
        #expect(unwrapped.updated == desktop.replacingOccurrences(of: #"{"command": "my-server"}"#, with: #"{"command": "my-server", "args": []}"#))
    }

    @Test func unwrapLeavesEntriesEditedSinceAlone() throws {
        let wrapped = try ClientConfigEditor.wrap(desktop, format: .mcpServers, wrapping: wrapping, only: ["git"])
        #expect(wrapped.entries.map(\.name) == ["git"])
        // The user edits another entry afterwards.
        let edited = wrapped.updated.replacingOccurrences(of: "--local-timezone=Europe/Paris", with: "--local-timezone=UTC")
        let unwrapped = try ClientConfigEditor.unwrap(edited, format: .mcpServers)
        #expect(unwrapped.updated == desktop.replacingOccurrences(of: "--local-timezone=Europe/Paris", with: "--local-timezone=UTC"))
        #expect(unwrapped.entries.first { $0.name == "time" }?.outcome == .notWrapped)
    }

    @Test func keepsJSONCCommentsAndTrailingCommas() throws {
        let settings = """
            {
              // editor
              "editor.fontSize": 13,
              /* MCP */
              "mcp": {
                "servers": {
                  "fetch": {
                    "type": "stdio",
                    "command": "uvx", // from uv
                    "args": ["mcp-server-fetch",],
                    "envFile": "${workspaceFolder}/.env",
                  },
                  "remote": {"type": "http", "url": "https://example.com/mcp"},
                },
              },
            }
            """
        let change = try ClientConfigEditor.wrap(settings, format: .vscodeSettings, wrapping: GatewayWrapping(executable: "/usr/bin/riskkernel"))
        #expect(change.updated.contains("// editor"))
        #expect(change.updated.contains("/* MCP */"))
        #expect(change.updated.contains(#""command": "/usr/bin/riskkernel", // from uv"#))
        #expect(change.updated.contains(#""args": ["gateway", "--server-name", "fetch", "--env-file", "${workspaceFolder}/.env", "--", "uvx", "mcp-server-fetch",],"#))
        #expect(change.entries.map(\.outcome) == [.wrapped, .remote("type http")])
        #expect(try ClientConfigEditor.unwrap(change.updated, format: .vscodeSettings).updated == settings)
    }

    @Test func claudeCodeUserFileHasUserAndProjectServers() throws {
        let claude = """
            {"numStartups": 12, "mcpServers": {"time": {"type": "stdio", "command": "uvx", "args": ["mcp-server-time"], "env": {}}},
             "projects": {"/home/a/repo": {"allowedTools": [], "mcpServers": {"git": {"type": "stdio", "command": "uvx", "args": [], "env": {"TOKEN": "x"}},
               "docs": {"type": "http", "url": "https://docs.example/mcp"}}}}}
            """
        let change = try ClientConfigEditor.wrap(claude, format: .claudeCodeUser, wrapping: GatewayWrapping(executable: "/usr/bin/riskkernel"))
        #expect(change.entries.map(\.location) == ["mcpServers", #"projects["/home/a/repo"].mcpServers"#, #"projects["/home/a/repo"].mcpServers"#])
        #expect(change.entries.map(\.outcome) == [.wrapped, .wrapped, .remote("type http")])
        let git = try #require(try value(change.updated, "projects", "/home/a/repo", "mcpServers", "git"))
        #expect(git["args"] == .array(["gateway", "--server-name", "git", "--env", "TOKEN", "--", "uvx"].map { .string($0) }))
        #expect(try ClientConfigEditor.unwrap(change.updated, format: .claudeCodeUser).updated == claude)
    }

    @Test func escapesInArgumentsSurviveTheRoundTrip() throws {
        let text = #"{"servers": {"s": {"command": "C:\\tools\\srv.exe", "args": ["--name=\u00e9t\u00e9", "a\"b"]}}}"#
        let change = try ClientConfigEditor.wrap(text, format: .vscodeServers, wrapping: GatewayWrapping(executable: "/usr/bin/riskkernel"))
        let args = try #require(try value(change.updated, "servers", "s")?["args"])
        #expect(args == .array(["gateway", "--server-name", "s", "--", #"C:\tools\srv.exe"#, "--name=été", #"a"b"#].map { .string($0) }))
        #expect(try ClientConfigEditor.unwrap(change.updated, format: .vscodeServers).updated == text)
    }

    @Test func recognisesEntriesWrappedByHand() throws {
        let text = #"{"mcpServers": {"git": {"command": "riskkernel", "args": ["gateway", "--policy", "dev", "--", "uvx", "mcp-server-git"]}}}"#
        #expect(!(try ClientConfigEditor.wrap(text, format: .mcpServers, wrapping: wrapping)).changed)
        let unwrapped = try ClientConfigEditor.unwrap(text, format: .mcpServers)
        #expect(unwrapped.updated == #"{"mcpServers": {"git": {"command": "uvx", "args": ["mcp-server-git"]}}}"#)
    }

    @Test func notJSONIsAnErrorWithItsOffset() {
        #expect(throws: JSONParseError.self) { try ClientConfigEditor.wrap(#"{"mcpServers": {"#, format: .mcpServers, wrapping: wrapping) }
    }
}
