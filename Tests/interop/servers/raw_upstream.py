"""An MCP server written by hand, line by line, that answers the way faulty or unusual servers do.

    python raw_upstream.py

Tools (each `tools/call` is answered in the shape its name says):
- `echo`: an ordinary result with the arguments it received;
- `big_last`: a result of `size` bytes of text whose `id` member comes last, as TypeScript-SDK
  servers write it (`{"result":…,"jsonrpc":"2.0","id":7}`);
- `surrogate`: a text holding the lone surrogate escape `\\ud800`, as a browser's JSON.stringify
  writes it (strict parsers refuse it);
- `stray`: first a response with an id nobody sent, and one with the id `riskkernel-internal-1`,
  then the real answer.
Any other request method is answered with a result holding `\\ud800` too (a reply the gateway need
not look inside). `RAW_UPSTREAM_SLOW_LIST=SECONDS` makes the first `tools/list` take that long.
"""

from __future__ import annotations

import json
import os
import sys
import time

TOOLS = [
    {"name": name, "description": f"{name} tool", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 18446744073709551615}}}}
    for name in ("echo", "big_last", "surrogate", "stray")
]


def write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> None:
    slow_list = float(os.environ.get("RAW_UPSTREAM_SLOW_LIST", "0"))
    listed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id_ = message.get("method"), message.get("id")
        if id_ is None:
            continue
        id_text = json.dumps(id_)
        if method == "initialize":
            result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}}, "serverInfo": {"name": "raw-upstream", "version": "1"}}
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": result}))
        elif method == "tools/list":
            if not listed and slow_list:
                time.sleep(slow_list)
            listed = True
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"tools": TOOLS}}))
        elif method == "tools/call":
            name = message["params"]["name"]
            arguments = message["params"].get("arguments", {})
            if name == "big_last":
                text = "x" * int(arguments.get("size", 100000))
                write('{"result":{"content":[{"type":"text","text":"' + text + '"}]},"jsonrpc":"2.0","id":' + id_text + "}")
            elif name == "surrogate":
                write('{"result":{"content":[{"type":"text","text":"half \\ud800 a pair"}]},"jsonrpc":"2.0","id":' + id_text + "}")
            elif name == "stray":
                write(json.dumps({"jsonrpc": "2.0", "id": 999999, "result": {"stray": True}}))
                write(json.dumps({"jsonrpc": "2.0", "id": "riskkernel-internal-1", "result": {"stray": True}}))
                write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": "stray done"}]}}))
            else:
                write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": json.dumps(arguments, sort_keys=True)}]}}))
        else:
            write('{"jsonrpc":"2.0","id":' + id_text + ',"result":{"note":"\\ud800"}}')


if __name__ == "__main__":
    main()
