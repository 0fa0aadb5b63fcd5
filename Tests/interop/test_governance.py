"""Policies at work between a real client and real servers: allowlists, approvals, timeouts, budgets."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio

from conftest import ApprovalWatcher, gateway_session, rk_request, run_test, text_of

GIT_POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: git}
spec:
  toolAllowlist: [git_status, git_add, git_commit, git_log]
  approvalRules:
    - tool: git_commit
      description: a person reviews every commit
  sideEffects:
    git_status: read
    git_log: read
    git_add: vcs.write
    git_commit: vcs.write
"""

TIME_ONLY_CONVERT = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: convert-only}
spec:
  toolAllowlist: [convert_time]
"""

TIME_HELD = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: time-held}
spec:
  approvalRules:
    - tool: get_current_time
"""

CONVERT = {"source_timezone": "UTC", "time": "08:00", "target_timezone": "Europe/Berlin"}


def test_allowlist_refuses_unlisted_tool_and_filters_tools_list(gateway, cli, time_server):
    policy = gateway.policy_file(TIME_ONLY_CONVERT)

    async def body():
        async with gateway_session(gateway, [time_server], "--policy-file", str(policy)) as session:
            tools = await session.list_tools()
            refused = await session.call_tool("get_current_time", {"timezone": "UTC"})
            allowed = await session.call_tool("convert_time", CONVERT)
            return tools, refused, allowed

    tools, refused, allowed = run_test(body)

    assert [tool.name for tool in tools.tools] == ["convert_time"]

    assert refused.is_error is True
    text = text_of(refused)
    assert 'RiskKernel refused the call to tool "get_current_time"' in text
    assert "not on the allowlist" in text

    assert not allowed.is_error
    assert json.loads(text_of(allowed))["target"]["timezone"] == "Europe/Berlin"

    calls = {call["tool"]: call for call in cli.only_run()["toolCalls"]}
    assert calls["get_current_time"]["decision"] == "deny"
    assert calls["get_current_time"]["status"] == "refused"
    assert calls["convert_time"]["decision"] == "allow"
    assert calls["convert_time"]["status"] == "succeeded"


def commit_task(session, repo, message: str):
    """A git_commit to start in a task group, and the dict that gets its result ("result") and end time ("at")."""
    finished: dict[str, Any] = {}

    async def commit() -> None:
        finished["result"] = await session.call_tool("git_commit", {"repo_path": str(repo.path), "message": message})
        finished["at"] = time.monotonic()

    return commit, finished


def test_commit_happens_only_after_approval_from_another_process(gateway, cli, git_server, git_repo):
    policy = gateway.policy_file(GIT_POLICY)
    upstream = [git_server, "--repository", git_repo.path]
    repo_arg = {"repo_path": str(git_repo.path)}
    watcher = ApprovalWatcher()
    assert git_repo.commit_count() == 1

    async def body():
        async with gateway_session(gateway, upstream, "--policy-file", str(policy), watcher=watcher) as session:
            staged = await session.call_tool("git_add", {**repo_arg, "files": ["notes.txt"]})
            assert not staged.is_error, text_of(staged)

            commit, finished = commit_task(session, git_repo, "Add notes")
            async with anyio.create_task_group() as group:
                group.start_soon(commit)
                notice = await watcher.next_for("git_commit")

                # Pending: listed for people, not committed, and other calls still flow.
                pending = await cli.json_async("approvals", "list", "--status", "pending")
                assert [p["id"] for p in pending] == [notice["approvalId"]]
                assert pending[0]["tool"] == "git_commit"
                assert pending[0]["arguments"]["message"] == "Add notes"
                status = await session.call_tool("git_status", repo_arg)
                assert not status.is_error
                assert "new file:   notes.txt" in text_of(status)
                assert "result" not in finished, "git_commit returned before anyone approved it"
                assert git_repo.commit_count() == 1, "a commit was made while the approval was pending"

                approved_at = time.monotonic()
                await cli.run_async("approvals", "approve", notice["approvalId"], "--by", "interop-reviewer")
            return notice, status, finished, approved_at

    notice, status, finished, approved_at = run_test(body)

    assert notice["rule"]
    assert notice["approvalId"] in notice["approveCommand"] and "approve" in notice["approveCommand"]
    assert notice["approvalId"] in notice["denyCommand"] and "deny" in notice["denyCommand"]
    assert str(cli.db) in notice["approveCommand"]

    result = finished["result"]
    assert not result.is_error, text_of(result)
    assert "Changes committed" in text_of(result)
    assert finished["at"] >= approved_at
    assert git_repo.commit_count() == 2
    assert git_repo.subjects()[0] == "Add notes"
    assert "notes.txt" in git_repo.run("show", "--name-only", "--format=", "HEAD")

    assert cli.pending_approvals() == []
    [decided] = cli.json("approvals", "list")
    assert decided["status"] == "approved" and decided["decidedBy"] == "interop-reviewer"
    commit_call = next(c for c in cli.only_run()["toolCalls"] if c["tool"] == "git_commit")
    assert commit_call["decision"] == "approval" and commit_call["status"] == "succeeded"
    assert commit_call["approvalId"] == notice["approvalId"]


