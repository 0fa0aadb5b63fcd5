"""A pydantic-ai agent whose MCP git server runs behind `riskkernel gateway`; its commit is held
for approval once. See common.py for the setup and README.md for how to run it.

    python examples/agents/pydantic_ai_agent.py --repository /path/to/repo [--model scripted]
"""

from __future__ import annotations

import asyncio

from fastmcp.client import Client
from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import ModelResponse, RetryPromptPart, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from common import TASK, ScriptedPlan, parse


def scripted_model(plan: ScriptedPlan) -> FunctionModel:
    def respond(messages, info: AgentInfo) -> ModelResponse:
        results = []
        for message in messages:
            for part in getattr(message, "parts", []):
                if isinstance(part, ToolReturnPart):
                    results.append((part.tool_name, str(part.content)))
                elif isinstance(part, RetryPromptPart) and part.tool_name:
                    results.append((part.tool_name, part.model_response()))
        step = plan.next_call(results)
        if isinstance(step, str):
            return ModelResponse(parts=[TextPart(step)])
        return ModelResponse(parts=[ToolCallPart(step[0], step[1])])

    return FunctionModel(respond)


async def main() -> None:
    setup = parse("pydantic-ai-example", __doc__)
    toolset = MCPToolset(Client(StdioTransport(setup.gateway[0], setup.gateway[1:])))
    model = scripted_model(ScriptedPlan(setup.repository)) if setup.model == "scripted" else setup.model
    # retries: a pending result is a tool error, and the agent may call the tool again.
    agent = Agent(model, toolsets=[toolset], retries=30)
    async with agent:
        result = await agent.run(TASK)
    print(f"[agent] {result.output}")


if __name__ == "__main__":
    asyncio.run(main())
