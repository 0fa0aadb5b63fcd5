"""A test upstream in the shape of `npx` and `uvx`: a wrapper that runs the real server as its child.

Usage: wrapper_upstream.py PIDFILE [--stubborn]

The wrapper starts the server (this file with `--server`), passes it its own stdin and stdout,
ignores SIGTERM and waits for the server as long as it runs. The server writes its pid to PIDFILE,
answers `initialize`, `tools/list` (one tool, `ping`) and `tools/call` (`pong`), and when its stdin
closes it does not exit: it keeps running, as a server whose worker threads keep it alive would.
With `--stubborn` the server ignores SIGTERM too, so only SIGKILL ends it.
"""
import json
import os
import signal
import subprocess
import sys
import time


def serve(pidfile, stubborn):
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(pidfile, "w") as handle:
        handle.write(str(os.getpid()))
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if "id" not in message or "method" not in message:
            continue
        method = message["method"]
        if method == "initialize":
            result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                      "serverInfo": {"name": "wrapped-server", "version": "1"}}
        elif method == "tools/list":
            result = {"tools": [{"name": "ping", "description": "ping", "inputSchema": {"type": "object"},
                                 "annotations": {"readOnlyHint": True}}]}
        elif method == "tools/call":
            result = {"content": [{"type": "text", "text": "pong"}]}
        else:
            result = {}
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        sys.stdout.flush()
    while True:
        time.sleep(3600)


if sys.argv[1] == "--server":
    serve(sys.argv[2], "--stubborn" in sys.argv[3:])
else:
    server = subprocess.Popen([sys.executable, __file__, "--server"] + sys.argv[1:])
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(server.wait())
