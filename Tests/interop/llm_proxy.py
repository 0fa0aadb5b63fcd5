"""The LLM proxy and its stand-in provider, started for one test.

`standin` runs Tests/interop/servers/standin_provider.py (which logs every request it gets);
`LLMProxy.start` runs `riskkernel llm-proxy --listen 127.0.0.1:0` against it with a price file of
fixed prices, and reads the port it prints. Both are stopped when the test ends.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

STANDIN = Path(__file__).resolve().parent / "servers" / "standin_provider.py"
START_TIMEOUT = 60.0

# Dollars per million tokens of the stand-in's models (passed with --prices).
PRICES = {
    "models": [
        {"provider": "openai", "model": "standin-gpt", "input": "2.50", "output": "10.00", "cachedInput": "1.25"},
        {"provider": "anthropic", "model": "standin-claude", "input": "3", "output": "15", "cachedInput": "0.30", "cacheWrite": "3.75"},
    ]
}


@dataclass
class Standin:
    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture
def standin(tmp_path: Path):
    log = tmp_path / "standin-requests.jsonl"
    process = subprocess.Popen([sys.executable, str(STANDIN), "--log", str(log)], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("port "):
        process.kill()
        pytest.fail(f"the stand-in provider did not start: {line!r}", pytrace=False)
    yield Standin(process, int(line.split()[1]), log)
    process.kill()
    process.wait(timeout=10)


@dataclass
class LLMProxy:
    process: subprocess.Popen[str]
    port: int
    run_id: str
    stderr_path: Path
    _drain: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._drain.join(timeout=10)

    @staticmethod
    def start(
        rk_bin: Path, db: Path, tmp_path: Path, standin: Standin, *options: str, name: str = "proxy", log_level: str = "info"
    ) -> "LLMProxy":
        prices = tmp_path / "prices.json"
        prices.write_text(json.dumps(PRICES))
        stderr_path = tmp_path / f"{name}.stderr"
        argv = [
            str(rk_bin), "llm-proxy", "--listen", "127.0.0.1:0", "--db", str(db), "--prices", str(prices),
            "--openai-base-url", standin.url, "--anthropic-base-url", standin.url, "--log-level", log_level, *options,
        ]
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        listening = threading.Event()
        found: dict[str, str] = {}

        def drain() -> None:
            with stderr_path.open("w") as copy:
                for line in process.stderr or []:
                    copy.write(line)
                    copy.flush()
                    if "listening on http://" in line and not listening.is_set():
                        address = line.split("listening on http://", 1)[1].split()[0]
                        found["port"] = address.rsplit(":", 1)[1]
                        found["run"] = line.split("(run ", 1)[1].split()[0]
                        listening.set()
            listening.set()

        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        if not listening.wait(START_TIMEOUT) or "port" not in found:
            process.kill()
            thread.join(timeout=10)
            pytest.fail(f"riskkernel llm-proxy did not start:\n{stderr_path.read_text(errors='replace')}", pytrace=False)
        return LLMProxy(process, int(found["port"]), found["run"], stderr_path, thread)


def ledger(db: Path) -> list[dict[str, Any]]:
    """Every model entry of the ledger, oldest first."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM ledger_entries WHERE kind = 'model' ORDER BY created_at, rowid").fetchall()
        return [dict(row) for row in rows]


def run_row(db: Path, run_id: str) -> dict[str, Any]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        assert row is not None, f"no run {run_id}"
        return dict(row)


def runs_named(db: Path, name: str) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM runs WHERE name = ?", (name,)).fetchall()]


def facts(db: Path, namespace: str) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM facts WHERE namespace = ?", (namespace,)).fetchall()]


def database_bytes(db: Path) -> bytes:
    """The database file and its WAL, as stored."""
    return b"".join(path.read_bytes() for path in [db, Path(str(db) + "-wal")] if path.exists())
