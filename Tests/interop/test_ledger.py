"""What a session leaves in the database: tool calls with their decisions, spend, and a hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import anyio
import rfc8785

from conftest import ApprovalWatcher, gateway_session, rk_request, run_test, text_of

POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: ledger-test}
spec:
  toolAllowlist: [get_current_time, convert_time]
  approvalRules:
    - tool: convert_time
      description: conversions need a person
"""

GENESIS = "0" * 64


def test_session_is_recorded_with_decisions_and_a_hash_chain(gateway, cli, time_server):
    policy = gateway.policy_file(POLICY)
    watcher = ApprovalWatcher()
    options = ["--policy-file", str(policy), "--run-name", "ledger-interop", "--metadata", "suite=interop"]

    async def body():
        async with gateway_session(gateway, [time_server], *options, watcher=watcher) as session:
            allowed = await session.call_tool("get_current_time", {"timezone": "UTC"})
            refused = await session.call_tool("delete_everything", {})
            spend = await rk_request(
                session,
                "riskkernel/recordModelCall",
                {"provider": "anthropic", "model": "claude-3-5-haiku", "promptTokens": 1000, "completionTokens": 500},
            )
            result: dict[str, Any] = {}

            async def held() -> None:
                result["approved"] = await session.call_tool(
                    "convert_time", {"source_timezone": "UTC", "time": "06:00", "target_timezone": "Asia/Kolkata"}
                )

            async with anyio.create_task_group() as group:
                group.start_soon(held)
                notice = await watcher.next_for("convert_time")
                await cli.run_async("approvals", "approve", notice["approvalId"], "--by", "ledger-reviewer")
            return allowed, refused, spend, result["approved"], notice

    allowed, refused, spend, approved, notice = run_test(body)
    assert not allowed.is_error
    assert refused.is_error and "not on the allowlist" in text_of(refused)
    assert spend["halted"] is False
    assert not approved.is_error, text_of(approved)
    assert json.loads(text_of(approved))["target"]["datetime"][11:16] == "11:30"

    [summary] = cli.runs()
    assert summary["name"] == "ledger-interop"
    assert summary["metadata"] == {"suite": "interop"}
    assert summary["status"] == "completed"
    run = cli.json("runs", "show", summary["id"])
    assert run["policy"].endswith("#ledger-test")

    calls = {call["tool"]: call for call in run["toolCalls"]}
    assert set(calls) == {"get_current_time", "delete_everything", "convert_time"}
    assert (calls["get_current_time"]["decision"], calls["get_current_time"]["status"]) == ("allow", "succeeded")
    assert (calls["delete_everything"]["decision"], calls["delete_everything"]["status"]) == ("deny", "refused")
    assert (calls["convert_time"]["decision"], calls["convert_time"]["status"]) == ("approval", "succeeded")
    assert calls["convert_time"]["approvalId"] == notice["approvalId"]
    assert calls["get_current_time"]["arguments"] == {"timezone": "UTC"}
    assert calls["get_current_time"]["resultDigest"]
    assert calls["get_current_time"]["isError"] is False
    assert "not on the allowlist" in calls["delete_everything"]["reason"]
    assert calls["delete_everything"]["rule"] == "allowlist"

    model_entries = [entry for entry in run["ledger"] if entry["model"] == "claude-3-5-haiku"]
    assert len(model_entries) == 1
    entry = model_entries[0]
    assert (entry["provider"], entry["promptTokens"], entry["completionTokens"], entry["priced"]) == (
        "anthropic", 1000, 500, True)
    assert entry["dollars"] == "0.002800"
    assert run["usage"]["totalTokens"] == 1500 and run["usage"]["modelCalls"] == 1

    usage = cli.json("usage", "--by", "model")
    assert usage["by"] == "model"
    [group] = [g for g in usage["groups"] if "claude-3-5-haiku" in g["key"]]
    assert (group["calls"], group["promptTokens"], group["completionTokens"]) == (1, 1000, 500)
    assert group["dollars"] == "0.002800"

    # The audit trail: a hash chain from the genesis hash, each link hashing the one before.
    events = cli.audit(summary["id"])
    assert len(events) >= 5
    assert events[0]["kind"] == "run.started"
    assert events[0]["previousHash"] == GENESIS
    for previous, event in zip(events, events[1:]):
        assert event["previousHash"] == previous["hash"], f"chain broken at sequence {event['sequence']}"
        assert event["sequence"] == previous["sequence"] + 1
    for event in events:
        assert event["runId"] == summary["id"]
        body = {key: value for key, value in event.items() if key not in ("previousHash", "hash")}
        # RFC 8785, the rule the event names (Protocol/canonical-json.md).
        assert body["canon"] == "rfc8785"
        digest = hashlib.sha256(event["previousHash"].encode() + b"\n" + rfc8785.dumps(body)).hexdigest()
        assert digest == event["hash"], f"event {event['sequence']} ({event['kind']}) does not hash to its hash"
    assert events[-1]["kind"] == "run.status" and events[-1]["data"]["status"] == "completed"
    assert [event["kind"] for event in events] == [
        "run.started",
        "tools.pinned",  # the first sight of the server pins its tools, before the first call is decided
        "tool.decided", "tool.completed",  # get_current_time
        "tool.decided",  # delete_everything, refused
        "model.recorded", "checkpoint.created",  # the step's automatic checkpoint
        "tool.decided", "approval.requested", "approval.decided", "approval.consumed", "tool.completed",  # convert_time
        "run.status",
    ]
    decisions = [event["data"]["decision"] for event in events if event["kind"] == "tool.decided"]
    assert decisions == ["allow", "deny", "approval"]
    decided = next(event for event in events if event["kind"] == "approval.decided")
    assert decided["data"]["decidedBy"] == "ledger-reviewer" and decided["data"]["status"] == "approved"
