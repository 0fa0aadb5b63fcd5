"""`riskkernel doctor` on a healthy setup and on a broken one, naming each problem."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from mcp import StdioServerParameters

from conftest import CLI_TIMEOUT, GatewayLog, mcp_session, run_test, text_of
from test_wrap import ENV_SERVER, POLICY, dumps, server


def doctor(rk_bin: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(rk_bin), "doctor", "--db", str(db), *args], capture_output=True, text=True, timeout=CLI_TIMEOUT)


def wrapped_config(rk_bin: Path, db: Path, tmp_path: Path, servers: dict) -> Path:
    config = tmp_path / "mcp.json"
    config.write_text(dumps({"mcpServers": servers}))
    result = subprocess.run(
        [str(rk_bin), "wrap", "--client", "cursor", "--config", str(config), "--policy", "wrapped", "--db", str(db)],
        capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return config


def test_doctor_on_a_healthy_setup(rk_bin, cli, db, tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    cli.run("policy", "apply", str(tmp_path / "policy.yaml"))
    config = wrapped_config(rk_bin, db, tmp_path, {"echo": server("ECHO_KEY"), "remote": {"url": "https://example.com/mcp"}})
    result = doctor(rk_bin, db, "--client", "cursor", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every hash chain intact" in result.stdout
    assert "1 stored policy: wrapped" in result.stdout
    assert f"echo: wrapped (policy wrapped); server command found: {sys.executable}" in result.stdout
    assert "remote: remote (url)" in result.stdout
    assert result.stdout.rstrip().endswith("all good")


def test_doctor_names_each_problem(rk_bin, cli, db, tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    cli.run("policy", "apply", str(tmp_path / "policy.yaml"))
    config = wrapped_config(rk_bin, db, tmp_path, {
        "echo": server("ECHO_KEY"),
        "no-binary": server("A"),
        "no-command": {"command": "no-such-mcp-server-xyz", "args": []},
        "lost-env": server("B"),
        "no-policy": server("C"),
        "plain": server("D"),
    })
    document = json.loads(config.read_text())
    servers = document["mcpServers"]

    # A run with a call in it, whose ledger is then edited behind the store's back.
    echo = servers["echo"]
    params = StdioServerParameters(command=echo["command"], args=echo["args"], env=echo["env"])

    async def call() -> str:
        async with mcp_session(params, GatewayLog(tmp_path / "echo.stderr")) as session:
            return text_of(await session.call_tool("read_env", {"name": "ECHO_KEY"}))

    assert run_test(call) == "s3cret-value"
    with sqlite3.connect(db) as connection:
        changed = connection.execute("UPDATE events SET body = replace(body, 'read_env', 'read_envy') WHERE kind = 'tool.decided'").rowcount
    assert changed >= 1

    # Break the other entries, each in one way.
    servers["no-binary"]["command"] = str(tmp_path / "gone" / "riskkernel")
    args = servers["lost-env"]["args"]
    index = args.index("--env")
    del args[index:index + 2]
    args = servers["no-policy"]["args"]
    args[args.index("--policy") + 1] = "missing-policy"
    servers["plain"] = server("D")
    config.write_text(dumps(document))
    broken = tmp_path / "settings.json"
    broken.write_text('{"mcp": {"servers": {')

    result = doctor(rk_bin, db, "--client", "cursor", "--config", str(config))
    output = result.stdout
    assert result.returncode == 1, output + result.stderr
    assert "broken hash chain" in output
    assert f"no-binary: the gateway binary {tmp_path / 'gone' / 'riskkernel'} is missing" in output
    assert 'no-command: the server\'s command "no-such-mcp-server-xyz" is not found on PATH' in output
    assert "lost-env: its env sets B, but the gateway does not pass it to the server" in output
    assert 'no-policy: its policy "missing-policy" is not stored' in output
    assert "plain: not wrapped" in output
    assert "5 problem(s), 1 warning(s). To fix:" in output
    # Each finding comes with its fix.
    assert "riskkernel policy apply FILE" in output
    assert "riskkernel audit verify" in output
    assert f"riskkernel wrap --client cursor --config {config} --server plain" in output

    unreadable = doctor(rk_bin, db, "--client", "vscode", "--config", str(broken))
    assert unreadable.returncode == 1
    assert f"VS Code {broken}" in unreadable.stdout and "cannot be read" in unreadable.stdout


def test_doctor_on_a_store_that_cannot_open(rk_bin, tmp_path):
    not_a_database = tmp_path / "not.sqlite"
    not_a_database.write_text("this is not a database\n" * 100)
    result = doctor(rk_bin, not_a_database, "--client", "cursor", "--config", str(tmp_path / "missing.json"))
    assert result.returncode == 1
    assert f"store {not_a_database}" in result.stdout and "cannot be opened" in result.stdout
