"""Held calls that survive the clients people use (the MCP Python SDK client with a 5 s read timeout).

A counting upstream records every execution, so each test can say exactly how many times a held call
really ran: once per approval, never on its own, never with other arguments than the ones approved.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types

from conftest import ApprovalWatcher, gateway_session, run_test, text_of
from counting import ARGS, HELD, executions, upstream
CLIENT_TIMEOUT = 5.0  # seconds: the read timeout the issue was reported with

REWRITTEN = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: rewritten-messages}
spec:
  approvalRules:
    - tool: send_message
  argumentRules:
    - tool: send_message
      argument: /to
      in: [ceo@example.com]
      action: rewrite
      value: assistant@example.com
"""

def approval_meta(result: types.CallToolResult) -> dict[str, Any]:
    meta = result.meta or {}
    assert "riskkernel.dev/approval" in meta, f"no approval in _meta: {result}"
    return meta["riskkernel.dev/approval"]


async def call(session, arguments: dict[str, Any] = ARGS, **kwargs: Any) -> types.CallToolResult:
    return await session.call_tool("send_message", arguments, read_timeout_seconds=CLIENT_TIMEOUT, **kwargs)


def test_pending_result_before_the_client_gives_up_then_the_retry_runs_once(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "2") as session:
            started = time.monotonic()
            first = await call(session)
            answered_after = time.monotonic() - started
            pending = approval_meta(first)
            # The person approves after the client would have given up.
            await anyio.sleep(0.5)
            await cli.run_async("approvals", "approve", pending["id"], "--by", "reviewer")
            await anyio.sleep(1.5)
            ran_before_retry = len(executions(ledger))
            retried = await call(session)
            again = await call(session)
            return first, answered_after, pending, ran_before_retry, retried, again

    first, answered_after, pending, ran_before_retry, retried, again = run_test(body)

    assert first.is_error is True
    text = text_of(first)
    assert '"send_message"' in text and pending["id"] in text and "again" in text and "same arguments" in text
    assert pending["status"] == "pending" and pending["id"].startswith("apr_")
    assert pending["expiresAt"].endswith("Z")
    assert answered_after < CLIENT_TIMEOUT, answered_after
    assert ran_before_retry == 0, "an approval decided while no request waited ran on its own"
    assert not retried.is_error, text_of(retried)
    assert text_of(retried) == "sent to ops@example.com"
    # The approval was used once: the next identical call asks anew.
    assert approval_meta(again)["id"] != pending["id"]
    assert executions(ledger) == [{"to": "ops@example.com", "body": "deploy now", "token": ""}]

    approvals = cli.json("approvals", "list")
    used = next(a for a in approvals if a["id"] == pending["id"])
    assert used["status"] == "approved" and used["consumedBy"]
    events = [e["kind"] for e in cli.audit(cli.only_run()["id"])]
    assert events.count("approval.consumed") == 1
    cli.run("audit", "verify")


def test_identical_retry_attaches_and_a_denial_refuses_every_retry(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "1") as session:
            first = await call(session)
            second = await call(session)
            pending_before = cli.pending_approvals()
            await cli.run_async("approvals", "deny", approval_meta(first)["id"], "--by", "reviewer", "--reason", "not during the freeze")
            refused = [await call(session) for _ in range(3)]
            return first, second, pending_before, refused

    first, second, pending_before, refused = run_test(body)

    assert approval_meta(second)["id"] == approval_meta(first)["id"], "the identical retry asked a person again"
    assert len(pending_before) == 1
    for result in refused:
        assert result.is_error is True
        assert "denied by reviewer: not during the freeze" in text_of(result)
    assert len(cli.json("approvals", "list")) == 1, "a looping agent asked the person again after a denial"
    assert executions(ledger) == []


