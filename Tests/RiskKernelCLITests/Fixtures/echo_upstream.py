"""A test upstream MCP server that exercises transparency.

- `initialize` answers with an extra unknown field in the result.
- tool `ask_client` sends a server-to-client `sampling/createMessage` request, waits for the
  client's response and returns its text; it also sends a progress notification first.
- tool `crash` exits the process immediately (status 3).
- tool `slow` answers after 300 ms.
- tool `env` returns the names of its environment variables, sorted, as JSON.
- tool `leak` returns text with a (fake) GitHub token in it.
- tool `big` returns a text of `size` x's, written as the compact line
  `{"jsonrpc":"2.0","id":ID,"result":{"content":[{"type":"text","text":"xx…"}]}}`; with
  `escapedToken`, a (fake) GitHub token follows, its first letter spelled `\\u0067` in the JSON text.
- tool `raw` answers `{"jsonrpc":"2.0","id":ID,"result":RESULT}`, RESULT being its argument `result`
  (a text) written as it is, valid JSON or not.
- tool `hang` never answers.
- tool `garbage` writes lines that are not JSON-RPC (text, broken JSON, a batch) to stdout, then answers.
- tool `flood` sends `count` (default 20000) `notifications/message` as fast as it can, then answers.
- tool `close_stdout` closes its stdout and keeps running (until its stdin closes).
- any unknown method is answered with a result echoing the request's method, params and unknown fields.
"""
import json
import os
import sys
import threading
import time

lock = threading.Lock()
waiting = {}


def send(message):
    with lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def handle(message):
    method = message.get("method")
    ident = message.get("id")
    if method is None:
        # A response to our own request.
        event = waiting.pop(ident, None)
        if event:
            event["response"] = message
            event["done"].set()
        return
    if ident is None:
        if method == "notifications/initialized":
            send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hello from upstream"}})
        return
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": ident, "result": {
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "echo-upstream", "version": "1"},
            "x-unknown": {"kept": True}}})
    elif method == "tools/list":
        tools = [
            {"name": name, "description": name, "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": name != "crash"}}
            for name in ("ask_client", "crash", "slow", "env", "leak", "big", "raw", "hang", "garbage", "flood", "close_stdout")
        ]
        send({"jsonrpc": "2.0", "id": ident, "result": {"tools": tools}})
    elif method == "tools/call":
        name = message["params"]["name"]
        token = message["params"].get("_meta", {}).get("progressToken")
        if name == "crash":
            sys.exit(3)
        if name == "env":
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": json.dumps(sorted(os.environ))}]}})
            return
        if name == "leak":
            token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "your token is " + token}]}})
            return
        if name == "big":
            arguments = message["params"].get("arguments", {})
            text = "x" * int(arguments.get("size", 0))
            if arguments.get("escapedToken"):
                text += " \\u0067hp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
            with lock:
                sys.stdout.write('{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s"}]}}\n' % (json.dumps(ident), text))
                sys.stdout.flush()
            return
        if name == "raw":
            with lock:
                sys.stdout.write('{"jsonrpc":"2.0","id":%s,"result":%s}\n' % (json.dumps(ident), message["params"]["arguments"]["result"]))
                sys.stdout.flush()
            return
        if name == "hang":
            return
        if name == "garbage":
            with lock:
                sys.stdout.write("this is not JSON\n{\"broken\": \n[1,2,3]\n\x1b[31mred\n\n{\"jsonrpc\":\"2.0\",\"id\":\"nobody\",\"result\":{}}\n")
                sys.stdout.flush()
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "garbage done"}]}})
            return
        if name == "flood":
            count = int(message["params"].get("arguments", {}).get("count", 20000))
            with lock:
                for index in range(count):
                    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/message",
                                                 "params": {"level": "info", "data": "flood %d" % index}}) + "\n")
                sys.stdout.flush()
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "flood done"}]}})
            return
        if name == "close_stdout":
            with lock:
                sys.stdout.flush()
                os.close(1)
            return
        if name == "slow":
            time.sleep(0.3)
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "slow done"}]}})
            return
        if token is not None:
            send({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": token, "progress": 1, "total": 2}})

        def ask():
            event = {"done": threading.Event()}
            request_id = "upstream-%s" % ident
            waiting[request_id] = event
            send({"jsonrpc": "2.0", "id": request_id, "method": "sampling/createMessage",
                  "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "say hi"}}], "maxTokens": 5}})
            event["done"].wait(10)
            answer = event.get("response", {}).get("result", {}).get("content", {}).get("text", "no answer")
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "client said: " + answer}]}})

        threading.Thread(target=ask, daemon=True).start()
    else:
        extra = {k: v for k, v in message.items() if k not in ("jsonrpc", "id", "method", "params")}
        send({"jsonrpc": "2.0", "id": ident, "result": {"echo": method, "params": message.get("params"), "extra": extra}})


for line in sys.stdin:
    line = line.strip()
    if line:
        handle(json.loads(line))
