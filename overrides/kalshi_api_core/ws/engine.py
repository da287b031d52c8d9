"""The WebSocket engine: signed connect, commands matched to responses, frames decoded into the generated
payload models and routed by sid, seq tracking with automatic resubscribe (retried within a budget), repeats
dropped by message identity, and reconnects that commands in flight survive.

The generated ``kalshi_api.ws`` package supplies the channel table, the data-frame decoder and a session
subclass with one typed ``subscribe_<channel>`` per channel; this module never imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import websockets
from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ClientConnect

from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.config import Environment, HostPolicy, websocket_url
from kalshi_api_core.config import environment as resolve_environment
from kalshi_api_core.errors import ConfigurationError, KalshiError
from kalshi_api_core.ws.book_feed import BookFeed, BookFeedBase
from kalshi_api_core.ws.channels import ChannelSpec, Overflow
from kalshi_api_core.ws.errors import CommandError as CommandError
from kalshi_api_core.ws.errors import CommandTimeoutError as CommandTimeoutError
from kalshi_api_core.ws.errors import ConnectError as ConnectError
from kalshi_api_core.ws.errors import ConnectionLostError as ConnectionLostError
from kalshi_api_core.ws.errors import FrameDecodeError as FrameDecodeError
from kalshi_api_core.ws.errors import ResubscribeError as ResubscribeError
from kalshi_api_core.ws.errors import WebSocketError as WebSocketError
from kalshi_api_core.ws.errors import describe
from kalshi_api_core.ws.policy import ReconnectPolicy as ReconnectPolicy
from kalshi_api_core.ws.policy import ResubscribePolicy as ResubscribePolicy
from kalshi_api_core.ws.subscription import DEDUP_WINDOW, Resync, Subscription, SubscriptionClosedError

logger = logging.getLogger("kalshi_api.ws")
Handler = Callable[[Any], Awaitable[None] | None]
_ALREADY_SUBSCRIBED = 6  # the spec's error code for a duplicate subscription
_RESPONSE_TYPES = frozenset({"subscribed", "unsubscribed", "ok", "error"})


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
    ``subscribe_<channel>`` methods, and name the kind of local book their orderbook_delta channel keeps."""

    # the generated sessions name their feed class and narrow subscribe_book's type to it
    book_feed_class: ClassVar[type[BookFeedBase[Any]]] = BookFeed

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
        self._change = asyncio.Event()  # set, then replaced, when the connection or a sid changes
        self._tasks: set[asyncio.Task[None]] = set()  # resubscribes and unsubscribes in the background
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
        self._wake()
        for task in list(self._tasks):
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
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._finished.set()
        self._wake()

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

    def _wake(self) -> None:
        """Wake whoever waits for a reconnect or for a subscription to be live again."""
        self._change.set()
        self._change = asyncio.Event()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- commands -----------------------------------------------------------------------------------

    def _deadline(self) -> float:
        """How long a command may wait for a dropped connection to come back: ``command_timeout``."""
        return asyncio.get_running_loop().time() + self._ws.command_timeout

    async def _wait_change(self, deadline: float, waiting_for: str) -> None:
        """Wait for the next change of connection or sid, until ``deadline`` (then ConnectionLostError)."""
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            if remaining <= 0:
                raise asyncio.TimeoutError
            await asyncio.wait_for(self._change.wait(), remaining)
        except asyncio.TimeoutError:
            timeout = self._ws.command_timeout
            raise ConnectionLostError(
                f"{waiting_for} did not happen within command_timeout={timeout:g} s"
            ) from None

    async def _live(self, stale: ClientConnection | None, deadline: float | None) -> ClientConnection:
        """The open connection unless it is ``stale``; with a ``deadline``, waiting until then for the session
        to reconnect."""
        while True:
            if self._closing:
                raise ConnectionLostError("the session is closed")
            if self._finished.is_set():
                raise ConnectionLostError("the connection dropped and the session gave up reconnecting")
            conn = self._conn
            if conn is not None and conn is not stale and self._connected.is_set():
                return conn
            if deadline is None:
                raise ConnectionLostError("the connection dropped; the session is reconnecting")
            await self._wait_change(deadline, "the reconnect")

    async def _command(
        self,
        cmd: str,
        params: Mapping[str, Any] | None,
        on_answer: Callable[[dict[str, Any]], None] | None = None,
        *,
        retry: bool = False,
    ) -> dict[str, Any]:
        """Send a command and wait for its answer (at most ``command_timeout``). ``on_answer`` runs in the
        reader as the answer arrives, before any later frame is read (a subscription's first frame follows its
        answer immediately).

        A connection lost before the answer raises ConnectionLostError; with ``retry`` (commands that mean the
        same on any connection) the command waits for the reconnect and is sent again instead, and only a
        session that closed, gave up reconnecting or did not reconnect within ``command_timeout`` raises."""
        stale: ClientConnection | None = None
        deadline = self._deadline() if retry else None
        while True:
            conn = await self._live(stale, deadline)
            try:
                return await self._exchange(conn, cmd, params, on_answer)
            except ConnectionLostError:
                if not retry:
                    raise
                stale = conn

    async def _exchange(
        self,
        conn: ClientConnection,
        cmd: str,
        params: Mapping[str, Any] | None,
        on_answer: Callable[[dict[str, Any]], None] | None,
    ) -> dict[str, Any]:
        self._next_id += 1
        command_id = self._next_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = _Pending(cmd, future, on_answer)
        frame: dict[str, Any] = {"id": command_id, "cmd": cmd}
        if params is not None:
            frame["params"] = dict(params)
        try:
            try:
                await conn.send(json.dumps(frame, separators=(",", ":")))
            except websockets.ConnectionClosed as exc:  # never a websockets exception to the caller
                raise ConnectionLostError(f"the connection dropped before {cmd} was sent") from exc
            try:
                return await asyncio.wait_for(future, self._ws.command_timeout)
            except asyncio.TimeoutError:
                raise CommandTimeoutError(cmd, self._ws.command_timeout) from None
        finally:
            self._pending.pop(command_id, None)
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: a failure set while the send failed is not "never retrieved"

    async def _subscribe(
        self, channel: str, params: Mapping[str, Any], max_queue: int | None, overflow: Overflow | None
    ) -> Subscription[Any]:
        spec = self._protocol.channels[channel]
        given = {k: v for k, v in params.items() if v is not None}
        sub: Subscription[Any] = Subscription(
            spec, given, max_queue or self._ws.max_queue, overflow or spec.overflow, self._ws.dedup_window
        )
        # A subscribe means the same on any connection: one lost in flight is sent again after the reconnect.
        await self._start(sub, retry=True)
        return sub

    async def _start(self, sub: Subscription[Any], *, retry: bool = False) -> None:
        def bind(answer: dict[str, Any]) -> None:
            sid = int(answer["msg"]["sid"])
            sub.sid = sid
            sub.last_seq = None  # the first frame of a new sid sets the baseline (a snapshot if there is one)
            self._by_sid[sid] = sub
            if not sub.ended and sub not in self._subscriptions:
                self._subscriptions.append(sub)  # from its first answer on, a reconnect restores it
            self._wake()

        await self._command("subscribe", {"channels": [sub.channel], **sub.params}, bind, retry=retry)

    async def subscribe_book(self, *tickers: str, max_queue: int | None = None) -> BookFeedBase[Any]:
        """Local order books for ``tickers`` from one orderbook_delta subscription (``async for view``)."""
        if not tickers:
            raise ConfigurationError("subscribe_book needs at least one market ticker")
        sub = await self._subscribe("orderbook_delta", {"market_tickers": list(tickers)}, max_queue, "raise")
        return self.book_feed_class(sub, list(tickers), self._resync)

    async def unsubscribe(self, sub: Subscription[Any]) -> None:
        """End ``sub``'s stream and stop the server sending it. A subscription the connection took with it is
        only forgotten: the server already dropped it, and the reconnect won't restore it."""
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
        sub.close()
        sid = sub.sid
        if sid is not None and self._by_sid.get(sid) is sub:
            self._by_sid.pop(sid)
            with contextlib.suppress(ConnectionLostError):
                await self._command("unsubscribe", {"sids": [sid]})

    async def _update(self, sub: Subscription[Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """Send an update for ``sub``'s current sid. While the subscription is being restored (after a gap or
        a reconnect) this waits for its new sid; an update the connection took with it goes again to the
        restored subscription (which the reconnect subscribed with the parameters from before the update)."""
        while True:
            sid = await self._live_sid(sub)
            try:
                response = await self._command("update_subscription", {"sid": sid, **params})
            except ConnectionLostError:
                if self._closing or self._finished.is_set():
                    raise
                continue
            _track_markets(sub, params)
            return response

    async def _live_sid(self, sub: Subscription[Any]) -> int:
        """``sub``'s sid on the open connection, waiting at most ``command_timeout`` for it to be restored."""
        deadline = self._deadline()
        while True:
            if sub.ended:
                raise SubscriptionClosedError(f"{sub.channel} subscription has ended") from sub.failure
            await self._live(None, deadline)  # raises once the session closed, gave up or took too long
            sid = sub.sid
            if sid is not None and self._by_sid.get(sid) is sub and self._connected.is_set():
                return sid
            await self._wait_change(deadline, f"restoring the {sub.channel} subscription")

    async def list_subscriptions(self) -> list[Any]:
        response = await self._command("list_subscriptions", None, retry=True)
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
        sub.undecodable = 0
        if sub.is_repeat(frame):
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
        self._spawn(self._restart(sub, old_sid, self._conn), f"kalshi-ws-resubscribe-{sub.channel}")

    async def _restart(
        self, sub: Subscription[Any], old_sid: int | None, conn: ClientConnection | None
    ) -> None:
        key = id(sub)
        async with self._locks.setdefault(key, asyncio.Lock()):
            wanted = self._wanted[key]
            if self._done.get(key) == wanted or sub.ended:
                return  # a later request already did it
            live = self._conn

            def current() -> bool:  # this request still stands: nothing newer, same connection, still open
                return (
                    not (self._closing or sub.ended)
                    and self._wanted[key] == wanted
                    and self._conn is live
                    and self._connected.is_set()
                )

            # Whatever this subscription holds now goes first: its sid from an earlier resubscribe if one
            # bound since this request, else the sid the request was about (sids belong to a connection).
            stale = sub.sid if sub.sid is not None else (old_sid if conn is live else None)
            policy = self._ws.resubscribe
            failures = 0
            while True:
                try:
                    await self._resubscribe_once(sub, stale)
                except (KalshiError, asyncio.TimeoutError) as exc:
                    stale = None
                    if not current() or isinstance(exc, ConnectionLostError):
                        # the connection is going or gone (or a newer request took over): the reconnect
                        # resubscribes everything, so this failure is not the subscription's
                        logger.info("resubscribing %s stopped: %s", sub.channel, describe(exc))
                        return
                    failures += 1
                    if failures >= policy.max_attempts:
                        error = ResubscribeError(sub.channel, failures, exc)
                        error.__cause__ = exc
                        logger.error("%s", error)
                        self._retire(sub, error)
                        return
                    delay = policy.delay(failures - 1)
                    logger.warning(
                        "resubscribing %s failed (%s); attempt %d of %d in %.2f s",
                        sub.channel,
                        describe(exc),
                        failures + 1,
                        policy.max_attempts,
                        delay,
                    )
                    if not await self._pause(delay, current):
                        return
                    continue
                self._done[key] = wanted
                if sub.ended and sub.sid is not None:  # unsubscribed while this was in flight
                    self._by_sid.pop(sub.sid, None)
                    self._spawn(self._forget(sub.sid), f"kalshi-ws-unsubscribe-{sub.channel}")
                return

    async def _resubscribe_once(self, sub: Subscription[Any], stale: int | None) -> None:
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

    async def _pause(self, delay: float, current: Callable[[], bool]) -> bool:
        """Sleep ``delay`` seconds, or less if ``current()`` stops holding (then False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while current():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._change.wait(), remaining)
        return False

    def _retire(self, sub: Subscription[Any], error: BaseException) -> None:
        """End ``sub``'s stream with ``error``: nothing restores it, and the server stops sending it."""
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
        sid, sub.sid = sub.sid, None
        if sid is not None and self._by_sid.get(sid) is sub:
            self._by_sid.pop(sid)
            self._spawn(self._forget(sid), f"kalshi-ws-unsubscribe-{sub.channel}")
        sub.fail(error)
        self._wake()

    async def _forget(self, sid: int) -> None:
        with contextlib.suppress(KalshiError, asyncio.TimeoutError):
            await self._command("unsubscribe", {"sids": [sid]})

    async def _drop_orphans(self, channel: str) -> None:
        listing = await self._command("list_subscriptions", None)
        for entry in listing.get("msg") or []:
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
            first = _first_error(exc)
            logger.warning("%s frame does not match the spec: %s", kind, first)
            if sub.spec.sequenced:
                self._undecodable(sub, kind, first)
            return
        logger.info("ignoring a %r frame for sid %s: no subscription of this session takes it", kind, sid)

    def _undecodable(self, sub: Subscription[Any], kind: str, error: str) -> None:
        """Resubscribe for a fresh start, unless frames in a row keep failing: a fresh snapshot that fails
        the same way would loop forever, so the stream ends instead."""
        sub.undecodable += 1
        if sub.undecodable >= self._ws.resubscribe.max_undecodable:
            failure = FrameDecodeError(sub.channel, kind, sub.undecodable, error)
            logger.error("%s", failure)
            self._retire(sub, failure)
        else:
            self._resync(sub, f"undecodable {kind} frame ({error})")

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
        self._wake()
        policy = self._ws.reconnect
        attempt = 0
        while not self._closing:
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                error = ConnectionLostError(f"could not reconnect after {attempt} attempts")
                for sub in self._subscriptions:
                    sub.fail(error)
                self._finished.set()
                self._wake()
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
            self._subscriptions = [sub for sub in self._subscriptions if not sub.ended]
            for sub in self._subscriptions:
                sub.deliver(Resync(sub.channel, "reconnected"))
                sub.sid = None
                self._schedule_restart(sub, None)
            self._wake()
            return


def _first_error(exc: ValidationError) -> str:
    """The first validation error as ``location: message``, without the input (it may be private data)."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return str(exc)
    location = ".".join(str(part) for part in errors[0]["loc"])
    return f"{location}: {errors[0]['msg']}" if location else str(errors[0]["msg"])


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
    # Another API family's URLs for Kalshi's environments (the perps client's); empty: the trade exchange's.
    environments: ClassVar[Mapping[str, Environment]] = {}

    def __init__(
        self,
        auth: KalshiAuth | None = None,
        *,
        environment: str | Environment | None = "production",
        url: str | None = None,
        allowed_hosts: Iterable[str] = (),
        reconnect: ReconnectPolicy | None = None,
        resubscribe: ResubscribePolicy | None = None,
        max_queue: int = 10_000,
        command_timeout: float = 10.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        max_frame_bytes: int = 16 * 1024 * 1024,
        dedup_window: int = DEDUP_WINDOW,
    ) -> None:
        self.auth = auth
        self.environment = resolve_environment(environment, family=self.environments)
        self.url = websocket_url(self.environment, url)
        HostPolicy(self.known_servers, allowed_hosts).check(self.url)
        self.reconnect = reconnect or ReconnectPolicy()
        self.resubscribe = resubscribe or ResubscribePolicy()
        if dedup_window < 0:
            raise ConfigurationError(f"dedup_window must be at least 0, got {dedup_window!r}")
        self.dedup_window = dedup_window  # identities remembered per subscription to drop repeats
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
