"""The in-band, opt-in approval path: `spec.approvals.askClient: true` asks the client application
through MCP elicitation (the Python SDK's elicitation callback), and its answer decides the approval
as `client:<clientInfo.name>`. Off by default; an out-of-band decision made first wins."""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as types

from conftest import gateway_session, run_test, text_of
from counting import ARGS, HELD, executions, upstream

ASK_CLIENT = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: ask-the-client}
spec:
  approvalRules:
    - tool: send_message
  approvals: {askClient: true}
"""

CLIENT = types.Implementation(name="desk-app", version="1.0")


class Asker:
    """An elicitation callback that answers as scripted and keeps what it was asked."""

    def __init__(self, answer: dict[str, Any] | None, action: str = "accept", wait: anyio.Event | None = None) -> None:
        self.answer, self.action, self.wait = answer, action, wait
        self.asked: list[types.ElicitRequestParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        if self.wait is not None:
            await self.wait.wait()
        return types.ElicitResult(action=self.action, content=self.answer)


def call_asked(gateway, tmp_path, asker):
    """One held call through a gateway that asks the client (askClient: true)."""
    command, ledger = upstream(tmp_path)

    async def body():
        async with gateway_session(
            gateway, command, "--policy-file", str(gateway.policy_file(ASK_CLIENT)), elicitation_callback=asker, client_info=CLIENT
        ) as session:
            return await session.call_tool("send_message", ARGS, read_timeout_seconds=20)

    return run_test(body), ledger


def test_the_clients_answer_approves_the_held_call(gateway, cli, tmp_path):
    asker = Asker({"decision": "approve", "reason": "expected deploy"})
    result, ledger = call_asked(gateway, tmp_path, asker)
    assert not result.is_error, text_of(result)
    assert text_of(result) == "sent to ops@example.com"
    assert len(asker.asked) == 1
    question = asker.asked[0]
    assert "send_message" in question.message and "ops@example.com" in question.message
    assert question.requested_schema["properties"]["decision"]["enum"] == ["approve", "deny"]
    approval = cli.json("approvals", "list")[0]
    assert approval["status"] == "approved" and approval["decidedBy"] == "client:desk-app"
    assert approval["reason"] == "expected deploy"
    assert len(executions(ledger)) == 1


def test_the_clients_denial_refuses_with_its_reason(gateway, cli, tmp_path):
    result, ledger = call_asked(gateway, tmp_path, Asker({"decision": "deny", "reason": "wrong recipient"}))
    assert result.is_error and "denied by client:desk-app: wrong recipient" in text_of(result)
    assert executions(ledger) == []


def test_an_out_of_band_decision_first_wins_and_the_question_is_withdrawn(gateway, cli, tmp_path):
    command, ledger = upstream(tmp_path)
    release = anyio.Event()
    asker = Asker({"decision": "deny", "reason": "too late"}, wait=release)

    async def body():
        async with gateway_session(
            gateway, command, "--policy-file", str(gateway.policy_file(ASK_CLIENT)), elicitation_callback=asker, client_info=CLIENT
        ) as session:
            async with anyio.create_task_group() as group:
                results = []

                async def call():
                    results.append(await session.call_tool("send_message", ARGS, read_timeout_seconds=20))

                group.start_soon(call)
                with anyio.fail_after(10):
                    while not asker.asked:
                        await anyio.sleep(0.05)
                    pending = cli.pending_approvals()
                await cli.run_async("approvals", "approve", pending[0]["id"], "--by", "reviewer")
                with anyio.fail_after(10):
                    while not results:
                        await anyio.sleep(0.05)
                release.set()
            await anyio.sleep(0.5)
            return results[0]

    result = run_test(body)
    assert text_of(result) == "sent to ops@example.com"
    approval = cli.json("approvals", "list")[0]
    assert approval["decidedBy"] == "reviewer", "the client's later answer overrode the person's decision"
    assert len(executions(ledger)) == 1


def test_without_ask_client_the_client_is_never_asked(gateway, cli, tmp_path):
    command, ledger = upstream(tmp_path)
    asker = Asker({"decision": "approve"})

    async def body():
        async with gateway_session(
            gateway, command, "--policy-file", str(gateway.policy_file(HELD)), "--approval-hold", "1",
            elicitation_callback=asker, client_info=CLIENT,
        ) as session:
            return await session.call_tool("send_message", ARGS, read_timeout_seconds=20)

    result = run_test(body)
    assert result.is_error and (result.meta or {}).get("riskkernel.dev/approval", {}).get("status") == "pending"
    assert asker.asked == [], "the agent's own channel was asked to approve without the policy's consent"
    assert executions(ledger) == []
