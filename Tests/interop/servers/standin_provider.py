"""A stand-in model provider on localhost for the LLM proxy's interop tests.

Answers in the documented shapes of OpenAI's Chat Completions and Responses APIs and Anthropic's
Messages API, streamed (server-sent events, one HTTP chunk per event) and not, always with the same
usage (USAGE below), so that tests can check exact tokens and dollars. It serves `GET /v1/models`
too, and logs every request it receives (path, headers, body) as one JSON line in --log, so that a
test can see what reached the provider.

Models with special behaviour:
- `cut-stream`: a stream that stops after its first events, the connection closed without ending.
- `hold-stream`: a stream that sends its first event, then waits (up to 60 s) until
  `POST /control/release` before sending the rest.

Usage: standin_provider.py --log FILE     (prints `port N` on stdout once listening on 127.0.0.1)
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Fixed usage. OpenAI counts cached tokens within prompt tokens and reasoning tokens within
# completion tokens; Anthropic counts cache reads and writes apart from input_tokens.
OPENAI_CHAT_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 200, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 50, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
}
RESPONSES_USAGE = {
    "input_tokens": 900,
    "input_tokens_details": {"cached_tokens": 100},
    "output_tokens": 400,
    "output_tokens_details": {"reasoning_tokens": 120},
    "total_tokens": 1300,
}
ANTHROPIC_START_USAGE = {"input_tokens": 500, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 2000, "output_tokens": 1}
ANTHROPIC_FINAL_OUTPUT = 250

release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path: str = ""
    log_lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _record(self, body: bytes) -> None:
        entry = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("utf-8", "replace")}
        with self.log_lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def _json(self, status: int, value: object) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_standin")
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "req_standin")
        self.end_headers()

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def do_GET(self) -> None:
        self._record(b"")
        if self.path.startswith("/v1/models"):
            self._json(200, {"object": "list", "data": [{"id": "standin-gpt", "object": "model", "created": 1, "owned_by": "standin"}]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/control/release":
            release.set()
            self._json(200, {"released": True})
            return
        self._record(body)
        request = json.loads(body or b"{}")
        model = request.get("model", "standin")
        streaming = request.get("stream") is True
        if self.path == "/v1/chat/completions":
            self._chat(request, model, streaming)
        elif self.path == "/v1/responses":
            self._responses(model, streaming)
        elif self.path == "/v1/messages":
            self._messages(model, streaming)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    # OpenAI Chat Completions: https://platform.openai.com/docs/api-reference/chat
    def _chat(self, request: dict, model: str, streaming: bool) -> None:
        created = int(time.time())
        if not streaming:
            self._json(200, {
                "id": "chatcmpl-standin", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from the stand-in.", "refusal": None}, "logprobs": None, "finish_reason": "stop"}],
                "usage": OPENAI_CHAT_USAGE, "service_tier": "default", "system_fingerprint": "fp_standin",
            })
            return
        include_usage = (request.get("stream_options") or {}).get("include_usage") is True
        self._start_stream()

        def chunk(delta: dict, finish: str | None) -> str:
            value = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": "fp_standin",
                     "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
            if include_usage:
                value["usage"] = None
            return "data: " + json.dumps(value) + "\n\n"

        self._chunk(chunk({"role": "assistant", "content": "", "refusal": None}, None))
        if model == "hold-stream":
            release.wait(60)
        self._chunk(chunk({"content": "Hello"}, None))
        if model == "cut-stream":
            self._cut()
            return
        self._chunk(chunk({"content": " from the stand-in."}, None))
        self._chunk(chunk({}, "stop"))
        if include_usage:
            usage_chunk = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": model,
                           "system_fingerprint": "fp_standin", "choices": [], "usage": OPENAI_CHAT_USAGE}
            self._chunk("data: " + json.dumps(usage_chunk) + "\n\n")
        self._chunk("data: [DONE]\n\n")
        self._end_stream()

    # OpenAI Responses: https://platform.openai.com/docs/api-reference/responses-streaming
    def _responses(self, model: str, streaming: bool) -> None:
        created = int(time.time())
        message = {"id": "msg_standin", "type": "message", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": "Hello from the stand-in.", "annotations": []}]}

        def response(status: str, usage: dict | None, output: list) -> dict:
            return {"id": "resp_standin", "object": "response", "created_at": created, "status": status, "model": model,
                    "output": output, "usage": usage, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                    "error": None, "incomplete_details": None, "instructions": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0}

        if not streaming:
            self._json(200, response("completed", RESPONSES_USAGE, [message]))
            return
        self._start_stream()
        sequence = 0

        def event(kind: str, data: dict) -> None:
            nonlocal sequence
            data = {"type": kind, "sequence_number": sequence, **data}
            sequence += 1
            self._chunk(f"event: {kind}\ndata: {json.dumps(data)}\n\n")

        event("response.created", {"response": response("in_progress", None, [])})
        event("response.in_progress", {"response": response("in_progress", None, [])})
        event("response.output_item.added", {"output_index": 0, "item": {**message, "status": "in_progress", "content": []}})
        event("response.content_part.added", {"item_id": "msg_standin", "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}})
        event("response.output_text.delta", {"item_id": "msg_standin", "output_index": 0, "content_index": 0, "delta": "Hello from the stand-in.", "logprobs": []})
        if model == "cut-stream":
            self._cut()
            return
        event("response.output_text.done", {"item_id": "msg_standin", "output_index": 0, "content_index": 0, "text": "Hello from the stand-in.", "logprobs": []})
        event("response.content_part.done", {"item_id": "msg_standin", "output_index": 0, "content_index": 0, "part": message["content"][0]})
        event("response.output_item.done", {"output_index": 0, "item": message})
        event("response.completed", {"response": response("completed", RESPONSES_USAGE, [message])})
        self._end_stream()

    # Anthropic Messages: https://docs.anthropic.com/en/api/messages-streaming
    def _messages(self, model: str, streaming: bool) -> None:
        if not streaming:
            self._json(200, {
                "id": "msg_standin", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": "Hello from the stand-in."}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {**ANTHROPIC_START_USAGE, "output_tokens": ANTHROPIC_FINAL_OUTPUT},
            })
            return
        self._start_stream()

        def event(kind: str, data: dict) -> None:
            self._chunk(f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n")

        event("message_start", {"message": {"id": "msg_standin", "type": "message", "role": "assistant", "model": model, "content": [],
                                            "stop_reason": None, "stop_sequence": None, "usage": ANTHROPIC_START_USAGE}})
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {})
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hello"}})
        if model == "cut-stream":
            self._cut()
            return
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": " from the stand-in."}})
        event("content_block_stop", {"index": 0})
        event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": ANTHROPIC_FINAL_OUTPUT}})
        event("message_stop", {})
        self._end_stream()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    arguments = parser.parse_args()
    Handler.log_path = arguments.log
    open(arguments.log, "w").close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
