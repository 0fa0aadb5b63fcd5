"""A minimal MCP server on stdio, written by hand, that shows what reached it.

    python trace_echo_server.py

Its tools answer with the `params._meta` and arguments of the `tools/call` request they received, so
a test can see the W3C `traceparent` the gateway forwarded:
- `echo_meta` (read-only) and `guarded` answer `{"meta": ..., "arguments": ...}` as JSON text;
- `fail` answers with a result flagged `isError` that quotes its arguments.
"""

from __future__ import annotations

import json
import sys
from typing import Any

SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}}
TOOLS = [
    {"name": "echo_meta", "description": "Echoes _meta and arguments.", "inputSchema": SCHEMA, "annotations": {"readOnlyHint": True}},
    {"name": "guarded", "description": "Echoes _meta and arguments (held for approval).", "inputSchema": SCHEMA},
    {"name": "fail", "description": "Always fails, quoting its arguments.", "inputSchema": SCHEMA, "annotations": {"readOnlyHint": True}},
    {"name": "forbidden", "description": "Not on the test policy's allowlist.", "inputSchema": SCHEMA},
]


def answer(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "trace-echo", "version": "1.0.0"},
        }
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        arguments = params.get("arguments") or {}
        if params.get("name") == "fail":
            return {"content": [{"type": "text", "text": "failed on purpose with " + json.dumps(arguments)}], "isError": True}
        text = json.dumps({"meta": params.get("_meta") or {}, "arguments": arguments}, sort_keys=True)
        return {"content": [{"type": "text", "text": text}], "isError": False}
    return {}


def main() -> None:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        message = json.loads(line)
        if "id" not in message or "method" not in message:
            continue  # notifications and responses
        response = {"jsonrpc": "2.0", "id": message["id"], "result": answer(message["method"], message.get("params") or {})}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