def test_cancelled_wait_keeps_the_approval_and_a_late_approval_runs_nothing(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)
    watcher = ApprovalWatcher()

    async def body():
        async with gateway_session(
            gateway, command, "--policy-file", str(policy), "--approval-hold", "20", watcher=watcher
        ) as session:
            # A client that gives up after 1 s and cancels its request.
            try:
                await session.call_tool("send_message", ARGS, read_timeout_seconds=1.0)
                timed_out = False
            except Exception:  # the SDK raises McpError on its read timeout
                timed_out = True
            notice = await watcher.next_for("send_message")
            for request_id in range(0, 5):
                await session.send_notification(
                    types.CancelledNotification(params=types.CancelledNotificationParams(request_id=request_id))
                )
            await anyio.sleep(0.5)
            still_pending = cli.pending_approvals()
            await cli.run_async("approvals", "approve", notice["approvalId"], "--by", "reviewer")
            await anyio.sleep(2)
            ran_after_late_approval = len(executions(ledger))
            retried = await call(session)
            return timed_out, notice, still_pending, ran_after_late_approval, retried

    timed_out, notice, still_pending, ran_after_late_approval, retried = run_test(body)

    assert timed_out
    assert [a["id"] for a in still_pending] == [notice["approvalId"]], "the cancellation expired the approval"
    assert ran_after_late_approval == 0, "an approval with no waiting request was forwarded"
    assert not retried.is_error, text_of(retried)
    assert len(executions(ledger)) == 1


def test_concurrent_identical_calls_run_once_on_one_approval(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)
    watcher = ApprovalWatcher()

    async def body():
        results: list[types.CallToolResult] = []
        async with gateway_session(
            gateway, command, "--policy-file", str(policy), "--approval-hold", "4", watcher=watcher
        ) as session:

            async def one() -> None:
                results.append(await call(session))

            async with anyio.create_task_group() as group:
                for _ in range(3):
                    group.start_soon(one)
                notice = await watcher.next_for("send_message")
                await anyio.sleep(0.5)
                await cli.run_async("approvals", "approve", notice["approvalId"], "--by", "reviewer")
        return results

    results = run_test(body)

    assert len(results) == 3
    succeeded = [r for r in results if not r.is_error]
    assert len(succeeded) == 1, [text_of(r) for r in results]
    assert len(executions(ledger)) == 1
    assert len(cli.json("approvals", "list")) == 1


def test_progress_while_held(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, _ = upstream(tmp_path)

    async def body():
        seen: list[tuple[float, float, str | None]] = []
        started = time.monotonic()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((time.monotonic() - started, progress, message))

        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "9") as session:
            result = await session.call_tool(
                "send_message", ARGS, read_timeout_seconds=20.0, progress_callback=on_progress
            )
        return seen, result

    seen, result = run_test(body)

    assert result.is_error is True and approval_meta(result)["status"] == "pending"
    assert len(seen) >= 3, seen
    times = [at for at, _, _ in seen]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert times[0] < 5 and max(gaps) <= 5.0, seen
    assert [p for _, p, _ in seen] == sorted({p for _, p, _ in seen}), "progress must increase"
    assert all(message and "awaiting approval apr_" in message for _, _, message in seen)


def test_approval_is_bound_to_the_real_arguments_and_to_what_runs(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)
    token_one = "ghp_" + "a1B2c3D4e5" * 3 + "111111"
    token_two = "ghp_" + "a1B2c3D4e5" * 3 + "222222"

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "1") as session:
            first = await call(session, {**ARGS, "token": token_one})
            await cli.run_async("approvals", "approve", approval_meta(first)["id"], "--by", "reviewer")
            other = await call(session, {**ARGS, "token": token_two})
            ran_with_other = len(executions(ledger))
            same = await call(session, {**ARGS, "token": token_one})
            return first, other, ran_with_other, same

    first, other, ran_with_other, same = run_test(body)

    # Both tokens redact to the same stored text, but the approval is bound to the real one.
    assert approval_meta(other)["id"] != approval_meta(first)["id"]
    assert ran_with_other == 0
    assert not same.is_error, text_of(same)
    assert [e["token"] for e in executions(ledger)] == [token_one]
    stored = json.dumps(cli.json("approvals", "list"))
    assert token_one not in stored and token_two not in stored


