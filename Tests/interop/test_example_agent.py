"""examples/python/agent.py keeps working against the built gateway."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_example_agent_runs(rk_bin, time_server, cli, db):
    agent = REPO / "examples" / "python" / "agent.py"
    result = subprocess.run(
        [sys.executable, str(agent), "--db", str(db), "--riskkernel", str(rk_bin), "--time-server", str(time_server)],
        capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, "RISKKERNEL_LOG_LEVEL": "warning"},
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "get_current_time(Asia/Tokyo) -> " in result.stdout
    assert "budget: $0.000390 of $2.00" in result.stdout

    run = cli.only_run()
    assert run["status"] == "completed"
    assert run["name"] == "python-example-agent"
    assert run["policy"].endswith("dev.yaml#dev")
    assert [call["tool"] for call in run["toolCalls"]] == ["get_current_time"]
    assert run["usage"]["modelCalls"] == 1 and run["usage"]["totalTokens"] == 1550
