"""Secrets stay secret, and requests go only where they may: real RSA keys, real loopback servers, no mocks.

1. A whole session (REST and WebSocket, successes and every kind of failure) with DEBUG logging everywhere
   leaves no key material, passphrase or request signature in any client-side artefact: log records,
   ``repr``/``str``/``vars`` of the SDK's objects, and exceptions with their tracebacks and chained causes.
   (Server-side records hold the signatures, as they must; only the client side counts.)
2. Hosts outside the allow-list are refused before anything connects, however the URL is spelled, and
   redirects (REST and WebSocket) are never followed, so a signed request can't be sent anywhere else.
3. Caller headers can't set ``KALSHI-ACCESS-*`` (any case, padding or suffix) nor split a header (CR/LF).
4. TLS verification can't be switched off by an SDK option, and a self-signed server is refused.

Decisions: a trailing-dot host (``external-api.kalshi.com.``) is refused. It names the same DNS host, but
the allow-list compares exact names and a fail-closed answer is the safe one; the canonical spelling works.
Host names are case-insensitive, so upper-case spellings of allowed hosts are allowed.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import inspect
import ipaddress
import logging
import re
import socket
import ssl
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient
from kalshi_api.client import RESOURCES
from kalshi_api.ws import CommandError, KalshiWebSocket, ReconnectPolicy, Resync
from kalshi_api_core.config import is_loopback
from kalshi_api_core.errors import (
    APIError,
    AuthenticationError,
    AuthRequiredError,
    ConfigurationError,
    HeaderNotAllowedError,
    HostNotAllowedError,
    KalshiError,
    NetworkError,
    RequestTimeoutError,
    ServerError,
)
from kalshi_api_core.resources import AsyncResource, SyncResource
from kalshi_api_core.transport import RetryPolicy
from kalshi_api_core.ws.engine import KalshiWebSocketBase
from tests.spec_server import BASE_PATH, Reply, SpecServer
from tests.ws_server import KalshiWsServer

KEY_ID = "5c1f3e2d-8a7b-4c6d-9e0f-a1b2c3d4e5f6"
PASSPHRASE = "correct horse battery staple / ünïcode 7f3a"
WRONG_PASSPHRASE = (
    "correct horse battery stable / near miss 7f3b"  # a near miss is as sensitive as the real one
)
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.005, retry_after_max=0.01)
WS_FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
BALANCE = f"{BASE_PATH}/portfolio/balance"
WS_PATH = "/trade-api/ws/v2"
ERROR_BODY = {"error": {"code": "internal", "message": "try again"}}
ENV_VARS = ("KALSHI_KEY_ID", "KALSHI_PRIVATE_KEY", "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY_PASSPHRASE")
WINDOW = 16  # secrets are also searched as every 16-character slice, so partial leaks are found too


# --- keys and secrets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    key: rsa.RSAPrivateKey
    pkcs8_encrypted: str  # -----BEGIN ENCRYPTED PRIVATE KEY-----
    traditional_encrypted: str  # -----BEGIN RSA PRIVATE KEY----- with Proc-Type: 4,ENCRYPTED


@pytest.fixture(scope="module")
def keys() -> Keys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = serialization.BestAvailableEncryption(PASSPHRASE.encode())
    pem = serialization.Encoding.PEM
    return Keys(
        key,
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption).decode("ascii"),
        key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, encryption).decode("ascii"),
    )


class Secrets:
    """Every secret as whole strings and as 16-character windows, and where any of them shows up."""

    def __init__(self) -> None:
        self.exact: dict[str, str] = {}  # secret -> kind
        self.windows: dict[str, str] = {}  # 16-character slice of a secret -> kind

    def add(self, kind: str, value: str) -> None:
        self.exact.setdefault(value, kind)
        for i in range(len(value) - WINDOW + 1):
            self.windows.setdefault(value[i : i + WINDOW], kind)

    def add_key(self, keys: Keys) -> None:
        key = keys.key
        plain = serialization.NoEncryption()
        pems = [
            keys.pkcs8_encrypted,
            keys.traditional_encrypted,
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain).decode(),
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, plain
            ).decode(),
        ]
        for pem in pems:
            # The base64 body only: armour lines and RFC 1421 headers (Proc-Type, DEK-Info) are not secret.
            body = [line.strip() for line in pem.splitlines() if line.strip() and not _armour(line)]
            for line in body:
                self.add("PEM base64 line", line)
            self.add("PEM base64 text", "".join(body))
            self.add("PEM text as one escaped line", "\\n".join(body))
        for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
            der = key.private_bytes(serialization.Encoding.DER, fmt, plain)
            self.add("DER hex", der.hex())
            self.add("DER hex", der.hex().upper())
            self.add("DER base64", base64.b64encode(der).decode())
            self.add("DER bytes repr", repr(der)[2:-1])
        numbers = key.private_numbers()
        self.add("private exponent (decimal)", str(numbers.d))
        self.exact[str(numbers.d)[:48]] = "private exponent (decimal prefix)"
        for name, value in (("d", numbers.d), ("p", numbers.p), ("q", numbers.q), ("dmp1", numbers.dmp1)):
            self.add(f"private number {name} (hex)", format(value, "x"))
        self.add("passphrase", PASSPHRASE)
        self.add("wrong passphrase", WRONG_PASSPHRASE)

    def add_signatures(self, signatures: list[str]) -> None:
        for signature in signatures:
            self.add("KALSHI-ACCESS-SIGNATURE value", signature)

    def find(self, haystacks: list[tuple[str, str]]) -> list[str]:
        """One line per (secret kind, place) found, with the text just before it (never the secret)."""
        found: list[str] = []
        for where, text in haystacks:
            hits: dict[str, int] = {}
            for secret, kind in self.exact.items():
                position = text.find(secret)
                if position >= 0:
                    hits.setdefault(kind, position)
            for i in range(len(text) - WINDOW + 1):
                kind = self.windows.get(text[i : i + WINDOW])
                if kind is not None:
                    hits.setdefault(kind, i)
            for kind, position in sorted(hits.items()):
                before = text[max(0, position - 70) : position].replace("\n", "\\n")
                found.append(f"{kind} in {where}, after ...{before!r}")
        return found


def _armour(line: str) -> bool:
    return line.startswith("-----") or ":" in line


# --- what a client side leaves behind ------------------------------------------------------------------


def _debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger without its own level
    for name in ("kalshi_api", "kalshi_api.ws", "websockets", "websockets.client", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)


def _log_texts(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    texts = []
    for record in records:
        if record.name.startswith("websockets.server"):
            continue  # the test server's own log: server-side, where signatures are expected
        parts = [record.getMessage(), repr(record.msg), repr(record.args), record.exc_text or ""]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.append(str(vars(record)))
        texts.append(
            (f"log record {record.name}:{record.levelname} {str(record.msg)[:40]!r}", "\n".join(parts))
        )
    return texts


def _exception_texts(errors: list[BaseException]) -> list[tuple[str, str]]:
    texts = []
    for exc in errors:
        name = type(exc).__name__
        texts += [
            (f"str({name})", str(exc)),
            (f"repr({name})", repr(exc)),
            (f"traceback of {name}", "".join(traceback.format_exception(exc))),
        ]
        link: BaseException | None = exc
        seen: set[int] = set()
        while link is not None and id(link) not in seen:  # every chained cause and context
            seen.add(id(link))
            texts.append((f"vars({type(link).__name__}) chained from {name}", str(vars(link))))
            link = link.__cause__ or link.__context__
    return texts


def _object_texts(objects: list[object]) -> list[tuple[str, str]]:
    texts = []
    for obj in objects:
        name = type(obj).__name__
        texts += [(f"repr({name})", repr(obj)), (f"str({name})", str(obj))]
        try:
            texts.append((f"vars({name})", str(vars(obj))))
        except TypeError:  # __slots__ (KalshiAuth): nothing to show
            pass
    return texts


def _client_objects(client: KalshiClient | AsyncKalshiClient) -> list[object]:
    resources = [getattr(client, name) for name in RESOURCES]
    assert len(resources) > 10 and all(isinstance(r, SyncResource | AsyncResource) for r in resources)
    transport = client._transport
    return [client, client.auth, *resources, transport, transport.core, transport.client, client.host_policy]


def _assert_no_leak(
    secrets: Secrets, caplog: pytest.LogCaptureFixture, errors: list[BaseException], objects: list[object]
) -> None:
    haystacks = _log_texts(caplog.records) + _exception_texts(errors) + _object_texts(objects)
    assert len(caplog.records) > 10 and len(errors) > 3, "the session did not run as planned"
    leaks = secrets.find(haystacks)
    assert not leaks, f"{len(leaks)} secret leak(s) on the client side:\n" + "\n".join(leaks[:40])


def _raises(errors: list[BaseException], cls: type[BaseException], call: Callable[[], Any]) -> BaseException:
    with pytest.raises(cls) as info:
        call()
    errors.append(info.value)
    return info.value


def _set_env(monkeypatch: pytest.MonkeyPatch, pem: str, passphrase: str) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("KALSHI_ENV", raising=False)
    monkeypatch.setenv("KALSHI_KEY_ID", KEY_ID)
    monkeypatch.setenv("KALSHI_PRIVATE_KEY", pem)
    monkeypatch.setenv("KALSHI_PRIVATE_KEY_PASSPHRASE", passphrase)


def _failed_loads(keys: Keys, monkeypatch: pytest.MonkeyPatch, errors: list[BaseException]) -> None:
    """Loading an encrypted key without, or with a wrong, passphrase: the errors must not quote them."""
    _raises(errors, ConfigurationError, lambda: KalshiClient(key_id=KEY_ID, private_key=keys.pkcs8_encrypted))
    _raises(
        errors,
        ConfigurationError,
        lambda: KalshiClient(
            key_id=KEY_ID, private_key=keys.pkcs8_encrypted, private_key_password=WRONG_PASSPHRASE
        ),
    )
    _set_env(monkeypatch, keys.traditional_encrypted, WRONG_PASSPHRASE)
    _raises(errors, ConfigurationError, KalshiClient.from_env)
    _set_env(monkeypatch, keys.traditional_encrypted, PASSPHRASE)


# --- 1. a whole session leaks nothing ------------------------------------------------------------------


def _rest_session(client: KalshiClient, server: SpecServer, errors: list[BaseException]) -> None:
    """Public and signed successes, a 401, 5xx with retries, a timeout, a dropped connection, bad input."""
    client.exchange.status()
    client.portfolio.balance()
    server.script("GetBalance", Reply(401, {"error": {"code": "unauthorized", "message": "bad signature"}}))
    _raises(errors, AuthenticationError, client.portfolio.balance)
    server.script("GetBalance", Reply(500, ERROR_BODY), Reply(503, ERROR_BODY))
    client.portfolio.balance()  # retried to success
    server.script("GetBalance", *[Reply(500, ERROR_BODY)] * 3)
    _raises(errors, ServerError, client.portfolio.balance)
    server.script("GetBalance", *[Reply(delay=0.4)] * 3)
    _raises(errors, RequestTimeoutError, lambda: client.portfolio.balance(timeout=0.1))
    server.script("GetBalance", *[Reply(drop=True)] * 3)
    _raises(errors, NetworkError, client.portfolio.balance)
    _raises(errors, ValidationError, lambda: client.portfolio.balance(subaccount="not-a-number"))  # type: ignore[arg-type]
    _raises(
        errors,
        HeaderNotAllowedError,
        lambda: client.portfolio.balance(extra_headers={"KALSHI-ACCESS-SIGNATURE": "forged"}),
    )


def test_a_rest_session_with_debug_logging_leaks_no_secret(
    keys: Keys, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _debug_everything(caplog)
    errors: list[BaseException] = []
    objects: list[object] = []
    with SpecServer(keys.key.public_key()) as server:
        _failed_loads(keys, monkeypatch, errors)
        with (
            KalshiClient(
                key_id=KEY_ID,
                private_key=keys.pkcs8_encrypted,
                private_key_password=PASSPHRASE,
                base_url=server.base_url,
                retry=FAST,
                headers={"X-Trace": "session-1"},
            ) as direct,
            KalshiClient.from_env(base_url=server.base_url, retry=FAST) as from_env,
            KalshiClient(base_url=server.base_url, retry=FAST) as anonymous,
        ):
            for client in (direct, from_env):
                _rest_session(client, server, errors)
                objects += _client_objects(client)
            anonymous.exchange.status()
            _raises(errors, AuthRequiredError, anonymous.portfolio.balance)
            objects += _client_objects(anonymous)

        async def async_session() -> None:
            async with AsyncKalshiClient(
                key_id=KEY_ID,
                private_key=keys.pkcs8_encrypted,
                private_key_password=PASSPHRASE,
                base_url=server.base_url,
                retry=FAST,
            ) as client:
                await client.portfolio.balance()
                server.script("GetBalance", Reply(401, {"error": {"code": "unauthorized", "message": "no"}}))
                with pytest.raises(AuthenticationError) as info:
                    await client.portfolio.balance()
                errors.append(info.value)
                objects.extend(_client_objects(client))

        asyncio.run(async_session())
        signatures = [
            c.headers["kalshi-access-signature"] for c in server.calls() if c.signature_ok is not None
        ]
    assert len(signatures) >= 20 and all(signatures)
    secrets = Secrets()
    secrets.add_key(keys)
    secrets.add_signatures(signatures)
    _assert_no_leak(secrets, caplog, errors, objects)


def test_a_websocket_session_with_debug_logging_leaks_no_secret(
    keys: Keys, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _debug_everything(caplog)
    errors: list[BaseException] = []
    objects: list[object] = []
    signatures: list[str] = []
    _failed_loads(keys, monkeypatch, errors)

    async def main() -> None:
        async with KalshiWsServer(keys.key.public_key(), key_id=KEY_ID) as server:
            direct = KalshiClient(
                key_id=KEY_ID,
                private_key=keys.pkcs8_encrypted,
                private_key_password=PASSPHRASE,
                ws_url=server.url,
            )
            with direct, KalshiClient.from_env(ws_url=server.url) as from_env:
                for client in (direct, from_env):
                    ws = client.websocket(reconnect=WS_FAST)
                    async with ws.connect() as session:
                        sub = await session.subscribe_ticker()
                        await server.publish("ticker", server.sample_msg("ticker"))
                        first = await asyncio.wait_for(sub.__anext__(), 5)
                        await server.send_error(17)  # an error frame nobody asked for
                        with pytest.raises(CommandError) as info:
                            await session.subscribe_orderbook_delta()  # the server answers with an error
                        errors.append(info.value)
                        await server.drop_connections(abort=True)
                        marker = await asyncio.wait_for(sub.__anext__(), 5)
                        assert isinstance(marker, Resync) and marker.reason == "reconnected"
                        await server.wait_for(lambda: len(server.subscriptions("ticker")) == 1)
                        await server.publish("ticker", server.sample_msg("ticker"))
                        again = await asyncio.wait_for(sub.__anext__(), 5)
                        assert session.reconnects == 1
                        objects.extend([ws, session, sub, first, marker, again])
                    objects.extend(_client_objects(client))
            # A key id the server doesn't know: the signed upgrade is refused with 401.
            stranger = KalshiWebSocket(
                KalshiAuth("unknown-key-id", keys.key), url=server.url, reconnect=WS_FAST
            )
            try:
                async with stranger.connect():
                    pass
            except Exception as exc:
                errors.append(exc)
            else:
                raise AssertionError("the server accepted an unknown key id")
            objects.append(stranger)
            signatures.extend(h.headers["kalshi-access-signature"] for h in server.handshakes)

    asyncio.run(main())
    assert len(signatures) == 5 and all(signatures)
    secrets = Secrets()
    secrets.add_key(keys)
    secrets.add_signatures(signatures)
    _assert_no_leak(secrets, caplog, errors, objects)


def test_the_leak_detector_finds_every_kind_of_secret(keys: Keys) -> None:
    """The scanner itself: a leak of any kind, whole or as a slice, is found; harmless text is not."""
    secrets = Secrets()
    secrets.add_key(keys)
    signature = "c2lnbmF0dXJlLXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tbWF0dGVy"
    secrets.add_signatures([signature])
    der = keys.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem_line = [line for line in keys.pkcs8_encrypted.splitlines() if not _armour(line)][3]
    leaks = {
        "pem": f"loaded {pem_line[5:30]} ok",
        "hex": f"bytes {der.hex()[300:330]}",
        "b64": base64.b64encode(der).decode()[500:540],
        "repr": repr(der)[200:260],
        "pass": f"password={PASSPHRASE!r}",
        "wrong": f"tried {WRONG_PASSPHRASE}",
        "d": f"d={str(keys.key.private_numbers().d)[:20]}",
        "sig": f"header ...{signature[10:30]}...",
    }
    found = secrets.find(list(leaks.items()))
    assert sorted({line.split(", after")[0].rsplit(" in ", 1)[1] for line in found}) == sorted(leaks)
    harmless = [("harmless", f"GET {BALANCE} -> 200 in 3.1 ms (attempt 1) KalshiAuth(key_id='5c1f…')")]
    assert secrets.find(harmless) == []


# --- 2. hosts and redirects ----------------------------------------------------------------------------


def _local_name() -> str | None:
    """This machine's host name when it resolves to 127.0.0.1: a host that is NOT on the allow-list (the
    policy knows loopback by address and by "localhost" only) but that a test server can still answer for."""
    name = socket.gethostname().lower()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        return None
    if address != "127.0.0.1" or is_loopback(name) or name in ("localhost", ""):
        return None
    return name


UNLISTED = _local_name()
TARGETS = ["other-loopback-port"] + (["unlisted-host"] if UNLISTED else [])

REFUSED_HOSTS = [
    "https://evil.example.com/trade-api/v2",
    "HTTPS://EVIL.EXAMPLE.COM/trade-api/v2",
    "https://external-api.kalshi.com.evil.example/trade-api/v2",
    "https://evil.example#@external-api.kalshi.com/trade-api/v2",
    "https://evil.example?@external-api.kalshi.com/trade-api/v2",
    "https://external-api.kalshi.com@evil.example/trade-api/v2",
    "https://external-api.kalshi.com:443@evil.example/trade-api/v2",
    "https://external-api.kalshi.com%2f@evil.example/trade-api/v2",
    "https://evil.example%40external-api.kalshi.com/trade-api/v2",
    "https://external-api.kalshi.com\\@evil.example/trade-api/v2",
    "https://external-api.kalshi.com./trade-api/v2",  # trailing dot: refused (see the module docstring)
    "https://demo-api.kalshi.co./trade-api/v2",
    "https://kalshi.com/trade-api/v2",  # a parent domain of a spec server is not a spec server
    "https://api.external-api.kalshi.com/trade-api/v2",  # nor is a subdomain
    "http://127.0.0.1.evil.example/trade-api/v2",
    "http://localhost.evil.example/trade-api/v2",
    "http://localhost./trade-api/v2",
    "http://evil.example.com/trade-api/v2",
]


def _as_ws(url: str) -> str:
    return re.sub(r"^http", "ws", re.sub(r"^HTTP", "WS", url))


@pytest.mark.parametrize("url", REFUSED_HOSTS)
def test_hosts_outside_the_allow_list_are_refused_for_rest_and_websocket(url: str) -> None:
    with pytest.raises(HostNotAllowedError):
        KalshiClient(base_url=url)
    with pytest.raises(HostNotAllowedError):
        KalshiClient(ws_url=_as_ws(url))
    with pytest.raises(HostNotAllowedError):
        KalshiWebSocket(url=_as_ws(url))
    with pytest.raises(HostNotAllowedError):
        AsyncKalshiClient(base_url=url)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://external-api.kalshi.com/trade-api/v2", ()),  # a spec server, but not over plain http
        ("http://demo-api.kalshi.co/trade-api/v2", ()),
        ("http://api.partner.example/v2", ("api.partner.example",)),  # explicitly allowed, still not http
        ("ftp://localhost/trade-api/v2", ()),
        ("file:///etc/passwd", ()),
    ],
)
def test_plain_http_is_refused_except_to_loopback(url: str, allowed: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError):
        KalshiClient(base_url=url, allowed_hosts=allowed)
    with pytest.raises(ConfigurationError):
        KalshiWebSocket(url=_as_ws(url), allowed_hosts=allowed)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.5.5.5", "[::1]", "localhost", "LOCALHOST", "LocalHost", "[0:0:0:0:0:0:0:1]"]
)
def test_loopback_is_allowed_in_every_spelling(host: str) -> None:
    for scheme in ("http", "https"):
        with KalshiClient(base_url=f"{scheme}://{host}:8443/trade-api/v2", ws_url=f"ws://{host}:9/x") as c:
            assert c.base_url == f"{scheme}://{host}:8443/trade-api/v2"
        KalshiWebSocket(url=f"{scheme.replace('http', 'ws')}://{host}:9{WS_PATH}")


@pytest.mark.parametrize(
    "url",
    [
        "https://EXTERNAL-API.KALSHI.COM/trade-api/v2",
        "https://External-Api.Kalshi.Com/trade-api/v2",
        "https://DEMO-API.KALSHI.CO/trade-api/v2",
    ],
)
def test_upper_case_spellings_of_allowed_hosts_are_allowed(url: str) -> None:
    with KalshiClient(base_url=url, ws_url=_as_ws(url)):
        pass
    KalshiWebSocket(url="wss://EXTERNAL-API-WS.KALSHI.COM/trade-api/ws/v2")


def test_allowed_hosts_match_whole_names_in_any_case() -> None:
    allowed = ["API.Partner.Example"]
    with KalshiClient(base_url="https://api.partner.example/v2", allowed_hosts=allowed) as client:
        assert client.websocket().url == client.ws_url
    for url in (
        "https://evil.api.partner.example/v2",
        "https://partner.example/v2",
        "https://api.partner.example.evil/v2",
    ):
        with pytest.raises(HostNotAllowedError):
            KalshiClient(base_url=url, allowed_hosts=allowed)
    if UNLISTED:
        with pytest.raises(HostNotAllowedError):
            KalshiClient(base_url=f"http://{UNLISTED}:8080/trade-api/v2")


class Recorder:
    """A loopback HTTP server that records every request: the target a redirect must never reach."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with recorder.lock:
                    recorder.requests.append(
                        {":path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
                    )
                body = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, target: str, path: str = BALANCE) -> str:
        host = UNLISTED if target == "unlisted-host" else "127.0.0.1"
        return f"http://{host}:{self.httpd.server_address[1]}{path}"

    def signed(self) -> list[dict[str, str]]:
        with self.lock:
            return [r for r in self.requests if any(k.startswith("kalshi-access-") for k in r)]


