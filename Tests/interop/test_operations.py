"""Per-tool rate limits and priced tools, with the official MCP Python SDK as the client."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import gateway_session, run_test, text_of

SERVER = Path(__file__).resolve().parent / "servers" / "changing_server.py"


def test_the_fourth_call_in_a_minute_over_a_limit_of_three_is_refused(gateway, cli, tmp_path):
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps({"search_web": "Searches.", "read_file": "Reads."}))
    policy = gateway.policy_file(
        "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: limited}\n"
        "spec:\n  rateLimits:\n    - {tool: \"search_*\", calls: 3, per: 1m}\n"
    )

    async def body() -> None:
        async with gateway_session(gateway, [sys.executable, SERVER, tools_file], "--policy-file", str(policy)) as session:
            for _ in range(3):
                assert not (await session.call_tool("search_web", {})).is_error
            refused = await session.call_tool("search_web", {})
            assert refused.is_error
            text = text_of(refused)
            assert "rate limit" in text and "search_web" in text and "retry in" in text and "seconds" in text
            # Other tools are not limited.
            assert not (await session.call_tool("read_file", {})).is_error

    run_test(body)
    calls = cli.only_run()["toolCalls"]
    refusals = [call for call in calls if call["decision"] == "deny"]
    assert len(refusals) == 1 and refusals[0]["rule"] == "rateLimit"


def test_tool_prices_show_in_usage_by_tool_and_a_dollar_budget_halts_on_tool_spend_alone(gateway, cli, tmp_path):
    tools_file = tmp_path / "tools.json"
    tools_file.write_text(json.dumps({"search_web": "Searches.", "read_file": "Reads."}))
    policy = gateway.policy_file(
        "apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: priced}\n"
        "spec:\n  budget: {dollars: \"0.25\"}\n  toolPrices:\n    \"search_*\": 0.10\n"
    )

    async def body() -> None:
        async with gateway_session(gateway, [sys.executable, SERVER, tools_file], "--policy-file", str(policy)) as session:
            assert not (await session.call_tool("read_file", {})).is_error
            for _ in range(3):
                assert not (await session.call_tool("search_web", {})).is_error
            # $0.30 spent on tools against a $0.25 budget: the run is halted.
            halted = await session.call_tool("read_file", {})
            assert halted.is_error and "halted" in text_of(halted)

    run_test(body)
    usage = cli.json("usage", "--by", "tool")
    assert usage["by"] == "tool"
    groups = {group["key"]: group for group in usage["groups"]}
    # Money is a decimal string with six decimals, never a floating-point number.
    assert groups["search_web"]["calls"] == 3 and groups["search_web"]["dollars"] == "0.300000"
    assert groups["read_file"]["calls"] == 1 and groups["read_file"]["dollars"] == "0.000000"
    assert set(usage["groups"][0]) == {"key", "calls", "promptTokens", "completionTokens", "dollars"}
    run = cli.only_run()
    assert run["status"] == "halted"
    assert run["spend"]["tools"] == "0.300000" and run["spend"]["models"] == "0.000000"
