"""A loopback WebSocket server that plays Kalshi's streaming API from the pinned AsyncAPI spec of a family.

It runs inside the test's event loop (``async with KalshiWsServer(public_key) as server``), verifies the
RSA-PSS signature of the HTTP upgrade, answers the spec's commands (subscribe, unsubscribe,
update_subscription, list_subscriptions) with the spec's response shapes and error codes, and keeps a
ground-truth order book per market from which it sends ``orderbook_snapshot`` and ``orderbook_delta`` frames.
``family=PERPS`` plays the perps (margin) spec instead of the trade one: what differs between the families'
books (their sides and the fields of their book frames) is in ``BOOK_WIRES``, all else comes from the spec.
Tests publish data frames to the matching subscriptions, script faults (dropped sockets, sequence gaps,
repeated frames, raw text, error frames, a slow server, commands refused or never answered, frames that no
longer match the spec) and read back every command received and every frame sent, per connection.

Every outgoing frame of a connection goes through one queue and one writer task, so frames reach the wire
in the order they were produced and a subscription's ``seq`` numbers are increasing on the wire. Producing
a frame never awaits, so a snapshot and the deltas after it are consistent with the ground truth however
the test interleaves publishing with the client's commands. The ``publish*``/``send*`` coroutines return
once their frames are written (or the connection is gone), with the frames actually written.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from codegen.families import PERPS, TRADE, Family
from codegen.ir import AsyncAPIDocument, Message, Property, Schema
from codegen.load import load_asyncapi, read_yaml
from codegen.overrides import load_type_overrides
from tests._samples import Sampler

ROOT = Path(__file__).resolve().parent.parent
SIGNATURE_WINDOW_S = 30.0
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
ORDERBOOK = "orderbook_delta"
# The msg field a publish is filtered by, per channel (market channels: the market ticker).
KEY_FIELDS = {"cfbenchmarks_value": "index_id", "pyth_value": "underlying_ticker"}
MARKET_FIELDS = ("market_ticker", "ticker")
# Channels whose subscriptions carry their own key list, the subscribe param naming it and its error code.
KEYED = {"cfbenchmarks_value": ("index_ids", 24), "pyth_value": ("underlying_tickers", 28)}
# update_subscription actions of the keyed channels: (add, remove, list).
KEYED_ACTIONS = {
    "cfbenchmarks_value": ("subscribe_indices", "unsubscribe_indices", "indexlist"),
    "pyth_value": ("subscribe_underlyings", "unsubscribe_underlyings", "underlying_list"),
}
KEY_LIST_MESSAGES = {"cfbenchmarks_value": "cfbenchmarksIndexList", "pyth_value": "pythUnderlyingList"}
MARKET_ACTIONS = ("add_markets", "delete_markets", "get_snapshot")  # those the family's spec lists are served


@dataclass(frozen=True)
class BookWire:
    """How a family's order book goes over the wire, where its spec only names fields: its two sides (the
    delta's ``side``), the ``orderbook_snapshot`` msg field holding each side's [price, count] levels, and the
    ``orderbook_delta`` msg fields of the price and the count change. Other book-frame fields (a market_id,
    an ISO ``ts``) are sent when the family's spec has them."""

    sides: tuple[str, str]
    levels: tuple[str, str]
    price: str
    delta: str


BOOK_WIRES = {
    TRADE: BookWire(("yes", "no"), ("yes_dollars_fp", "no_dollars_fp"), "price_dollars", "delta_fp"),
    PERPS: BookWire(("bid", "ask"), ("bid", "ask"), "price", "delta"),
}

Target = str | int | None  # a channel name, a sid, or None for any subscription
Book = dict[str, dict[Decimal, Decimal]]


@dataclass(frozen=True)
class Protocol:
    """What the server needs from a family's spec, derived once."""

    family: Family
    book: BookWire
    spec: AsyncAPIDocument
    sampler: Sampler
    path: str
    channels: dict[str, tuple[Message, ...]]  # data channels (not root / control frames) and their messages
    default_types: dict[str, str]  # channel -> wire type of its main message (absent when ambiguous)
    seq_types: frozenset[str]  # wire types whose payload schema has seq
    error_names: dict[int, str]
    market_actions: tuple[str, ...]  # the update_subscription actions of market channels the spec lists
    book_fields: dict[str, frozenset[str]]  # orderbook_delta / orderbook_snapshot -> the msg fields it has

    def has_seq(self, channel: str, type_: str) -> bool:
        if any(m.name == type_ for m in self.channels.get(channel, ())):
            return type_ in self.seq_types
        # an unknown (future) message type: numbered like the channel's known messages
        return any(m.name in self.seq_types for m in self.channels.get(channel, ()))


