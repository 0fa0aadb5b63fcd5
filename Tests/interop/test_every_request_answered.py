"""No hang and no leak: every request gets exactly one answer for its id, and nothing the gateway
did not ask for reaches the client (the issue's inputs, over a raw pipe and a hand-written upstream).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SERVER = Path(__file__).parent / "servers" / "raw_upstream.py"
UPSTREAM = [sys.executable, str(SERVER)]


def call(raw, id_, name, arguments=None, timeout=10.0):
    raw.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}})
    return raw.read_response(id_, timeout)


def test_client_ids_equal_to_the_gateways_own_are_answered_once_and_stray_responses_are_dropped(raw_gateway, cli):
    raw = raw_gateway(UPSTREAM)
    raw.initialize()
    # Ids of every type, including the ones the gateway gives its own requests upstream.
    ids = [1, 2, 3, 0, -1, "1", "riskkernel-internal-1", "riskkernel-internal-2", 9007199254740993]
    for index, id_ in enumerate(ids):
        response = call(raw, id_, "echo", {"n": index})
        assert response["id"] == id_ and json.loads(response["result"]["content"][0]["text"]) == {"n": index}, response
    # The upstream answers ids nobody sent: only the real answer reaches the client.
    response = call(raw, "s", "stray")
    assert response["result"]["content"][0]["text"] == "stray done"
    ping = raw.request("ping")
    assert "result" in ping, f"a stray response reached the client instead of the ping's answer: {ping}"
    assert "answers no request the gateway sent" in raw.log.text()
    raw.close_stdin()
    assert raw.wait() == 0
    calls = cli.only_run()["toolCalls"]
    assert [c["status"] for c in calls] == ["succeeded"] * (len(ids) + 1)


def test_an_oversized_answer_whose_id_comes_last_is_answered_and_recorded(raw_gateway, cli):
    raw = raw_gateway(UPSTREAM, "--max-line-bytes", "65536")
    raw.initialize()
    response = call(raw, 7, "big_last", {"size": 200000})
    assert response["error"]["code"] == -32603
    assert "65536" in response["error"]["message"]
    assert call(raw, 8, "echo", {"n": 1})["result"]
    raw.close_stdin()
    assert raw.wait() == 0
    [big, _] = cli.only_run()["toolCalls"]
    assert big["status"] == "failed"


def test_an_oversized_request_is_answered_with_the_id_it_starts_with(raw_gateway):
    raw = raw_gateway(UPSTREAM, "--max-line-bytes", "65536")
    raw.initialize()
    line = b'{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}}}'
    raw.send_line(line)
    response = raw.read()
    assert response["id"] == 42 and response["error"]["code"] == -32600


def test_an_answer_the_strict_parser_refuses_is_answered_for_a_tool_call_and_passed_through_otherwise(raw_gateway, cli):
    raw = raw_gateway(UPSTREAM)
    raw.initialize()
    response = call(raw, 5, "surrogate")
    assert response["error"]["code"] == -32603
    assert "not valid JSON-RPC" in response["error"]["message"]
    # A request the gateway need not look inside gets the upstream's bytes unchanged, with its own id.
    raw.send({"jsonrpc": "2.0", "id": "u1", "method": "vendor/unknown", "params": {}})
    assert raw.read_line() == b'{"jsonrpc":"2.0","id":"u1","result":{"note":"\\ud800"}}'
    raw.close_stdin()
    assert raw.wait() == 0
    [surrogate] = cli.only_run()["toolCalls"]
    assert surrogate["status"] == "failed"


def test_lines_read_before_end_of_file_are_answered(raw_gateway, time_server):
    raw = raw_gateway([time_server])
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    raw.send_line(b"x" * (4 * 1024 * 1024))
    raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    raw.send({"jsonrpc": "2.0", "id": 9, "method": "ping"})
    raw.close_stdin()
    answers = {}
    while 9 not in answers:
        message = raw.read(timeout=20)
        answers[message.get("id")] = message
    assert answers[9].get("result") == {}, answers[9]
    assert answers[None]["error"]["code"] == -32700
    assert raw.wait() == 0


def test_a_slow_first_listing_holds_the_first_calls_and_never_empties_the_tools(raw_gateway):
    raw = raw_gateway(UPSTREAM, "--env", "RAW_UPSTREAM_SLOW_LIST", env={**os.environ, "RAW_UPSTREAM_SLOW_LIST": "7"})
    raw.initialize()
    started = time.monotonic()
    listing = raw.request("tools/list", timeout=30)
    assert [t["name"] for t in listing["result"]["tools"]] == ["echo", "big_last", "surrogate", "stray", "sample", "broken", "slow"]
    response = call(raw, "c1", "echo", {"n": 1}, timeout=30)
    assert json.loads(response["result"]["content"][0]["text"]) == {"n": 1}, response
    assert time.monotonic() - started >= 6
    raw.close_stdin()
    assert raw.wait() == 0


SAMPLING_DENIED = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: no-sampling}
spec:
  sampling: deny
"""


