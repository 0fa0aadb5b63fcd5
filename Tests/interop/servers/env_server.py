"""A small MCP server (the official Python SDK's MCPServer) that says what its environment holds.

    python env_server.py

Its one tool, `read_env(name)`, returns the value of the environment variable `name`, or
`(unset)`, so a test can see which variables reached a server started behind the gateway.
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer


def main() -> None:
    server = MCPServer("env-server")

    def read_env(name: str) -> str:
        return os.environ.get(name, "(unset)")

    server.add_tool(read_env, name="read_env", description="Returns the value of an environment variable.")
    server.run("stdio")


if __name__ == "__main__":
    main()