@cache
def protocol(family: Family = TRADE) -> Protocol:
    spec = load_asyncapi(read_yaml(family.pinned(ROOT, "asyncapi")))
    sampler = Sampler(spec.schemas, load_type_overrides(family.config(ROOT), "asyncapi"))
    channels = {c.key: c.messages for c in spec.channels if c.address not in (None, "/")}
    defaults = {}
    for key, messages in channels.items():
        named = [m.name for m in messages if m.name == key]
        if named or len(messages) == 1:
            defaults[key] = named[0] if named else messages[0].name
    seq_types = frozenset(
        m.name
        for messages in channels.values()
        for m in messages
        if any(p.name == "seq" for p in sampler.properties(m.payload))
    )
    book_fields = {
        m.name: frozenset(p.name for p in _msg_properties(sampler, m)) for m in channels.get(ORDERBOOK, ())
    }
    book = BOOK_WIRES[family]
    for type_, wanted in (("orderbook_delta", {book.price, book.delta}), ("orderbook_snapshot", book.levels)):
        missing = set(wanted) - book_fields.get(type_, frozenset())
        assert not missing, f"the {family.name} spec's {type_} has no {sorted(missing)}: update BOOK_WIRES"
    return Protocol(
        family=family,
        book=book,
        spec=spec,
        sampler=sampler,
        path=spec.servers[0].pathname,
        channels=channels,
        default_types=defaults,
        seq_types=seq_types,
        error_names={e.code: e.name for e in spec.error_codes},
        market_actions=tuple(a for a in MARKET_ACTIONS if a in _update_actions(sampler, spec)),
        book_fields=book_fields,
    )


def msg_schema(sampler: Sampler, message: Message) -> Schema | None:
    """The schema of a message's ``msg`` (None: the message has none)."""
    msg = next((p for p in sampler.properties(message.payload) if p.name == "msg"), None)
    return msg.schema if msg is not None else None


def _msg_properties(sampler: Sampler, message: Message) -> tuple[Property, ...]:
    schema = msg_schema(sampler, message)
    return sampler.properties(schema) if schema is not None else ()


def _update_actions(sampler: Sampler, spec: AsyncAPIDocument) -> set[str]:
    """Every ``action`` an update_subscription command of the spec may name."""
    actions: set[str] = set()
    for message in spec.messages.values():
        props = {p.name: p for p in sampler.properties(message.payload)}
        if "cmd" not in props or props["cmd"].schema.const != "update_subscription" or "params" not in props:
            continue
        for param in sampler.properties(props["params"].schema):
            schema = param.schema
            if schema.kind == "ref":
                schema = spec.schemas[schema.ref or ""]
            if param.name == "action" and schema.enum:
                actions |= {str(a) for a in schema.enum}
    return actions


@dataclass
class Handshake:
    """One HTTP upgrade attempt: ``status`` 101 when accepted, else the HTTP status it was refused with."""

    path: str
    headers: dict[str, str]  # lower-cased names
    status: int
    reason: str = ""


@dataclass
class Subscription:
    sid: int
    channel: str
    params: dict[str, Any]
    markets: list[str] | None  # None: every market
    keys: list[str] | None = None  # index_ids / underlying_tickers of the keyed channels; None: all
    seq: int = 0  # the last seq sent on this subscription

    def covers(self, key: str | None) -> bool:
        wanted = self.keys if self.channel in KEYED else self.markets
        return wanted is None or key is None or key in wanted


@dataclass
class CommandFault:
    """The next ``times`` commands named ``cmd`` (of ``channel``, if given) are answered with error ``code``,
    or with nothing at all when ``code`` is None."""

    cmd: str
    code: int | None
    channel: str | None
    times: int | None  # None: every matching command from now on

    def matches(self, client: WsClient, command: dict[str, Any]) -> bool:
        if command.get("cmd") != self.cmd:
            return False
        if self.channel is None:
            return True
        params = command.get("params") if isinstance(command.get("params"), dict) else {}
        channels = params.get("channels") if isinstance(params.get("channels"), list) else []
        sub = client.subscriptions.get(params.get("sid")) if _is_int(params.get("sid")) else None
        return self.channel in channels or (sub is not None and sub.channel == self.channel)


@dataclass
class FrameFault:
    """Data frames of one wire type go out through ``change`` (a server whose schema moved on)."""

    change: Callable[[dict[str, Any]], dict[str, Any]]
    times: int | None  # None: every such frame from now on


@dataclass
class Outgoing:
    text: str
    frame: Any  # the JSON value sent, or the raw text
    data: bool  # a channel message (recorded in ``sent``)
    future: asyncio.Future[bool]


@dataclass(eq=False)
class WsClient:
    """One accepted connection and everything that went over it."""

    number: int  # 1-based, in order of acceptance
    ws: ServerConnection
    headers: dict[str, str]
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    received: list[str | bytes] = field(default_factory=list)  # every frame from the client, raw
    commands: list[dict[str, Any]] = field(default_factory=list)  # every JSON object received
    sent: list[dict[str, Any]] = field(default_factory=list)  # every data frame written, in wire order
    outgoing: list[Any] = field(default_factory=list)  # every frame written (JSON values, raw text)
    next_sid: int = 1
    open: bool = True
    queue: asyncio.Queue[Outgoing] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None

    @property
    def key_id(self) -> str | None:
        return self.headers.get("kalshi-access-key")


