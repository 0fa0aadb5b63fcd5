"""Held calls through agent frameworks with their defaults: the OpenAI Agents SDK's MCPServerStdio
(a 5 s client session timeout) and pydantic-ai's MCPToolset (an agent whose FunctionModel repeats the
call after a pending result). Each gets a pending result before it gives up, and the retry after a person's
approval runs the call exactly once."""

from __future__ import annotations

import subprocess

from conftest import run_test
from counting import ARGS, executions, upstream
HELD = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: held-messages}
spec:
  approvalRules:
    - tool: send_message
  approvals: {hold: 3s}
"""


def approve_pending(cli) -> str:
    [pending] = cli.pending_approvals()
    subprocess.run([str(cli.binary), "approvals", "approve", pending["id"], "--by", "reviewer", "--db", str(cli.db)], check=True,
                   capture_output=True, timeout=20)
    return pending["id"]


def test_openai_agents_sdk_mcp_server_stdio_with_its_defaults(gateway, cli, tmp_path):
    from agents.mcp import MCPServerStdio

    command, ledger = upstream(tmp_path)
    policy = gateway.policy_file(HELD)
    argv = gateway.argv(command, "--policy-file", str(policy))

    async def body():
        async with MCPServerStdio(params={"command": argv[0], "args": argv[1:]}) as server:  # default 5 s timeout
            first = await server.call_tool("send_message", ARGS)
            approval_id = approve_pending(cli)
            second = await server.call_tool("send_message", ARGS)
            return first, approval_id, second

    first, approval_id, second = run_test(body)

    assert first.is_error and first.meta["riskkernel.dev/approval"]["id"] == approval_id
    assert not second.is_error and second.content[0].text == "sent to ops@example.com"
    assert len(executions(ledger)) == 1


def test_pydantic_ai_agent_repeats_the_call_after_a_pending_result(gateway, cli, tmp_path):
    from fastmcp.client import Client
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai import Agent
    from pydantic_ai.mcp import MCPToolset
    from pydantic_ai.messages import ModelResponse, RetryPromptPart, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    command, ledger = upstream(tmp_path)
    policy = gateway.policy_file(HELD)
    argv = gateway.argv(command, "--policy-file", str(policy))
    seen: list[str] = []

    def model(messages, info: AgentInfo) -> ModelResponse:
        answers = [
            part for message in messages for part in getattr(message, "parts", [])
            if isinstance(part, (ToolReturnPart, RetryPromptPart)) and part.tool_name == "send_message"
        ]
        if answers:
            text = answers[-1].model_response() if isinstance(answers[-1], RetryPromptPart) else str(answers[-1].content)
            seen.append(text)
            if "sent to" in text:
                return ModelResponse(parts=[TextPart(text)])
            if "until a person approves it" in text:
                approve_pending(cli)  # the person approves while the agent waits to try again
        return ModelResponse(parts=[ToolCallPart("send_message", ARGS)])

    async def body():
        # The toolset's own defaults (read timeout, retries on a tool error).
        toolset = MCPToolset(Client(StdioTransport(argv[0], argv[1:])))
        agent = Agent(FunctionModel(model), toolsets=[toolset], retries=3)
        async with agent:
            return await agent.run("send the deploy message")

    result = run_test(body, timeout=60)

    assert result.output == "sent to ops@example.com"
    assert any("until a person approves it" in text for text in seen), seen
    assert len(executions(ledger)) == 1
