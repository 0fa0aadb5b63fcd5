"""What the three agent examples share: their command line, the gateway in front of the MCP git
server, and the scripted model's plan.

Each example is an agent with one job: commit notes.txt in a repository. It works through the
reference MCP git server (mcp-server-git), started behind `riskkernel gateway` under
examples/policies/git-guarded.yaml, which lets the agent look and stage freely and holds
`git_commit` until a person approves it. The gateway answers a held call after `--approval-hold`
seconds with a pending result that names the approval and asks the agent to call again; the
agent's identical retry picks up the decision. Approve from a second terminal:

    riskkernel approvals watch          # [a]pprove, [d]eny, [s]kip

With `--model scripted` (the default) no model provider is needed: a scripted model makes the
calls a model would make, and retries the held commit every second. With a real model
(`--model openai:gpt-5-mini`, say, and the provider's API key in the environment) the model reads
the pending result and does the same.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICY = HERE.parent / "policies" / "git-guarded.yaml"
TASK = "Commit notes.txt in the repository with the message 'Add notes'."
PENDING = "until a person approves it"  # in the gateway's pending result
RETRY_SECONDS = 1.0


@dataclass
class Setup:
    repository: str
    model: str
    gateway: list[str]  # the gateway's command line, for the framework's stdio MCP client


def parse(name: str, description: str | None) -> Setup:
    """The example's command line; `name` names its runs (`riskkernel runs list`)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repository", required=True, help="a git repository with notes.txt in it")
    parser.add_argument("--model", default="scripted", help="scripted (default), or a model name the framework knows")
    parser.add_argument("--riskkernel", default=shutil.which("riskkernel") or "riskkernel", help="the riskkernel binary")
    parser.add_argument("--db", help="the RiskKernel database (default: the gateway's default)")
    parser.add_argument("--git-server", default="uvx mcp-server-git", help="how to start mcp-server-git (default: uvx mcp-server-git)")
    parser.add_argument("--approval-hold", default="3", help="seconds a held call waits before its pending result (default 3)")
    arguments = parser.parse_args()
    repository = str(Path(arguments.repository).resolve())
    gateway = [arguments.riskkernel, "gateway", "--policy-file", str(POLICY), "--server-name", "git",
               "--approval-hold", arguments.approval_hold, "--run-name", name]
    if arguments.db:
        gateway += ["--db", arguments.db]
    gateway += ["--", *arguments.git_server.split(), "--repository", repository]
    return Setup(repository, arguments.model, gateway)


class ScriptedPlan:
    """The calls a model would make for the task, given the results so far: status, add, commit,
    and the same commit again (after a pause) while it waits for approval."""

    def __init__(self, repository: str) -> None:
        self.repository = repository

    def next_call(self, results: list[tuple[str, str]]) -> tuple[str, dict] | str:
        """The next tool call as (name, arguments), or the final answer as text. `results` holds
        (tool, result text) of every call so far, in order."""
        repo = {"repo_path": self.repository}
        done = [tool for tool, _ in results]
        if "git_status" not in done:
            return "git_status", repo
        if "git_add" not in done:
            return "git_add", {**repo, "files": ["notes.txt"]}
        tool, text = results[-1]
        if tool == "git_commit" and PENDING not in text:
            return f"Done: {text.strip()}"
        if tool == "git_commit":
            print(f"[agent] the commit waits for approval; trying again in {RETRY_SECONDS:g} s", flush=True)
            time.sleep(RETRY_SECONDS)
        return "git_commit", {**repo, "message": "Add notes"}