@pytest.fixture(scope="module")
def spec_server(keys: Keys) -> Iterator[SpecServer]:
    with SpecServer(keys.key.public_key()) as server:
        yield server


@pytest.fixture
def server(spec_server: SpecServer) -> Iterator[SpecServer]:
    spec_server.reset()
    yield spec_server
    spec_server.reset()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    rec.thread.start()
    yield rec
    rec.httpd.shutdown()
    rec.httpd.server_close()


REDIRECTS = [301, 302, 303, 307, 308]


@pytest.mark.parametrize("target", ["evil.example.com", *TARGETS])
@pytest.mark.parametrize("status", REDIRECTS)
def test_rest_redirects_are_not_followed(
    keys: Keys, server: SpecServer, recorder: Recorder, status: int, target: str
) -> None:
    location = (
        "https://evil.example.com/trade-api/v2/portfolio/balance"
        if target == "evil.example.com"
        else recorder.url(target)
    )
    server.script("GetBalance", Reply(status, None, {"Location": location}))
    with KalshiClient(auth=KalshiAuth(KEY_ID, keys.key), base_url=server.base_url, retry=FAST) as client:
        with pytest.raises(KalshiError) as info:
            client.portfolio.balance()
    assert isinstance(info.value, APIError) and info.value.status == status
    assert recorder.requests == []
    assert len(server.calls("GetBalance")) == 1  # and it is not retried either


