"""One durable write on a call's path: the decision is committed before the call is forwarded, and
the outcome after the response is passed on. A gateway killed between the two leaves the call
`forwarded`; recovery (the next gateway's start) records it `unknown`, and the chain verifies."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

UPSTREAM = [sys.executable, str(Path(__file__).parent / "servers" / "raw_upstream.py")]


def test_a_response_is_passed_on_before_its_outcome_is_committed_and_a_kill_in_between_is_unknown(raw_gateway, cli, db, tmp_path):
    release = tmp_path / "answer-now"
    raw = raw_gateway(UPSTREAM)
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": "held-up", "method": "tools/call", "params": {"name": "slow", "arguments": {"until": str(release)}}})

    # Once the decision is committed (the call is forwarded), another process takes the database's
    # write lock and keeps it: the outcome cannot be committed while it is held.
    blocker = sqlite3.connect(db, timeout=10, isolation_level=None)
    forwarded = 0
    for _ in range(500):
        forwarded = blocker.execute("SELECT count(*) FROM tool_calls WHERE status = 'forwarded'").fetchone()[0]
        if forwarded:
            break
        time.sleep(0.01)
    assert forwarded == 1, "the call was not forwarded"
    blocker.execute("BEGIN IMMEDIATE")
    try:
        release.write_text("go")
        response = raw.read_response("held-up", timeout=5)
        assert response["result"]["content"][0]["text"] == "slow done", "the response waited for the outcome's commit"
        os.kill(raw.process.pid, signal.SIGKILL)
        raw.process.wait()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    calls = cli.only_run()["toolCalls"]
    assert [c["status"] for c in calls] == ["forwarded"], "the outcome was committed before the kill"

    # The next gateway's start recovers the dead gateway's run: the call is unknown, never missing.
    after = raw_gateway(UPSTREAM)
    after.initialize()
    after.close_stdin()
    assert after.wait() == 0
    killed = next(r for r in cli.runs() if r["status"] == "failed")
    recovered = cli.json("runs", "show", killed["id"])["toolCalls"]
    assert [c["status"] for c in recovered] == ["unknown"], recovered
    assert "whether the upstream ran it is unknown" in recovered[0]["reason"]
    completed = [e for e in cli.audit(killed["id"]) if e["kind"] == "tool.completed"]
    assert [e["data"]["status"] for e in completed] == ["unknown"]
    cli.run("audit", "verify")
