"""The gateway under the 2026-07-28 protocol revision, which MCP Python SDK 2.x speaks after `discover()`.

That revision has no `initialize` handshake (so no `notifications/initialized`), stamps every
request's `_meta` with the protocol version, client info and capabilities, and requires
`resultType` in results.
"""

from __future__ import annotations

import json


from conftest import direct_session, gateway_session, rk_request, run_test, text_of

ALLOW_CONVERT_HOLD_WRITES = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: modern}
spec:
  toolAllowlist: [convert_time]
  approvalRules:
    - sideEffect: "write*"
"""

CONVERT = {"source_timezone": "UTC", "time": "08:00", "target_timezone": "America/New_York"}


def test_discover_tools_and_calls_pass_through(gateway, time_server):
    async def body():
        async with direct_session(gateway, [time_server], modern=True) as direct:
            direct_version = direct.protocol_version
            direct_tools = await direct.list_tools()
        async with gateway_session(gateway, [time_server], modern=True) as session:
            version = session.protocol_version
            tools = await session.list_tools()
            result = await session.call_tool("get_current_time", {"timezone": "UTC"})
            status = await rk_request(session, "riskkernel/status")
        return direct_version, direct_tools, version, tools, result, status

    direct_version, direct_tools, version, tools, result, status = run_test(body)
    assert version == direct_version == "2026-07-28"
    assert [t.name for t in tools.tools] == [t.name for t in direct_tools.tools]
    assert not result.is_error
    assert json.loads(text_of(result))["timezone"] == "UTC"
    assert status["status"] == "running"


def test_refusal_is_a_valid_tool_result(gateway, time_server):
    policy = gateway.policy_file(ALLOW_CONVERT_HOLD_WRITES)

    async def body():
        async with gateway_session(gateway, [time_server], "--policy-file", str(policy), modern=True) as session:
            return await session.call_tool("get_current_time", {"timezone": "UTC"})

    result = run_test(body)
    assert result.is_error is True
    assert "not on the allowlist" in text_of(result)


def test_read_only_tool_is_classified_from_annotations_without_a_prior_tools_list(gateway, cli, time_server):
    policy = gateway.policy_file(ALLOW_CONVERT_HOLD_WRITES)

    async def body():
        async with gateway_session(
            gateway, [time_server], "--policy-file", str(policy), "--approval-timeout", "1", modern=True
        ) as session:
            result = await session.call_tool("convert_time", CONVERT)
            assert not result.is_error

    run_test(body)
    [call] = cli.only_run()["toolCalls"]
    assert call["sideEffect"] == "read"  # mcp-server-time marks convert_time readOnlyHint
    assert call["decision"] == "allow"
