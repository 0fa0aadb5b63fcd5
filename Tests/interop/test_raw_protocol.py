"""The gateway over a raw pipe: malformed input, several messages in one write, shutdown and crashes.

These send bytes that the SDK would never send, so they talk JSON-RPC lines by hand.
"""

from __future__ import annotations

import json
import os
import sys


HELD_POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: time-held}
spec:
  approvalRules:
    - tool: get_current_time
"""


def assert_still_serving(raw) -> None:
    response = raw.request("ping")
    assert response.get("result") == {}, f"the gateway stopped serving: {response}"


def test_bad_input_is_answered_and_the_gateway_keeps_serving(raw_gateway, time_server):
    raw = raw_gateway([time_server], "--max-line-bytes", "2048")
    raw.initialize()
    assert_still_serving(raw)

    # Not JSON: a parse error with id null.
    raw.send_line(b'{"jsonrpc": "2.0", "id": 1, "method": ')
    response = raw.read()
    assert response["id"] is None
    assert response["error"]["code"] == -32700
    assert_still_serving(raw)

    # An unknown riskkernel/ method is answered by the gateway itself.
    raw.send({"jsonrpc": "2.0", "id": "ext-1", "method": "riskkernel/doesNotExist", "params": {}})
    response = raw.read_response("ext-1")
    assert response["error"]["code"] == -32601
    assert "riskkernel/doesNotExist" in response["error"]["message"]
    assert_still_serving(raw)

    # A line over --max-line-bytes is refused without being parsed.
    big = {"jsonrpc": "2.0", "id": "big", "method": "ping", "params": {"padding": "x" * 4096}}
    raw.send(big)
    response = raw.read()
    assert response["error"]["code"] == -32600
    assert response["id"] == "big"  # read from the start of the line, which is all the gateway keeps
    assert "2048" in response["error"]["message"]
    assert_still_serving(raw)

    # Batches are not supported.
    raw.send([{"jsonrpc": "2.0", "id": 7, "method": "ping"}, {"jsonrpc": "2.0", "id": 8, "method": "ping"}])
    response = raw.read()
    assert response["error"]["code"] == -32600
    assert_still_serving(raw)

    # An unknown method that is not riskkernel/ goes to the upstream, which answers it.
    raw.send({"jsonrpc": "2.0", "id": 9, "method": "no/such/method"})
    response = raw.read_response(9)
    assert response["error"]["code"] == -32601
    assert_still_serving(raw)

    # A line just under the limit still goes through.
    under = {"jsonrpc": "2.0", "id": "under", "method": "ping", "params": {"padding": "y" * 1900}}
    raw.send(under)
    assert raw.read_response("under").get("result") == {}

    raw.close_stdin()
    assert raw.wait() == 0


def test_several_messages_in_one_write_are_all_answered(raw_gateway, time_server):
    """Regression: a chunk holding several lines once crashed the gateway's line splitter."""
    raw = raw_gateway([time_server])
    raw.initialize()
    chunk = b"".join(
        [
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode() + b"\n",
            b"{not json\n",
            json.dumps({"jsonrpc": "2.0", "id": 2, "method": "riskkernel/status"}).encode() + b"\n",
            b"   \n",  # a blank line is skipped
            json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                        "params": {"name": "get_current_time", "arguments": {"timezone": "UTC"}}}).encode() + b"\n",
            json.dumps({"jsonrpc": "2.0", "id": 4, "method": "ping"}).encode(),  # no newline yet
        ]
    )
    assert raw.process.stdin is not None
    os.write(raw.process.stdin.fileno(), chunk)
    os.write(raw.process.stdin.fileno(), b"\n")

    responses = [raw.read() for _ in range(5)]
    by_id = {json.dumps(r.get("id")): r for r in responses}
    assert set(by_id) == {"1", "2", "3", "4", "null"}, responses
    assert by_id["null"]["error"]["code"] == -32700
    assert by_id["1"]["result"] == {} and by_id["4"]["result"] == {}
    assert by_id["2"]["result"]["status"] == "running"
    assert by_id["3"]["result"]["isError"] is False

    raw.close_stdin()
    assert raw.wait() == 0