@pytest.mark.parametrize("status", REDIRECTS)
def test_async_rest_redirects_are_not_followed(
    keys: Keys, server: SpecServer, recorder: Recorder, status: int
) -> None:
    server.script("GetBalance", Reply(status, None, {"Location": recorder.url("other-loopback-port")}))

    async def main() -> None:
        async with AsyncKalshiClient(auth=KalshiAuth(KEY_ID, keys.key), base_url=server.base_url) as client:
            with pytest.raises(APIError) as info:
                await client.portfolio.balance()
        assert info.value.status == status

    asyncio.run(main())
    assert recorder.requests == []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_callers_http_client_that_follows_redirects_does_not_carry_the_signature_away(
    keys: Keys, server: SpecServer, recorder: Recorder, flavour: str, target: str
) -> None:
    """``http_client=httpx.Client(follow_redirects=True)``: the SDK must still not follow a redirect, or a
    signed request reaches a host that was never checked against the allow-list."""
    location = recorder.url(target)
    server.script("GetBalance", Reply(307, None, {"Location": location}))
    auth = KalshiAuth(KEY_ID, keys.key)
    outcome: object
    if flavour == "sync":
        with (
            httpx.Client(follow_redirects=True) as http,
            KalshiClient(auth=auth, base_url=server.base_url, retry=FAST, http_client=http) as client,
        ):
            try:
                outcome = client.portfolio.balance()
            except KalshiError as exc:
                outcome = exc
    else:

        async def main() -> object:
            async with (
                httpx.AsyncClient(follow_redirects=True) as http,
                AsyncKalshiClient(
                    auth=auth, base_url=server.base_url, retry=FAST, http_client=http
                ) as client,
            ):
                try:
                    return await client.portfolio.balance()
                except KalshiError as exc:
                    return exc

        outcome = asyncio.run(main())
    signed = recorder.signed()
    assert recorder.requests == [], (
        f"SDK DEFECT: with the caller's {flavour} httpx client (follow_redirects=True) the SDK followed "
        f"a 307 to {location} ({target}, never checked against the allow-list): "
        f"{len(recorder.requests)} request(s) reached it, "
        f"{len(signed)} carrying KALSHI-ACCESS-KEY/TIMESTAMP/SIGNATURE "
        f"({sorted(k for k in (signed or [{}])[0] if k.startswith('kalshi-access-'))}); the call ended with "
        f"{type(outcome).__name__}"
    )
    assert isinstance(outcome, KalshiError)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_websocket_redirects_are_not_followed(keys: Keys, status: int, target: str) -> None:
    async def main() -> tuple[object, int, list[str]]:
        async with KalshiWsServer(keys.key.public_key()) as destination:
            host = UNLISTED if target == "unlisted-host" else "127.0.0.1"
            location = f"ws://{host}:{destination.port}{destination.path}"

            def redirect(connection: ServerConnection, request: Request) -> Response:
                response = connection.respond(HTTPStatus(status), "moved\n")
                response.headers["Location"] = location
                return response

            async def never(connection: ServerConnection) -> None:
                await connection.close()

            async with serve(never, "127.0.0.1", 0, process_request=redirect) as redirector:
                port = redirector.sockets[0].getsockname()[1]
                ws = KalshiWebSocket(
                    KalshiAuth(KEY_ID, keys.key), url=f"ws://127.0.0.1:{port}{WS_PATH}", reconnect=WS_FAST
                )
                outcome: object = "connected"
                try:
                    async with ws.connect():
                        pass
                except Exception as exc:
                    outcome = exc
            signed = [h.path for h in destination.handshakes if "kalshi-access-signature" in h.headers]
            return outcome, destination.connections, signed

    outcome, reached, signed = asyncio.run(main())
    assert reached == 0, (
        f"SDK DEFECT: the WebSocket client followed a {status} redirect to {target}: "
        f"{reached} upgrade(s) reached it, {len(signed)} signed with KALSHI-ACCESS-*; "
        f"the connect ended with {outcome!r}"
    )
    assert isinstance(outcome, KalshiError), f"not a typed SDK error: {outcome!r}"


