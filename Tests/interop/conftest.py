"""Fixtures for the interop tests: real MCP peers talking to the built `riskkernel` binary.

The client side is the official MCP Python SDK (`mcp.ClientSession` over `mcp.client.stdio`),
or a raw subprocess pipe where a test needs bytes the SDK would never send. The upstream
servers are the reference servers `mcp-server-time` and `mcp-server-git`, run from the
virtual environment that `scripts/setup-python-peers` makes.

Where things are found:
- the gateway binary: $RISKKERNEL_BIN, else <repo>/.build/debug/riskkernel;
- the peers: the console scripts next to the Python running pytest, else <repo>/.venv/bin.
A missing binary or peer fails the test with a message saying how to get it (never a skip).

Each test gets its own SQLite database under tmp_path, and the gateway's stderr goes to a file
there; a failing test's report shows it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:
    import anyio
    import mcp.types as types
    from pydantic import TypeAdapter
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
except ImportError as error:  # pragma: no cover - only when the venv is wrong
    raise pytest.UsageError(
        f"the MCP Python SDK is not importable ({error}); run scripts/setup-python-peers and use .venv/bin/python"
    ) from error

REPO = Path(__file__).resolve().parents[2]

# Bounds that keep a hung gateway from hanging the suite.
TEST_TIMEOUT = 30.0
CLI_TIMEOUT = 20.0


# MARK: Locating the binary and the peers


def _binary_path() -> Path:
    configured = os.environ.get("RISKKERNEL_BIN")
    return Path(configured) if configured else REPO / ".build" / "debug" / "riskkernel"


def _peer_path(name: str) -> Path:
    candidates = [Path(sys.executable).parent / name, REPO / ".venv" / "bin" / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        f"the MCP peer {name!r} is missing (looked at {', '.join(str(c) for c in candidates)}); "
        "run scripts/setup-python-peers and run the tests with .venv/bin/python -m pytest Tests/interop",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def rk_bin() -> Path:
    path = _binary_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        how = "$RISKKERNEL_BIN points at" if os.environ.get("RISKKERNEL_BIN") else "expected the built binary at"
        pytest.fail(f"riskkernel binary not found: {how} {path}; build it with `swift build` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def time_server() -> Path:
    return _peer_path("mcp-server-time")


@pytest.fixture(scope="session")
def git_server() -> Path:
    return _peer_path("mcp-server-git")


@pytest.fixture(scope="session")
def git_exe() -> str:
    path = shutil.which("git")
    if path is None:
        pytest.fail("git is not installed; mcp-server-git and these tests need it", pytrace=False)
    return path


# MARK: Per-test state


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "riskkernel.sqlite"


@dataclass
class Cli:
    """Runs `riskkernel` subcommands against the test's database."""

    binary: Path
    db: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.binary), *args, "--db", str(self.db)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=CLI_TIMEOUT)
        if check and result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}",
                pytrace=False,
            )
        return result

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"`riskkernel {' '.join(args)} --json` printed no JSON: {result.stdout!r}", pytrace=False)

    async def run_async(self, *args: str) -> str:
        """The same, from a second process, without blocking the event loop; returns stdout."""
        command = [str(self.binary), *args, "--db", str(self.db)]
        with anyio.fail_after(CLI_TIMEOUT):
            result = await anyio.run_process(command, check=False)
        stdout, stderr = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
        assert result.returncode == 0, f"`{' '.join(command)}` exited {result.returncode}\nstdout: {stdout}\nstderr: {stderr}"
        return stdout

    async def json_async(self, *args: str) -> Any:
        return json.loads(await self.run_async(*args, "--json"))

    def runs(self) -> list[dict[str, Any]]:
        return self.json("runs", "list")

    def only_run(self) -> dict[str, Any]:
        runs = self.runs()
        assert len(runs) == 1, f"expected exactly one run in the database, found {len(runs)}: {runs}"
        return self.json("runs", "show", runs[0]["id"])

    def pending_approvals(self) -> list[dict[str, Any]]:
        return self.json("approvals", "list", "--status", "pending")

    def audit(self, run_id: str) -> list[dict[str, Any]]:
        """`audit export --run ID` (JSON lines), parsed."""
        output = self.run("audit", "export", "--run", run_id).stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def cli(rk_bin: Path, db: Path) -> Cli:
    return Cli(rk_bin, db)