def test_stdin_eof_exits_zero_and_leaves_the_held_calls_approval_open(raw_gateway, gateway, cli, time_server):
    policy = gateway.policy_file(HELD_POLICY)
    raw = raw_gateway([time_server], "--policy-file", str(policy))
    raw.initialize()
    assert raw.request("tools/call", {"name": "convert_time", "arguments": {
        "source_timezone": "UTC", "time": "10:00", "target_timezone": "UTC"}})["result"]["isError"] is False

    # A call held for approval, never decided.
    raw.send({"jsonrpc": "2.0", "id": "held", "method": "tools/call",
              "params": {"name": "get_current_time", "arguments": {"timezone": "UTC"}}})
    notice = raw.read()
    assert notice["method"] == "notifications/message"
    approval_id = notice["params"]["data"]["approvalId"]
    assert [a["id"] for a in cli.pending_approvals()] == [approval_id]

    raw.close_stdin()
    # The held call is answered with a pending result before the gateway exits.
    pending = raw.read_response("held")
    assert pending["result"]["isError"] is True
    assert pending["result"]["_meta"]["riskkernel.dev/approval"]["id"] == approval_id
    assert raw.wait() == 0

    # The approval stays open for the agent's retry through a later gateway of the run.
    assert [a["id"] for a in cli.pending_approvals()] == [approval_id]
    run = cli.only_run()
    assert run["status"] == "completed"
    assert run["endedAt"]
    held = next(c for c in run["toolCalls"] if c["tool"] == "get_current_time")
    assert held["status"] == "awaiting_approval"


# An upstream that answers initialize and then exits on its own with status 3.
ANSWER_INITIALIZE_THEN_EXIT = r"""
import json, sys
request = json.loads(sys.stdin.readline())
sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {
    "protocolVersion": request["params"]["protocolVersion"], "capabilities": {"tools": {}},
    "serverInfo": {"name": "short-lived", "version": "0"}}}) + "\n")
sys.stdout.flush()
sys.exit(3)
"""

# An upstream with one tool, "crash", that exits with status 3 instead of answering a call to it.
EXIT_ON_TOOL_CALL = r"""
import json, sys
def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    method = request.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": request["id"], "result": {
            "protocolVersion": request["params"]["protocolVersion"], "capabilities": {"tools": {}},
            "serverInfo": {"name": "crashing", "version": "0"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": request["id"], "result": {"tools": [
            {"name": "crash", "inputSchema": {"type": "object"}}]}})
    elif method == "tools/call":
        sys.exit(3)
    elif "id" in request:
        send({"jsonrpc": "2.0", "id": request["id"], "result": {}})
"""


def test_upstream_exiting_on_its_own_fails_the_run(raw_gateway, cli):
    raw = raw_gateway([sys.executable, "-c", ANSWER_INITIALIZE_THEN_EXIT])
    response = raw.initialize()
    assert response["result"]["serverInfo"]["name"] == "short-lived"
    assert raw.wait() == 1
    run = cli.only_run()
    assert run["status"] == "failed"
    last = cli.audit(run["id"])[-1]
    assert last["kind"] == "run.status" and last["data"]["status"] == "failed"
    assert "exited with status 3" in last["data"]["reason"]


def test_upstream_crash_fails_the_call_in_flight(raw_gateway, cli):
    raw = raw_gateway([sys.executable, "-c", EXIT_ON_TOOL_CALL])
    raw.initialize()
    assert_still_serving(raw)
    raw.send({"jsonrpc": "2.0", "id": "in-flight", "method": "tools/call", "params": {"name": "crash", "arguments": {}}})
    response = raw.read_response("in-flight")
    assert "error" in response, response
    assert "exited with status 3" in response["error"]["message"]
    assert raw.wait() == 1
    run = cli.only_run()
    assert run["status"] == "failed"
    [call] = run["toolCalls"]
    assert call["tool"] == "crash" and call["status"] == "failed"


def test_tool_call_is_answered_when_the_upstream_tool_list_exceeds_the_line_limit(raw_gateway, time_server, tmp_path):
    # mcp-server-time's tools/list response is about 2.3 KB, over a 2048-byte limit; the call's
    # own request and response are far below it. The gateway cannot read the tool definitions, so
    # under the default toolPinning (enforce) the call is refused, failing closed, with a clear reason;
    # with pinning off it goes through.
    raw = raw_gateway([time_server], "--max-line-bytes", "2048")
    raw.initialize()
    response = raw.request(
        "tools/call", {"name": "get_current_time", "arguments": {"timezone": "UTC"}}, timeout=4
    )
    assert response["result"]["isError"] is True
    assert "tool list could not be read" in response["result"]["content"][0]["text"]

    policy = tmp_path / "unpinned.yaml"
    policy.write_text("apiVersion: riskkernel/v1\nkind: Policy\nmetadata: {name: unpinned}\nspec: {toolPinning: \"off\"}\n")
    raw = raw_gateway([time_server], "--max-line-bytes", "2048", "--policy-file", str(policy))
    raw.initialize()
    response = raw.request(
        "tools/call", {"name": "get_current_time", "arguments": {"timezone": "UTC"}}, timeout=4
    )
    assert response["result"]["isError"] is False
