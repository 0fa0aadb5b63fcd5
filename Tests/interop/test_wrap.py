"""`riskkernel wrap`, `unwrap` and `doctor` on sample configurations of each client's format.

Each sample has a stdio server with an `env` block, a remote entry and settings unrelated to MCP.
The wrapped entries are started exactly as the client would start them (command, args and env
from the file) with the MCP Python SDK, and a tool is called through the gateway: the server must
still get its variable. Wrapping twice changes nothing, and unwrapping gives back the original
bytes; a dry run writes nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import StdioServerParameters

from conftest import CLI_TIMEOUT, REPO, GatewayLog, mcp_session, run_test, text_of

ENV_SERVER = REPO / "Tests" / "interop" / "servers" / "env_server.py"
SECRET = "s3cret-value"

POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata:
  name: wrapped
spec:
  toolAllowlist: [read_env]
"""


def jsonc(text: str) -> Any:
    """Parses JSON with comments and trailing commas (VS Code's settings), for the assertions."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))


def server(env_name: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(ENV_SERVER)], "env": {env_name: SECRET}}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2) + "\n"


@dataclass
class Sample:
    """A configuration file of one client, and where its servers are in it."""

    client: str
    name: str
    text: str
    # Each stdio entry: (path of keys to the entry, the variable its env sets).
    stdio: list[tuple[list[str], str]]
    remote: list[list[str]]


def samples() -> list[Sample]:
    desktop = dumps({
        "globalShortcut": "Alt+Space",
        "mcpServers": {
            "echo": server("ECHO_TOKEN"),
            "linear": {"url": "https://mcp.linear.app/sse"},
        },
        "preferences": {"menuBarEnabled": False},
    })
    cursor = dumps({
        "mcpServers": {
            "echo": server("CURSOR_KEY"),
            "remote": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer x"}},
        }
    })
    windsurf = dumps({"mcpServers": {"echo": server("WINDSURF_KEY"), "remote": {"serverUrl": "https://example.com/sse"}}, "other": [1, 2.50, None]})
    claude_user = json.dumps({
        "numStartups": 42,
        "theme": "dark",
        "mcpServers": {"echo": {"type": "stdio", **server("USER_SCOPE_KEY")}},
        "projects": {
            "/home/someone/repo": {
                "allowedTools": [],
                "mcpServers": {
                    "project-echo": {"type": "stdio", **server("PROJECT_KEY")},
                    "docs": {"type": "http", "url": "https://docs.example/mcp"},
                },
                "hasTrustDialogAccepted": True,
            }
        },
    }, indent=2)
    claude_project = dumps({"mcpServers": {"echo": {"type": "stdio", **server("DOT_MCP_KEY")}, "sse": {"type": "sse", "url": "https://example.com/sse"}}})
    vscode_workspace = dumps({
        "inputs": [{"type": "promptString", "id": "api-key", "description": "API key", "password": True}],
        "servers": {
            "echo": {"type": "stdio", **server("VSCODE_KEY")},
            "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"},
        },
    })
    vscode_settings = """{
    // Editor
    "editor.fontSize": 14,
    "files.autoSave": "afterDelay", /* seconds */
    "mcp": {
        "servers": {
            "echo": {
                "type": "stdio",
                "command": %s,
                "args": [
                    %s
                ],
                "env": { "SETTINGS_KEY": "%s" }, // trailing comma next
            },
            "remote": { "type": "http", "url": "https://example.com/mcp" },
        },
    },
}
""" % (json.dumps(sys.executable), json.dumps(str(ENV_SERVER)), SECRET)
    return [
        Sample("claude-desktop", "claude_desktop_config.json", desktop, [(["mcpServers", "echo"], "ECHO_TOKEN")], [["mcpServers", "linear"]]),
        Sample("cursor", "mcp.json", cursor, [(["mcpServers", "echo"], "CURSOR_KEY")], [["mcpServers", "remote"]]),
        Sample("windsurf", "mcp_config.json", windsurf, [(["mcpServers", "echo"], "WINDSURF_KEY")], [["mcpServers", "remote"]]),
        Sample(
            "claude-code", ".claude.json", claude_user,
            [(["mcpServers", "echo"], "USER_SCOPE_KEY"), (["projects", "/home/someone/repo", "mcpServers", "project-echo"], "PROJECT_KEY")],
            [["projects", "/home/someone/repo", "mcpServers", "docs"]],
        ),
        Sample("claude-code", ".mcp.json", claude_project, [(["mcpServers", "echo"], "DOT_MCP_KEY")], [["mcpServers", "sse"]]),
        Sample("vscode", "mcp.json", vscode_workspace, [(["servers", "echo"], "VSCODE_KEY")], [["servers", "github"]]),
        Sample("vscode", "settings.json", vscode_settings, [(["mcp", "servers", "echo"], "SETTINGS_KEY")], [["mcp", "servers", "remote"]]),
    ]


def dig(document: Any, keys: list[str]) -> Any:
    for key in keys:
        document = document[key]
    return document


def riskkernel(rk_bin: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(rk_bin), *args], capture_output=True, text=True, timeout=CLI_TIMEOUT)
    if check:
        assert result.returncode == 0, f"riskkernel {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.parametrize("sample", samples(), ids=lambda s: f"{s.client}-{s.name}")
def test_wrap_call_rewrap_unwrap(sample: Sample, rk_bin, cli, db, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY)
    cli.run("policy", "apply", str(policy_file))
    config = tmp_path / sample.name
    config.write_text(sample.text)
    original = config.read_bytes()

    wrap = ["wrap", "--client", sample.client, "--config", str(config), "--policy", "wrapped", "--db", str(db)]
    result = riskkernel(rk_bin, *wrap)
    for keys in sample.remote:
        assert re.search(rf"^  {re.escape(keys[-1])}( \(.*\))?: remote", result.stdout, re.M), result.stdout
    wrapped_text = config.read_text()
    assert wrapped_text != sample.text
    assert (tmp_path / f"{sample.name}.riskkernel-backup").read_bytes() == original
    document = jsonc(wrapped_text)
    before = jsonc(sample.text)

    # Everything but the stdio entries' command and args is as it was.
    for keys, _ in sample.stdio:
        entry, old = dig(document, keys), dig(before, keys)
        assert {k: v for k, v in entry.items() if k not in ("command", "args")} == {k: v for k, v in old.items() if k not in ("command", "args")}
        dig(document, keys[:-1])[keys[-1]] = old
    assert document == before

    # Each wrapped entry, started as the client starts it, runs its server behind the gateway.
    document = jsonc(wrapped_text)
    for keys, variable in sample.stdio:
        entry = dig(document, keys)
        assert entry["command"] == str(rk_bin)
        args = entry["args"]
        assert args[:3] == ["gateway", "--server-name", keys[-1]]
        assert args[args.index("--") + 1:] == [sys.executable, str(ENV_SERVER)]
        assert ["--env", variable] == args[args.index("--env"):args.index("--env") + 2]
        params = StdioServerParameters(command=entry["command"], args=args, env=entry.get("env"))

        async def call() -> str:
            async with mcp_session(params, GatewayLog(tmp_path / f"{keys[-1]}.stderr")) as session:
                assert [tool.name for tool in (await session.list_tools()).tools] == ["read_env"]
                return text_of(await session.call_tool("read_env", {"name": variable}))

        assert run_test(call) == SECRET
    runs = cli.runs()
    assert len(runs) == len(sample.stdio)
    assert all(run["policy"] == "wrapped" or run["policy"].startswith("wrapped") for run in runs), runs

    # Wrapping again changes nothing; unwrapping gives back the original bytes.
    again = riskkernel(rk_bin, *wrap)
    assert "already wrapped" in again.stdout
    assert config.read_text() == wrapped_text
    riskkernel(rk_bin, "unwrap", "--client", sample.client, "--config", str(config))
    assert config.read_bytes() == original


def test_dry_run_writes_nothing(rk_bin, tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(samples()[0].text)
    before = config.read_bytes()
    result = riskkernel(rk_bin, "wrap", "--client", "claude-desktop", "--config", str(config), "--policy", "dev", "--dry-run")
    assert config.read_bytes() == before
    assert not (tmp_path / "claude_desktop_config.json.riskkernel-backup").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claude_desktop_config.json"]
    assert f"--- {config}" in result.stdout and f"+++ {config}" in result.stdout
    assert f'-      "command": {json.dumps(sys.executable)},' in result.stdout
    assert f'+      "command": {json.dumps(str(rk_bin))},' in result.stdout
    assert "dry run: nothing written" in result.stdout


def test_unwrap_leaves_entries_edited_since(rk_bin, tmp_path):
    config = tmp_path / "mcp.json"
    config.write_text(dumps({"mcpServers": {"a": server("A"), "b": server("B")}}))
    original = json.loads(config.read_text())
    riskkernel(rk_bin, "wrap", "--client", "cursor", "--config", str(config))
    wrapped = json.loads(config.read_text())
    # The user replaces one wrapped entry by hand and adds another.
    wrapped["mcpServers"]["b"] = {"command": "node", "args": ["b.js"]}
    wrapped["mcpServers"]["c"] = {"url": "https://example.com"}
    config.write_text(dumps(wrapped))
    riskkernel(rk_bin, "unwrap", "--client", "cursor", "--config", str(config))
    after = json.loads(config.read_text())
    assert after["mcpServers"] == {"a": original["mcpServers"]["a"], "b": {"command": "node", "args": ["b.js"]}, "c": {"url": "https://example.com"}}


def test_wrap_finds_the_clients_own_file(rk_bin, tmp_path):
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    config.write_text(dumps({"mcpServers": {"echo": server("K")}}))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(rk_bin), "wrap", "--client", "cursor"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=CLI_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "~/.cursor/mcp.json" in result.stdout
    assert json.loads(config.read_text())["mcpServers"]["echo"]["args"][0] == "gateway"
    missing = subprocess.run([str(rk_bin), "wrap", "--client", "windsurf"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=CLI_TIMEOUT)
    assert missing.returncode != 0
    assert "mcp_config.json" in missing.stderr and "--config" in missing.stderr


def test_only_the_named_servers(rk_bin, tmp_path):
    config = tmp_path / "mcp.json"
    config.write_text(dumps({"mcpServers": {"a": server("A"), "b": server("B")}}))
    riskkernel(rk_bin, "wrap", "--client", "cursor", "--config", str(config), "--server", "b")
    servers = json.loads(config.read_text())["mcpServers"]
    assert servers["a"] == server("A") and servers["b"]["args"][0] == "gateway"
    unknown = riskkernel(rk_bin, "wrap", "--client", "cursor", "--config", str(config), "--server", "nope", check=False)
    assert unknown.returncode != 0 and "nope" in unknown.stderr


def test_a_linked_file_keeps_its_link_and_its_mode(rk_bin, tmp_path):
    (tmp_path / "dotfiles").mkdir()
    target = tmp_path / "dotfiles" / "claude.json"
    target.write_text(dumps({"mcpServers": {"echo": server("K")}, "userID": "abc"}))
    target.chmod(0o600)
    link = tmp_path / ".claude.json"
    link.symlink_to(target)
    riskkernel(rk_bin, "wrap", "--client", "claude-code", "--config", str(link))
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text())["mcpServers"]["echo"]["args"][0] == "gateway"
    assert target.stat().st_mode & 0o777 == 0o600
    backup = tmp_path / ".claude.json.riskkernel-backup"
    assert backup.stat().st_mode & 0o777 == 0o600
    assert json.loads(backup.read_text())["mcpServers"]["echo"] == server("K")
    # No temporary file is left behind.
    assert sorted(p.name for p in (tmp_path / "dotfiles").iterdir()) == ["claude.json"]


def test_a_file_that_is_not_json_is_left_alone(rk_bin, tmp_path):
    config = tmp_path / "mcp.json"
    config.write_text('{"mcpServers": {"a": ')
    result = riskkernel(rk_bin, "wrap", "--client", "cursor", "--config", str(config), check=False)
    assert result.returncode == 1
    assert f"{config}: not valid JSON" in result.stderr
    assert config.read_text() == '{"mcpServers": {"a": '
