"""A small MCP server (the official Python SDK's MCPServer) that records every execution.

    python counting_server.py LEDGER.jsonl

Its one tool, `send_message(to, body, token)`, appends one JSON line per execution to LEDGER.jsonl
(what it received), so a test can count how many times a call really ran and with which arguments.
"""

from __future__ import annotations

import json
import sys

from mcp.server.mcpserver import MCPServer


def main() -> None:
    ledger = sys.argv[1]
    server = MCPServer("counting-server")

    def send_message(to: str, body: str = "", token: str = "") -> str:
        with open(ledger, "a") as handle:
            handle.write(json.dumps({"to": to, "body": body, "token": token}, sort_keys=True) + "\n")
            handle.flush()
        return f"sent to {to}"

    server.add_tool(send_message, name="send_message", description="Sends a message (and records that it ran).")
    server.run("stdio")


if __name__ == "__main__":
    main()
