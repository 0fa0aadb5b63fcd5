"""`approvals watch` on a terminal: run under a pseudo-terminal (the `pty` and `termios` modules)
against a real gateway holding calls, driven with single keys as a person would.

It shows every pending approval with its time left, drops one decided elsewhere, approves the
selected one on a single `a` (no Enter), and puts the terminal back as it was on Ctrl-C.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import termios
import threading
import time
from typing import Any

import anyio
import mcp.types as types

from conftest import gateway_session, run_test, text_of
from counting import HELD, upstream

CLEAR = "\x1b[H\x1b[2J"
ENTRY = re.compile(r"^[> ] \d+\. \S+  .*  (apr_\w+)\r?$", re.M)


def listed(frame: str) -> list[str]:
    """The approval ids on screen, in order (the status line below the list may name others)."""
    return ENTRY.findall(frame)


class PseudoTerminal:
    """`approvals watch` with a pseudo-terminal as its controlling terminal, stdin and stdout."""

    def __init__(self, argv: list[str], rows: int = 60, columns: int = 120) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.before = termios.tcgetattr(self.slave)
        self.process = subprocess.Popen(
            argv, stdin=self.slave, stdout=self.slave, stderr=self.slave, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color"},
            # The new session's leader takes the terminal, so that Ctrl-C raises SIGINT in it.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        self._output = bytearray()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    @property
    def output(self) -> str:
        with self._lock:
            return self._output.decode(errors="replace")

    @property
    def frame(self) -> str:
        """What is on screen: the text after the last clear-screen."""
        return self.output.rsplit(CLEAR, 1)[-1]

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    async def wait_for(self, condition: Any, what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.frame):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not on screen within {timeout}s; the screen shows:\n{self.frame}")
            await anyio.sleep(0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


def test_every_pending_approval_with_time_left_decided_by_a_single_key(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, _ = upstream(tmp_path)
    results: dict[str, types.CallToolResult] = {}
    observed: dict[str, Any] = {}

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "30", "--approval-timeout", "600") as session:

            async def call(to: str) -> None:
                results[to] = await session.call_tool("send_message", {"to": to, "body": "deploy"}, read_timeout_seconds=40)

            async def pending_count(count: int) -> list[dict[str, Any]]:
                while len(pending := await cli.json_async("approvals", "list", "--status", "pending")) < count:
                    await anyio.sleep(0.05)
                return pending

            async with anyio.create_task_group() as calls:
                ids: dict[str, str] = {}
                for count, to in enumerate(["first@example.com", "second@example.com", "third@example.com"], start=1):
                    calls.start_soon(call, to)
                    pending = await pending_count(count)
                    ids[to] = next(a["id"] for a in pending if a["arguments"]["to"] == to)
                first, second, third = ids.values()

                terminal = PseudoTerminal([str(cli.binary), "approvals", "watch", "--db", str(cli.db), "--by", "keyboard", "--interval", "0.1"])
                try:
                    await terminal.wait_for(lambda f: listed(f) == list(ids.values()), "the three pending approvals")
                    observed["raw"] = termios.tcgetattr(terminal.slave)
                    observed["full"] = terminal.frame

                    await cli.run_async("approvals", "deny", third, "--by", "someone-else", "--reason", "decided elsewhere")
                    await terminal.wait_for(lambda f: listed(f) == [first, second], "the list without the approval decided elsewhere")

                    terminal.press(b"a")
                    await terminal.wait_for(lambda f: listed(f) == [second], "the list without the approved approval")
                    observed["after"] = terminal.frame

                    terminal.press(b"\x03")
                    observed["status"] = terminal.process.wait(timeout=10)
                    observed["restored"] = termios.tcgetattr(terminal.slave)
                    observed["before"] = terminal.before
                    deadline = time.monotonic() + 5
                    while "\x1b[?1049l" not in terminal.output and time.monotonic() < deadline:
                        await anyio.sleep(0.05)
                    observed["output"] = terminal.output
                finally:
                    terminal.close()
                await cli.run_async("approvals", "deny", second, "--by", "cleanup", "--reason", "end of test")
            observed["ids"] = ids

    run_test(body, timeout=90)

    first, second, third = observed["ids"].values()
    full = observed["full"]
    # Every pending approval on one screen, numbered, soonest to expire first, each with its time left.
    for number, approval_id in enumerate([first, second, third], start=1):
        assert re.search(rf"^. {number}\. send_message  9m \d\ds left  {approval_id}\r?$", full, re.M), full
    assert re.search(rf"^> 1\. send_message .* {first}\r?$", full, re.M), "the first approval is not the selected one"
    # The arguments pretty-printed, indented under their entry.
    assert '\n         {\n           "body": "deploy",\n           "to": "first@example.com"\n         }' in full.replace("\r\n", "\n"), full
    assert "a approve" in full and "d deny" in full and "q quit" in full, "the keys are not on screen"
    # Raw mode while it runs: no line buffering, no echo.
    lflag = observed["raw"][3]
    assert not lflag & termios.ICANON and not lflag & termios.ECHO

    # One key approved the selected approval, and the call ran.
    assert not results["first@example.com"].is_error, text_of(results["first@example.com"])
    approvals = {a["id"]: a for a in cli.json("approvals", "list")}
    assert approvals[first]["status"] == "approved" and approvals[first]["decidedBy"] == "keyboard"
    assert approvals[third]["decidedBy"] == "someone-else"
    assert re.search(rf"^> 1\. send_message .* {second}\r?$", observed["after"], re.M), observed["after"]

    assert "approved " + first in observed["after"], "the screen does not say what the key did"

    # Ctrl-C: the terminal's modes are as they were, its own screen is left and the cursor shown again.
    assert observed["status"] == 130
    assert observed["restored"] == observed["before"]
    assert observed["output"].endswith("\x1b[?25h\x1b[?1049l"), repr(observed["output"][-200:])