class CommandError(Exception):
    def __init__(self, code: int, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


class KalshiWsServer:
    """``async with KalshiWsServer(public_key) as server:`` serves ``server.url`` until the block exits.

    ``public_key=None`` accepts every upgrade unsigned; ``key_id`` additionally pins KALSHI-ACCESS-KEY;
    ``family`` picks the spec played (the trade exchange's, or ``PERPS``).
    """

    def __init__(
        self,
        public_key: rsa.RSAPublicKey | None,
        *,
        key_id: str | None = None,
        ping_interval: float | None = None,
        close_timeout: float = 1.0,
        family: Family = TRADE,
    ) -> None:
        self.protocol = protocol(family)
        self.sides = self.protocol.book.sides
        self.path = self.protocol.path
        self.public_key = public_key
        self.key_id = key_id
        self.ping_interval = ping_interval
        self.close_timeout = close_timeout
        self.connections = 0  # upgrade attempts, accepted or not
        self.auth_failures = 0
        self.handshakes: list[Handshake] = []
        self.clients: list[WsClient] = []
        self.commands: list[dict[str, Any]] = []  # every command received, across connections
        self.books: dict[str, Book] = {}
        self.missing_markets: set[str] = set()  # subscribing to these answers error 16 "Market not found"
        spec = self.protocol.spec
        self.index_ids: list[str] = _example_list(spec.messages.get("cfbenchmarksIndexList"), "index_ids")
        self.underlying_tickers: list[str] = _example_list(
            spec.messages.get("pythUnderlyingList"), "underlying_tickers"
        )
        self.delay = 0.0
        self._skips: list[tuple[Target, int]] = []
        self._repeats: list[Target] = []
        self._holds: list[Target] = []
        self._command_faults: list[CommandFault] = []
        self._frame_faults: dict[str, FrameFault] = {}
        self._held: dict[tuple[int, int], list[Outgoing]] = {}  # frames waiting to go out after the next one
        self._market_ids: dict[str, str] = {}  # market id -> ticker
        self._server: Server | None = None
        self._change: asyncio.Future[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not running"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    async def __aenter__(self) -> KalshiWsServer:
        self._change = asyncio.get_running_loop().create_future()
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=self.ping_interval,
            close_timeout=self.close_timeout,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        server = self._server
        if server is None:
            return
        server.close()  # close frames (1001) to open connections, then wait for every handler
        try:
            await asyncio.wait_for(server.wait_closed(), self.close_timeout + 2)
        except asyncio.TimeoutError:
            for client in self.clients:
                client.ws.transport.abort()
            tasks = [c.writer for c in self.clients if c.writer is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()

    # -- state and waiting -----------------------------------------------------------------------------

    def open_clients(self) -> list[WsClient]:
        return [c for c in self.clients if c.open]

    def subscriptions(self, channel: str | None = None) -> list[tuple[WsClient, Subscription]]:
        """Live subscriptions (of open connections), optionally of one channel, in connection/sid order."""
        return [
            (client, sub)
            for client in self.open_clients()
            for sub in sorted(client.subscriptions.values(), key=lambda s: s.sid)
            if channel is None or sub.channel == channel
        ]

    @property
    def sent(self) -> dict[int, list[dict[str, Any]]]:
        """Data frames written, per connection number."""
        return {client.number: client.sent for client in self.clients}

    def frames(self, type_: str | None = None, *, client: int | None = None) -> list[dict[str, Any]]:
        """Data frames written (optionally of one wire type, or to one connection), in order."""
        return [
            frame
            for c in self.clients
            if client is None or c.number == client
            for frame in c.sent
            if type_ is None or frame.get("type") == type_
        ]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; it is re-checked on every connection, command and frame."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            assert self._change is not None, "the server is not running"
            if remaining <= 0:
                raise asyncio.TimeoutError(f"condition not met within {timeout} s")
            try:
                await asyncio.wait_for(asyncio.shield(self._change), remaining)
            except asyncio.TimeoutError:
                pass

    def _notify(self) -> None:
        if self._change is not None and not self._change.done():
            self._change.set_result(None)
            self._change = asyncio.get_running_loop().create_future()

    # -- ground truth ----------------------------------------------------------------------------------

    def market_id(self, ticker: str) -> str:
        """The market's stable UUID (derived from the ticker), as sent in book frames."""
        market_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kalshi-market:{ticker}"))
        self._market_ids[market_id] = ticker
        return market_id

    def set_book(self, ticker: str, /, **sides: Iterable[tuple[Any, Any]]) -> None:
        """Replace the true book of a market: ``yes=[...], no=[...]`` (perps: ``bid=``, ``ask=``), a side left
        out empty; levels are (price, count) as Decimal, int or decimal string."""
        unknown = set(sides) - set(self.sides)
        if unknown:
            raise ValueError(
                f"{self.protocol.family.name} books have sides {self.sides}, not {sorted(unknown)}"
            )
        self.market_id(ticker)
        self.books[ticker] = {
            side: {_decimal(p): _decimal(c) for p, c in sides.get(side, ()) if _decimal(c) != 0}
            for side in self.sides
        }

    def book(self, ticker: str) -> Book:
        return self.books.setdefault(ticker, {side: {} for side in self.sides})

    def snapshot_msg(self, ticker: str) -> dict[str, Any]:
        """The ``orderbook_snapshot`` msg of the true book; a side without levels is left out."""
        msg: dict[str, Any] = {"market_ticker": ticker, **self._market_id_field("orderbook_snapshot", ticker)}
        book = self.books.get(ticker, {})
        for side, name in zip(self.sides, self.protocol.book.levels, strict=True):
            levels = sorted((p, c) for p, c in book.get(side, {}).items() if c)
            if levels:
                msg[name] = [[price_wire(p), count_wire(c)] for p, c in levels]
        return msg

    def _market_id_field(self, type_: str, ticker: str) -> dict[str, str]:
        """``{"market_id": ...}`` for a book frame of a spec that has the field, else nothing."""
        has_id = "market_id" in self.protocol.book_fields.get(type_, ())
        return {"market_id": self.market_id(ticker)} if has_id else {}

    def sample_msg(self, message_key: str, *, example: int | None = None) -> dict[str, Any]:
        """A schema-valid msg body of a message (by component key, e.g. "fill", "rfqCreated").

        By default a sample that sets every field; ``example=i`` takes the spec's i-th example instead.
        """
        message = self.protocol.spec.messages[message_key]
        if example is not None:
            msg = json.loads(json.dumps(message.examples[example]["msg"]))
        else:
            msg = self.protocol.sampler.value(message.payload)["msg"]
        assert isinstance(msg, dict)
        return msg

    def message_type(self, message_key: str) -> str:
        """The wire ``type`` of a message (by component key)."""
        return self.protocol.spec.messages[message_key].name

    # -- publishing ------------------------------------------------------------------------------------

    async def publish(
        self,
        channel: str,
        msg: dict[str, Any],
        type_: str | None = None,
        market_ticker: str | None = None,
    ) -> list[dict[str, Any]]:
        """Send ``{"type", "sid", "seq"?, "msg"}`` to every matching subscription of ``channel``.

        Subscriptions that named markets (or index ids / underlyings) get the frame only when the
        message's key matches: ``market_ticker`` if given, else the msg's market_ticker/ticker (index_id,
        underlying_ticker). A msg without a key goes to every subscription of the channel.
        """
        if channel not in self.protocol.channels:
            raise ValueError(f"not a data channel: {channel!r}")
        if type_ is None:
            if channel not in self.protocol.default_types:
                raise ValueError(f"channel {channel!r} has several message types: pass type_")
            type_ = self.protocol.default_types[channel]
        key = market_ticker if market_ticker is not None else _msg_key(channel, msg)
        numbered = self.protocol.has_seq(channel, type_)
        items: list[Outgoing] = []
        for client, sub in self.subscriptions(channel):
            if sub.covers(key):
                frame: dict[str, Any] = {"type": type_, "sid": sub.sid}
                if numbered:
                    frame["seq"] = self._next_seq(sub)
                frame["msg"] = msg
                items += self._emit(client, frame, data=True, sub=sub)
        return await self._flush(items)

    async def publish_delta(
        self,
        ticker: str,
        side: str,
        price: Any,
        delta: Any,
        *,
        client_order_id: str | None = None,
        subaccount: int | None = None,
        update_book: bool = True,
    ) -> list[dict[str, Any]]:
        """Apply a delta to the true book and send ``orderbook_delta`` to every subscription of the market.

        ``update_book=False`` sends the frame without touching the ground truth (a lying server).
        """
        if side not in self.sides:
            raise ValueError(f"side must be one of {self.sides}, got {side!r}")
        price, delta = _decimal(price), _decimal(delta)
        if update_book:
            levels = self.book(ticker)[side]
            count = levels.get(price, Decimal(0)) + delta
            if count < 0:
                raise ValueError(f"{ticker} {side} {price}: the delta {delta} leaves {count} contracts")
            if count == 0:
                levels.pop(price, None)
            else:
                levels[price] = count
        now = time.time()
        wire = self.protocol.book
        msg: dict[str, Any] = {
            "market_ticker": ticker,
            **self._market_id_field("orderbook_delta", ticker),
            wire.price: price_wire(price),
            wire.delta: count_wire(delta),
            "side": side,
        }
        if "ts" in self.protocol.book_fields["orderbook_delta"]:
            msg["ts"] = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        msg["ts_ms"] = int(now * 1000)
        if client_order_id is not None:
            msg["client_order_id"] = client_order_id
        if subaccount is not None:
            msg["subaccount"] = subaccount
        items: list[Outgoing] = []
        for client, sub in self.subscriptions(ORDERBOOK):
            if sub.covers(ticker):
                frame = {"type": "orderbook_delta", "sid": sub.sid, "seq": self._next_seq(sub), "msg": msg}
                items += self._emit(client, frame, data=True, sub=sub)
        return await self._flush(items)

    async def send_snapshots(self, ticker: str) -> list[dict[str, Any]]:
        """Send a fresh snapshot of the true book to every orderbook subscription of the market."""
        items: list[Outgoing] = []
        for client, sub in self.subscriptions(ORDERBOOK):
            if sub.covers(ticker):
                items += self._snapshot(client, sub, ticker)
        return await self._flush(items)

    # -- faults ----------------------------------------------------------------------------------------

    def skip_next_seq(self, target: str | int, gap: int = 1) -> None:
        """The next numbered frame of a subscription (by channel name or sid) skips ``gap`` seq numbers."""
        self._skips.append((target, gap))

    def repeat_next_frame(self, target: Target = None) -> None:
        """The next data frame (of a channel / sid, or of any subscription) is sent twice, same seq."""
        self._repeats.append(target)

    def reorder_next_frames(self, target: Target = None) -> None:
        """The next data frame (of a channel / sid, or of any subscription) is held back and sent right after
        the one that follows it on the same subscription: two frames swapped."""
        self._holds.append(target)

    def refuse_next(
        self, cmd: str = "subscribe", code: int = 17, *, channel: str | None = None, times: int | None = 1
    ) -> None:
        """Answer the next ``times`` commands ``cmd`` (of ``channel``, if given) with error ``code``, doing
        nothing else (17: the spec's internal error); ``times=None``: every one from now on."""
        self._command_faults.append(CommandFault(cmd, code, channel, times))

    def ignore_next(
        self, cmd: str = "subscribe", *, channel: str | None = None, times: int | None = 1
    ) -> None:
        """Record the next ``times`` commands ``cmd`` (of ``channel``, if given) and never answer them: a
        stalled server, or one whose connection drops with the command in flight."""
        self._command_faults.append(CommandFault(cmd, None, channel, times))

    def corrupt(
        self, type_: str, change: Callable[[dict[str, Any]], dict[str, Any]], *, times: int | None = None
    ) -> None:
        """Send the next ``times`` data frames of wire type ``type_`` as ``change(frame)`` returns them (e.g.
        without a required field); ``times=None``: every one from now on."""
        self._frame_faults[type_] = FrameFault(change, times)

    def stall(self, seconds: float) -> None:
        """Wait ``seconds`` before writing each outgoing frame (0 turns it off)."""
        self.delay = seconds

    async def drop_connections(self, *, abort: bool = True, code: int = 1011, reason: str = "") -> None:
        """Close every client socket: ``abort`` cuts TCP with no close frame; else close with ``code``.

        Returns once the connections' handlers have finished.
        """
        clients = self.open_clients()
        if abort:
            for client in clients:
                client.ws.transport.abort()
        else:
            await asyncio.gather(*(c.ws.close(code, reason) for c in clients))
        await asyncio.gather(*(c.done.wait() for c in clients))

    async def send_raw(self, text: str) -> list[Any]:
        """Send a raw text frame (e.g. malformed JSON) to every client."""
        items: list[Outgoing] = []
        for client in self.open_clients():
            items += self._emit(client, text)
        return await self._flush(items)

    async def send_error(
        self, code: int, msg: str | None = None, id: int | None = None, **extra: Any
    ) -> list[Any]:
        """Send an ``error`` frame (spec shape; msg defaults to the spec's name for the code) to all."""
        items: list[Outgoing] = []
        for client in self.open_clients():
            items += self._emit(client, self._error_frame(code, id, msg, **extra))
        return await self._flush(items)

    async def ping_clients(self, data: str = "heartbeat", timeout: float = 5.0) -> list[float]:
        """Ping every client (Kalshi's heartbeat payload) and wait for the pongs; returns the latencies."""
        waiters = [await client.ws.ping(data) for client in self.open_clients()]
        return list(await asyncio.wait_for(asyncio.gather(*waiters), timeout))

    # -- connection handling ---------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.connections += 1
        headers = {name.lower(): value for name, value in request.headers.raw_items()}
        path = request.path.split("?", 1)[0]
        if path != self.path:
            status, reason = HTTPStatus.NOT_FOUND, f"no WebSocket endpoint at {path}"
        else:
            failure = self._auth_failure(headers) if self.public_key is not None else None
            status, reason = (
                (HTTPStatus.UNAUTHORIZED, failure) if failure else (HTTPStatus.SWITCHING_PROTOCOLS, "")
            )
        self.handshakes.append(Handshake(request.path, headers, int(status), reason))
        if status == HTTPStatus.UNAUTHORIZED:
            self.auth_failures += 1
        self._notify()
        return None if status == HTTPStatus.SWITCHING_PROTOCOLS else connection.respond(status, reason + "\n")

    def _auth_failure(self, headers: dict[str, str]) -> str | None:
        assert self.public_key is not None
        key = headers.get("kalshi-access-key")
        stamp = headers.get("kalshi-access-timestamp")
        signature = headers.get("kalshi-access-signature")
        if not key or not stamp or not signature:
            return "missing KALSHI-ACCESS-KEY, KALSHI-ACCESS-TIMESTAMP or KALSHI-ACCESS-SIGNATURE"
        if self.key_id is not None and key != self.key_id:
            return "unknown API key"
        if not stamp.isdigit():
            return "KALSHI-ACCESS-TIMESTAMP is not milliseconds since the epoch"
        if abs(int(stamp) - time.time() * 1000) > SIGNATURE_WINDOW_S * 1000:
            return "KALSHI-ACCESS-TIMESTAMP is outside the 30 s window"
        try:
            raw = base64.b64decode(signature, validate=True)
            self.public_key.verify(raw, f"{stamp}GET{self.path}".encode(), PSS, hashes.SHA256())
        except (ValueError, InvalidSignature):
            return "invalid signature"
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        headers = {name.lower(): value for name, value in ws.request.headers.raw_items()}
        client = WsClient(number=len(self.clients) + 1, ws=ws, headers=headers)
        self.clients.append(client)
        client.writer = asyncio.create_task(self._write(client))
        self._notify()
        try:
            async for message in ws:
                client.received.append(message)
                self._on_message(client, message)
                self._notify()
        except ConnectionClosed:
            pass
        finally:
            client.open = False
            client.writer.cancel()
            await asyncio.gather(client.writer, return_exceptions=True)
            while not client.queue.empty():
                item = client.queue.get_nowait()
                if not item.future.done():
                    item.future.set_result(False)
            client.done.set()
            self._notify()

    async def _write(self, client: WsClient) -> None:
        while True:
            item = await client.queue.get()
            written = False
            try:
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                await client.ws.send(item.text)
                written = True
            except ConnectionClosed:
                pass
            finally:
                if written:
                    client.outgoing.append(item.frame)
                    if item.data:
                        client.sent.append(item.frame)
                if not item.future.done():
                    item.future.set_result(written)
            self._notify()

    def _emit(
        self, client: WsClient, frame: Any, *, data: bool = False, sub: Subscription | None = None
    ) -> list[Outgoing]:
        if data and isinstance(frame, dict):
            frame = self._corrupted(frame)
        copies = 2 if data and sub is not None and self._take_repeat(sub) else 1
        text = frame if isinstance(frame, str) else json.dumps(frame)
        loop = asyncio.get_running_loop()
        items = [Outgoing(text, frame, data, loop.create_future()) for _ in range(copies)]
        key = (id(client), sub.sid) if data and sub is not None else None
        if key is not None and key not in self._held and self._take(self._holds, sub):
            self._held[key] = items  # sent after the next frame of this subscription (not awaited)
            return []
        for item in items + (self._held.pop(key, []) if key is not None else []):
            client.queue.put_nowait(item)
        return items

    @staticmethod
    async def _flush(items: list[Outgoing]) -> list[Any]:
        written = await asyncio.gather(*(item.future for item in items))
        return [item.frame for item, ok in zip(items, written, strict=True) if ok]

    def _corrupted(self, frame: dict[str, Any]) -> dict[str, Any]:
        fault = self._frame_faults.get(str(frame.get("type")))
        if fault is None:
            return frame
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._frame_faults[str(frame.get("type"))]
        return fault.change(json.loads(json.dumps(frame)))  # a copy: the caller's frame stays as it was

    def _command_fault(self, client: WsClient, command: dict[str, Any]) -> CommandFault | None:
        for index, fault in enumerate(self._command_faults):
            if fault.matches(client, command):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._command_faults[index]
                return fault
        return None

    def _take_repeat(self, sub: Subscription) -> bool:
        return self._take(self._repeats, sub)

    @staticmethod
    def _take(targets: list[Target], sub: Subscription) -> bool:
        for index, target in enumerate(targets):
            if _matches(target, sub):
                del targets[index]
                return True
        return False

    def _next_seq(self, sub: Subscription) -> int:
        sub.seq += 1
        for index, (target, gap) in enumerate(self._skips):
            if _matches(target, sub):
                del self._skips[index]
                sub.seq += gap
                break
        return sub.seq

    # -- commands --------------------------------------------------------------------------------------

    def _on_message(self, client: WsClient, message: str | bytes) -> None:
        try:
            command = json.loads(message) if isinstance(message, str) else None
        except ValueError:
            command = None
        if not isinstance(command, dict):
            self._emit(client, self._error_frame(1, None))
            return
        self.commands.append(command)
        client.commands.append(command)
        cid = command.get("id")
        if not isinstance(cid, int) or isinstance(cid, bool) or cid < 0:
            self._emit(client, self._error_frame(1, None))
            return
        fault = self._command_fault(client, command)
        if fault is not None:
            if fault.code is not None:
                self._emit(client, self._error_frame(fault.code, cid))
            return
        handlers: dict[str, Callable[[WsClient, int, dict[str, Any]], None]] = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "update_subscription": self._update_subscription,
            "list_subscriptions": self._list_subscriptions,
        }
        name = command.get("cmd")
        try:
            handler = handlers.get(name) if isinstance(name, str) else None
            if handler is None:
                raise CommandError(5)
            params = command.get("params")
            if name != "list_subscriptions" and not isinstance(params, dict):
                raise CommandError(2)
            handler(client, cid, params or {})
        except CommandError as err:
            self._emit(client, self._error_frame(err.code, cid, **err.extra))

    def _subscribe(self, client: WsClient, cid: int, params: dict[str, Any]) -> None:
        channels = params.get("channels")
        if not isinstance(channels, list) or not channels:
            raise CommandError(3)
        _check_shards(params)
        markets = self._markets(params)
        for channel in channels:
            if not isinstance(channel, str) or channel not in self.protocol.channels:
                self._emit(client, self._error_frame(8, cid))
                continue
            if channel == ORDERBOOK and not markets:
                self._emit(client, self._error_frame(14, cid))
                continue
            missing = [t for t in markets or () if t in self.missing_markets]
            if missing:
                self._emit(client, self._error_frame(16, cid, market_ticker=missing[0]))
                continue
            keys = None
            if channel in KEYED:
                keys = _string_list(params, KEYED[channel][0])
                keys = None if keys is None or "all" in keys else keys
            clash = any(
                sub.channel == channel and _overlap(sub.markets, markets)
                for sub in client.subscriptions.values()
            )
            if clash:
                self._emit(client, self._error_frame(6, cid))
                continue
            sub = Subscription(
                client.next_sid, channel, dict(params), list(markets) if markets else None, keys
            )
            client.next_sid += 1
            client.subscriptions[sub.sid] = sub
            self._emit(client, {"id": cid, "type": "subscribed", "msg": {"channel": channel, "sid": sub.sid}})
            if channel == ORDERBOOK:
                for ticker in markets or ():
                    self._snapshot(client, sub, ticker)

    def _unsubscribe(self, client: WsClient, cid: int, params: dict[str, Any]) -> None:
        sids = params.get("sids")
        if not isinstance(sids, list) or not sids:
            raise CommandError(4)
        for sid in sids:
            sub = client.subscriptions.pop(sid, None) if _is_int(sid) else None
            if sub is None:
                self._emit(client, self._error_frame(7, cid))
                continue
            sub.seq += 1
            self._emit(client, {"id": cid, "sid": sub.sid, "seq": sub.seq, "type": "unsubscribed"})

    def _update_subscription(self, client: WsClient, cid: int, params: dict[str, Any]) -> None:
        action = params.get("action")
        if not action:
            raise CommandError(15)
        sid, sids = params.get("sid"), params.get("sids")
        if sids is not None:
            if not isinstance(sids, list) or len(sids) != 1 or (sid is not None and sid != sids[0]):
                raise CommandError(12)
            sid = sids[0]
        if sid is None:
            raise CommandError(12)
        sub = client.subscriptions.get(sid) if _is_int(sid) else None
        if sub is None:
            raise CommandError(7)
        if sub.channel in KEYED:
            self._update_keys(client, cid, sub, action, params)
            return
        if action not in self.protocol.market_actions:
            raise CommandError(13)
        tickers = self._markets(params)
        if action == "get_snapshot":
            if sub.channel != ORDERBOOK:
                raise CommandError(13)
            tickers = tickers or list(sub.markets or ())
            outside = [t for t in tickers if not sub.covers(t)]
            if outside:
                raise CommandError(11, market_ticker=outside[0])
            self._ok(client, cid, sub)
            for ticker in tickers:
                self._snapshot(client, sub, ticker)
            return
        if not tickers:
            raise CommandError(14)
        missing = [t for t in tickers if t in self.missing_markets]
        if missing:
            raise CommandError(16, market_ticker=missing[0])
        if action == "delete_markets":
            sub.markets = [t for t in sub.markets or () if t not in tickers]
            self._ok(client, cid, sub)
            return
        added = [t for t in tickers if sub.markets is not None and t not in sub.markets]
        if sub.markets is not None:
            sub.markets.extend(added)
        self._ok(client, cid, sub)
        if sub.channel == ORDERBOOK:
            for ticker in added:
                self._snapshot(client, sub, ticker)

    def _update_keys(
        self, client: WsClient, cid: int, sub: Subscription, action: str, params: dict[str, Any]
    ) -> None:
        add, remove, listing = KEYED_ACTIONS[sub.channel]
        param, code = KEYED[sub.channel]
        if action == listing:
            available = self.index_ids if sub.channel == "cfbenchmarks_value" else self.underlying_tickers
            frame = {
                "id": cid,
                "type": self.message_type(KEY_LIST_MESSAGES[sub.channel]),
                "sid": sub.sid,
                "seq": self._next_seq(sub),
                "msg": {param: list(sub.keys if sub.keys is not None else available)},
            }
            self._emit(client, frame, data=True, sub=sub)
            return
        if action not in (add, remove):
            raise CommandError(13)
        keys = _string_list(params, param)
        if not keys:
            raise CommandError(code)
        if action == add:
            if "all" in keys:
                sub.keys = None
            elif sub.keys is not None:
                sub.keys += [k for k in keys if k not in sub.keys]
        else:
            available = self.index_ids if sub.channel == "cfbenchmarks_value" else self.underlying_tickers
            current = sub.keys if sub.keys is not None else list(available)
            sub.keys = [] if "all" in keys else [k for k in current if k not in keys]
        self._ok(client, cid, sub)

    def _list_subscriptions(self, client: WsClient, cid: int, params: dict[str, Any]) -> None:
        subs = sorted(client.subscriptions.values(), key=lambda s: s.sid)
        self._emit(
            client, {"id": cid, "type": "ok", "msg": [{"channel": s.channel, "sid": s.sid} for s in subs]}
        )

    # -- frames ----------------------------------------------------------------------------------------

    def _ok(self, client: WsClient, cid: int, sub: Subscription) -> None:
        frame: dict[str, Any] = {"id": cid, "sid": sub.sid}
        if sub.seq >= 1:
            frame["seq"] = sub.seq  # the subscription's current seq: an ok does not consume one
        frame["type"] = "ok"
        if sub.markets is not None:
            frame["msg"] = {"market_tickers": list(sub.markets)}
        self._emit(client, frame)

    def _snapshot(self, client: WsClient, sub: Subscription, ticker: str) -> list[Outgoing]:
        frame = {"type": "orderbook_snapshot", "sid": sub.sid, "seq": self._next_seq(sub)}
        frame["msg"] = self.snapshot_msg(ticker)
        return self._emit(client, frame, data=True, sub=sub)

    def _error_frame(self, code: int, id: int | None, msg: str | None = None, **extra: Any) -> dict[str, Any]:
        frame: dict[str, Any] = {} if id is None else {"id": id}
        frame["type"] = "error"
        frame["msg"] = {"code": code, "msg": msg or self.protocol.error_names.get(code, "error"), **extra}
        return frame

    def _markets(self, params: dict[str, Any]) -> list[str]:
        """Market tickers named by market_ticker / market_tickers / market_id / market_ids, in order."""
        found: list[str] = []
        single = params.get("market_ticker")
        if single is not None:
            if not isinstance(single, str) or not single:
                raise CommandError(11)
            found.append(single)
        found += _string_list(params, "market_tickers") or []
        ids = ([params["market_id"]] if params.get("market_id") is not None else []) + (
            _string_list(params, "market_ids") or []
        )
        for market_id in ids:
            if not isinstance(market_id, str):
                raise CommandError(11)
            if market_id not in self._market_ids:
                raise CommandError(16, market_id=market_id)
            found.append(self._market_ids[market_id])
        return list(dict.fromkeys(found))


def price_wire(value: Decimal) -> str:
    """A price as Kalshi writes it: four decimals ("0.5600"), more only when the value needs them."""
    return _fixed(value, 4)


def count_wire(value: Decimal) -> str:
    """A contract count as Kalshi writes it: two decimals ("10.00"), more only when the value needs them."""
    return _fixed(value, 2)


def _fixed(value: Decimal, places: int) -> str:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return format(value, "f")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"pass prices and counts as Decimal, int or str, not {type(value).__name__}")
    result = Decimal(value) if isinstance(value, (int, str)) else value
    if not isinstance(result, Decimal) or not result.is_finite():
        raise TypeError(f"not a finite decimal: {value!r}")
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(target: Target, sub: Subscription) -> bool:
    if target is None:
        return True
    return sub.sid == target if _is_int(target) else sub.channel == target


def _overlap(a: list[str] | None, b: list[str] | None) -> bool:
    """Two market selections of one channel collide: both all-markets, or a market in common."""
    if not a and not b:
        return True
    return bool(a and b and set(a) & set(b))


def _msg_key(channel: str, msg: dict[str, Any]) -> str | None:
    fields = (KEY_FIELDS[channel],) if channel in KEY_FIELDS else MARKET_FIELDS
    for name in fields:
        if isinstance(msg.get(name), str):
            return str(msg[name])
    return None


def _string_list(params: dict[str, Any], name: str) -> list[str] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CommandError(11)
    return list(value)


def _check_shards(params: dict[str, Any]) -> None:
    factor, key = params.get("shard_factor"), params.get("shard_key")
    if factor is None:
        if key is not None:
            raise CommandError(20)
        return
    if not _is_int(factor) or factor <= 0:
        raise CommandError(19)
    if factor > 100:
        raise CommandError(22)
    if key is not None and (not _is_int(key) or not 0 <= key < factor):
        raise CommandError(21)


def _example_list(message: Message | None, name: str) -> list[str]:
    for example in message.examples if message is not None else ():
        values = example.get("msg", {}).get(name) if isinstance(example, dict) else None
        if isinstance(values, list):
            return [str(v) for v in values]
    return []
