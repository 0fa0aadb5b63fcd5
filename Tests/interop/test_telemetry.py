"""OpenTelemetry spans, received by a real OTLP/HTTP receiver, from the built gateway driven by the
official MCP Python SDK: one span per tools/call (with the decision, the approval wait and the
upstream round trip as children) and per riskkernel/recordModelCall; a W3C traceparent in _meta is
continued and passed on upstream; no argument or result text unless --otel-include-content. Each
is checked with both protocols the gateway serves: http/protobuf (swift-otel's exporter) and
http/json (the gateway's own OTLP/JSON exporter, whose ids the receiver requires in hex)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import anyio
import pytest
from mcp import StdioServerParameters

from conftest import REPO, ApprovalWatcher, mcp_session, rk_request, run_test, text_of
from otlp_receiver import OtlpReceiver, ReceivedSpan

ECHO_SERVER = REPO / "Tests" / "interop" / "servers" / "trace_echo_server.py"

POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: traced}
spec:
  toolAllowlist: [echo_meta, guarded, fail]
  approvalRules:
    - tool: guarded
"""

# Text that must never reach a span (or stderr) unless content is asked for.
ARGUMENT_MARKER = "argument-text-7f3a9c"
RESULT_MARKER = "result-text-51be02"
INCOMING_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{INCOMING_TRACE_ID}-{INCOMING_SPAN_ID}-01"


def traced_params(gateway, options: list[str], env: dict[str, str]) -> StdioServerParameters:
    argv = gateway.argv([sys.executable, ECHO_SERVER], *options)
    return StdioServerParameters(command=argv[0], args=argv[1:], env={**os.environ, **env})


def by_name(spans: list[ReceivedSpan], name: str, kind: str | None = None) -> list[ReceivedSpan]:
    return [s for s in spans if s.name == name and (kind is None or s.kind == kind)]


def children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> dict[str, ReceivedSpan]:
    return {f"{s.name} ({s.kind})": s for s in spans if s.parent_span_id == parent.span_id and s.trace_id == parent.trace_id}


def expected_count(spans: list[ReceivedSpan]) -> bool:
    # echo_meta: root + decision + upstream; fail: 3; forbidden: root + decision;
    # guarded: root + decision + approval + upstream; one model call.
    return len(spans) >= 13


PROTOCOLS = pytest.mark.parametrize("protocol", ["http/protobuf", "http/json"])
CONTENT_TYPES = {"http/protobuf": "application/x-protobuf", "http/json": "application/json"}


