"""Floor references: how fast the same typed decode (and book upkeep) can go with msgspec or orjson.

The msgspec Structs mirror the pinned spec's Market, Order and Fill by hand, property for property: money
(``*_dollars``, ``fee_cost``) and counts (``*_fp``) decode to ``Decimal``, date-times to timezone-aware
``datetime`` (``Meta(tz=True)`` refuses naive ones, like pydantic's ``AwareDatetime``), and a property the
spec requires has no default. ``check_mirrors_spec`` fails the run if the spec and these Structs drift.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
import orjson
from workloads import Book, normalize_book, spec_properties

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class PriceRange(msgspec.Struct, kw_only=True):
    end: str
    start: str
    step: str


class MveSelectedLeg(msgspec.Struct, kw_only=True):
    event_ticker: str | None = None
    market_ticker: str | None = None
    side: str | None = None
    yes_settlement_value_dollars: Decimal | None = None


class Market(msgspec.Struct, kw_only=True):
    can_close_early: bool
    cap_strike: float | None = None
    close_time: AwareDatetime
    created_time: AwareDatetime
    custom_strike: dict[str, Any] | None = None
    early_close_condition: str | None = None
    event_ticker: str
    exchange_index: int | None = None
    expected_expiration_time: AwareDatetime | None = None
    expiration_time: AwareDatetime | None = None
    expiration_value: str
    fee_waiver_expiration_time: AwareDatetime | None = None
    floor_strike: float | None = None
    fractional_trading_enabled: bool
    functional_strike: str | None = None
    is_provisional: bool | None = None
    last_price_dollars: Decimal
    latest_expiration_time: AwareDatetime
    liquidity_dollars: Decimal
    market_type: str
    mve_collection_ticker: str | None = None
    mve_selected_legs: list[MveSelectedLeg] | None = None
    no_ask_dollars: Decimal
    no_bid_dollars: Decimal
    no_sub_title: str
    notional_value_dollars: Decimal
    occurrence_datetime: AwareDatetime | None = None
    open_interest_fp: Decimal
    open_time: AwareDatetime
    previous_price_dollars: Decimal
    previous_yes_ask_dollars: Decimal
    previous_yes_bid_dollars: Decimal
    price_level_structure: str
    price_ranges: list[PriceRange]
    primary_participant_key: str | None = None
    response_price_units: str | None = None
    result: str
    rules_primary: str
    rules_secondary: str
    settlement_timer_seconds: int
    settlement_ts: AwareDatetime | None = None
    settlement_value_dollars: Decimal | None = None
    status: str
    strike_type: str | None = None
    subtitle: str | None = None
    ticker: str
    title: str | None = None
    updated_time: AwareDatetime
    volume_24h_fp: Decimal
    volume_fp: Decimal
    yes_ask_dollars: Decimal
    yes_ask_size_fp: Decimal
    yes_bid_dollars: Decimal
    yes_bid_size_fp: Decimal
    yes_sub_title: str


class Order(msgspec.Struct, kw_only=True):
    action: str
    book_side: str
    cancel_order_on_pause: bool | None = None
    client_order_id: str
    created_time: AwareDatetime | None = None
    exchange_index: int | None = None
    expiration_time: AwareDatetime | None = None
    fill_count_fp: Decimal
    initial_count_fp: Decimal
    last_update_time: AwareDatetime | None = None
    maker_fees_dollars: Decimal
    maker_fill_cost_dollars: Decimal
    no_price_dollars: Decimal
    order_group_id: str | None = None
    order_id: str
    outcome_side: str
    remaining_count_fp: Decimal
    self_trade_prevention_type: str | None = None
    side: str
    status: str
    subaccount_number: int | None = None
    taker_fees_dollars: Decimal
    taker_fill_cost_dollars: Decimal
    ticker: str
    type: str
    user_id: str
    yes_price_dollars: Decimal


class Fill(msgspec.Struct, kw_only=True):
    action: str
    book_side: str
    count_fp: Decimal
    created_time: AwareDatetime | None = None
    fee_cost: Decimal
    fill_id: str
    is_taker: bool
    market_ticker: str
    no_price_dollars: Decimal
    order_id: str
    outcome_side: str
    side: str
    subaccount_number: int | None = None
    ticker: str
    trade_id: str
    ts: int | None = None
    yes_price_dollars: Decimal


class GetMarketsResponse(msgspec.Struct, kw_only=True):
    cursor: str
    markets: list[Market]


class GetOrdersResponse(msgspec.Struct, kw_only=True):
    cursor: str
    orders: list[Order]


class GetFillsResponse(msgspec.Struct, kw_only=True):
    cursor: str
    fills: list[Fill]


RESPONSES: dict[str, type[msgspec.Struct]] = {
    "markets": GetMarketsResponse,
    "orders": GetOrdersResponse,
    "fills": GetFillsResponse,
}
_MIRRORS: dict[str, type[msgspec.Struct]] = {
    "Market": Market,
    "Order": Order,
    "Fill": Fill,
    "PriceRange": PriceRange,
    "MveSelectedLeg": MveSelectedLeg,
    "GetMarketsResponse": GetMarketsResponse,
    "GetOrdersResponse": GetOrdersResponse,
    "GetFillsResponse": GetFillsResponse,
}


def check_mirrors_spec() -> list[str]:
    """Differences between these Structs and the spec's schemas (names, and required = no default)."""
    problems = []
    for name, struct in _MIRRORS.items():
        spec = spec_properties(name)
        info = msgspec.structs.fields(struct)
        ours = {f.name: f.required for f in info}
        if set(spec) != set(ours):
            only_spec, only_struct = sorted(set(spec) - set(ours)), sorted(set(ours) - set(spec))
            problems.append(f"{name}: spec-only {only_spec}, struct-only {only_struct}")
        wrong = sorted(n for n in set(spec) & set(ours) if spec[n] != ours[n])
        if wrong:
            problems.append(f"{name}: required differs for {wrong}")
    return problems


