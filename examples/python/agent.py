#!/usr/bin/env python3
"""A small agent that works through the RiskKernel gateway with the official MCP Python SDK.

It starts

    riskkernel gateway --policy-file examples/policies/dev.yaml -- mcp-server-time

as its MCP server (the gateway in turn starts mcp-server-time and governs every tool call),
lists the tools, calls one, and then reports a model call -- here a scripted, fake one -- with
the gateway's `riskkernel/recordModelCall` extension method, printing how much of the budget
the run has used.

Run it from the repository root after `swift build` and `scripts/setup-python-peers`:

    .venv/bin/python examples/python/agent.py --db /tmp/agent-demo.sqlite
    .build/debug/riskkernel runs list --db /tmp/agent-demo.sqlite

How a real agent reports usage
------------------------------
An agent loop alternates between asking a model what to do and running the tools it picks.
The gateway sees the tool calls by itself, but it cannot see the model calls: the agent talks
to its LLM provider directly. So after *every* LLM response, the agent sends one
`riskkernel/recordModelCall` request on the same MCP connection, copying the token counts from
the response's usage block:

    OpenAI (Chat Completions):  provider "openai",  model response.model,
        promptTokens       = usage.prompt_tokens
        completionTokens   = usage.completion_tokens
        cachedPromptTokens = usage.prompt_tokens_details.cached_tokens
        responseId         = response.id
    Anthropic (Messages):       provider "anthropic", model response.model,
        promptTokens       = usage.input_tokens + usage.cache_read_input_tokens
                             + usage.cache_creation_input_tokens
        completionTokens   = usage.output_tokens
        cachedPromptTokens = usage.cache_read_input_tokens
        responseId         = response.id

The gateway prices the call from its price table (`riskkernel prices list`), adds it to the
run's usage, counts one agent step, and answers with {dollars, priced, halted, haltReason?,
usage, budget, step} (amounts are exact decimal strings such as "0.000390"). When `halted` is true the run has reached a budget limit: every further
tool call will be refused, so a well-behaved agent stops its loop there (and may save its
state first with `riskkernel/checkpoint`). The agent cannot raise a budget, approve a call or
change the policy from this connection; those are decided out of band with the `riskkernel`
CLI.

Tool calls that the policy refuses still come back as ordinary tool results, with
`isError: true` and a text saying why ("RiskKernel refused the call to tool ..."), so the model
can read the refusal and choose something else. A call held for a person's approval simply
takes longer; meanwhile the gateway sends a `notifications/message` whose data holds the
approval id and the command that approves it (printed below by `on_log`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from pydantic import TypeAdapter

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parents[2]


class RiskKernelRequest(types.Request[dict[str, Any] | None, str]):
    """A `riskkernel/...` extension request; the gateway answers it itself."""

    method: str
    params: dict[str, Any] | None = None


async def riskkernel(session: ClientSession, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return await session.send_request(RiskKernelRequest(method=method, params=params), TypeAdapter(dict[str, Any]))


# What a real agent would get back from its LLM provider; scripted here so that the example
# runs without an API key.
SCRIPTED_MODEL_RESPONSES = [
    {"provider": "openai", "model": "gpt-4o-mini", "id": "chatcmpl-example-1",
     "usage": {"prompt_tokens": 1200, "completion_tokens": 350, "prompt_tokens_details": {"cached_tokens": 0}}},
]


async def report_model_call(session: ClientSession, response: dict[str, Any]) -> dict[str, Any]:
    """Reports one LLM response's usage (OpenAI field names) to the gateway."""
    usage = response["usage"]
    return await riskkernel(session, "riskkernel/recordModelCall", {
        "provider": response["provider"],
        "model": response["model"],
        "promptTokens": usage["prompt_tokens"],
        "completionTokens": usage["completion_tokens"],
        "cachedPromptTokens": (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
        "responseId": response["id"],
    })


def describe_budget(usage: dict[str, Any], budget: dict[str, Any]) -> str:
    def limit(value: Any, money: bool = False) -> str:
        if value is None:
            return "unlimited"
        # Amounts are exact decimal strings such as "2.000000", never floats.
        return f"${Decimal(value):.2f}" if money else str(value)

    return (f"${usage['dollars']} of {limit(budget.get('dollars'), money=True)}, "
            f"{usage['totalTokens']} tokens of {limit(budget.get('tokens'))}, "
            f"{usage['loops']} steps of {limit(budget.get('loops'))}")


async def on_log(params: types.LoggingMessageNotificationParams) -> None:
    """Prints the gateway's notices, e.g. that a call is waiting for approval and how to approve it."""
    data = params.data
    if isinstance(data, dict) and "approvalId" in data:
        print(f"[gateway] {data['message']}")
    else:
        print(f"[server log] {data}")


def find_executable(name: str, explicit: str | None, candidates: list[Path]) -> str:
    if explicit:
        return explicit
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    sys.exit(f"agent.py: cannot find {name}; pass its path (see --help)")


async def run_agent(args: argparse.Namespace) -> None:
    gateway = find_executable(
        "riskkernel", args.riskkernel or os.environ.get("RISKKERNEL_BIN"), [REPO / ".build" / "debug" / "riskkernel"]
    )
    time_server = find_executable(
        "mcp-server-time", args.time_server,
        [Path(sys.executable).parent / "mcp-server-time", REPO / ".venv" / "bin" / "mcp-server-time"],
    )
    gateway_args = ["gateway", "--policy-file", str(args.policy), "--run-name", "python-example-agent"]
    if args.db:
        gateway_args += ["--db", args.db]
    server = StdioServerParameters(command=gateway, args=[*gateway_args, "--", time_server])
    # The SDK passes only a few safe variables to the server; forward RiskKernel's own settings.
    server.env = {key: value for key, value in os.environ.items() if key.startswith("RISKKERNEL_")}

    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, logging_callback=on_log) as session:
            info = await session.initialize()
            print(f"connected to {info.server_info.name} {info.server_info.version} through the RiskKernel gateway")

            status = await riskkernel(session, "riskkernel/status")
            print(f"run {status['runId']} under policy {status['policy']}")

            tools = await session.list_tools()
            print("tools:", ", ".join(tool.name for tool in tools.tools))

            # Step 1: the "model" asks for the time in Tokyo; the agent runs the tool.
            result = await session.call_tool("get_current_time", {"timezone": "Asia/Tokyo"})
            text = "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))
            if result.is_error:
                print(f"tool refused or failed: {text}")
            else:
                print(f"get_current_time(Asia/Tokyo) -> {json.loads(text)['datetime']}")

            # Step 2: report the model call that decided on that tool.
            for response in SCRIPTED_MODEL_RESPONSES:
                spend = await report_model_call(session, response)
                priced = "" if spend["priced"] else " (model not in the price table: counted as $0)"
                print(f"model call {response['id']}: ${spend['dollars']}{priced}, step {spend['step']}")
                print(f"budget: {describe_budget(spend['usage'], spend['budget'])}")
                if spend["halted"]:
                    print(f"the run is halted: {spend['haltReason']}; stopping the agent loop")
                    break

            final = await riskkernel(session, "riskkernel/status")
            print(f"status: {final['status']}, halted: {final['halted']}, "
                  f"{final['usage']['toolCalls']} tool call(s), {final['usage']['modelCalls']} model call(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="the RiskKernel database (default: $RISKKERNEL_DB, else riskkernel's default)")
    parser.add_argument("--policy", default=REPO / "examples" / "policies" / "dev.yaml", type=Path,
                        help="the policy file (default: examples/policies/dev.yaml)")
    parser.add_argument("--riskkernel", help="the riskkernel binary (default: $RISKKERNEL_BIN, .build/debug, PATH)")
    parser.add_argument("--time-server", help="the mcp-server-time executable (default: next to this Python, .venv, PATH)")
    anyio.run(run_agent, parser.parse_args())


if __name__ == "__main__":
    main()
