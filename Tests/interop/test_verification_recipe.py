"""The verification recipe of Protocol/verifying.md, run as written: an audit export, a provenance bundle
and a seal file checked with standard Python packages (`rfc8785`, `cryptography`) and no project code.

The database is written by a real gateway (the official MCP Python SDK as the client, mcp-server-time
as the upstream); only the `riskkernel` CLI is used to export. Everything after that is the recipe.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import gateway_session, rk_request, run_test

GENESIS = "0" * 64
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# MARK: The recipe (Protocol/verifying.md)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash(previous_hash: str, body: dict[str, Any]) -> str:
    """hash = SHA-256(previousHash ‖ "\\n" ‖ RFC 8785(body)); body is the event without previousHash and hash."""
    assert body.get("canon") == "rfc8785", "an event written before rules were recorded needs the riskkernel-v1 form"
    return sha256_hex(previous_hash.encode() + b"\n" + rfc8785.dumps(body))


def verify_chain(events: list[dict[str, Any]], run_id: str) -> str:
    """Checks a run's events (bodies with previousHash and hash, as `audit export` prints them); returns the head."""
    previous = GENESIS
    for expected_sequence, event in enumerate(events, start=1):
        body = {key: value for key, value in event.items() if key not in ("previousHash", "hash")}
        assert body["runId"] == run_id and body["sequence"] == expected_sequence, f"event {expected_sequence} is out of place"
        assert event["previousHash"] == previous, f"event {expected_sequence} does not follow the one before"
        assert event_hash(event["previousHash"], body) == event["hash"], f"event {expected_sequence} does not hash to its hash"
        previous = event["hash"]
    return previous


def base58_decode(text: str) -> bytes:
    number = 0
    for character in text:
        number = number * 58 + BASE58.index(character)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def ed25519_key(did: str) -> Ed25519PublicKey:
    """did:key:z6Mk… → the Ed25519 public key (multibase base58btc, multicodec ed25519-pub 0xed 0x01)."""
    assert did.startswith("did:key:z"), did
    decoded = base58_decode(did[len("did:key:z"):])
    assert decoded[:2] == b"\xed\x01", "not an Ed25519 did:key"
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def open_envelope(envelope: dict[str, Any], payload_type: str, trusted: str) -> dict[str, Any]:
    """Verifies every Ed25519 signature of a DSSE envelope, requires one by `trusted`, returns the payload as JSON."""
    assert envelope["payloadType"] == payload_type
    payload = base64.b64decode(envelope["payload"])
    signers = []
    for signature in envelope["signatures"]:
        if signature["keyid"].startswith("did:key:z6Mk"):
            ed25519_key(signature["keyid"]).verify(base64.b64decode(signature["sig"]), pae(envelope["payloadType"], payload))
            signers.append(signature["keyid"])
    assert trusted in signers, "not signed by the trusted key"
    return json.loads(payload)


# MARK: The test


