"""`riskkernel llm-proxy` with the official SDKs and agent frameworks as clients, against a stand-in
provider on localhost (Tests/interop/servers/standin_provider.py) that answers with fixed usage.

Shows: exact tokens and dollars recorded for each API, streamed and not; streams that hold exactly
what the client asked for; API keys passed through but absent from the database and the logs; a
call of a spent session refused with HTTP 402 without reaching the provider, while another session
goes on; and a gateway's tool call of the same session refused once model spend halted it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import anthropic
import httpx2 as httpx
import openai
import pytest

from conftest import CLI_TIMEOUT, gateway_session, run_test, text_of
from llm_proxy import LLMProxy, database_bytes, facts, ledger, run_row, runs_named, standin  # noqa: F401 (fixture)

OPENAI_KEY = "sk-proj-standin-KEY-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-standin-KEY-0123456789abcdef"

# The stand-in's fixed usage priced at llm_proxy.PRICES, in micro-dollars:
# chat: 1000 uncached x 2.50 + 200 cached x 1.25 + 300 output x 10 = 5,750
CHAT_MICROS = 5_750
# responses: 800 uncached x 2.50 + 100 cached x 1.25 + 400 output x 10 = 6,125
RESPONSES_MICROS = 6_125
# messages: 500 input x 3 + 1,000 cache writes x 3.75 + 2,000 cache reads x 0.30 + 250 output x 15 = 9,600
MESSAGES_MICROS = 9_600

TINY_BUDGET_POLICY = """\
apiVersion: riskkernel/v1
kind: Policy
metadata: {name: tiny}
spec:
  budget:
    dollars: "0.005"