def test_sampling_is_recorded_and_relayed_or_denied(raw_gateway, cli, gateway, tmp_path):
    raw = raw_gateway(UPSTREAM)
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": "c1", "method": "tools/call", "params": {"name": "sample", "arguments": {}}})
    request = raw.read()
    assert request["method"] == "sampling/createMessage"
    raw.send({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "model says hi"}, "model": "m"}})
    assert raw.read_response("c1")["result"]["content"][0]["text"] == "model says hi"
    raw.close_stdin()
    assert raw.wait() == 0
    run_id = cli.only_run()["id"]
    events = [e for e in cli.audit(run_id) if e["kind"] == "sampling.requested"]
    assert [e["data"] for e in events] == [
        {"method": "sampling/createMessage", "modelHints": ["claude-sonnet"], "toolsOffered": True, "decision": "allow"}
    ]
    assert "secret prompt text" not in json.dumps(cli.audit(run_id))

    policy = gateway.policy_file(SAMPLING_DENIED)
    denied = raw_gateway(UPSTREAM, "--policy-file", str(policy))
    denied.initialize()
    answer = denied.request("tools/call", {"name": "sample", "arguments": {}})
    assert "sampling refused: RiskKernel refused the sampling request" in answer["result"]["content"][0]["text"]
    denied.close_stdin()
    assert denied.wait() == 0
    runs = cli.runs()
    newest = runs[0]["id"]
    assert [e["data"]["decision"] for e in cli.audit(newest) if e["kind"] == "sampling.requested"] == ["deny"]


def test_the_upstreams_requests_reach_the_client_under_the_gateways_ids(raw_gateway, tmp_path):
    """The upstream's request id ("sampling-1") never reaches the client: it gets an id of the
    gateway's own toward the client, and its answer goes back under the upstream's id. An answer the
    client gets wrong still answers the upstream (with an error), so nothing waits forever; an answer
    to an id the gateway never gave is dropped."""
    log = tmp_path / "upstream-requests.jsonl"
    raw = raw_gateway(UPSTREAM, "--env", "RAW_UPSTREAM_LOG", env={**os.environ, "RAW_UPSTREAM_LOG": str(log)})
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": 77, "result": {"stray": True}})  # answers nothing the gateway asked
    raw.send({"jsonrpc": "2.0", "id": "c1", "method": "tools/call", "params": {"name": "sample", "arguments": {}}})
    request = raw.read()
    assert request["method"] == "sampling/createMessage"
    assert isinstance(request["id"], int) and request["id"] != "sampling-1"
    raw.send({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m"}})
    assert raw.read_response("c1")["result"]["content"][0]["text"] == "hi"
    relayed = [json.loads(line) for line in log.read_text().splitlines()]
    assert relayed[-1]["id"] == "sampling-1", "the upstream got its answer under another id"

    raw.send({"jsonrpc": "2.0", "id": "c2", "method": "tools/call", "params": {"name": "sample", "arguments": {}}})
    second = raw.read()
    raw.send({"jsonrpc": "1.0", "id": second["id"], "result": {}})  # not JSON-RPC 2.0
    text = raw.read_response("c2")["result"]["content"][0]["text"]
    assert text.startswith("sampling refused: the client's answer is not valid JSON-RPC"), text
    raw.close_stdin()
    assert raw.wait() == 0


def test_property_every_answer_the_parser_refuses_at_every_size_gets_one_answer(raw_gateway, cli):
    """Each kind of refused answer, below and above the line limit, id first or last: exactly one
    answer per call, and nothing else reaches the client."""
    raw = raw_gateway(UPSTREAM, "--max-line-bytes", "65536")
    raw.initialize()
    cases = [
        (kind, size, id_last)
        for kind in ("surrogate", "duplicate", "utf8", "nan", "garbage")
        for size in (0, 100, 65000, 65600, 300000)
        for id_last in (False, True)
    ]
    for number, (kind, size, id_last) in enumerate(cases):
        id_ = f"b{number}" if number % 2 else number + 10_000
        raw.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call",
                  "params": {"name": "broken", "arguments": {"kind": kind, "size": size, "idLast": id_last}}})
        message = raw.read()
        assert message.get("id") == id_, (kind, size, id_last, message)
        assert "error" in message, (kind, size, id_last, message)
    ping = raw.request("ping")  # answered by this upstream with a result the gateway need not read
    assert "result" in ping, ping
    raw.close_stdin()
    assert raw.wait() == 0
    calls = cli.only_run()["toolCalls"]
    assert len(calls) == len(cases) and all(c["status"] == "failed" for c in calls), [c["status"] for c in calls]