def random_payload(rng: random.Random, depth: int = 2) -> Any:
    """JSON whose RFC 8785 form is easy to get wrong: exponents, escapes, non-BMP and U+E000 keys."""
    keys = ["x", "😀", "\ue000", "\u20ac", "\r", "1", "\u0080", "\ufb33", "a\"b", "\\", "\U0010ffff"]
    choice = rng.randrange(8 if depth > 0 else 6)
    if choice == 0:
        return rng.choice([None, True, False])
    if choice == 1:
        return rng.randrange(-(2**53) + 1, 2**53)
    if choice in (2, 3):
        return rng.choice([1e-7, 1e21, 1.5e-9, 123456789.123, -0.0001, 5e-324, 1.7976931348623157e308, 0.1 + 0.2,
                           rng.uniform(-1e-8, 1e-8), rng.uniform(-1e30, 1e30), rng.random()])
    if choice in (4, 5):
        return "".join(rng.choice(keys + ["\t", "\u001f", "\u007f", "é"]) for _ in range(rng.randrange(4)))
    if choice == 6:
        return [random_payload(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {rng.choice(keys): random_payload(rng, depth - 1) for _ in range(rng.randrange(5))}


def test_audit_export_bundle_and_seal_verify_with_standard_tools(gateway, cli, time_server, tmp_path: Path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    payloads: list[Any] = [{"x": 1e-7, "😀": 1, "\ue000": 2}] + [random_payload(rng) for _ in range(40)]

    async def body():
        async with gateway_session(gateway, [time_server], "--auto-checkpoint", "none") as session:
            await session.call_tool("get_current_time", {"timezone": "UTC"})
            await rk_request(session, "riskkernel/recordModelCall",
                             {"provider": "openai", "model": "gpt-4o", "promptTokens": 120, "completionTokens": 30})
            for index, payload in enumerate(payloads):
                await rk_request(session, "riskkernel/checkpoint", {"name": f"c{index}", "payload": payload})

    run_test(body)
    [run] = cli.runs()
    run_id = run["id"]

    # 1. The audit export: every hash recomputes with RFC 8785, and every checkpoint's payloadDigest is
    #    the SHA-256 of its payload's RFC 8785 bytes (seed printed for a failure).
    events = cli.audit(run_id)
    head = verify_chain(events, run_id)
    created = [event for event in events if event["kind"] == "checkpoint.created"]
    assert len(created) == len(payloads)
    for event, payload in zip(created, payloads):
        assert event["data"]["payloadDigest"] == sha256_hex(rfc8785.dumps(payload)), f"seed {seed}: {payload!r}"

    # 2. A bundle: the DSSE signature, the in-toto statement, the chain, the records against their events.
    keys = tmp_path / "keys"
    subprocess.run([str(cli.binary), "keys", "generate", "--out", str(keys)], check=True, capture_output=True, timeout=60)
    did = json.loads((keys / "key.json").read_text())["did"]
    bundle_path = tmp_path / "bundle.json"
    cli.run("provenance", "export", "--run", run_id, "--redact", "none", "--key", str(keys), "--out", str(bundle_path))
    statement = open_envelope(json.loads(bundle_path.read_text()), "application/vnd.riskkernel.provenance+json", did)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://riskkernel.dev/provenance/v1"
    [subject] = statement["subject"]
    assert subject["name"] == f"riskkernel-run:{run_id}"
    assert {entry["keyid"] for entry in statement["predicate"]["expectedSigners"]} == {did}
    [entry] = statement["predicate"]["runs"]
    chain = [{**event["body"], "previousHash": event["previousHash"], "hash": event["hash"]} for event in entry["events"]]
    assert verify_chain(chain, run_id) == entry["head"]["hash"] == subject["digest"]["sha256"] == head
    decided = {event["body"]["data"]["callId"]: event for event in entry["events"] if event["kind"] == "tool.decided"}
    for call in entry["toolCalls"]:
        assert decided[call["id"]]["body"]["data"]["argumentsDigest"] == sha256_hex(rfc8785.dumps(call["arguments"]))
    checkpoint_events = {event["body"]["data"]["checkpointId"]: event for event in entry["events"] if event["kind"] == "checkpoint.created"}
    for checkpoint in entry["checkpoints"]:
        assert checkpoint_events[checkpoint["id"]]["body"]["data"]["payloadDigest"] == sha256_hex(rfc8785.dumps(checkpoint["payload"]))

    # 3. A seal: signed by the key, and its head for the run is the chain's head.
    seals = tmp_path / "seals.jsonl"
    cli.run("audit", "seal", "--key", str(keys), "--seals", str(seals))
    [line] = seals.read_text().splitlines()
    seal = open_envelope(json.loads(line), "application/vnd.riskkernel.seal+json", did)
    assert seal["_type"] == "https://riskkernel.dev/seal/v1"
    [sealed] = [h for h in seal["heads"] if h["runId"] == run_id]
    assert (sealed["sequence"], sealed["hash"]) == (len(events), head)

    # A changed payload fails the signature check.
    tampered = json.loads(bundle_path.read_text())
    tampered["payload"] = base64.b64encode(base64.b64decode(tampered["payload"]).replace(b"get_current_time", b"get_current_tome")).decode()
    try:
        open_envelope(tampered, "application/vnd.riskkernel.provenance+json", did)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("a changed bundle payload still verified")

    # And the project's own verifier agrees.
    assert cli.run("audit", "verify", "--seals", str(seals), "--trust", did).returncode == 0
