"""An OpenAI Agents SDK agent whose MCP git server runs behind `riskkernel gateway`; its commit is
held for approval once. See common.py for the setup and README.md for how to run it.

    python examples/agents/openai_agents_sdk_agent.py --repository /path/to/repo [--model scripted]

The SDK's MCPServerStdio gives up on a tool call after 5 s (client_session_timeout_seconds), so
the gateway answers a held call after 3 s (--approval-hold).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, Runner
from agents.items import ModelResponse
from agents.mcp import MCPServerStdio
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from common import TASK, ScriptedPlan, parse


class ScriptedModel(Model):
    """A Model of the Agents SDK that follows the scripted plan instead of asking a provider."""

    def __init__(self, plan: ScriptedPlan) -> None:
        self.plan = plan
        self.count = 0

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, *, previous_response_id=None, conversation_id=None, prompt=None) -> ModelResponse:
        names: dict[str, str] = {}
        results: list[tuple[str, str]] = []
        for item in input if isinstance(input, list) else []:
            item = item if isinstance(item, dict) else item.model_dump()
            if item.get("type") == "function_call":
                names[item["call_id"]] = item["name"]
            elif item.get("type") == "function_call_output":
                output = item["output"]
                results.append((names.get(item["call_id"], "?"), output if isinstance(output, str) else json.dumps(output)))
        step = self.plan.next_call(results)
        self.count += 1
        if isinstance(step, str):
            output: Any = ResponseOutputMessage(
                id=f"msg_{self.count}", type="message", role="assistant", status="completed",
                content=[ResponseOutputText(type="output_text", text=step, annotations=[])])
        else:
            output = ResponseFunctionToolCall(
                id=f"fc_{self.count}", call_id=f"call_{self.count}", type="function_call",
                name=step[0], arguments=json.dumps(step[1]), status="completed")
        return ModelResponse(output=[output], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the scripted model does not stream")


async def main() -> None:
    setup = parse("openai-agents-example", __doc__)
    async with MCPServerStdio(params={"command": setup.gateway[0], "args": setup.gateway[1:]}, name="git") as server:
        model = ScriptedModel(ScriptedPlan(setup.repository)) if setup.model == "scripted" else setup.model
        agent = Agent(name="committer", instructions="Use the git tools.", mcp_servers=[server], model=model)
        result = await Runner.run(agent, TASK, max_turns=40)
    print(f"[agent] {result.final_output}")


if __name__ == "__main__":
    asyncio.run(main())