# --- 3. caller headers ---------------------------------------------------------------------------------

SIGNING_HEADER_NAMES = [
    "KALSHI-ACCESS-KEY",
    "kalshi-access-signature",
    "KaLsHi-AcCeSs-TiMeStAmP",
    "  KALSHI-ACCESS-KEY  ",
    "\tkalshi-access-signature\t",
    " KaLsHi-AcCeSs-TiMeStAmP\n",
    "KALSHI-ACCESS-ANYTHING",
    "kalshi-access-",
    "Kalshi-Access-Key-Id",
]


@pytest.mark.parametrize("name", SIGNING_HEADER_NAMES)
def test_signing_headers_are_refused_per_call(keys: Keys, server: SpecServer, name: str) -> None:
    with KalshiClient(auth=KalshiAuth(KEY_ID, keys.key), base_url=server.base_url, retry=FAST) as client:
        with pytest.raises(HeaderNotAllowedError):
            client.portfolio.balance(extra_headers={name: "forged"})
        with pytest.raises(HeaderNotAllowedError):
            client.exchange.status(extra_headers={"X-Fine": "1", name: "forged"})
        with pytest.raises(HeaderNotAllowedError):
            client.markets.list_all(extra_headers={name: "forged"})

    async def main() -> None:
        async with AsyncKalshiClient(auth=KalshiAuth(KEY_ID, keys.key), base_url=server.base_url) as client:
            with pytest.raises(HeaderNotAllowedError):
                await client.portfolio.balance(extra_headers={name: "forged"})

    asyncio.run(main())
    assert server.calls() == []


