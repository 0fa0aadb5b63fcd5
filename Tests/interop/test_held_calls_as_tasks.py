"""Held calls as tasks the gateway owns (MCP 2025-11-25), where the client asks for a task.

A `tools/call` with `params.task` that an approval rule holds is answered at once with a task in
`input_required`; the gateway serves `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/list`
for it, and forwards the call once a person approves. Driven with a raw JSON-RPC client, in front of
the counting upstream (which has no tasks of its own) and of an upstream whose tools are tasks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from counting import ARGS, HELD, executions, upstream

HELD_ECHO = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: held-echo}
spec:
  approvalRules:
    - tool: echo
"""

RAW_UPSTREAM = Path(__file__).parent / "servers" / "raw_upstream.py"


def call_as_task(raw, tool="send_message", arguments=ARGS, ttl=60000):
    return raw.request("tools/call", {"name": tool, "arguments": arguments, "task": {"ttl": ttl}})


def read_until(raw, predicate, timeout=10.0):
    """Messages up to and including the first that `predicate` accepts."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = raw.read(timeout=max(0.1, deadline - time.monotonic()))
        seen.append(message)
        if predicate(message):
            return seen
    raise AssertionError(f"no matching message in {timeout}s: {seen}")


def test_a_held_call_is_answered_with_a_task_that_runs_once_approved(raw_gateway, gateway, cli, tmp_path):
    command, ledger = upstream(tmp_path)
    raw = raw_gateway(command, "--policy-file", str(gateway.policy_file(HELD)), "--approval-hold", "1")
    raw.initialize()

    started = time.monotonic()
    created = call_as_task(raw)
    answered_after = time.monotonic() - started
    task = created["result"]["task"]
    approval = created["result"]["_meta"]["riskkernel.dev/approval"]
    assert answered_after < 1.0, "a task is answered at once, not after the hold window"
    assert task["taskId"].startswith("riskkernel-task-")
    assert task["status"] == "input_required"
    assert approval["id"] in task["statusMessage"]
    assert task["createdAt"].endswith("Z") and task["ttl"] >= 60000 and task["pollInterval"] > 0
    assert approval["id"] in created["result"]["_meta"]["io.modelcontextprotocol/model-immediate-response"]

    # Past the hold window the task still waits for the person (no pending result, nothing run).
    time.sleep(1.5)
    polled = raw.request("tasks/get", {"taskId": task["taskId"]})["result"]
    assert polled["status"] == "input_required" and polled["taskId"] == task["taskId"]
    assert executions(ledger) == []
    listed = raw.request("tasks/list")["result"]["tasks"]
    assert [t["taskId"] for t in listed] == [task["taskId"]]

    # tasks/result blocks until the task ends: the person approves meanwhile.
    raw.send({"jsonrpc": "2.0", "id": "result-1", "method": "tasks/result", "params": {"taskId": task["taskId"]}})
    cli.run("approvals", "approve", approval["id"], "--by", "reviewer")
    seen = read_until(raw, lambda m: m.get("id") == "result-1")
    result = seen[-1]["result"]
    assert result["content"][0]["text"] == "sent to ops@example.com"
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task["taskId"]}
    statuses = [m["params"]["status"] for m in seen if m.get("method") == "notifications/tasks/status"]
    assert statuses == ["working", "completed"], statuses

    assert raw.request("tasks/get", {"taskId": task["taskId"]})["result"]["status"] == "completed"
    again = raw.request("tasks/result", {"taskId": task["taskId"]})["result"]
    assert again["content"] == result["content"], "a finished task's result is kept"
    ended = raw.request("tasks/cancel", {"taskId": task["taskId"]})
    assert ended["error"]["code"] == -32602, "a finished task cannot be cancelled"
    assert executions(ledger) == [{"to": "ops@example.com", "body": "deploy now", "token": ""}]

    raw.close_stdin()
    assert raw.wait() == 0
    calls = cli.only_run()["toolCalls"]
    assert [c["status"] for c in calls] == ["succeeded"]
    cli.run("audit", "verify")


def test_a_cancelled_task_runs_nothing_and_leaves_the_approval_pending(raw_gateway, gateway, cli, tmp_path):
    command, ledger = upstream(tmp_path)
    raw = raw_gateway(command, "--policy-file", str(gateway.policy_file(HELD)))
    raw.initialize()

    task = call_as_task(raw)["result"]["task"]
    raw.send({"jsonrpc": "2.0", "id": "waiting", "method": "tasks/result", "params": {"taskId": task["taskId"]}})
    cancelled = raw.request("tasks/cancel", {"taskId": task["taskId"]})
    assert cancelled["result"]["status"] == "cancelled"
    waiting = read_until(raw, lambda m: m.get("id") == "waiting")[-1]
    assert waiting["result"]["isError"] is True, "a waiting tasks/result ends with the cancellation"
    pending = cli.pending_approvals()
    assert len(pending) == 1, "cancelling the task expired the approval"

    # A late approval with no request waiting executes nothing.
    cli.run("approvals", "approve", pending[0]["id"], "--by", "reviewer")
    time.sleep(1.0)
    assert executions(ledger) == []
    assert raw.request("tasks/get", {"taskId": task["taskId"]})["result"]["status"] == "cancelled"
    unknown = raw.request("tasks/get", {"taskId": "riskkernel-task-nosuch"})
    assert unknown["error"]["code"] == -32602


def test_a_denied_task_fails_with_the_reason(raw_gateway, gateway, cli, tmp_path):
    command, ledger = upstream(tmp_path)
    raw = raw_gateway(command, "--policy-file", str(gateway.policy_file(HELD)))
    raw.initialize()
    created = call_as_task(raw)["result"]
    cli.run("approvals", "deny", created["_meta"]["riskkernel.dev/approval"]["id"], "--by", "reviewer", "--reason", "not today")
    result = raw.request("tasks/result", {"taskId": created["task"]["taskId"]})["result"]
    assert result["isError"] is True and "denied by reviewer: not today" in result["content"][0]["text"]
    assert raw.request("tasks/get", {"taskId": created["task"]["taskId"]})["result"]["status"] == "failed"
    assert executions(ledger) == []


def test_an_upstream_task_of_an_approved_call_is_followed_to_its_result(raw_gateway, gateway, cli, tmp_path):
    """The upstream's tool is a task too: once approved, the gateway fetches the upstream task's
    result itself and ends its own task with it (redacted, recorded)."""
    log = tmp_path / "upstream-requests.jsonl"
    env = {**os.environ, "RAW_UPSTREAM_TASKS": "1", "RAW_UPSTREAM_LOG": str(log)}
    raw = raw_gateway(
        [sys.executable, str(RAW_UPSTREAM)], "--env", "RAW_UPSTREAM_TASKS", "--env", "RAW_UPSTREAM_LOG",
        "--policy-file", str(gateway.policy_file(HELD_ECHO)), env=env)
    raw.initialize()
    created = call_as_task(raw, tool="echo", arguments={"n": 1})["result"]
    assert created["task"]["taskId"].startswith("riskkernel-task-")
    cli.run("approvals", "approve", created["_meta"]["riskkernel.dev/approval"]["id"], "--by", "reviewer")
    result = raw.request("tasks/result", {"taskId": created["task"]["taskId"]})["result"]
    text = result["content"][0]["text"]
    assert text.startswith("the deploy token is ") and "ghp_" not in text, text
    listed = [t["taskId"] for t in raw.request("tasks/list")["result"]["tasks"]]
    assert listed == [created["task"]["taskId"]], "the upstream's own task of the call is not the client's to see"
