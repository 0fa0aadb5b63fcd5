"""MCP tasks (2025-11-25) carry no result around governance: a task's result, status and listing
reach the client only for tasks that governed calls of the run created, redacted and recorded."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SERVER = Path(__file__).parent / "servers" / "raw_upstream.py"
UPSTREAM = [sys.executable, str(SERVER)]
TOKEN = "ghp_" + "Zq9Xw8Vu7T" * 4

DENY_ALL = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: deny-all}
spec:
  toolAllowlist: []
"""

TASKS_OFF = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: no-tasks}
spec:
  tasks: off
"""


def start(raw_gateway, tmp_path, *options):
    log = tmp_path / "upstream-requests.jsonl"
    env = {**os.environ, "RAW_UPSTREAM_TASKS": "1", "RAW_UPSTREAM_LOG": str(log)}
    raw = raw_gateway(UPSTREAM, "--env", "RAW_UPSTREAM_TASKS", "--env", "RAW_UPSTREAM_LOG", *options, env=env)
    initialized = raw.initialize()
    return raw, initialized, log


def messages_until(raw, id_):
    """Every message up to and including the response to `id_`."""
    seen = []
    while True:
        message = raw.read()
        seen.append(message)
        if message.get("id") == id_ and "method" not in message:
            return seen


def test_a_tasks_result_is_redacted_recorded_and_only_governed_tasks_are_served(raw_gateway, cli, tmp_path):
    raw, initialized, _ = start(raw_gateway, tmp_path)
    assert "tasks" in initialized["result"]["capabilities"]
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {}, "task": {"ttl": 60000}}})
    seen = messages_until(raw, 1)
    assert seen[-1]["result"]["task"]["taskId"] == "t1"
    # Status notifications pass for the governed task only.
    statuses = [m for m in seen if m.get("method") == "notifications/tasks/status"]
    statuses += [raw.read()] if not statuses else []
    assert {m["params"]["taskId"] for m in statuses} == {"t1"}

    listing = raw.request("tasks/list")
    assert [t["taskId"] for t in listing["result"]["tasks"]] == ["t1"]
    assert raw.request("tasks/get", {"taskId": "t1"})["result"]["status"] == "completed"
    result = raw.request("tasks/result", {"taskId": "t1"})
    text = result["result"]["content"][0]["text"]
    assert TOKEN not in text and "[REDACTED" in text
    foreign = raw.request("tasks/result", {"taskId": "t-foreign"})
    assert foreign["error"]["code"] == -32602

    raw.close_stdin()
    assert raw.wait() == 0
    [call] = cli.only_run()["toolCalls"]
    assert call["status"] == "succeeded" and call["resultDigest"]
    assert TOKEN not in json.dumps(call)


def test_with_a_deny_all_allowlist_no_task_is_served(raw_gateway, cli, tmp_path, gateway):
    policy = gateway.policy_file(DENY_ALL)
    raw, _, log = start(raw_gateway, tmp_path, "--policy-file", str(policy))
    refused = raw.request("tools/call", {"name": "echo", "arguments": {}, "task": {"ttl": 60000}})
    assert refused["result"]["isError"] is True
    for method in ("tasks/result", "tasks/get", "tasks/cancel"):
        response = raw.request(method, {"taskId": "t1"})
        assert response["error"]["code"] == -32602, response
    assert raw.request("tasks/list")["result"]["tasks"] == []
    raw.close_stdin()
    assert raw.wait() == 0
    forwarded = [json.loads(line)["method"] for line in log.read_text().splitlines()]
    assert "tools/call" not in forwarded and "tasks/result" not in forwarded


def test_tasks_off_strips_task_support_so_the_upstream_answers_plainly(raw_gateway, cli, tmp_path, gateway):
    policy = gateway.policy_file(TASKS_OFF)
    raw, initialized, log = start(raw_gateway, tmp_path, "--policy-file", str(policy))
    assert "tasks" not in initialized["result"]["capabilities"]
    tools = raw.request("tools/list")["result"]["tools"]
    assert tools and all("taskSupport" not in tool.get("execution", {}) for tool in tools)
    answer = raw.request("tools/call", {"name": "echo", "arguments": {}, "task": {"ttl": 60000}})
    assert answer["result"]["content"][0]["text"] == "plain answer"
    assert raw.request("tasks/get", {"taskId": "t1"})["error"]["code"] == -32601
    raw.close_stdin()
    assert raw.wait() == 0
    calls = [json.loads(line) for line in log.read_text().splitlines() if '"tools/call"' in line]
    assert calls and all("task" not in call["params"] for call in calls)


def test_a_tasks_span_ends_with_its_result(raw_gateway, tmp_path):
    """The call's span stays open while its task runs and ends with the (redacted) result of tasks/result."""
    from otlp_receiver import OtlpReceiver

    with OtlpReceiver() as receiver:
        env = {**os.environ, "RAW_UPSTREAM_TASKS": "1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
        raw = raw_gateway(
            UPSTREAM, "--env", "RAW_UPSTREAM_TASKS", "--otel-endpoint", receiver.endpoint, "--otel-include-content", env=env
        )
        raw.initialize()
        created = raw.request("tools/call", {"name": "echo", "arguments": {}, "task": {"ttl": 60000}})
        assert created["result"]["task"]["taskId"] == "t1"
        raw.request("tasks/result", {"taskId": "t1"})
        raw.close_stdin()
        assert raw.wait() == 0
        spans = receiver.wait_for(lambda spans: any(s.name == "tools/call echo" and s.kind == "server" for s in spans))
    [call] = [s for s in spans if s.name == "tools/call echo" and s.kind == "server"]
    result = call.attributes.get("gen_ai.tool.call.result", "")
    assert "the deploy token is" in result and TOKEN not in result, call.attributes