def msgspec_page(key: str) -> Callable[[bytes], Any]:
    decoder = msgspec.json.Decoder(RESPONSES[key])
    return decoder.decode


def orjson_page(raw: bytes) -> Any:
    """Parsing alone: dicts and strings, no types. The floor of any decoder that starts from bytes."""
    return orjson.loads(raw)


# --- order book floors --------------------------------------------------------------------------------


class _SnapshotMsg(msgspec.Struct):
    market_ticker: str
    market_id: str
    yes_dollars_fp: list[tuple[Decimal, Decimal]] | None = None
    no_dollars_fp: list[tuple[Decimal, Decimal]] | None = None


class _DeltaMsg(msgspec.Struct):
    market_ticker: str
    market_id: str
    price_dollars: Decimal
    delta_fp: Decimal
    side: Literal["yes", "no"]
    client_order_id: str | None = None
    subaccount: int | None = None
    ts: AwareDatetime | None = None
    ts_ms: int | None = None


class _Snapshot(msgspec.Struct, tag_field="type", tag="orderbook_snapshot"):
    msg: _SnapshotMsg
    seq: int
    sid: int


class _Delta(msgspec.Struct, tag_field="type", tag="orderbook_delta"):
    msg: _DeltaMsg
    seq: int
    sid: int


def orjson_book(frames: list[bytes]) -> Book:
    """orjson + a dict book: Decimal prices and counts, no schema check, no views."""
    yes: dict[Decimal, Decimal] = {}
    no: dict[Decimal, Decimal] = {}
    loads = orjson.loads
    for raw in frames:
        frame = loads(raw)
        msg = frame["msg"]
        if frame["type"] == "orderbook_snapshot":
            yes = {Decimal(p): Decimal(c) for p, c in msg["yes_dollars_fp"] or ()}
            no = {Decimal(p): Decimal(c) for p, c in msg["no_dollars_fp"] or ()}
            continue
        levels = yes if msg["side"] == "yes" else no
        price = Decimal(msg["price_dollars"])
        new = levels.get(price, 0) + Decimal(msg["delta_fp"])
        if new:
            levels[price] = new
        else:
            del levels[price]
    return normalize_book(yes, no)


def msgspec_book(frames: list[bytes]) -> Book:
    """msgspec tagged-union decode (every field typed) + the same dict book."""
    decode = msgspec.json.Decoder(_Snapshot | _Delta).decode
    yes: dict[Decimal, Decimal] = {}
    no: dict[Decimal, Decimal] = {}
    for raw in frames:
        frame = decode(raw)
        if type(frame) is _Snapshot:
            yes = dict(frame.msg.yes_dollars_fp or ())
            no = dict(frame.msg.no_dollars_fp or ())
            continue
        msg = frame.msg
        levels = yes if msg.side == "yes" else no
        new = levels.get(msg.price_dollars, 0) + msg.delta_fp
        if new:
            levels[msg.price_dollars] = new
        else:
            del levels[msg.price_dollars]
    return normalize_book(yes, no)


# --- per-call floors ----------------------------------------------------------------------------------


def _read_response(sock: Any, pending: bytes) -> bytes:
    """Read one Content-Length response off a keep-alive socket; returns what was read past it."""
    buffer = pending
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            length = 0
            for line in buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            while len(buffer) < total:
                buffer += sock.recv(65536)
            return buffer[total:]
        buffer += sock.recv(65536)


def socket_calls(host: str, port: int, path: str) -> tuple[Callable[..., Any], Callable[[], None]]:
    """A blocking socket that writes one prebuilt GET and reads the response: the loopback round trip
    plus the server's own time, with no HTTP client at all."""
    import socket

    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()

    def run(n: int) -> Any:
        pending = b""
        for _ in range(n):
            sock.sendall(request)
            pending = _read_response(sock, pending)
        return True

    return run, sock.close


def httpx_calls(url: str) -> tuple[Callable[..., Any], Callable[[], None]]:
    """httpx.Client.get + .content: the HTTP client every SDK here builds on (save kalshi-python-sync),
    without any decoding."""
    import httpx

    client = httpx.Client()

    def run(n: int) -> Any:
        body = b""
        for _ in range(n):
            body = client.get(url).content
        return bool(body)

    return run, client.close


def asyncio_calls(
    host: str, port: int, path: str, loop: Any
) -> tuple[Callable[..., Any], Callable[[], None]]:
    """asyncio streams writing one prebuilt GET and reading the response: the async round-trip floor."""
    import asyncio

    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
    reader, writer = loop.run_until_complete(asyncio.open_connection(host, port))

    async def calls(n: int) -> Any:
        for _ in range(n):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        return True

    def close() -> None:
        writer.close()
        loop.run_until_complete(writer.wait_closed())

    return (lambda n: loop.run_until_complete(calls(n))), close
