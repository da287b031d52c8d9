"""Recordings of HTTP exchanges: the file format, what is kept out of it, writing it and reading it back.

A recording is a JSON Lines file (UTF-8, one JSON object a line). The first line is the header
``{"format": "kalshi-api-recording", "version": 1}``; every other line is one exchange::

    {"request": {"method": "GET", "path": "/trade-api/v2/markets", "query": [["limit", "2"]],
                 "headers": [["user-agent", "kalshi-api/3.22.0"], ...], "body": null},
     "response": {"status": 200, "headers": [["content-type", "application/json"], ...],
                  "body": {"text": "{\\"markets\\": [...]}"}}}

``path`` is the URL path as sent (percent-encoded), ``query`` the query pairs in the order sent. A body is
``null`` when empty, ``{"text": ...}`` when it is UTF-8 and ``{"base64": ...}`` otherwise. Response bodies are
stored decoded, without their ``Content-Encoding`` and ``Content-Length``. The request signing headers
(``KALSHI-ACCESS-KEY``, ``-SIGNATURE``, ``-TIMESTAMP``), ``Authorization``, ``Proxy-Authorization``,
``Cookie`` and ``Set-Cookie`` are never written.

The file is created (or emptied) with owner-only permissions. Each exchange is appended as one line once its
response body has been read in full, so a crash can cut only the line being written: a reader ignores a last
line without its newline.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kalshi_api_core.auth import ACCESS_HEADER_PREFIX
from kalshi_api_core.errors import RecordingError, UnrecordedRequestError

FORMAT = "kalshi-api-recording"
VERSION = 1
Pairs = tuple[tuple[str, str], ...]

logger = logging.getLogger("kalshi_api")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2"})
_BODY_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_HEADERS or lowered.replace("_", "-").startswith(ACCESS_HEADER_PREFIX)


def _kept(headers: Iterable[tuple[str, str]], drop: frozenset[str] = frozenset()) -> Pairs:
    return tuple(
        (name.lower(), value)
        for name, value in headers
        if not is_secret_header(name) and name.lower() not in drop
    )


def request_target(request: httpx.Request) -> tuple[str, str, Pairs]:
    """Method, URL path as sent (percent-encoded) and query pairs: what replay matches a request by."""
    path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    return request.method, path, tuple(request.url.params.multi_items())


def _match_key(method: str, path: str, query: Pairs) -> tuple[str, str, Pairs]:
    return method, path, tuple(sorted(query))  # the order of query parameters does not matter


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as stored."""

    method: str
    path: str
    query: Pairs
    request_headers: Pairs
    request_body: bytes
    status: int
    response_headers: Pairs
    response_body: bytes

    @classmethod
    def capture(cls, request: httpx.Request, status: int, headers: httpx.Headers, raw: bytes) -> Exchange:
        """An exchange from what went over the wire; ``raw`` is the response body as received (encoded)."""
        method, path, query = request_target(request)
        try:
            # the same decoding httpx applies for the caller (gzip, deflate, ...): the file stays readable
            body = httpx.Response(status, headers=headers, content=raw).content
            drop = _BODY_FRAMING
        except httpx.DecodingError:  # a body that doesn't match its Content-Encoding: keep it as it came
            body, drop = raw, frozenset({"content-length", "transfer-encoding"})
        return cls(
            method=method,
            path=path,
            query=query,
            request_headers=_kept(request.headers.multi_items()),
            request_body=request.content,
            status=status,
            response_headers=_kept(headers.multi_items(), drop),
            response_body=body,
        )

    @property
    def key(self) -> tuple[str, str, Pairs]:
        return _match_key(self.method, self.path, self.query)

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, headers=list(self.response_headers), content=self.response_body)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "path": self.path,
                "query": [list(pair) for pair in self.query],
                "headers": [list(pair) for pair in self.request_headers],
                "body": _body_json(self.request_body),
            },
            "response": {
                "status": self.status,
                "headers": [list(pair) for pair in self.response_headers],
                "body": _body_json(self.response_body),
            },
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Exchange:
        try:
            request, response = data["request"], data["response"]
            status = response["status"]
            if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
                raise ValueError(f"status {status!r} is not an HTTP status")
            return cls(
                method=_text(request["method"], "method"),
                path=_text(request["path"], "path"),
                query=_pairs(request["query"], "query"),
                request_headers=_pairs(request["headers"], "request headers"),
                request_body=_body_bytes(request["body"]),
                status=status,
                response_headers=_pairs(response["headers"], "response headers"),
                response_body=_body_bytes(response["body"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise RecordingError(f"{where}: not a recorded exchange ({detail})") from None


def _body_json(body: bytes) -> dict[str, str] | None:
    if not body:
        return None
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _body_bytes(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return str(data["text"]).encode("utf-8")
    if isinstance(data, dict) and isinstance(data.get("base64"), str):
        return base64.b64decode(str(data["base64"]), validate=True)
    raise ValueError(f'body {data!r} is neither null, {{"text": ...}} nor {{"base64": ...}}')


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} {value!r} is not a string")
    return value


def _pairs(value: Any, what: str) -> Pairs:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise ValueError(f"{what} must be a list of [name, value] string pairs")
    return tuple((p[0], p[1]) for p in value)


class RecordingWriter:
    """Appends exchanges to a new recording file, one whole line per write; safe to share between threads."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        try:
            fd = os.open(self.path, flags, 0o600)  # responses can hold account data: owner-only
        except OSError as exc:
            raise RecordingError(f"can't create recording {self.path!r}: {exc.strerror}") from None
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._lock = threading.Lock()
        self._write({"format": FORMAT, "version": VERSION})

    def append(self, exchange: Exchange) -> None:
        self._write(exchange.to_json())

    def _write(self, data: Mapping[str, Any]) -> None:
        line = memoryview(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        with self._lock:
            while line:  # an unbuffered write may take less than all of it
                line = line[self._file.write(line) or 0 :]

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_recording(path: str | os.PathLike[str]) -> list[Exchange]:
    """Every exchange of a recording file, in recorded order."""
    name = os.fspath(path)
    try:
        content = Path(name).read_bytes()
    except FileNotFoundError:
        raise RecordingError(f"no recording at {name!r}: record one first with record_to=") from None
    except OSError as exc:
        raise RecordingError(f"can't read recording {name!r}: {exc.strerror}") from None
    *lines, tail = content.split(b"\n")
    if tail:
        logger.warning("recording %s: ignoring its last line, cut short while it was written", name)
    if not lines:
        raise RecordingError(f"{name!r} is empty: not a {FORMAT} file")
    header = _json_line(lines[0], f"{name}:1")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{name!r} is not a {FORMAT} file (its first line is {lines[0][:80]!r})")
    if header.get("version") != VERSION:
        raise RecordingError(
            f"{name!r} is {FORMAT} version {header.get('version')!r}; this kalshi-api reads version {VERSION}"
        )
    return [
        Exchange.from_json(_json_line(line, f"{name}:{n}"), f"{name}:{n}")
        for n, line in enumerate(lines[1:], start=2)
    ]


def _json_line(line: bytes, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise RecordingError(f"{where}: not JSON ({exc})") from None


class RecordedResponses:
    """A recording's responses, each served once; those of one method, path and query in recorded order."""

    def __init__(self, exchanges: Iterable[Exchange], source: str) -> None:
        self.source = source
        self._queues: dict[tuple[str, str, Pairs], deque[Exchange]] = defaultdict(deque)
        for exchange in exchanges:
            self._queues[exchange.key].append(exchange)
        self._recorded = {key: len(queue) for key, queue in self._queues.items()}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RecordedResponses:
        return cls(read_recording(path), os.fspath(path))

    def take(self, request: httpx.Request) -> httpx.Response:
        """The next recorded response to this request, or ``UnrecordedRequestError`` when none is left."""
        method, path, query = request_target(request)
        key = _match_key(method, path, query)
        with self._lock:
            queue = self._queues.get(key)
            exchange = queue.popleft() if queue else None
        if exchange is None:
            raise UnrecordedRequestError(method, path, query, self._recorded.get(key, 0), self.source)
        return exchange.response()
