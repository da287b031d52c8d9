"""The WebSocket engine: signed connect, commands matched to responses, frames decoded into the generated
payload models and routed by sid, seq tracking with automatic resubscribe, and reconnects.

The generated ``kalshi_api.ws`` package supplies the channel table, the data-frame decoder and a session
subclass with one typed ``subscribe_<channel>`` per channel; this module never imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import websockets
from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ClientConnect

from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.config import Environment, HostPolicy
from kalshi_api_core.config import environment as resolve_environment
from kalshi_api_core.errors import ConfigurationError, KalshiError
from kalshi_api_core.ws.book_feed import BookFeed
from kalshi_api_core.ws.channels import ChannelSpec, Overflow
from kalshi_api_core.ws.subscription import Resync, Subscription, SubscriptionClosedError

logger = logging.getLogger("kalshi_api.ws")
Handler = Callable[[Any], Awaitable[None] | None]
_ALREADY_SUBSCRIBED = 6  # the spec's error code for a duplicate subscription
_RESPONSE_TYPES = frozenset({"subscribed", "unsubscribed", "ok", "error"})


class WebSocketError(KalshiError):
    """Root of the WebSocket errors."""


class CommandError(WebSocketError):
    """The server answered a command with an error frame. Generated subclasses exist per spec error code."""

    code: ClassVar[int | None] = None

    def __init__(self, code: int | None, message: str, *, command: str | None = None) -> None:
        self.error_code = code
        self.error_message = message
        self.command = command
        super().__init__(f"{command or 'command'} failed: error {code}: {message}")


class ConnectError(WebSocketError):
    """The WebSocket connection could not be opened (refused, TLS, HTTP status, redirect, timeout)."""


class ConnectionLostError(SubscriptionClosedError, WebSocketError):
    """The connection dropped and could not be re-established within the reconnect policy."""


class _NoRedirects(ClientConnect):
    """websockets follows upgrade redirects; a redirect would carry the signed upgrade to a host the
    allow-list never saw, so it ends the attempt instead."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


class _RedactSigning(logging.Filter):
    """The websockets debug log prints request headers: keep the signing headers' values out of it."""

    _HEADER = re.compile(r"(kalshi-access-[a-z-]+)(\s*:\s*)[^\r\n]*", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._HEADER.sub(r"\1\2[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_WIRE_LOGGER = logging.getLogger("kalshi_api.ws.wire")
_WIRE_LOGGER.addFilter(_RedactSigning())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, websockets.InvalidStatus):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class ReconnectPolicy:
    max_attempts: int | None = None  # None: keep trying until the session is closed
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * (2**attempt)))


@dataclass(frozen=True)
class Protocol:
    """What the generated package tells the engine about the spec."""

    channels: Mapping[str, ChannelSpec]
    data_frames: TypeAdapter[Any]  # the discriminated union of every data message, keyed by "type"
    error_classes: Mapping[int, type[CommandError]]


@dataclass
class _Pending:
    command: str
    future: asyncio.Future[dict[str, Any]]
    on_answer: Callable[[dict[str, Any]], None] | None = None


