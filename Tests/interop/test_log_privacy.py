"""The gateway's stderr log at the default level never prints argument or result values: not for an
allowed call, a tool error, a refusal (allowlist, a secret in the arguments), nor an approval that
expires. The upstream here writes nothing to stderr, so all of stderr is the gateway's."""

from __future__ import annotations

import sys

from conftest import REPO, gateway_session, run_test, text_of

ECHO_SERVER = REPO / "Tests" / "interop" / "servers" / "trace_echo_server.py"

POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: quiet-logs}
spec:
  toolAllowlist: [echo_meta, guarded, fail]
  approvalRules:
    - tool: guarded
"""

MARKER = "private-value-c0ffee42"
TOKEN = "ghp_" + "Z9y8X7w6V5" * 4


def test_default_log_level_prints_no_argument_or_result_values(gateway):
    policy = gateway.policy_file(POLICY)
    upstream = [sys.executable, ECHO_SERVER]

    async def body():
        async with gateway_session(gateway, upstream, "--policy-file", str(policy), "--approval-timeout", "0.5") as session:
            allowed = await session.call_tool("echo_meta", {"text": MARKER})
            failed = await session.call_tool("fail", {"text": MARKER})
            unlisted = await session.call_tool("forbidden", {"text": MARKER})
            secret = await session.call_tool("echo_meta", {"text": f"{MARKER} {TOKEN}"})
            expired = await session.call_tool("guarded", {"text": MARKER})
            return allowed, failed, unlisted, secret, expired

    allowed, failed, unlisted, secret, expired = run_test(body)
    # The calls did carry the values (so their absence from the log means something).
    assert MARKER in text_of(allowed) and MARKER in text_of(failed)
    assert unlisted.is_error and secret.is_error and expired.is_error
    assert "expired" in text_of(expired)

    log = gateway.all_logs()
    assert "refused tool forbidden" in log and "needs approval" in log, log
    assert MARKER not in log, log
    assert TOKEN not in log, log