@pytest.mark.parametrize("name", SIGNING_HEADER_NAMES)
def test_signing_headers_are_refused_per_client(keys: Keys, server: SpecServer, name: str) -> None:
    for cls in (KalshiClient, AsyncKalshiClient):
        with pytest.raises(HeaderNotAllowedError):
            cls(auth=KalshiAuth(KEY_ID, keys.key), base_url=server.base_url, headers={name: "forged"})
        with pytest.raises(HeaderNotAllowedError):
            cls(base_url=server.base_url, headers={"X-Fine": "1", name: "forged"})  # anonymous too
    assert server.calls() == []


def _refusal(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the request was not refused")


SPLITTING = [
    pytest.param({"X-Note": "a\r\nKALSHI-ACCESS-KEY: forged"}, id="value-crlf-injects-signing-header"),
    pytest.param({"X-Note": "a\nX-Injected: 1"}, id="value-lf"),
    pytest.param({"X-Note": "a\rX-Injected: 1"}, id="value-cr"),
    pytest.param(
        {"X-Note": "a\r\n\r\nGET /trade-api/v2/portfolio/orders HTTP/1.1"}, id="value-smuggles-request"
    ),
    pytest.param({"X-Note\r\nKALSHI-ACCESS-KEY": "forged"}, id="name-crlf"),
    pytest.param({"X-Note\nX-Injected": "1"}, id="name-lf"),
    pytest.param({"X-Note": "a\x00b"}, id="value-nul"),
]


@pytest.mark.parametrize("headers", SPLITTING)
@pytest.mark.parametrize("where", ["per-call", "per-client"])
def test_header_splitting_is_refused_before_sending(
    keys: Keys, server: SpecServer, headers: dict[str, str], where: str
) -> None:
    def attempt() -> None:
        extra = headers if where == "per-call" else None
        client_headers = headers if where == "per-client" else None
        auth = KalshiAuth(KEY_ID, keys.key)
        with KalshiClient(auth=auth, base_url=server.base_url, retry=FAST, headers=client_headers) as client:
            client.portfolio.balance(extra_headers=extra)

    error = _refusal(attempt)
    assert server.calls() == []
    assert isinstance(error, ValueError) and isinstance(error, KalshiError), (
        f"SDK DEFECT: a {where} header with CR/LF/NUL is not refused up front: it fails inside httpx/h11 and "
        f"surfaces as {type(error).__name__} (a network error, retried {FAST.max_retries} times) "
        f"with the raw header text in its message: {error}"
    )


@pytest.mark.parametrize(
    "name", ["X-Ünïcode", "X-\u00a0Space", "\u212aALSHI-ACCESS-KEY", "X-Emoji-\U0001f511"]
)
@pytest.mark.parametrize("where", ["per-call", "per-client"])
def test_non_ascii_header_names_are_refused_before_sending(
    keys: Keys, server: SpecServer, name: str, where: str
) -> None:
    def attempt() -> None:
        headers = {name: "value"}
        extra = headers if where == "per-call" else None
        client_headers = headers if where == "per-client" else None
        auth = KalshiAuth(KEY_ID, keys.key)
        with KalshiClient(auth=auth, base_url=server.base_url, retry=FAST, headers=client_headers) as client:
            client.portfolio.balance(extra_headers=extra)

    error = _refusal(attempt)
    assert isinstance(error, ValueError), f"{type(error).__name__}: {error}"
    assert server.calls() == []


# --- 4. TLS --------------------------------------------------------------------------------------------


def test_no_client_option_turns_tls_verification_off() -> None:
    insecure = re.compile(r"verify|ssl|tls|insecure|cert|cafile|capath|trust", re.IGNORECASE)
    for call in (
        KalshiClient.__init__,
        AsyncKalshiClient.__init__,
        KalshiWebSocket.__init__,
        KalshiWebSocketBase.__init__,
        KalshiClient.websocket,
    ):
        parameters = inspect.signature(call).parameters
        names = [n for n in parameters if insecure.search(n)]
        # the one TLS option is the explicit opt-in for a caller's own unverified http_client, off by default
        assert names in ([], ["allow_insecure_tls"]), f"{call.__qualname__} has TLS-related options: {names}"
        if names:
            assert parameters["allow_insecure_tls"].default is False
    with pytest.raises(TypeError):
        KalshiClient(verify=False)  # type: ignore[call-arg]
    with KalshiClient() as client, pytest.raises(TypeError):
        client.websocket(ssl=False)
    with pytest.raises(TypeError):
        KalshiWebSocket(ssl=False)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", [KalshiClient, AsyncKalshiClient])
def test_the_default_http_client_verifies_certificates_and_host_names(
    cls: type[KalshiClient] | type[AsyncKalshiClient],
) -> None:
    client = cls()
    http = client._transport.client
    transports = [http._transport, *(t for t in http._mounts.values() if t is not None)]
    for transport in transports:
        context = transport._pool._ssl_context  # type: ignore[union-attr]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert http.follow_redirects is False
    if isinstance(client, KalshiClient):
        client.close()
    else:
        asyncio.run(client.close())


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificate(cert_file, key_file)


class TlsServer:
    """A loopback TLS server with a self-signed certificate; records handshakes and the requests sent."""

    def __init__(self, certificate: Certificate) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certificate.cert_file, certificate.key_file)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0  # completed TLS handshakes
        self.refused = 0  # handshakes the client aborted
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            raw.settimeout(2)
            try:
                with self.context.wrap_socket(raw, server_side=True) as conn:
                    self.handshakes += 1
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    self.requests.append(data)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                        b"Connection: close\r\n\r\n{}"
                    )
            except (ssl.SSLError, OSError):
                self.refused += 1
            finally:
                raw.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def tls_server(self_signed: Certificate) -> Iterator[TlsServer]:
    server = TlsServer(self_signed)
    # The server works for a client that trusts its certificate: a refusal below is about trust only.
    trusting = ssl.create_default_context(cafile=str(self_signed.cert_file))
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        trusting.wrap_socket(raw, server_hostname="127.0.0.1") as conn,
    ):
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 200")
    server.handshakes, server.requests = 0, []
    yield server
    server.close()


