"""A LangChain agent whose MCP git server runs behind `riskkernel gateway`, with its tools loaded by
langchain-mcp-adapters; its commit is held for approval once. See common.py for the setup and
README.md for how to run it.

    python examples/agents/langchain_agent.py --repository /path/to/repo [--model scripted]
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_mcp_adapters.client import MultiServerMCPClient

from common import TASK, ScriptedPlan, parse


class ScriptedChatModel(BaseChatModel):
    """A chat model that follows the scripted plan instead of asking a provider."""

    plan: Any
    count: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedChatModel":
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        results = [(message.name or "?", str(message.content if isinstance(message.content, str) else message.text))
                   for message in messages if isinstance(message, ToolMessage)]
        step = self.plan.next_call(results)
        self.count += 1
        if isinstance(step, str):
            message = AIMessage(content=step)
        else:
            message = AIMessage(content="", tool_calls=[{"name": step[0], "args": step[1], "id": f"call_{self.count}"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


async def main() -> None:
    setup = parse("langchain-example", __doc__)
    client = MultiServerMCPClient({"git": {"transport": "stdio", "command": setup.gateway[0], "args": setup.gateway[1:]}})
    # One session for the whole run: every call goes through one gateway, so one run in the ledger.
    async with client.session("git") as session:
        from langchain_mcp_adapters.tools import load_mcp_tools

        tools = await load_mcp_tools(session)
        for tool in tools:
            tool.handle_tool_error = True  # a refused or pending call goes back to the model as text
        model = ScriptedChatModel(plan=ScriptedPlan(setup.repository)) if setup.model == "scripted" else setup.model
        agent = create_agent(model, tools)
        state = await agent.ainvoke({"messages": [{"role": "user", "content": TASK}]}, {"recursion_limit": 80})
    print(f"[agent] {state['messages'][-1].content}")


if __name__ == "__main__":
    asyncio.run(main())