"""


@pytest.fixture
def proxy(rk_bin: Path, db: Path, tmp_path: Path, standin):
    started: list[LLMProxy] = []

    def start(*options: str, log_level: str = "info") -> LLMProxy:
        instance = LLMProxy.start(rk_bin, db, tmp_path, standin, *options, name=f"proxy-{len(started)}", log_level=log_level)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def apply_tiny_policy(rk_bin: Path, db: Path, tmp_path: Path) -> None:
    policy = tmp_path / "tiny.yaml"
    policy.write_text(TINY_BUDGET_POLICY)
    subprocess.run([str(rk_bin), "policy", "apply", str(policy), "--db", str(db)], check=True, capture_output=True, timeout=CLI_TIMEOUT)


def openai_client(proxy: LLMProxy, session: str | None = None) -> openai.OpenAI:
    base = f"{proxy.url}/sessions/{session}/v1" if session else f"{proxy.url}/v1"
    return openai.OpenAI(base_url=base, api_key=OPENAI_KEY, max_retries=0, timeout=30)


def anthropic_client(proxy: LLMProxy, session: str | None = None) -> anthropic.Anthropic:
    base = f"{proxy.url}/sessions/{session}" if session else proxy.url
    return anthropic.Anthropic(base_url=base, api_key=ANTHROPIC_KEY, max_retries=0, timeout=30)


MESSAGES = [{"role": "user", "content": "Say hello."}]


# MARK: Usage, exactly


def test_openai_chat_completion_recorded_exactly(proxy, db: Path) -> None:
    server = proxy()
    completion = openai_client(server, "chat-1").chat.completions.create(model="standin-gpt", messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello from the stand-in."
    assert completion.usage is not None and completion.usage.prompt_tokens == 1200
    [entry] = ledger(db)
    assert (entry["provider"], entry["model"], entry["response_id"]) == ("openai", "standin-gpt", "chatcmpl-standin")
    assert (entry["prompt_tokens"], entry["completion_tokens"], entry["cached_prompt_tokens"]) == (1200, 300, 200)
    assert (entry["dollars_micros"], entry["priced"]) == (CHAT_MICROS, 1)
    [session_run] = runs_named(db, "chat-1")
    assert entry["run_id"] == session_run["id"]
    assert session_run["dollars_micros"] == CHAT_MICROS


def test_chat_stream_that_did_not_ask_for_usage_is_recorded_and_left_as_asked(proxy, db: Path, standin) -> None:
    server = proxy()
    client = openai_client(server, "stream-1")
    chunks = list(client.chat.completions.create(model="standin-gpt", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the stand-in."
    assert all(c.choices for c in chunks), "the client got a usage-only chunk it did not ask for"
    assert all(c.usage is None for c in chunks)
    # The raw stream, as the client received it: no usage member at all, and still ended by [DONE].
    with httpx.stream(
        "POST", f"{server.url}/sessions/stream-1/v1/chat/completions", timeout=30,
        headers={"Authorization": f"Bearer {OPENAI_KEY}"},
        json={"model": "standin-gpt", "messages": MESSAGES, "stream": True},
    ) as response:
        raw = response.read().decode()
    assert '"usage"' not in raw
    assert raw.rstrip().endswith("data: [DONE]")
    assert raw.count("data: ") == 5  # role, two deltas, finish, [DONE]: as the provider sends without include_usage
    # The proxy asked the provider for the usage, and recorded it exactly.
    upstream = [json.loads(r["body"]) for r in standin.requests() if r["path"] == "/v1/chat/completions"]
    assert [u["stream_options"] for u in upstream] == [{"include_usage": True}] * 2
    entries = ledger(db)
    assert [(e["prompt_tokens"], e["completion_tokens"], e["cached_prompt_tokens"], e["dollars_micros"]) for e in entries] == [
        (1200, 300, 200, CHAT_MICROS)
    ] * 2


def test_chat_stream_that_asked_for_usage_gets_it_unchanged(proxy, db: Path, standin) -> None:
    server = proxy()
    chunks = list(openai_client(server).chat.completions.create(
        model="standin-gpt", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == 1 and usage_chunks[0].usage is not None
    assert usage_chunks[0].usage.prompt_tokens_details.cached_tokens == 200
    assert usage_chunks[0].usage.completion_tokens_details.reasoning_tokens == 50
    [request] = [r for r in standin.requests() if r["path"] == "/v1/chat/completions"]
    assert json.loads(request["body"]) == {"model": "standin-gpt", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    [entry] = ledger(db)
    assert entry["run_id"] == server.run_id, "a call outside a session records into the proxy's own run"
    assert entry["dollars_micros"] == CHAT_MICROS


def test_responses_api_recorded_exactly_streamed_and_not(proxy, db: Path) -> None:
    server = proxy()
    client = openai_client(server, "responses-1")
    response = client.responses.create(model="standin-gpt", input="Say hello.")
    assert response.output_text == "Hello from the stand-in."
    events = list(client.responses.create(model="standin-gpt", input="Say hello.", stream=True))
    assert events[-1].type == "response.completed"
    entries = ledger(db)
    assert [(e["prompt_tokens"], e["completion_tokens"], e["cached_prompt_tokens"], e["dollars_micros"], e["response_id"]) for e in entries] == [
        (900, 400, 100, RESPONSES_MICROS, "resp_standin")
    ] * 2


def test_anthropic_messages_recorded_exactly_streamed_and_not(proxy, db: Path) -> None:
    server = proxy()
    client = anthropic_client(server, "claude-1")
    message = client.messages.create(model="standin-claude", max_tokens=100, messages=MESSAGES)
    assert message.content[0].text == "Hello from the stand-in."
    with client.messages.stream(model="standin-claude", max_tokens=100, messages=MESSAGES) as stream:
        assert stream.get_final_text() == "Hello from the stand-in."
        final = stream.get_final_message()
    assert final.usage.output_tokens == 250 and final.usage.cache_read_input_tokens == 2000
    entries = ledger(db)
    assert [(e["provider"], e["prompt_tokens"], e["completion_tokens"], e["cached_prompt_tokens"], e["dollars_micros"]) for e in entries] == [
        ("anthropic", 3500, 250, 2000, MESSAGES_MICROS)
    ] * 2


def test_models_pass_through(proxy, standin) -> None:
    server = proxy()
    assert [m.id for m in openai_client(server, "m").models.list()] == ["standin-gpt"]
    [request] = standin.requests()
    assert (request["method"], request["path"]) == ("GET", "/v1/models")


def test_cut_stream_recorded_with_what_was_seen_and_flagged(proxy, db: Path) -> None:
    server = proxy()
    with pytest.raises((anthropic.APIError, httpx.HTTPError)):
        with anthropic_client(server, "cut-1").messages.stream(model="cut-stream", max_tokens=100, messages=MESSAGES) as stream:
            stream.get_final_message()
    [entry] = ledger(db)
    # message_start's usage was seen (3,500 input tokens, 1 output token); message_delta never came.
    assert (entry["prompt_tokens"], entry["completion_tokens"], entry["cached_prompt_tokens"], entry["priced"]) == (3500, 1, 2000, 0)
    [flag] = facts(db, "riskkernel.llm-proxy.incomplete")
    assert flag["key"] == entry["id"] and json.loads(flag["value"])["api"] == "anthropic.messages"


def test_streams_are_relayed_as_they_arrive(proxy, standin) -> None:
    """The first event reaches the client while the provider still holds the rest of the stream."""
    server = proxy()
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", timeout=30, headers={"Authorization": f"Bearer {OPENAI_KEY}"},
        json={"model": "hold-stream", "messages": MESSAGES, "stream": True},
    ) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        assert '"role": "assistant"' in first
        httpx.post(f"{standin.url}/control/release", timeout=30)
        rest = [line for line in lines if line.startswith("data: ")]
    assert rest[-1] == "data: [DONE]"


# MARK: Keys


def test_keys_pass_through_and_are_never_stored_or_logged(proxy, db: Path, standin) -> None:
    server = proxy(log_level="trace")  # the most the proxy ever logs
    openai_client(server, "keys").chat.completions.create(model="standin-gpt", messages=MESSAGES)
    list(openai_client(server, "keys").chat.completions.create(model="standin-gpt", messages=MESSAGES, stream=True))
    anthropic_client(server, "keys").messages.create(model="standin-claude", max_tokens=10, messages=MESSAGES)
    requests = standin.requests()
    assert requests[0]["headers"]["authorization"] == f"Bearer {OPENAI_KEY}"
    # The Anthropic SDK sends its key as x-api-key, or (newer versions) as a bearer token.
    assert ANTHROPIC_KEY in (requests[2]["headers"].get("x-api-key"), requests[2]["headers"].get("authorization", "").removeprefix("Bearer "))
    assert requests[2]["headers"]["anthropic-version"]
    server.stop()
    stored = database_bytes(db)
    logged = server.stderr()
    assert len(ledger(db)) == 3
    for key in (OPENAI_KEY, ANTHROPIC_KEY, "standin-KEY"):
        assert key.encode() not in stored
        assert key not in logged


# MARK: Budgets


def test_spent_session_refused_with_402_without_reaching_the_provider(proxy, rk_bin: Path, db: Path, tmp_path: Path, standin) -> None:
    apply_tiny_policy(rk_bin, db, tmp_path)
    server = proxy("--policy", "tiny")
    client = openai_client(server, "spender")
    client.chat.completions.create(model="standin-gpt", messages=MESSAGES)  # $0.005750 crosses the $0.005 budget
    reached = len(standin.requests())
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(model="standin-gpt", messages=MESSAGES)
    assert refused.value.status_code == 402
    assert "dollar budget" in refused.value.message and "spender" in refused.value.message
    assert refused.value.body["code"] == "budget_exceeded"
    with pytest.raises(anthropic.APIStatusError) as refused_anthropic:
        anthropic_client(server, "spender").messages.create(model="standin-claude", max_tokens=10, messages=MESSAGES)
    assert refused_anthropic.value.status_code == 402
    assert refused_anthropic.value.body["error"]["type"] == "billing_error"
    assert len(standin.requests()) == reached, "a refused call reached the provider"
    # Another session is unaffected.
    other = openai_client(server, "bystander").chat.completions.create(model="standin-gpt", messages=MESSAGES)
    assert other.choices[0].message.content == "Hello from the stand-in."
    [spender] = runs_named(db, "spender")
    assert spender["status"] == "halted" and "dollar budget" in spender["halt_reason"]
    assert len(standin.requests()) == reached + 1
    # The refused calls recorded nothing; each session holds its own one call.
    assert spender["dollars_micros"] == CHAT_MICROS
    assert runs_named(db, "bystander")[0]["dollars_micros"] == CHAT_MICROS


def test_gateway_tool_call_refused_after_the_sessions_model_spend_halted_it(
    proxy, gateway, time_server, rk_bin: Path, db: Path, tmp_path: Path
) -> None:
    apply_tiny_policy(rk_bin, db, tmp_path)
    server = proxy("--policy", "tiny")

    async def body() -> None:
        async with gateway_session(gateway, [time_server], "--session", "agent-7", "--policy", "tiny") as tools:
            before = await tools.call_tool("get_current_time", {"timezone": "UTC"})
            assert not before.is_error, text_of(before)
            openai_client(server, "agent-7").chat.completions.create(model="standin-gpt", messages=MESSAGES)
            after = await tools.call_tool("get_current_time", {"timezone": "UTC"})
            assert after.is_error and "dollar budget" in text_of(after), text_of(after)
        async with gateway_session(gateway, [time_server], "--session", "agent-8", "--policy", "tiny") as tools:
            elsewhere = await tools.call_tool("get_current_time", {"timezone": "UTC"})
            assert not elsewhere.is_error, text_of(elsewhere)

    run_test(body, timeout=90)
    [session] = runs_named(db, "agent-7")
    assert session["status"] == "halted"
    tree = json.loads(subprocess.run(
        [str(rk_bin), "runs", "tree", session["id"], "--db", str(db), "--json"], check=True, capture_output=True, text=True, timeout=CLI_TIMEOUT
    ).stdout)
    # The session's run holds the model call; its gateway's run is its child, with the tool calls.
    assert tree["id"] == session["id"] and tree["usage"]["dollars"] == "0.005750"
    [child] = tree["children"]
    assert child["metadata"] == {"session": "agent-7"} and child["usage"]["toolCalls"] >= 1
    assert tree["treeUsage"]["toolCalls"] == child["usage"]["toolCalls"]
    [entry] = [e for e in ledger(db) if e["run_id"] == session["id"]]
    assert entry["dollars_micros"] == CHAT_MICROS


# MARK: Agent frameworks


def test_pydantic_ai_through_a_session(proxy, db: Path) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    server = proxy()
    model = OpenAIChatModel("standin-gpt", provider=OpenAIProvider(base_url=f"{server.url}/sessions/pydantic-ai/v1", api_key=OPENAI_KEY))
    result = Agent(model).run_sync("Say hello.")
    assert result.output == "Hello from the stand-in."
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.cache_read_tokens) == (1200, 300, 200)
    [entry] = ledger(db)
    assert (entry["prompt_tokens"], entry["completion_tokens"], entry["cached_prompt_tokens"], entry["dollars_micros"]) == (1200, 300, 200, CHAT_MICROS)
    assert entry["run_id"] == runs_named(db, "pydantic-ai")[0]["id"]


def test_openai_agents_sdk_through_a_session(proxy, db: Path) -> None:
    import asyncio

    from agents import Agent, OpenAIResponsesModel, Runner, set_tracing_disabled

    set_tracing_disabled(True)
    server = proxy()
    client = openai.AsyncOpenAI(base_url=f"{server.url}/sessions/agents-sdk/v1", api_key=OPENAI_KEY, max_retries=0)
    agent = Agent(name="greeter", instructions="Be brief.", model=OpenAIResponsesModel(model="standin-gpt", openai_client=client))

    async def both() -> tuple[object, str]:
        whole = await Runner.run(agent, "Say hello.")
        streamed = Runner.run_streamed(agent, "Say hello.")
        async for _ in streamed.stream_events():
            pass
        return whole, streamed.final_output

    result, streamed_output = asyncio.run(both())
    assert result.final_output == "Hello from the stand-in." and streamed_output == "Hello from the stand-in."
    assert result.context_wrapper.usage.input_tokens == 900
    entries = ledger(db)
    assert [(e["prompt_tokens"], e["completion_tokens"], e["cached_prompt_tokens"], e["dollars_micros"]) for e in entries] == [
        (900, 400, 100, RESPONSES_MICROS)
    ] * 2
    assert {e["run_id"] for e in entries} == {runs_named(db, "agents-sdk")[0]["id"]}