def test_the_approver_sees_the_arguments_that_will_run(gateway, cli, tmp_path):
    policy = gateway.policy_file(REWRITTEN)
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "1") as session:
            first = await call(session, {"to": "ceo@example.com", "body": "hi"})
            [pending] = cli.pending_approvals()
            await cli.run_async("approvals", "approve", pending["id"], "--by", "reviewer")
            retried = await call(session, {"to": "ceo@example.com", "body": "hi"})
            return first, pending, retried

    first, pending, retried = run_test(body)

    assert pending["arguments"]["to"] == "ceo@example.com"
    assert pending["forwardedArguments"]["to"] == "assistant@example.com"
    shown = cli.run("approvals", "list").stdout
    assert "assistant@example.com" in shown
    assert not retried.is_error, text_of(retried)
    assert [e["to"] for e in executions(ledger)] == ["assistant@example.com"]


def test_an_expired_approval_can_be_neither_decided_nor_used(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(
            gateway, command, "--policy-file", str(policy), "--approval-hold", "1", "--approval-timeout", "2"
        ) as session:
            first = await call(session)
            await anyio.sleep(2.5)
            late = await anyio.run_process(
                [str(cli.binary), "approvals", "approve", approval_meta(first)["id"], "--db", str(cli.db)], check=False
            )
            retried = await call(session)
            return first, late, retried

    first, late, retried = run_test(body)

    assert late.returncode != 0
    assert b"expired" in late.stderr + late.stdout
    # The retry asks anew; nothing ran.
    assert approval_meta(retried)["id"] != approval_meta(first)["id"]
    assert executions(ledger) == []


def test_people_are_told_where_they_are_and_a_slow_receiver_holds_nothing_up(gateway, cli, tmp_path):
    import http.server
    import os
    import stat
    import threading

    received: list[dict[str, Any]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    class Silent(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            time.sleep(30)  # never answers in time

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    silent = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    for each in (server, silent):
        threading.Thread(target=each.serve_forever, daemon=True).start()

    # A stand-in notify-send on PATH, and a command that keeps what it reads on stdin.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    desktop_log = tmp_path / "desktop.txt"
    command_log = tmp_path / "command.json"
    notify_send = bin_dir / "notify-send"
    notify_send.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {desktop_log}\n")
    keeper = bin_dir / "keep-approval"
    keeper.write_text(f"#!/bin/sh\ncat > {command_log}\n")
    for script in (notify_send, keeper):
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    policy = gateway.policy_file(HELD)
    command, _ = upstream(tmp_path)
    previous_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}:{previous_path}"
    try:
        async def body():
            async with gateway_session(
                gateway, command, "--policy-file", str(policy), "--approval-hold", "1", "--notify", "desktop",
                "--notify-webhook", f"http://127.0.0.1:{silent.server_address[1]}/hook",
                "--notify-webhook", f"http://127.0.0.1:{server.server_address[1]}/hook",
                "--notify-command", "keep-approval",
            ) as session:
                started = time.monotonic()
                result = await call(session)
                elapsed = time.monotonic() - started
                for _ in range(100):
                    if received and desktop_log.exists() and command_log.exists() and command_log.stat().st_size:
                        break
                    await anyio.sleep(0.1)
                return result, elapsed

        result, elapsed = run_test(body)
    finally:
        os.environ["PATH"] = previous_path
        server.shutdown()
        silent.shutdown()

    approval_id = approval_meta(result)["id"]
    assert elapsed < 4, "a slow webhook held the call up"
    [hook] = received
    assert hook["type"] == "application/json"
    payload = hook["body"]
    assert set(payload) == {
        "approvalId", "tool", "sideEffect", "rule", "runId", "arguments", "expiresAt", "approveCommand", "denyCommand", "consoleUrl", "text",
    }
    assert payload["approvalId"] == approval_id and payload["tool"] == "send_message"
    assert payload["arguments"] == ARGS
    assert approval_id in payload["approveCommand"] and approval_id in payload["text"]
    assert json.loads(command_log.read_text())["approvalId"] == approval_id
    assert approval_id in desktop_log.read_text()


def test_grants_let_the_tool_through_until_revoked_and_each_use_is_in_the_ledger(gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "1") as session:
            first = await call(session)
            approval_id = approval_meta(first)["id"]
            await cli.run_async("approvals", "approve", approval_id, "--by", "reviewer", "--scope", "run", "--for", "1h")
            retried = await call(session)
            other = await call(session, {"to": "dev@example.com", "body": "other arguments, same tool"})
            [grant] = await cli.json_async("approvals", "grants")
            await cli.run_async("approvals", "revoke", grant["id"])
            after_revoke = await call(session, {"to": "qa@example.com", "body": "held again"})
            return approval_id, retried, other, grant, after_revoke

    approval_id, retried, other, grant, after_revoke = run_test(body)

    assert not retried.is_error, text_of(retried)
    assert not other.is_error, "a run grant did not let the tool through with other arguments"
    assert grant["scope"] == "run" and grant["tool"] == "send_message" and grant["approvalId"] == approval_id
    assert grant["expiresAt"] and grant["revokedAt"] is None
    assert after_revoke.is_error and approval_meta(after_revoke)["status"] == "pending", "a revoked grant still let calls through"
    assert [e["to"] for e in executions(ledger)] == ["ops@example.com", "dev@example.com"]
    [listed] = cli.json("approvals", "grants")
    assert listed["revokedAt"]
    events = cli.audit(cli.only_run()["id"])
    granted = [e for e in events if e["kind"] == "tool.decided" and e["data"].get("grantId") == grant["id"]]
    assert len(granted) == 1 and granted[0]["data"]["decision"] == "allow"
    assert [e["kind"] for e in events if e["kind"].startswith("grant.")] == ["grant.created", "grant.revoked"]
    cli.run("audit", "verify")


def test_after_a_crash_the_resumed_run_uses_the_approval_only_for_the_real_arguments(gateway, cli, tmp_path):
    """The issue's example: approved for a call holding one token, then the gateway is killed; the
    resumed run (--run-id) runs nothing for the same call with another token that redacts alike."""
    import os
    import signal

    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)
    token_one = "ghp_" + "Qw3Er5Ty7U" * 3 + "000001"
    token_two = "ghp_" + "Qw3Er5Ty7U" * 3 + "000002"

    async def first_gateway():
        async with gateway_session(gateway, command, "--policy-file", str(policy), "--approval-hold", "1") as session:
            held = await call(session, {**ARGS, "token": token_one})
            await cli.run_async("approvals", "approve", approval_meta(held)["id"], "--by", "reviewer")
            # The gateway is killed before the agent retries.
            run_id = cli.runs()[0]["id"]
            for pid in os.listdir("/proc"):
                try:
                    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"gateway" in words and str(cli.db).encode() in words:
                    os.kill(int(pid), signal.SIGKILL)
            return run_id

    try:
        run_test(first_gateway)
    except BaseException:  # noqa: BLE001 - the SDK session fails when its gateway is killed, as it should
        pass
    run_id = cli.runs()[0]["id"]

    async def resumed():
        async with gateway_session(
            gateway, command, "--policy-file", str(policy), "--approval-hold", "1", "--run-id", run_id
        ) as session:
            other = await call(session, {**ARGS, "token": token_two})
            ran_with_other = len(executions(ledger))
            same = await call(session, {**ARGS, "token": token_one})
            return other, ran_with_other, same

    other, ran_with_other, same = run_test(resumed)

    assert other.is_error and approval_meta(other)["status"] == "pending", "the other token ran on the approval"
    assert ran_with_other == 0
    assert not same.is_error, text_of(same)
    assert [e["token"] for e in executions(ledger)] == [token_one]
