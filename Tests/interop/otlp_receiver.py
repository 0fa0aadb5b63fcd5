"""A real OTLP/HTTP trace receiver for the interop tests: a tiny HTTP server on a free loopback port
that accepts `POST /v1/traces` in `application/x-protobuf` (decoded with the `opentelemetry-proto`
package) or `application/json` (OTLP/JSON, read strictly as a collector reads it: trace and span ids
in lowercase hex, 64-bit integers as strings, enums as integers; an export that breaks those rules is
refused with 400 and noted in `errors`), and keeps every span it was sent.

    with OtlpReceiver() as receiver:
        ... run the gateway with OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint ...
        spans = receiver.wait_for(lambda spans: len(spans) >= 3)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
STATUS_ERROR = 2


@dataclass
class ReceivedSpan:
    """One span as received, with the attributes of its resource."""

    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    resource: dict[str, Any]

    @property
    def is_error(self) -> bool:
        return self.status_code == STATUS_ERROR


@dataclass
class Export:
    """One request the receiver accepted."""

    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return None if kind is None else getattr(value, kind)


def _json_value(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(_json_int64(value["intValue"], "intValue"))
    if "arrayValue" in value:
        return [_json_value(element) for element in value["arrayValue"].get("values", [])]
    return None


def _json_int64(text: Any, name: str) -> str:
    """A 64-bit integer of OTLP/JSON, which protobuf's JSON mapping writes as a decimal string."""
    if not isinstance(text, str) or not text.lstrip("-").isdigit():
        raise ValueError(f"{name} must be a decimal string, got {text!r}")
    return text


def _json_id(text: Any, size: int, name: str) -> str:
    """An id of OTLP/JSON: lowercase hex of `size` bytes (OTLP/JSON's exception to protobuf's base64
    for bytes), or "" when absent."""
    if text in (None, ""):
        return ""
    if not isinstance(text, str) or len(text) != size * 2 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"{name} must be {size * 2} lowercase hex characters, got {text!r}")
    return text


def decode_protobuf(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _any_value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(ReceivedSpan(
                    name=span.name, kind=SPAN_KINDS.get(span.kind, str(span.kind)),
                    trace_id=span.trace_id.hex(), span_id=span.span_id.hex(), parent_span_id=span.parent_span_id.hex(),
                    attributes={a.key: _any_value(a.value) for a in span.attributes},
                    status_code=span.status.code, status_message=span.status.message, resource=resource,
                ))
    return spans


def decode_json(body: bytes) -> list[ReceivedSpan]:
    request = json.loads(body)
    spans = []
    for resource_spans in request.get("resourceSpans", []):
        resource = {a["key"]: _json_value(a["value"]) for a in resource_spans.get("resource", {}).get("attributes", [])}
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                status = span.get("status", {})
                kind = span.get("kind", 0)
                if not isinstance(kind, int) or not isinstance(status.get("code", 0), int):
                    raise ValueError(f"kind and status.code must be integers, got {kind!r} and {status.get('code')!r}")
                for field_name in ("startTimeUnixNano", "endTimeUnixNano"):
                    _json_int64(span.get(field_name), field_name)
                spans.append(ReceivedSpan(
                    name=span["name"], kind=SPAN_KINDS.get(kind, str(kind)),
                    trace_id=_json_id(span.get("traceId"), 16, "traceId"),
                    span_id=_json_id(span.get("spanId"), 8, "spanId"),
                    parent_span_id=_json_id(span.get("parentSpanId"), 8, "parentSpanId"),
                    attributes={a["key"]: _json_value(a["value"]) for a in span.get("attributes", [])},
                    status_code=status.get("code", 0), status_message=status.get("message", ""), resource=resource,
                ))
                if not spans[-1].trace_id or not spans[-1].span_id:
                    raise ValueError(f"span {span['name']!r} has no traceId or spanId")
    return spans


@dataclass
class OtlpReceiver:
    """The receiver; use it as a context manager (it serves from a thread until exit)."""

    exports: list[Export] = field(default_factory=list)
    spans: list[ReceivedSpan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if self.path != "/v1/traces":
                    receiver._note_error(f"POST to {self.path}, not /v1/traces")
                    self.send_response(404)
                    self.end_headers()
                    return
                try:
                    if content_type == "application/x-protobuf":
                        spans = decode_protobuf(body)
                        reply, reply_type = ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf"
                    elif content_type == "application/json":
                        spans = decode_json(body)
                        reply, reply_type = b"{}", "application/json"
                    else:
                        raise ValueError(f"unexpected Content-Type {content_type!r}")
                except Exception as error:  # noqa: BLE001 - reported to the test
                    receiver._note_error(f"could not decode an export: {error}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.exports.append(Export(content_type, body, {k.lower(): v for k, v in self.headers.items()}))
                    receiver.spans.extend(spans)
                self.send_response(200)
                self.send_header("Content-Type", reply_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _note_error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    @property
    def endpoint(self) -> str:
        """The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def received(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self.spans)

    def raw_bodies(self) -> bytes:
        with self._lock:
            return b"".join(export.body for export in self.exports)

    def wait_for(self, done: Callable[[list[ReceivedSpan]], bool], timeout: float = 10.0) -> list[ReceivedSpan]:
        """The spans once `done(spans)` holds; after `timeout`, whatever arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.received()
            if done(spans):
                return spans
            time.sleep(0.05)
        return self.received()