@dataclass
class GatewayLog:
    """Where a gateway's stderr goes; `text()` for assertion messages."""

    path: Path

    def text(self) -> str:
        return self.path.read_text(errors="replace") if self.path.exists() else "(no stderr captured)"


@dataclass
class Gateway:
    """Builds the gateway's command line for one test."""

    binary: Path
    db: Path
    tmp_path: Path
    logs: list[GatewayLog] = field(default_factory=list)

    def argv(self, upstream: Sequence[str | os.PathLike[str]], *options: str) -> list[str]:
        return [str(self.binary), "gateway", "--db", str(self.db), *options, "--", *map(str, upstream)]

    def params(self, upstream: Sequence[str | os.PathLike[str]], *options: str) -> StdioServerParameters:
        argv = self.argv(upstream, *options)
        return StdioServerParameters(command=argv[0], args=argv[1:])

    def new_log(self) -> GatewayLog:
        log = GatewayLog(self.tmp_path / f"gateway-{len(self.logs)}.stderr")
        self.logs.append(log)
        return log

    def all_logs(self) -> str:
        return "\n".join(f"--- {log.path.name}\n{log.text()}" for log in self.logs)

    def policy_file(self, text: str, name: str = "policy.yaml") -> Path:
        path = self.tmp_path / name
        path.write_text(text)
        return path