class Session:
    """One logical connection: survives reconnects, owns the subscriptions. Generated subclasses add
    ``subscribe_<channel>`` methods."""

    def __init__(self, socket: KalshiWebSocketBase) -> None:
        self._ws = socket
        self._protocol = socket.protocol
        self._conn: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, _Pending] = {}
        self._by_sid: dict[int, Subscription[Any]] = {}
        self._subscriptions: list[Subscription[Any]] = []
        self._handlers: dict[str, list[Handler]] = {}
        self._next_id = 0
        self._closing = False
        self._connected = asyncio.Event()
        self._restarts: set[asyncio.Task[None]] = set()
        self._locks: dict[int, asyncio.Lock] = {}  # per subscription: resubscribes one at a time
        self._wanted: dict[int, int] = {}  # per subscription: resubscribes requested ...
        self._done: dict[int, int] = {}  # ... and the latest request fulfilled
        self._finished = asyncio.Event()  # set once the session is closed or gave up reconnecting
        self.reconnects = 0

    # --- lifecycle ----------------------------------------------------------------------------------

    async def _open(self) -> None:
        self._conn = await self._ws._dial()
        self._connected.set()
        self._reader = asyncio.create_task(self._read_loop(self._conn), name="kalshi-ws-reader")

    async def close(self) -> None:
        """Close the socket, stop every task and end every subscription's stream."""
        if self._closing:
            return
        self._closing = True
        for task in list(self._restarts):
            task.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._conn is not None:
            await self._conn.close()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(
                    SubscriptionClosedError("the session closed before the server answered")
                )
        for sub in self._subscriptions:
            sub.close()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        self._finished.set()

    async def run_forever(self, stop_event: asyncio.Event | None = None) -> None:
        """Dispatch to ``on()`` handlers until ``stop_event`` is set (or the session closes), then close."""
        stop = stop_event or asyncio.Event()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._finished.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
            await self.close()

    def on(self, channel: str) -> Callable[[Handler], Handler]:
        """Register a handler (sync or async) for every message of ``channel`` instead of iterating."""
        if channel not in self._protocol.channels:
            raise ConfigurationError(f"unknown channel {channel!r}")

        def register(handler: Handler) -> Handler:
            self._handlers.setdefault(channel, []).append(handler)
            return handler

        return register

    # --- commands -----------------------------------------------------------------------------------

    async def _command(
        self,
        cmd: str,
        params: Mapping[str, Any] | None,
        on_answer: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Send a command and wait for its answer. ``on_answer`` runs in the reader as the answer arrives,
        before any later frame is read (a subscription's first frame follows its answer immediately)."""
        timeout = self._ws.command_timeout
        await asyncio.wait_for(self._connected.wait(), timeout)
        self._next_id += 1
        command_id = self._next_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = _Pending(cmd, future, on_answer)
        frame: dict[str, Any] = {"id": command_id, "cmd": cmd}
        if params is not None:
            frame["params"] = dict(params)
        try:
            assert self._conn is not None
            await self._conn.send(json.dumps(frame, separators=(",", ":")))
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(command_id, None)

    async def _subscribe(
        self, channel: str, params: Mapping[str, Any], max_queue: int | None, overflow: Overflow | None
    ) -> Subscription[Any]:
        spec = self._protocol.channels[channel]
        given = {k: v for k, v in params.items() if v is not None}
        sub: Subscription[Any] = Subscription(
            spec, given, max_queue or self._ws.max_queue, overflow or spec.overflow
        )
        await self._start(sub)
        self._subscriptions.append(sub)
        return sub

    async def _start(self, sub: Subscription[Any]) -> None:
        def bind(answer: dict[str, Any]) -> None:
            sid = int(answer["msg"]["sid"])
            sub.sid = sid
            sub.last_seq = (
                None  # the first frame of a new sid sets the baseline (a snapshot where there is one)
            )
            self._by_sid[sid] = sub

        await self._command("subscribe", {"channels": [sub.channel], **sub.params}, bind)

    async def subscribe_book(self, *tickers: str, max_queue: int | None = None) -> BookFeed:
        """Local order books for ``tickers`` from one orderbook_delta subscription (``async for view``)."""
        if not tickers:
            raise ConfigurationError("subscribe_book needs at least one market ticker")
        sub = await self._subscribe("orderbook_delta", {"market_tickers": list(tickers)}, max_queue, "raise")
        return BookFeed(sub, list(tickers), self._resync)

    async def unsubscribe(self, sub: Subscription[Any]) -> None:
        if sub.sid is not None:
            self._by_sid.pop(sub.sid, None)
            await self._command("unsubscribe", {"sids": [sub.sid]})
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
        sub.close()

    async def _update(self, sub: Subscription[Any], params: Mapping[str, Any]) -> dict[str, Any]:
        if sub.sid is None:
            raise SubscriptionClosedError(f"{sub.channel} subscription has no live sid")
        response = await self._command("update_subscription", {"sid": sub.sid, **params})
        _track_markets(sub, params)
        return response

    async def list_subscriptions(self) -> list[Any]:
        response = await self._command("list_subscriptions", None)
        return list(response.get("msg") or [])

    # --- frames -------------------------------------------------------------------------------------

    async def _read_loop(self, conn: ClientConnection) -> None:
        try:
            async for raw in conn:
                try:
                    await self._on_frame(raw)
                except Exception:  # one bad frame must never stop the stream
                    logger.exception("failed to handle a %d-byte frame; the stream goes on", len(raw))
        except websockets.ConnectionClosed:
            pass
        if not self._closing:
            await self._reconnect()

    async def _on_frame(self, raw: str | bytes) -> None:
        try:
            frame = self._protocol.data_frames.validate_json(raw)
        except ValidationError as exc:
            self._on_other_frame(raw, exc)
            return
        sub = self._by_sid.get(frame.sid)
        if sub is None:
            logger.info("dropping a %s frame for sid %s: no live subscription", frame.type_, frame.sid)
            return
        if sub.spec.sequenced and not self._in_sequence(sub, getattr(frame, "seq", None)):
            return
        if sub.spec.private and not sub.spec.sequenced and sub.seen_before(frame):
            logger.info("dropping a repeated %s message", sub.channel)
            return
        handlers = self._handlers.get(sub.channel)
        if handlers:
            await self._call(handlers, frame)
        else:
            sub.deliver(frame)

    def _in_sequence(self, sub: Subscription[Any], seq: int | None) -> bool:
        """Accept the frame, drop a repeat, or start a resubscribe on a gap (the frame is then dropped)."""
        if seq is None or sub.last_seq is None:
            sub.last_seq = seq
            return True
        if seq <= sub.last_seq:
            logger.info("dropping repeated %s frame seq %s (last %s)", sub.channel, seq, sub.last_seq)
            return False
        if seq == sub.last_seq + 1:
            sub.last_seq = seq
            return True
        self._resync(sub, f"seq gap: expected {sub.last_seq + 1}, got {seq}", sub.last_seq + 1, seq)
        return False

    def _resync(
        self, sub: Subscription[Any], reason: str, expected: int | None = None, got: int | None = None
    ) -> None:
        logger.warning("%s subscription sid %s: %s; resubscribing", sub.channel, sub.sid, reason)
        if sub.sid is not None:
            self._by_sid.pop(sub.sid, None)
        old_sid, sub.sid = sub.sid, None
        sub.deliver(Resync(sub.channel, reason, expected, got))
        self._schedule_restart(sub, old_sid)

    def _schedule_restart(self, sub: Subscription[Any], old_sid: int | None) -> None:
        """Resubscribe ``sub`` for a fresh start. Requests are serialized per subscription and only the latest
        counts, so racing requests (a gap, then a reconnect) never bind two sids to one subscription."""
        key = id(sub)
        self._wanted[key] = self._wanted.get(key, 0) + 1
        task = asyncio.create_task(
            self._restart(sub, old_sid, self._conn), name=f"kalshi-ws-resubscribe-{sub.channel}"
        )
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(
        self, sub: Subscription[Any], old_sid: int | None, conn: ClientConnection | None
    ) -> None:
        key = id(sub)
        async with self._locks.setdefault(key, asyncio.Lock()):
            wanted = self._wanted[key]
            if self._done.get(key) == wanted or sub.closed:
                return  # a later request already did it
            try:
                # Whatever this subscription holds now goes first: its sid from an earlier resubscribe if one
                # bound since this request, else the sid the request was about (sids belong to a connection).
                stale = sub.sid if sub.sid is not None else (old_sid if conn is self._conn else None)
                if stale is not None:
                    self._by_sid.pop(stale, None)
                    sub.sid = None
                    with contextlib.suppress(KalshiError):
                        await self._command("unsubscribe", {"sids": [stale]})
                try:
                    await self._start(sub)
                except CommandError as exc:
                    if exc.error_code != _ALREADY_SUBSCRIBED:
                        raise
                    await self._drop_orphans(sub.channel)  # a server subscription nobody here tracks
                    await self._start(sub)
                self._done[key] = wanted
            except (KalshiError, asyncio.TimeoutError, websockets.ConnectionClosed) as exc:
                # the connection is going or gone: the reconnect resubscribes everything
                logger.warning("resubscribing %s failed: %s", sub.channel, exc or type(exc).__name__)

    async def _drop_orphans(self, channel: str) -> None:
        for entry in await self.list_subscriptions():
            sid = entry.get("sid") if isinstance(entry, dict) else None
            if entry.get("channel") == channel and isinstance(sid, int) and sid not in self._by_sid:
                with contextlib.suppress(KalshiError):
                    await self._command("unsubscribe", {"sids": [sid]})

    def _on_other_frame(self, raw: str | bytes, exc: ValidationError) -> None:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            logger.warning("ignoring a frame that is not JSON (%d bytes)", len(raw))
            return
        if not isinstance(data, dict):
            logger.warning("ignoring a JSON frame that is not an object")
            return
        kind = data.get("type")
        if not isinstance(kind, str):
            logger.warning("ignoring a frame without a string type")
            return
        if kind in _RESPONSE_TYPES:
            self._on_response(kind, data)
            return
        sid = data.get("sid")
        sub = self._by_sid.get(sid) if isinstance(sid, int) else None
        if sub is not None and kind in sub.spec.messages:
            # A frame of a known type that breaks its schema: its content is lost, so sequenced state is too.
            logger.warning("%s frame does not match the spec: %s", kind, exc.errors()[:1])
            if sub.spec.sequenced:
                self._resync(sub, f"undecodable {kind} frame")
            return
        logger.info("ignoring a %r frame for sid %s: no subscription of this session takes it", kind, sid)

    def _on_response(self, kind: str, data: dict[str, Any]) -> None:
        command_id = data.get("id")
        pending = self._pending.get(command_id) if isinstance(command_id, int) else None
        if kind == "error":
            raw_msg = data.get("msg")
            msg: dict[str, Any] = raw_msg if isinstance(raw_msg, dict) else {}
            code = msg.get("code") if isinstance(msg.get("code"), int) else None
            text = str(msg.get("msg", ""))
            if pending is None:
                logger.warning("server error %s: %s", code, text)
                return
            cls = self._protocol.error_classes.get(code or -1, CommandError)
            if not pending.future.done():
                pending.future.set_exception(cls(code, text, command=pending.command))
            return
        if pending is not None and not pending.future.done():
            if pending.on_answer is not None:
                pending.on_answer(data)
            pending.future.set_result(data)

    async def _call(self, handlers: list[Handler], frame: Any) -> None:
        for handler in handlers:
            try:
                result = handler(frame)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("a %s handler raised; the stream goes on", frame.type_)

    # --- reconnects ---------------------------------------------------------------------------------

    async def _reconnect(self) -> None:
        self._connected.clear()
        self._by_sid.clear()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(
                    ConnectionLostError("the connection dropped before the server answered")
                )
        policy = self._ws.reconnect
        attempt = 0
        while not self._closing:
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                error = ConnectionLostError(f"could not reconnect after {attempt} attempts")
                for sub in self._subscriptions:
                    sub.fail(error)
                self._finished.set()
                return
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1
            try:
                self._conn = await self._ws._dial()
            except ConnectError as exc:
                logger.warning("reconnect attempt %d failed: %s", attempt, exc)
                continue
            self.reconnects += 1
            self._connected.set()
            self._reader = asyncio.create_task(self._read_loop(self._conn), name="kalshi-ws-reader")
            for sub in list(self._subscriptions):
                sub.deliver(Resync(sub.channel, "reconnected"))
                sub.sid = None
                self._schedule_restart(sub, None)
            return


def _track_markets(sub: Subscription[Any], params: Mapping[str, Any]) -> None:
    """Keep a subscription's market list current, so a resubscribe asks for what the caller has now."""
    action = params.get("action")
    if action not in ("add_markets", "delete_markets"):
        return
    changed = list(params.get("market_tickers") or []) + (
        [params["market_ticker"]] if params.get("market_ticker") else []
    )
    current = list(sub.params.pop("market_tickers", None) or []) + (
        [sub.params.pop("market_ticker")] if sub.params.get("market_ticker") else []
    )
    if action == "add_markets":
        current += [t for t in changed if t not in current]
    else:
        current = [t for t in current if t not in changed]
    if current:
        sub.params["market_tickers"] = current


class KalshiWebSocketBase:
    """Kalshi's WebSocket API. ``async with ws.connect() as session: ...``

    The URL comes from ``environment`` (the same one as the REST client's) unless ``url`` is given; it must be
    a server of the specs or loopback unless its host is in ``allowed_hosts``."""

    session_class: ClassVar[type[Session]] = Session
    protocol: ClassVar[Protocol]
    known_servers: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        auth: KalshiAuth | None = None,
        *,
        environment: str | Environment | None = "production",
        url: str | None = None,
        allowed_hosts: Iterable[str] = (),
        reconnect: ReconnectPolicy | None = None,
        max_queue: int = 10_000,
        command_timeout: float = 10.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        max_frame_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.auth = auth
        self.environment = resolve_environment(environment)
        self.url = url or self.environment.ws_url
        HostPolicy(self.known_servers, allowed_hosts).check(self.url)
        self.reconnect = reconnect or ReconnectPolicy()
        self.max_queue = max_queue
        self.command_timeout = command_timeout
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        self.max_frame_bytes = max_frame_bytes

    async def _dial(self) -> ClientConnection:
        # A fresh signature for every (re)connect; signing runs off the event loop.
        headers = await self.auth.aheaders("GET", urlsplit(self.url).path) if self.auth is not None else {}
        try:
            return await _NoRedirects(
                self.url,
                additional_headers=headers,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                max_size=self.max_frame_bytes,
                logger=_WIRE_LOGGER,
            )
        except (OSError, websockets.InvalidHandshake, websockets.InvalidURI, asyncio.TimeoutError) as exc:
            raise ConnectError(f"could not connect to {self.url}: {_reason(exc)}") from exc

    def connect(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Connect, and close everything (socket, tasks, subscriptions) when the block exits."""
        return self._session()

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[Any]:
        session = self.session_class(self)
        await session._open()
        try:
            yield session
        finally:
            await session.close()