def test_denied_commit_leaves_no_commit(gateway, cli, git_server, git_repo):
    policy = gateway.policy_file(GIT_POLICY)
    upstream = [git_server, "--repository", git_repo.path]
    repo_arg = {"repo_path": str(git_repo.path)}
    watcher = ApprovalWatcher()

    async def body():
        async with gateway_session(gateway, upstream, "--policy-file", str(policy), watcher=watcher) as session:
            staged = await session.call_tool("git_add", {**repo_arg, "files": ["notes.txt"]})
            assert not staged.is_error, text_of(staged)
            commit, finished = commit_task(session, git_repo, "Sneaky commit")
            async with anyio.create_task_group() as group:
                group.start_soon(commit)
                notice = await watcher.next_for("git_commit")
                log = await session.call_tool("git_log", repo_arg)
                assert not log.is_error and "initial commit" in text_of(log)
                assert "result" not in finished
                await cli.run_async(
                    "approvals", "deny", notice["approvalId"], "--by", "interop-reviewer", "--reason", "not today"
                )
            return finished

    finished = run_test(body)

    result = finished["result"]
    assert result.is_error is True
    text = text_of(result)
    assert 'refused the call to tool "git_commit"' in text
    assert "denied by interop-reviewer: not today" in text
    assert git_repo.commit_count() == 1
    assert git_repo.subjects() == ["initial commit"]
    assert "A  notes.txt" in git_repo.run("status", "--porcelain")  # still staged, never committed

    [decided] = cli.json("approvals", "list")
    assert decided["status"] == "denied" and decided["reason"] == "not today"
    commit_call = next(c for c in cli.only_run()["toolCalls"] if c["tool"] == "git_commit")
    assert commit_call["status"] == "refused"


def test_undecided_approval_expires(gateway, cli, time_server):
    policy = gateway.policy_file(TIME_HELD)
    watcher = ApprovalWatcher()

    async def body():
        async with gateway_session(
            gateway, [time_server], "--policy-file", str(policy), "--approval-timeout", "1", watcher=watcher
        ) as session:
            started = time.monotonic()
            result = await session.call_tool("get_current_time", {"timezone": "UTC"})
            waited = time.monotonic() - started
            unaffected = await session.call_tool("convert_time", CONVERT)
            return result, waited, unaffected

    result, waited, unaffected = run_test(body)

    assert result.is_error is True
    assert 'refused the call to tool "get_current_time"' in text_of(result)
    assert "expired" in text_of(result)
    assert 0.9 <= waited < 10, waited
    assert len(watcher.notices) == 1
    assert not unaffected.is_error

    [approval] = cli.json("approvals", "list")
    assert approval["status"] == "expired"
    assert cli.pending_approvals() == []


def test_budget_halts_the_run_after_a_reported_model_call(gateway, cli, time_server):
    async def body():
        async with gateway_session(gateway, [time_server], "--budget-tokens", "1000") as session:
            before = await session.call_tool("get_current_time", {"timezone": "UTC"})
            spend = await rk_request(
                session,
                "riskkernel/recordModelCall",
                {"provider": "anthropic", "model": "claude-3-5-haiku", "promptTokens": 1000, "completionTokens": 500,
                 "responseId": "msg_interop_1"},
            )
            after = await session.call_tool("get_current_time", {"timezone": "UTC"})
            status = await rk_request(session, "riskkernel/status")
            return before, spend, after, status

    before, spend, after, status = run_test(body)

    assert not before.is_error
    assert spend["halted"] is True
    assert spend["priced"] is True
    assert spend["haltReason"]
    assert spend["usage"]["totalTokens"] == 1500
    assert spend["budget"]["tokens"] == 1000
    assert spend["dollars"] == "0.002800"  # 1000 x $0.80/M + 500 x $4/M
    assert spend["usage"]["dollars"] == "0.002800" and spend["budget"]["dollars"] is None
    assert spend["step"] == 1

    assert after.is_error is True
    assert 'refused the call to tool "get_current_time"' in text_of(after)
    assert "halted" in text_of(after)

    assert status["halted"] is True and status["status"] == "halted"

    run = cli.only_run()
    assert run["status"] == "halted"
    assert [entry["responseId"] for entry in run["ledger"] if entry["kind"] != "tool"] == ["msg_interop_1"]


def test_extension_methods_through_the_sdk(gateway, time_server):
    from mcp.shared.exceptions import MCPError

    async def body():
        async with gateway_session(gateway, [time_server], "--run-name", "ext") as session:
            put = await rk_request(session, "riskkernel/facts/put", {"namespace": "interop", "key": "k", "value": {"n": 1}})
            got = await rk_request(session, "riskkernel/facts/get", {"namespace": "interop", "key": "k"})
            listed = await rk_request(session, "riskkernel/facts/list", {"namespace": "interop"})
            checkpoint = await rk_request(session, "riskkernel/checkpoint", {"name": "one", "payload": [1, 2]})
            latest = await rk_request(session, "riskkernel/latestCheckpoint")
            try:
                await rk_request(session, "riskkernel/noSuchMethod", {})
                unknown = None
            except MCPError as error:
                unknown = error
            status = await rk_request(session, "riskkernel/status")
            return put, got, listed, checkpoint, latest, unknown, status

    put, got, listed, checkpoint, latest, unknown, status = run_test(body)
    assert put["value"] == got["value"] == {"n": 1}
    assert [fact["key"] for fact in listed["facts"]] == ["k"]
    assert checkpoint["name"] == latest["name"] == "one" and latest["payload"] == [1, 2]
    assert unknown is not None and unknown.error.code == -32601
    assert status["runName"] == "ext" and status["status"] == "running"