def test_the_rest_client_refuses_a_self_signed_certificate(keys: Keys, tls_server: TlsServer) -> None:
    url = f"https://127.0.0.1:{tls_server.port}/trade-api/v2"
    with KalshiClient(auth=KalshiAuth(KEY_ID, keys.key), base_url=url, retry=FAST) as client:
        with pytest.raises(NetworkError) as info:
            client.portfolio.balance()
        with pytest.raises(NetworkError):
            client.exchange.status()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert tls_server.handshakes == 0 and tls_server.requests == [] and tls_server.refused >= 1


def test_the_websocket_client_refuses_a_self_signed_certificate(keys: Keys, tls_server: TlsServer) -> None:
    async def main() -> object:
        ws = KalshiWebSocket(
            KalshiAuth(KEY_ID, keys.key), url=f"wss://127.0.0.1:{tls_server.port}{WS_PATH}", reconnect=WS_FAST
        )
        try:
            async with ws.connect():
                return "connected"
        except Exception as exc:
            return exc

    outcome = asyncio.run(main())
    assert tls_server.handshakes == 0 and tls_server.requests == [], "the WebSocket client trusted the server"
    assert isinstance(outcome, BaseException)
    assert "certificate" in f"{outcome!r} {outcome} {outcome.__cause__!r}".lower(), outcome
    assert isinstance(outcome, KalshiError), (
        f"SDK DEFECT: a wss:// certificate failure escapes as {type(outcome).__module__}."
        f"{type(outcome).__name__}, not a typed SDK error: {outcome}"
    )


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_callers_http_client_without_tls_verification_is_refused_or_flagged(
    keys: Keys, tls_server: TlsServer, caplog: pytest.LogCaptureFixture, flavour: str
) -> None:
    caplog.set_level(logging.WARNING)
    url = f"https://127.0.0.1:{tls_server.port}/trade-api/v2"
    auth = KalshiAuth(KEY_ID, keys.key)
    refused: KalshiError | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if flavour == "sync":
            with httpx.Client(verify=False) as http:
                try:
                    client = KalshiClient(auth=auth, base_url=url, retry=FAST, http_client=http)
                except KalshiError as exc:
                    refused = exc
                else:
                    with client, pytest.raises(KalshiError):
                        client.portfolio.balance()  # answered with {}: not a balance
        else:

            async def main() -> KalshiError | None:
                async with httpx.AsyncClient(verify=False) as http:
                    try:
                        client = AsyncKalshiClient(auth=auth, base_url=url, retry=FAST, http_client=http)
                    except KalshiError as exc:
                        return exc
                    async with client:
                        with pytest.raises(KalshiError):
                            await client.portfolio.balance()
                return None

            refused = asyncio.run(main())
    flagged = [str(w.message) for w in caught] + [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("kalshi_api") and r.levelno >= logging.WARNING
    ]
    signed = [r for r in tls_server.requests if b"kalshi-access-signature" in r.lower()]
    assert refused is not None or flagged, (
        f"SDK DEFECT: {flavour} http_client with verify=False is accepted silently (no error, warning "
        f"or log); {len(signed)} signed request(s) went to a server whose certificate nobody trusts"
    )
