"""The agents in examples/agents (pydantic-ai, the OpenAI Agents SDK, LangChain through
langchain-mcp-adapters) run with their scripted models against the built gateway in front of
mcp-server-git: the commit is held, the agent gets a pending result, a person approves it from
another process, the agent's retry commits once, and the ledger shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO

EXAMPLES = REPO / "examples" / "agents"
# langchain-mcp-adapters needs the MCP Python SDK 1.x; scripts/setup-python-peers gives it its own venv.
LANGCHAIN_PYTHON = REPO / ".venv" / "langchain" / "bin" / "python"


def interpreter(example: str) -> str:
    if not example.startswith("langchain"):
        return sys.executable
    if not LANGCHAIN_PYTHON.exists():
        pytest.fail(f"{LANGCHAIN_PYTHON} is missing; run scripts/setup-python-peers", pytrace=False)
    return str(LANGCHAIN_PYTHON)


class Approver(threading.Thread):
    """A person at `riskkernel approvals`: approves each pending approval `delay` seconds after it
    appears (longer than the examples' 3 s hold, so that the agent gets the pending result first and
    its retry is what runs the call)."""

    def __init__(self, cli, delay: float = 4.5) -> None:
        super().__init__(daemon=True)
        self.cli = cli
        self.delay = delay
        self.first_seen: dict[str, float] = {}
        self.approved: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.cli.db.exists():  # the gateway creates the database when it starts
                time.sleep(0.3)
                continue
            for approval in self.cli.json("approvals", "list", "--status", "pending"):
                seen = self.first_seen.setdefault(approval["id"], time.monotonic())
                if time.monotonic() - seen >= self.delay:
                    self.cli.run("approvals", "approve", approval["id"], "--by", "reviewer")
                    self.approved.append(approval["id"])
            time.sleep(0.3)


@pytest.mark.parametrize("example, run_name", [
    ("pydantic_ai_agent.py", "pydantic-ai-example"),
    ("openai_agents_sdk_agent.py", "openai-agents-example"),
    ("langchain_agent.py", "langchain-example"),
])
def test_example_agent_commits_after_one_approval(example, run_name, rk_bin, git_server, git_repo, cli, db):
    approver = Approver(cli)
    approver.start()
    try:
        result = subprocess.run(
            [interpreter(example), str(EXAMPLES / example), "--repository", str(git_repo.path), "--riskkernel", str(rk_bin),
             "--db", str(db), "--git-server", str(git_server)],
            capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, "RISKKERNEL_LOG_LEVEL": "warning"},
        )
    finally:
        approver.stop.set()
        approver.join(timeout=10)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "[agent] the commit waits for approval" in result.stdout
    assert "[agent] Done:" in result.stdout, result.stdout

    assert git_repo.subjects()[0] == "Add notes"
    assert git_repo.commit_count() == 2
    assert len(approver.approved) == 1
    run = cli.only_run()
    assert run["name"] == run_name and run["status"] == "completed"
    calls = [(call["tool"], call["status"]) for call in run["toolCalls"]]
    commits = [status for tool, status in calls if tool == "git_commit"]
    assert commits[-1] == "succeeded" and commits.count("succeeded") == 1, calls
    [approval] = cli.json("approvals", "list")
    assert approval["status"] == "approved" and approval["decidedBy"] == "reviewer" and approval["tool"] == "git_commit"
