"""With no policy in the way, the gateway is invisible: the same tools and results as the server itself."""

from __future__ import annotations

import json
from typing import Any

from conftest import direct_session, gateway_session, run_test, text_of


def dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def time_shape(result: Any) -> dict[str, Any]:
    """A get_current_time / convert_time result with the clock readings reduced to their kind."""
    data = dump(result)

    def scrub(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: scrub(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if key in ("datetime", "day_of_week", "is_dst", "time_difference") and value is not None:
            return f"<{type(value).__name__}>"
        return value

    for block in data.get("content", []):
        if block.get("type") == "text":
            block["text"] = scrub(json.loads(block["text"]))
    return scrub(data)


def test_time_server_tools_and_results_match_a_direct_connection(gateway, time_server):
    async def body():
        async with direct_session(gateway, [time_server]) as direct:
            direct_tools = await direct.list_tools()
            direct_now = await direct.call_tool("get_current_time", {"timezone": "UTC"})
            direct_converted = await direct.call_tool(
                "convert_time", {"source_timezone": "UTC", "time": "12:30", "target_timezone": "Asia/Tokyo"}
            )
        async with gateway_session(gateway, [time_server]) as governed:
            governed_tools = await governed.list_tools()
            governed_now = await governed.call_tool("get_current_time", {"timezone": "UTC"})
            governed_converted = await governed.call_tool(
                "convert_time", {"source_timezone": "UTC", "time": "12:30", "target_timezone": "Asia/Tokyo"}
            )
        return direct_tools, direct_now, direct_converted, governed_tools, governed_now, governed_converted

    direct_tools, direct_now, direct_converted, governed_tools, governed_now, governed_converted = run_test(body)

    # No allowlist: tools/list passes through untouched, definitions and all.
    assert [t.name for t in governed_tools.tools] == ["get_current_time", "convert_time"]
    assert dump(governed_tools) == dump(direct_tools)

    # The same result structure; only the clock readings may differ.
    assert not governed_now.is_error
    assert time_shape(governed_now) == time_shape(direct_now)
    assert json.loads(text_of(governed_now))["timezone"] == "UTC"
    assert governed_now.structured_content is not None and governed_now.structured_content["timezone"] == "UTC"

    # A conversion of a fixed time is the same up to the date.
    assert time_shape(governed_converted) == time_shape(direct_converted)
    source = json.loads(text_of(governed_converted))
    assert source["source"]["datetime"][11:16] == "12:30"
    assert source["target"]["datetime"][11:16] == "21:30"
    assert source["time_difference"] == json.loads(text_of(direct_converted))["time_difference"] == "+9.0h"


def test_git_server_tools_and_results_match_a_direct_connection(gateway, git_server, git_repo):
    upstream = [git_server, "--repository", git_repo.path]
    arguments = {"repo_path": str(git_repo.path)}

    async def body():
        async with direct_session(gateway, upstream) as direct:
            direct_tools = await direct.list_tools()
            direct_status = await direct.call_tool("git_status", arguments)
            direct_log = await direct.call_tool("git_log", arguments)
        async with gateway_session(gateway, upstream) as governed:
            governed_tools = await governed.list_tools()
            governed_status = await governed.call_tool("git_status", arguments)
            governed_log = await governed.call_tool("git_log", arguments)
        return direct_tools, direct_status, direct_log, governed_tools, governed_status, governed_log

    direct_tools, direct_status, direct_log, governed_tools, governed_status, governed_log = run_test(body)

    names = [t.name for t in governed_tools.tools]
    assert names == [t.name for t in direct_tools.tools]
    assert {"git_status", "git_add", "git_commit", "git_log"} <= set(names)
    assert dump(governed_tools) == dump(direct_tools)

    assert not governed_status.is_error
    assert text_of(governed_status) == text_of(direct_status)
    assert "notes.txt" in text_of(governed_status)  # the untracked file the fixture left
    assert dump(governed_status) == dump(direct_status)

    assert text_of(governed_log) == text_of(direct_log)
    assert "initial commit" in text_of(governed_log)
