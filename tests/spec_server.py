"""A loopback HTTP server that plays Kalshi's REST API from the pinned spec.

It routes by the spec's method + path templates, verifies the RSA-PSS signature of every request to an
operation that declares security (with the public key), and answers with a schema-valid sample of the
operation's success response. Tests can script responses per operation (status, headers, body, delay,
connection drop) and read back every request it received.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from codegen.families import TRADE, Family
from codegen.ir import OpenAPIDocument, Operation
from codegen.load import load_openapi, read_yaml
from codegen.overrides import load_type_overrides
from tests._samples import Sampler

ROOT = Path(__file__).resolve().parent.parent
BASE_PATH = "/trade-api/v2"


@dataclass
class Reply:
    """A scripted answer, or a fault.

    ``drop`` closes the connection without a response (after ``delay`` seconds); ``reset`` resets it (TCP RST)
    "before_body" (the request body unread) or "after_body"; ``truncate`` sends half the declared body and
    closes; ``content_type`` overrides the header; ``pad`` adds that many bytes of JSON padding to the body.
    ``commit`` says whether an order create is committed before this answer: None means "if it succeeds".
    """

    status: int = 200
    body: Any = None  # JSON-able, bytes, or None for the spec sample
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    reset: str | None = None
    truncate: bool = False
    content_type: str | None = None
    pad: int = 0
    commit: bool | None = None
    kind: str = "ok"  # a label for reports: which fault this is


@dataclass
class WindowLimit:
    """Rate-limit enforcement: at most ``limit`` requests to ``operations`` (every operation when None) in any
    sliding ``window`` of seconds. A request over it is answered 429 (with ``retry_after`` as Retry-After,
    when set) and does not count; ``rejected`` counts those 429s."""

    limit: int
    window: float
    operations: frozenset[str] | None = None
    retry_after: str | None = None
    accepted: deque[float] = field(default_factory=deque)
    rejected: int = 0

    def covers(self, operation_id: str) -> bool:
        return self.operations is None or operation_id in self.operations

    def full(self, now: float) -> bool:
        while self.accepted and self.accepted[0] <= now - self.window:
            self.accepted.popleft()
        return len(self.accepted) >= self.limit


@dataclass
class Received:
    operation_id: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None  # None: the operation is public
    at: float = field(default_factory=time.monotonic)  # when the request arrived (time.monotonic)


class _HTTPServer(ThreadingHTTPServer):
    # room for a burst of concurrent connections (an async client's tasks): with the default of 5 pending
    # connections, the rest wait for the kernel's SYN retries (seconds) before they are even accepted
    request_queue_size = 128


def load_spec(family: Family = TRADE) -> OpenAPIDocument:
    """A family's pinned OpenAPI spec (the trade exchange's by default)."""
    return load_openapi(read_yaml(family.pinned(ROOT, "openapi")))


class SpecServer:
    """Plays one API family's pinned spec: the trade exchange's unless ``family`` names another (PERPS).
    ``spec``, when given, is that family's spec already loaded; the samples follow the family's type
    overrides (its ``types.yaml``)."""

    def __init__(
        self,
        public_key: rsa.RSAPublicKey | None = None,
        spec: OpenAPIDocument | None = None,
        family: Family = TRADE,
    ) -> None:
        self.family = family
        self.spec = spec or load_spec(family)
        self.public_key = public_key
        overrides = load_type_overrides(family.config(ROOT), "openapi")
        self.sampler = Sampler(self.spec.schemas, overrides)
        self.routes = [(op, _template_regex(op.path)) for op in self.spec.operations]
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.received: list[Received] = []
        # fault injection and order bookkeeping
        self.fault_plan: Callable[[str, dict[str, str]], Reply | None] | None = None
        self.committed: dict[str, dict[str, Any]] = {}  # client_order_id -> order body, as committed
        self.commit_counts: dict[str, int] = {}
        self.duplicate_creates = 0  # creates refused because their client_order_id was already committed
        self.serve_committed_orders = False
        self.rate_limits: list[WindowLimit] = []
        self.lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{BASE_PATH}"

    def __enter__(self) -> SpecServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, operation_id: str, *replies: Reply) -> None:
        """Queue replies for an operation; once used up, it answers with the spec sample again."""
        with self.lock:
            self.scripts[operation_id].extend(replies)

    def calls(self, operation_id: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if operation_id is None or r.operation_id == operation_id]

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.scripts.clear()
            self.committed.clear()
            self.commit_counts.clear()
            self.duplicate_creates = 0
            self.fault_plan = None
            self.serve_committed_orders = False
            self.rate_limits.clear()

    def enforce(self, *limits: WindowLimit) -> None:
        """Answer 429 to requests over any of these limits, like the exchange does (until ``reset()``)."""
        with self.lock:
            self.rate_limits.extend(limits)

    def throttle(self, operation_id: str) -> Reply | None:
        """A 429 when a rate limit covering this operation is full; else the request counts against them."""
        now = time.monotonic()
        with self.lock:
            limits = [limit for limit in self.rate_limits if limit.covers(operation_id)]
            full = [limit for limit in limits if limit.full(now)]
            for limit in full:
                limit.rejected += 1
            if not full:
                for limit in limits:
                    limit.accepted.append(now)
        if not full:
            return None
        headers = {"Retry-After": full[0].retry_after} if full[0].retry_after else {}
        return Reply(429, {"error": "too many requests"}, headers=headers, kind="rate_limited")

    def next_reply(self, operation_id: str, headers: dict[str, str]) -> Reply | None:
        """The scripted reply for this request, else the fault plan's, else None (answer normally)."""
        with self.lock:
            queue = self.scripts[operation_id]
            if queue:
                return queue.popleft()
        return self.fault_plan(operation_id, headers) if self.fault_plan is not None else None

    def commit_orders(self, operation_id: str, body: bytes, reply: Reply) -> Reply | None:
        """Record the orders an order create commits; a client_order_id seen before is refused (409) like the
        exchange does, so nothing is ever committed twice. Returns the conflict reply, if any."""
        if operation_id not in ("CreateOrderV2", "BatchCreateOrdersV2"):
            return None
        data = json.loads(body)
        orders = data["orders"] if operation_id == "BatchCreateOrdersV2" else [data]
        commit = reply.commit if reply.commit is not None else (200 <= reply.status < 300 and not reply.drop)
        with self.lock:
            if operation_id == "CreateOrderV2" and orders[0].get("client_order_id") in self.committed:
                self.duplicate_creates += 1
                message = {"code": "order_already_exists", "message": "duplicate client_order_id"}
                return Reply(409, {"error": message}, kind="conflict")
            if commit:
                for order in orders:
                    cid = order.get("client_order_id")
                    self.commit_counts[cid] = self.commit_counts.get(cid, 0) + 1
                    self.committed[cid] = order
        return None

    def answer(self, op: Operation, received: Received) -> Any:
        """The success body: orders the server committed where they are asked for, else the spec sample."""
        payload = self.sample_response(op)[1]
        if op.operation_id == "GetOrders" and self.serve_committed_orders:
            ticker = dict(received.query).get("ticker")
            template = self.sampler.value(self.spec.schemas["Order"])
            with self.lock:
                orders = [
                    {
                        **template,
                        "order_id": f"order-{cid}",
                        "client_order_id": cid,
                        "ticker": order["ticker"],
                    }
                    for cid, order in self.committed.items()
                    if ticker is None or order["ticker"] == ticker
                ]
            return {"orders": orders, "cursor": ""}
        if op.operation_id == "CreateOrderV2" and self.serve_committed_orders and isinstance(payload, dict):
            cid = json.loads(received.body).get("client_order_id")
            return {**payload, "client_order_id": cid, "order_id": f"order-{cid}"}
        return payload

    def route(self, method: str, path: str) -> Operation | None:
        for op, pattern in self.routes:
            if op.method.upper() == method and pattern.fullmatch(path):
                return op
        return None

    def sample_response(self, op: Operation) -> tuple[int, Any]:
        for response in op.success_responses:
            for body in response.content:
                if body.schema is not None:
                    return int(response.status), self.sampler.value(body.schema)
        status = op.success_responses[0].status if op.success_responses else "204"
        return int(status), None

    def verify(self, method: str, path: str, headers: dict[str, str]) -> bool:
        if self.public_key is None:
            return False
        try:
            signature = base64.b64decode(headers["kalshi-access-signature"], validate=True)
            message = f"{headers['kalshi-access-timestamp']}{method}{path}".encode()
            self.public_key.verify(
                signature,
                message,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                hashes.SHA256(),
            )
        except (KeyError, ValueError, InvalidSignature):
            return False
        stamp = int(headers["kalshi-access-timestamp"])
        return abs(stamp - time.time() * 1000) < 30_000 and bool(headers.get("kalshi-access-key"))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: don't wait for ACKs

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = parts.path
                op = (
                    server.route(self.command, path.removeprefix(BASE_PATH))
                    if path.startswith(BASE_PATH)
                    else None
                )
                if op is None:
                    self.rfile.read(length)
                    self._send(
                        404, {"error": {"code": "not_found", "message": f"no route {self.command} {path}"}}
                    )
                    return
                reply = server.throttle(op.operation_id) or server.next_reply(op.operation_id, headers)
                if reply is not None and reply.reset == "before_body":
                    self._reset()
                    return
                body = self.rfile.read(length) if length else b""
                signed = server.verify(self.command, path, headers) if op.requires_auth else None
                received = Received(
                    op.operation_id, self.command, path, parse_qsl(parts.query), headers, body, signed
                )
                with server.lock:
                    server.received.append(received)
                if reply is None and signed is False:
                    reply = Reply(401, {"error": {"code": "unauthorized", "message": "bad signature"}})
                if reply is None:
                    reply = Reply(server.sample_response(op)[0])  # the body comes from answer() below
                conflict = server.commit_orders(op.operation_id, body, reply)
                if conflict is not None:
                    reply = conflict
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset == "after_body":
                    self._reset()
                    return
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if reply.body is None and 200 <= reply.status < 300 and reply.status != 204:
                    reply.body = server.answer(op, received)
                self._send(reply.status, reply.body, reply.headers, reply)

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends a TCP RST instead of a FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _send(
                self,
                status: int,
                payload: Any,
                headers: dict[str, str] | None = None,
                reply: Reply | None = None,
            ) -> None:
                if isinstance(payload, bytes):
                    data = payload
                else:
                    data = b"" if payload is None else json.dumps(payload).encode()
                if reply is not None and reply.pad and data.startswith(b"{"):
                    data = b'{"padding": "' + b"x" * reply.pad + b'", ' + data[1:]
                self.send_response(status)
                extra = dict(headers or {})
                content_type = reply.content_type if reply is not None and reply.content_type else None
                if content_type or ("Content-Type" not in extra and data):
                    self.send_header("Content-Type", content_type or "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply is not None and reply.truncate:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.close()
                    return
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        return Handler


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