@PROTOCOLS
def test_spans_for_tool_and_model_calls_reach_an_otlp_receiver(gateway, cli, protocol: str):
    policy = gateway.policy_file(POLICY)
    watcher = ApprovalWatcher()
    with OtlpReceiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_HEADERS": "x-rk-interop=header-value",
            "OTEL_SERVICE_NAME": "rk-interop",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=interop-test",
        }
        params = traced_params(gateway, ["--policy-file", str(policy)], env)
        log = gateway.new_log()

        async def body() -> dict[str, Any]:
            async with mcp_session(params, log, watcher) as session:
                echoed = await session.call_tool(
                    "echo_meta", {"text": ARGUMENT_MARKER}, meta={"traceparent": TRACEPARENT})
                failed = await session.call_tool("fail", {"text": RESULT_MARKER})
                refused = await session.call_tool("forbidden", {"text": ARGUMENT_MARKER})
                outcome: dict[str, Any] = {}

                async def held() -> None:
                    outcome["guarded"] = await session.call_tool("guarded", {"text": ARGUMENT_MARKER})

                async with anyio.create_task_group() as group:
                    group.start_soon(held)
                    notice = await watcher.next_for("guarded")
                    await cli.run_async("approvals", "approve", notice["approvalId"], "--by", "interop-reviewer")
                model = await rk_request(session, "riskkernel/recordModelCall", {
                    "provider": "openai", "model": "gpt-5", "promptTokens": 1200, "completionTokens": 340})
                return {"echoed": echoed, "failed": failed, "refused": refused, "guarded": outcome["guarded"], "model": model}

        results = run_test(body)
        spans = receiver.wait_for(expected_count)
        raw = receiver.raw_bodies()
        exports = list(receiver.exports)
        assert receiver.errors == []

    # Every export in the protocol asked for, with the headers of OTEL_EXPORTER_OTLP_HEADERS.
    assert exports and {export.content_type for export in exports} == {CONTENT_TYPES[protocol]}
    assert all(export.headers.get("x-rk-interop") == "header-value" for export in exports)
    assert not results["echoed"].is_error and results["failed"].is_error and results["refused"].is_error
    assert not results["guarded"].is_error
    assert expected_count(spans), f"only {len(spans)} spans arrived: {[(s.name, s.kind) for s in spans]}\n{log.text()}"

    # Resource: the service name and resource attributes from the standard variables.
    for span in spans:
        assert span.resource["service.name"] == "rk-interop"
        assert span.resource["deployment.environment"] == "interop-test"

    run_id = cli.only_run()["id"]

    # tools/call echo_meta: continues the incoming traceparent; decision and upstream children.
    [echo] = by_name(spans, "tools/call echo_meta", "server")
    assert echo.trace_id == INCOMING_TRACE_ID and echo.parent_span_id == INCOMING_SPAN_ID
    assert echo.attributes["mcp.method.name"] == "tools/call"
    assert echo.attributes["gen_ai.tool.name"] == "echo_meta"
    assert echo.attributes["riskkernel.run.id"] == run_id
    assert echo.attributes["riskkernel.decision"] == "allow"
    assert not echo.is_error
    echo_children = children(spans, echo)
    assert set(echo_children) == {"riskkernel.decision (internal)", "tools/call echo_meta (client)"}
    assert echo_children["riskkernel.decision (internal)"].attributes["riskkernel.decision"] == "allow"
    # The upstream received a traceparent naming the tools/call span, in the same trace.
    forwarded = json.loads(text_of(results["echoed"]))["meta"]["traceparent"]
    assert forwarded == f"00-{INCOMING_TRACE_ID}-{echo.span_id}-01"

    # A call without a traceparent starts a trace of its own.
    [fail] = by_name(spans, "tools/call fail", "server")
    assert fail.trace_id != INCOMING_TRACE_ID and fail.parent_span_id == ""
    assert fail.is_error and fail.attributes["error.type"] == "tool_error"
    fail_upstream = children(spans, fail)["tools/call fail (client)"]
    assert fail_upstream.is_error

    # A refusal: error status, the decision and rule, and no upstream round trip.
    [refused] = by_name(spans, "tools/call forbidden", "server")
    assert refused.is_error
    assert refused.attributes["riskkernel.decision"] == "deny"
    assert refused.attributes["riskkernel.rule"] == "allowlist"
    assert set(children(spans, refused)) == {"riskkernel.decision (internal)"}

    # Held for approval: decision, approval wait, then the upstream round trip.
    [guarded] = by_name(spans, "tools/call guarded", "server")
    assert guarded.attributes["riskkernel.decision"] == "approval"
    assert not guarded.is_error
    guarded_children = children(spans, guarded)
    assert set(guarded_children) == {
        "riskkernel.decision (internal)", "riskkernel.approval (internal)", "tools/call guarded (client)"}
    assert guarded_children["riskkernel.approval (internal)"].attributes["riskkernel.approval.status"] == "approved"

    # The model call.
    [model] = by_name(spans, "riskkernel/recordModelCall", "server")
    assert model.attributes["mcp.method.name"] == "riskkernel/recordModelCall"
    assert model.attributes["gen_ai.provider.name"] == "openai"
    assert model.attributes["gen_ai.request.model"] == "gpt-5"
    assert model.attributes["gen_ai.usage.input_tokens"] == 1200
    assert model.attributes["gen_ai.usage.output_tokens"] == 340
    assert model.attributes["riskkernel.dollars"] == results["model"]["dollars"]
    assert float(results["model"]["dollars"]) > 0
    assert model.attributes["riskkernel.run.id"] == run_id

    # No argument or result text anywhere in what was exported, nor in the gateway's stderr.
    for marker in (ARGUMENT_MARKER, RESULT_MARKER):
        assert marker.encode() not in raw
        assert marker not in log.text()
    assert not [(span.name, key) for span in spans for key in span.attributes if key.startswith("gen_ai.tool.call.")]


@PROTOCOLS
def test_content_is_exported_only_with_the_option_and_the_endpoint_option_works(gateway, protocol: str):
    with OtlpReceiver() as receiver:
        options = ["--otel-endpoint", receiver.endpoint, "--otel-include-content"]
        params = traced_params(gateway, options, {"OTEL_EXPORTER_OTLP_PROTOCOL": protocol})
        log = gateway.new_log()

        async def body() -> None:
            async with mcp_session(params, log) as session:
                result = await session.call_tool("echo_meta", {"text": ARGUMENT_MARKER})
                assert not result.is_error

        run_test(body)
        spans = receiver.wait_for(lambda spans: len(spans) >= 3)
        assert receiver.errors == []
        assert {export.content_type for export in receiver.exports} == {CONTENT_TYPES[protocol]}

    [echo] = by_name(spans, "tools/call echo_meta", "server")
    assert json.loads(echo.attributes["gen_ai.tool.call.arguments"]) == {"text": ARGUMENT_MARKER}
    assert ARGUMENT_MARKER in echo.attributes["gen_ai.tool.call.result"]
    assert echo.resource["service.name"] == "riskkernel"


@pytest.mark.parametrize("protocol, refusal", [("grpc", "is not supported"), ("udp", "is not a protocol riskkernel knows")])
def test_unsupported_exporter_protocol_is_refused_at_startup(gateway, protocol: str, refusal: str):
    argv = gateway.argv([sys.executable, ECHO_SERVER])
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}
    result = subprocess.run(argv, env=env, input="", capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} {refusal}" in result.stderr
    assert "http/protobuf" in result.stderr and "http/json" in result.stderr
    assert result.stdout == ""