@pytest.fixture
def gateway(rk_bin: Path, db: Path, tmp_path: Path) -> Gateway:
    return Gateway(rk_bin, db, tmp_path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Appends the gateways' stderr to a failing test's report."""
    report = yield
    if report.when == "call" and report.failed:
        gateway = getattr(item, "funcargs", {}).get("gateway")
        if isinstance(gateway, Gateway) and gateway.logs:
            report.sections.append(("riskkernel gateway stderr", gateway.all_logs()))
    return report


# MARK: The SDK client


class ApprovalWatcher:
    """Collects the gateway's approval notifications (`notifications/message` with an approvalId)."""

    def __init__(self) -> None:
        self.notices: list[dict[str, Any]] = []
        self.messages: list[types.LoggingMessageNotificationParams] = []
        self._arrived = anyio.Event()

    async def __call__(self, params: types.LoggingMessageNotificationParams) -> None:
        self.messages.append(params)
        if isinstance(params.data, dict) and "approvalId" in params.data:
            self.notices.append(params.data)
            self._arrived.set()
            self._arrived = anyio.Event()

    async def next_for(self, tool: str, seen: int = 0) -> dict[str, Any]:
        """Waits for an approval notice for `tool` beyond the first `seen` notices."""
        while True:
            for notice in self.notices[seen:]:
                if notice.get("tool") == tool:
                    return notice
            await self._arrived.wait()


@asynccontextmanager
async def mcp_session(
    params: StdioServerParameters, log: GatewayLog, watcher: ApprovalWatcher | None = None, *, modern: bool = False, **session_options: Any
) -> AsyncIterator[ClientSession]:
    """A connected SDK session over stdio with the process `params` describes.

    By default it connects with the `initialize` handshake (protocol 2025-11-25 and earlier);
    `modern=True` uses the 2026-07-28 `server/discover` flow instead, which has no `initialize`
    and no `notifications/initialized`. `session_options` go to `ClientSession` (an
    `elicitation_callback`, a `client_info`).
    """
    with log.path.open("a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, logging_callback=watcher, **session_options) as session:
                if modern:
                    await session.discover()
                else:
                    await session.initialize()
                yield session


@asynccontextmanager
async def gateway_session(
    gateway: Gateway,
    upstream: Sequence[str | os.PathLike[str]],
    *options: str,
    watcher: ApprovalWatcher | None = None,
    modern: bool = False,
    **session_options: Any,
) -> AsyncIterator[ClientSession]:
    async with mcp_session(gateway.params(upstream, *options), gateway.new_log(), watcher, modern=modern, **session_options) as session:
        yield session


@asynccontextmanager
async def direct_session(
    gateway: Gateway, upstream: Sequence[str | os.PathLike[str]], *, modern: bool = False
) -> AsyncIterator[ClientSession]:
    """A session straight to the upstream server, for comparisons."""
    params = StdioServerParameters(command=str(upstream[0]), args=[str(a) for a in upstream[1:]])
    async with mcp_session(params, gateway.new_log(), modern=modern) as session:
        yield session


class ExtensionRequest(types.Request[dict[str, Any] | None, str]):
    """A `riskkernel/...` request, which the gateway answers itself."""

    method: str
    params: dict[str, Any] | None = None


_ANY_RESULT = TypeAdapter(dict[str, Any])


async def rk_request(session: ClientSession, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sends a RiskKernel extension request through the SDK and returns its raw result object."""
    return await session.send_request(ExtensionRequest(method=method, params=params), _ANY_RESULT)


def run_test(test: Callable[[], Any], timeout: float = TEST_TIMEOUT) -> Any:
    """Runs an async test body on asyncio, failing (not hanging) after `timeout` seconds."""

    async def bounded() -> Any:
        with anyio.fail_after(timeout):
            return await test()

    return anyio.run(bounded, backend="asyncio")


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


# MARK: Git repositories


@dataclass
class GitRepo:
    path: Path
    git: str

    def run(self, *args: str) -> str:
        result = subprocess.run([self.git, *args], cwd=self.path, capture_output=True, text=True, timeout=CLI_TIMEOUT)
        assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
        return result.stdout

    def commit_count(self) -> int:
        return int(self.run("rev-list", "--count", "--all").strip() or 0)

    def subjects(self) -> list[str]:
        return self.run("log", "--format=%s").splitlines()


@pytest.fixture
def git_repo(tmp_path: Path, git_exe: str) -> GitRepo:
    """A fresh repository with one commit and one untracked file, `notes.txt`."""
    path = tmp_path / "repo"
    path.mkdir()
    repo = GitRepo(path, git_exe)
    repo.run("init", "-q", "-b", "main")
    repo.run("config", "user.name", "Interop Test")
    repo.run("config", "user.email", "interop@example.invalid")
    repo.run("config", "commit.gpgsign", "false")
    (path / "README.md").write_text("# test repository\n")
    repo.run("add", "README.md")
    repo.run("commit", "-q", "-m", "initial commit")
    (path / "notes.txt").write_text("a note\n")
    return repo


# MARK: Raw pipe client


class RawGateway:
    """A gateway driven over a raw pipe, one JSON-RPC line at a time (no SDK)."""

    def __init__(self, argv: list[str], log: GatewayLog, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._stderr = log.path.open("wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        self._buffer = b""
        self._next_id = 1000

    def send_line(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data + b"\n")
        self.process.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_line(json.dumps(message).encode())

    def read_line(self, timeout: float = 10.0) -> bytes:
        """The next line from the gateway, as bytes."""
        import select

        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                pytest.fail(f"no message from the gateway within {timeout}s\nstderr:\n{self.log.text()}", pytrace=False)
            chunk = os.read(fd, 65536)
            if not chunk:
                pytest.fail(
                    f"the gateway closed stdout (exit status {self.process.poll()})\nstderr:\n{self.log.text()}",
                    pytrace=False,
                )
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def read(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message from the gateway."""
        return json.loads(self.read_line(timeout))

    def read_response(self, id: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The response with `id`, skipping notifications (a mismatched response fails)."""
        while True:
            message = self.read(timeout)
            if "method" in message:
                continue
            assert message.get("id") == id, f"expected the response to id {id!r}, got {message}"
            return message

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 10.0) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.read_response(self._next_id, timeout)

    def initialize(self) -> dict[str, Any]:
        response = self.request(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw-interop", "version": "1"}},
        )
        assert "result" in response, response
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return response

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float = 20.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the gateway did not exit within {timeout}s\nstderr:\n{self.log.text()}", pytrace=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()


@pytest.fixture
def raw_gateway(gateway: Gateway) -> Iterator[Callable[..., RawGateway]]:
    """Starts gateways driven over a raw pipe; kills any still running at the end of the test."""
    started: list[RawGateway] = []

    def start(upstream: Sequence[str | os.PathLike[str]], *options: str, env: dict[str, str] | None = None) -> RawGateway:
        raw = RawGateway(gateway.argv(upstream, *options), gateway.new_log(), env)
        started.append(raw)
        return raw

    yield start
    for raw in started:
        raw.stop()

