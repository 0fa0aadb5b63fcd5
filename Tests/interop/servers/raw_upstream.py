"""An MCP server written by hand, line by line, that answers the way faulty or unusual servers do.

    python raw_upstream.py

Tools (each `tools/call` is answered in the shape its name says):
- `echo`: an ordinary result with the arguments it received;
- `big_last`: a result of `size` bytes of text whose `id` member comes last, as TypeScript-SDK
  servers write it (`{"result":…,"jsonrpc":"2.0","id":7}`);
- `surrogate`: a text holding the lone surrogate escape `\\ud800`, as a browser's JSON.stringify
  writes it (strict parsers refuse it);
- `sample`: asks the client's model first (`sampling/createMessage` with a model hint and a tool),
  then answers with what came back (the result's text, or the error's message);
- `broken`: an answer a strict parser refuses, of kind `surrogate`, `duplicate` (a key twice),
  `utf8` (an invalid byte), `nan` or `garbage` (content after the object), padded to `size` bytes,
  with its id first or last (`idLast`);
- `slow`: answers only once the file named by `until` exists (a test decides the moment);
- `stray`: first a response with an id nobody sent, and one with the id `riskkernel-internal-1`,
  then the real answer.
Any other request method is answered with a result holding `\\ud800` too (a reply the gateway need
not look inside). `RAW_UPSTREAM_SLOW_LIST=SECONDS` makes the first `tools/list` take that long.

`RAW_UPSTREAM_TASKS=1` makes it a server with MCP tasks (2025-11-25): it declares
`capabilities.tasks`, its tools `execution.taskSupport: optional`; a `tools/call` with
`params.task` is answered with a task (`t1`, `t2`, …) and a status notification for it and for a
task nobody created (`t-foreign`); `tasks/get` says completed, `tasks/result` answers with a text
holding a GitHub token, `tasks/list` lists every task including `t-foreign`. Without `params.task`,
`tools/call` answers `plain answer`. Every request it receives is appended to
`RAW_UPSTREAM_LOG` when that is set.
"""

from __future__ import annotations

import json
import os
import sys
import time

TOKEN = "ghp_" + "Zq9Xw8Vu7T" * 4

TOOLS = [
    {"name": name, "description": f"{name} tool", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 18446744073709551615}}}}
    for name in ("echo", "big_last", "surrogate", "stray", "sample", "broken", "slow")
]


def write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def write_bytes(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()


def broken(id_text: str, kind: str, size: int, id_last: bool) -> bytes:
    pad = b"x" * max(0, size)
    text = {
        "surrogate": b'"half \\ud800 ' + pad + b'"',
        "duplicate": b'"' + pad + b'","text":"again"',
        "utf8": b'"bad \xff ' + pad + b'"',
        "nan": b'"' + pad + b'","n":NaN',
        "garbage": b'"' + pad + b'"',
    }[kind]
    result = b'"result":{"content":[{"type":"text","text":' + text + b"}]}"
    head, tail = (b'{"jsonrpc":"2.0",', b',"id":' + id_text.encode() + b"}") if id_last else (b'{"jsonrpc":"2.0","id":' + id_text.encode() + b",", b"}")
    return head + result + tail + (b" trailing" if kind == "garbage" else b"")


def task(task_id: str, status: str) -> dict:
    return {"taskId": task_id, "status": status, "createdAt": "2026-12-01T10:00:00Z", "lastUpdatedAt": "2026-12-01T10:00:00Z", "ttl": 60000}


def main() -> None:
    slow_list = float(os.environ.get("RAW_UPSTREAM_SLOW_LIST", "0"))
    tasks = os.environ.get("RAW_UPSTREAM_TASKS") == "1"
    log = os.environ.get("RAW_UPSTREAM_LOG")
    created: list[str] = []
    listed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if log:
            with open(log, "a") as handle:
                handle.write(line if line.endswith("\n") else line + "\n")
        method, id_ = message.get("method"), message.get("id")
        if id_ is None:
            continue
        id_text = json.dumps(id_)
        if method == "initialize":
            capabilities: dict = {"tools": {}}
            if tasks:
                capabilities["tasks"] = {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
            result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": capabilities, "serverInfo": {"name": "raw-upstream", "version": "1"}}
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": result}))
        elif method == "tools/list":
            if not listed and slow_list:
                time.sleep(slow_list)
            listed = True
            tools = [{**tool, "execution": {"taskSupport": "optional"}} for tool in TOOLS] if tasks else TOOLS
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"tools": tools}}))
        elif tasks and method == "tools/call" and "task" in message["params"]:
            task_id = f"t{len(created) + 1}"
            created.append(task_id)
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"task": task(task_id, "working")}}))
            for other in (task_id, "t-foreign"):
                write(json.dumps({"jsonrpc": "2.0", "method": "notifications/tasks/status", "params": task(other, "working")}))
        elif tasks and method == "tools/call":
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": "plain answer"}]}}))
        elif tasks and method == "tasks/get":
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": task(message["params"]["taskId"], "completed")}))
        elif tasks and method == "tasks/result":
            text = "the deploy token is " + TOKEN
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": text}]}}))
        elif tasks and method == "tasks/list":
            write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"tasks": [task(t, "completed") for t in created + ["t-foreign"]]}}))
        elif method == "tools/call":
            name = message["params"]["name"]
            arguments = message["params"].get("arguments", {})
            if name == "broken":
                write_bytes(broken(id_text, arguments["kind"], int(arguments["size"]), bool(arguments.get("idLast"))))
            elif name == "sample":
                write(json.dumps({"jsonrpc": "2.0", "id": "sampling-1", "method": "sampling/createMessage", "params": {
                    "messages": [{"role": "user", "content": {"type": "text", "text": "secret prompt text"}}],
                    "modelPreferences": {"hints": [{"name": "claude-sonnet"}]}, "maxTokens": 10,
                    "tools": [{"name": "lookup", "inputSchema": {"type": "object"}}]}}))
                answer = json.loads(sys.stdin.readline())
                if log:
                    with open(log, "a") as handle:
                        handle.write(json.dumps(answer) + "\n")
                text = answer["result"]["content"]["text"] if "result" in answer else "sampling refused: " + answer["error"]["message"]
                write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": text}]}}))
            elif name == "big_last":
                text = "x" * int(arguments.get("size", 100000))
                write('{"result":{"content":[{"type":"text","text":"' + text + '"}]},"jsonrpc":"2.0","id":' + id_text + "}")
            elif name == "surrogate":
                write('{"result":{"content":[{"type":"text","text":"half \\ud800 a pair"}]},"jsonrpc":"2.0","id":' + id_text + "}")
            elif name == "slow":
                while not os.path.exists(arguments["until"]):
                    time.sleep(0.01)
                write(json.dumps({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": "slow done"}]}}))
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
