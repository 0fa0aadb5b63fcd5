"""The counting upstream (servers/counting_server.py) as the held-call tests use it: how to start it,
the arguments they send, and what it records of each execution."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SERVER = Path(__file__).parent / "servers" / "counting_server.py"
ARGS = {"to": "ops@example.com", "body": "deploy now"}

# The policy the held-call tests run under: every send_message waits for a person.
HELD = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: held-messages}
spec:
  approvalRules:
    - tool: send_message
  secrets: {arguments: "off"}
"""


def upstream(tmp_path: Path) -> tuple[list[str], Path]:
    """The server's command line and the file it records each execution in."""
    ledger = tmp_path / "executions.jsonl"
    return [sys.executable, str(SERVER), str(ledger)], ledger


def executions(ledger: Path) -> list[dict[str, Any]]:
    """What the server received, one entry per execution."""
    return [json.loads(line) for line in ledger.read_text().splitlines()] if ledger.exists() else []
