"""The SDK's WebSocket client against a real `websockets` server on loopback that plays the AsyncAPI spec.

Tests of behaviour both API families share run for each (``family``): the trade exchange's
``KalshiWebSocket`` and the perps exchange's ``PerpsWebSocket``, each against a server playing its own spec.
The helpers here are the perps tests' too (tests/test_perps_ws.py).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from codegen.families import FAMILIES, PERPS, TRADE, Family
from kalshi_api import KalshiAuth, KalshiClient
from kalshi_api.ws import (
    CHANNELS,
    KalshiWebSocket,
    KalshiWsSession,
    ReconnectPolicy,
    Resync,
    SubscriptionOverflowError,
)
from kalshi_api.ws.protocol import MarketTickerRequiredError, UnknownSubscriptionIDError
from kalshi_api_core.errors import HostNotAllowedError
from kalshi_api_core.ws.book import BookUnavailableError
from kalshi_api_core.ws.errors import CommandError, ConnectionLostError
from tests.ws_server import MARKET_FIELDS, ORDERBOOK, KalshiWsServer

FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
T = "KXTEST-26NOV22"
each_family = pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
# The error class a command error of a code has, per family (else the engine's CommandError: the perps spec
# names no error codes).
ERRORS: dict[Family, dict[int, type[CommandError]]] = {
    TRADE: {7: UnknownSubscriptionIDError, 14: MarketTickerRequiredError},
    PERPS: {},
}


@dataclass(frozen=True)
class BookApi:
    """How a family's book view reads: its level tuples, one per side of the server's book (best first), and
    the best price of the first side."""

    levels: tuple[str, str]
    best: str


BOOK_APIS = {
    TRADE: BookApi(("yes_bids", "no_bids"), "best_yes_bid"),
    PERPS: BookApi(("bids", "asks"), "best_bid"),
}


def ws_api(family: Family) -> ModuleType:
    """The family's generated ws package: its WebSocket client, CHANNELS, MESSAGE_PAYLOADS ..."""
    return importlib.import_module(f"{family.package}.ws")


def websocket(family: Family, auth: KalshiAuth | None = None, **options: Any) -> Any:
    """The family's WebSocket client (``KalshiWebSocket`` / ``PerpsWebSocket``)."""
    return getattr(ws_api(family), family.websocket)(auth, **options)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


Scenario = Callable[[KalshiWsServer, Any], Awaitable[None]]  # the session of the server's family


def run(key: rsa.RSAPrivateKey, scenario: Scenario, *, family: Family = TRADE, **ws_options: Any) -> None:
    """Run ``scenario`` against a fresh server and session of ``family``; afterwards no task may be left
    running."""

    async def main() -> None:
        async with KalshiWsServer(key.public_key(), family=family) as server:
            ws = websocket(family, KalshiAuth("ws-key", key), url=server.url, reconnect=FAST, **ws_options)
            async with ws.connect() as session:
                await asyncio.wait_for(scenario(server, session), 20)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftover == []

    asyncio.run(main())


async def next_item(sub: Any, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(sub.__anext__(), timeout)


def book_api(server: KalshiWsServer) -> BookApi:
    return BOOK_APIS[server.protocol.family]


def sides(server: KalshiWsServer, first: Any, second: Any) -> dict[str, Any]:
    """``set_book`` arguments: the levels of the server's first and second book side (yes/no, bid/ask)."""
    return dict(zip(server.sides, (first, second), strict=True))


def truth_matches(view: Any, server: KalshiWsServer, ticker: str) -> bool:
    """The view is available and has exactly the levels of the server's book."""
    book = server.books[ticker]
    return view.available and all(
        {lv.price: lv.count for lv in getattr(view, name)} == {p: c for p, c in book[side].items() if c}
        for side, name in zip(server.sides, book_api(server).levels, strict=True)
    )


async def view_matching_truth(feed: Any, server: KalshiWsServer, ticker: str, limit: int = 200) -> Any:
    for _ in range(limit):
        view = await next_item(feed)
        if view.ticker == ticker and truth_matches(view, server, ticker):
            return view
    raise AssertionError("the local book never matched the server's book")


# --- connecting and subscribing ------------------------------------------------------------------------


def test_upgrade_is_signed_and_every_channel_streams_typed_messages(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        assert server.clients[0].key_id == "ws-key" and server.auth_failures == 0
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[(Decimal("0.55"), Decimal("3"))])
        subs = {
            "orderbook_delta": await session.subscribe_orderbook_delta(market_ticker=T),
            "ticker": await session.subscribe_ticker(),
            "trade": await session.subscribe_trade(),
            "fill": await session.subscribe_fill(),
            "market_positions": await session.subscribe_market_positions(),
            "market_lifecycle_v2": await session.subscribe_market_lifecycle_v2(),
            "multivariate_market_lifecycle": await session.subscribe_multivariate_market_lifecycle(),
            "communications": await session.subscribe_communications(),
            "order_group_updates": await session.subscribe_order_group_updates(),
            "user_orders": await session.subscribe_user_orders(),
            "cfbenchmarks_value": await session.subscribe_cfbenchmarks_value(index_ids=["all"]),
            "pyth_value": await session.subscribe_pyth_value(underlying_tickers=["all"]),
        }
        assert set(subs) == set(CHANNELS) and len({s.sid for s in subs.values()}) == len(subs)
        snapshot = await next_item(subs["orderbook_delta"])
        assert snapshot.type_ == "orderbook_snapshot" and snapshot.msg.yes_dollars_fp == [
            (Decimal("0.40"), Decimal("10"))
        ]
        assert len(await every_message_streams_typed(server, subs)) == sum(
            len(spec.messages) - (channel == ORDERBOOK) for channel, spec in CHANNELS.items()
        )

    run(key, scenario)


async def every_message_streams_typed(
    server: KalshiWsServer, subs: dict[str, Any]
) -> list[tuple[str, dict[str, Any], Any]]:
    """Publish a sample of every message of every data channel of the server's spec to ``subs`` (one
    subscription per channel) but the snapshot, which subscribing brought, and check each arrives as the
    family's payload model of it; a subscription that names markets gets a sample for its first market.
    Returns (message key, msg sent, message received)."""
    api = ws_api(server.protocol.family)
    got = []
    for channel, spec in api.CHANNELS.items():
        for spec_message in server.protocol.channels[channel]:
            key_name, message = spec_message.key, spec_message.name
            if message == "orderbook_snapshot":
                continue
            msg = server.sample_msg(key_name)
            markets = next((sub.markets for _, sub in server.subscriptions(channel)), None)
            field = next((name for name in MARKET_FIELDS if name in msg), None)
            if markets and field:
                msg[field] = markets[0]
            await server.publish(channel, msg, type_=message)
            received = await next_item(subs[channel])
            assert received.type_ == message
            assert isinstance(received, spec.messages[message])
            assert isinstance(received, api.MESSAGE_PAYLOADS[key_name])
            got.append((key_name, msg, received))
    return got


@each_family
def test_command_errors_are_typed(key: rsa.RSAPrivateKey, family: Family) -> None:
    classes = ERRORS[family]

    async def scenario(server: KalshiWsServer, session: Any) -> None:
        with pytest.raises(CommandError) as err:
            await session.subscribe_orderbook_delta()
        assert type(err.value) is classes.get(14, CommandError)
        assert err.value.error_code == 14 and err.value.command == "subscribe"
        sub = await session.subscribe_ticker()
        await session.unsubscribe(sub)
        sub.sid = 999
        with pytest.raises(CommandError) as err:
            await session._command("unsubscribe", {"sids": [999]})
        assert type(err.value) is classes.get(7, CommandError) and err.value.error_code == 7

    run(key, scenario, family=family)


def test_bad_subscribe_arguments_fail_before_sending(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        before = len(server.commands)
        with pytest.raises(Exception, match="shard_factor"):
            await session.subscribe_communications(shard_factor=0)
        with pytest.raises(Exception, match="market_tickers"):
            await session.subscribe_fill(market_tickers="ABC")  # type: ignore[arg-type]
        assert len(server.commands) == before

    run(key, scenario)


def test_ws_url_follows_the_environment_and_host_policy(key: rsa.RSAPrivateKey) -> None:
    with KalshiClient(environment="demo", auth=KalshiAuth("k", key)) as client:
        assert KalshiWebSocket(environment="demo").url == client.ws_url
        ws = client.websocket()
        assert ws.url == client.ws_url and ws.auth is client.auth and ws.environment is client.environment
    with pytest.raises(HostNotAllowedError):
        KalshiWebSocket(url="wss://evil.example.com/trade-api/ws/v2")


# --- order books ---------------------------------------------------------------------------------------


def test_local_book_follows_snapshot_and_deltas(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10")), (Decimal("0.38"), Decimal("4"))],
                        no=[(Decimal("0.55"), Decimal("3"))])  # fmt: skip
        feed = await session.subscribe_book(T)
        first = await next_item(feed)
        assert first.best_yes_bid == Decimal("0.40") and first.best_yes_ask == Decimal("0.45")
        await server.publish_delta(T, "yes", Decimal("0.40"), Decimal("-10"))
        await server.publish_delta(T, "no", Decimal("0.58"), Decimal("2.5"))
        view = await view_matching_truth(feed, server, T)
        assert view.best_yes_bid == Decimal("0.38") and view.best_no_bid == Decimal("0.58")
        assert view.yes_spread == Decimal("0.04")

    run(key, scenario)


@each_family
def test_sequence_gap_resyncs_that_subscription_only(key: rsa.RSAPrivateKey, family: Family) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        first, second = server.sides
        server.set_book(
            T, **sides(server, [(Decimal("0.40"), Decimal("10"))], [(Decimal("0.55"), Decimal("3"))])
        )
        feed = await session.subscribe_book(T)
        trades = await session.subscribe_trade()
        await next_item(feed)
        server.skip_next_seq("orderbook_delta")
        await server.publish_delta(T, first, Decimal("0.41"), Decimal("1"))  # arrives with a gap: dropped
        unavailable = await next_item(feed)
        assert not unavailable.available
        with pytest.raises(BookUnavailableError):
            _ = getattr(unavailable, book_api(server).best)
        await view_matching_truth(feed, server, T)  # the fresh snapshot includes the lost delta
        await server.publish_delta(T, second, Decimal("0.55"), Decimal("-1"))
        assert truth_matches(await view_matching_truth(feed, server, T), server, T)
        subscribes = [c for c in server.commands if c.get("cmd") == "subscribe"]
        assert [c["params"]["channels"] for c in subscribes].count(["trade"]) == 1  # trade untouched
        assert trades.sid is not None

    run(key, scenario, family=family)


@each_family
def test_repeated_frames_are_delivered_once(key: rsa.RSAPrivateKey, family: Family) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        server.set_book(T, **sides(server, [(Decimal("0.40"), Decimal("10"))], []))
        feed = await session.subscribe_book(T)
        fills = await session.subscribe_fill()
        await next_item(feed)
        server.repeat_next_frame("orderbook_delta")
        await server.publish_delta(T, server.sides[0], Decimal("0.40"), Decimal("5"))
        server.repeat_next_frame("fill")
        first = server.sample_msg("fill")
        await server.publish("fill", first)
        second = dict(first, trade_id="second-trade")
        await server.publish("fill", second)
        assert getattr(await next_item(feed), book_api(server).levels[0])[0].count == Decimal("15")
        got = [await next_item(fills), await next_item(fills)]
        assert [f.msg.trade_id for f in got] == [first["trade_id"], "second-trade"]
        assert fills.qsize() == 0

    run(key, scenario, family=family)


# --- reconnects and faults -----------------------------------------------------------------------------


@each_family
def test_reconnect_resubscribes_everything_with_the_same_parameters(
    key: rsa.RSAPrivateKey, family: Family
) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        other = [(Decimal("0.50"), Decimal("1"))]
        server.set_book(T, **sides(server, [(Decimal("0.40"), Decimal("10"))], other))
        feed = await session.subscribe_book(T)
        tickers = await session.subscribe_ticker(market_tickers=["A", "B"])
        await view_matching_truth(feed, server, T)
        await server.drop_connections(abort=True)
        server.set_book(T, **sides(server, [(Decimal("0.42"), Decimal("7"))], other))
        marker = await next_item(tickers)
        assert isinstance(marker, Resync) and marker.reason == "reconnected"
        view = await view_matching_truth(feed, server, T)
        assert getattr(view, book_api(server).best) == Decimal("0.42")
        await server.wait_for(lambda: len(server.subscriptions("ticker")) == 1)
        ((_, resubscribed),) = server.subscriptions("ticker")
        assert resubscribed.params.get("market_tickers") == ["A", "B"]
        assert session.reconnects == 1 and server.connections == 2

    run(key, scenario, family=family)


@each_family
def test_private_messages_across_a_reconnect_are_neither_lost_nor_duplicated(
    key: rsa.RSAPrivateKey, family: Family
) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        fills = await session.subscribe_fill()
        sample = server.sample_msg("fill")
        published = []
        for i in range(3):
            published.append(f"before-{i}")
            await server.publish("fill", dict(sample, trade_id=published[-1]))
        await server.drop_connections(abort=True)
        await server.wait_for(lambda: len(server.subscriptions("fill")) == 1)
        for i in range(3):
            published.append(f"after-{i}")
            await server.publish("fill", dict(sample, trade_id=published[-1]))
        received: list[str] = []
        while len(received) < len(published):
            item = await next_item(fills)
            if not isinstance(item, Resync):
                received.append(item.msg.trade_id)
        assert received == published

    run(key, scenario, family=family)


@each_family
def test_error_frames_malformed_json_and_unknown_sids_do_not_stop_the_stream(
    key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture, family: Family
) -> None:
    caplog.set_level(logging.INFO, logger="kalshi_api.ws")

    async def scenario(server: KalshiWsServer, session: Any) -> None:
        trades = await session.subscribe_trade()
        await server.send_error(17)
        await server.send_raw("{not json")
        await server.send_raw('{"type": "trade", "sid": 777, "msg": {}}')
        await server.send_raw('{"type": "brand_new_type", "sid": 1, "msg": {}}')
        await server.publish("trade", server.sample_msg("trade"))
        assert (await next_item(trades)).type_ == "trade"

    run(key, scenario, family=family)
    text = caplog.text
    assert "server error 17" in text and "not JSON" in text and "sid 777" in text


@each_family
def test_a_stalled_consumer_is_bounded_by_the_overflow_policy(key: rsa.RSAPrivateKey, family: Family) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        tickers = await session.subscribe_ticker(max_queue=5)
        fills = await session.subscribe_fill(max_queue=5)
        for i in range(20):
            await server.publish("ticker", dict(server.sample_msg("ticker"), ts_ms=i))
            await server.publish("fill", dict(server.sample_msg("fill"), trade_id=f"t{i}"))
        await server.wait_for(lambda: tickers.dropped == 15)
        assert tickers.qsize() == 5
        assert [(await next_item(tickers)).msg.ts_ms for _ in range(5)] == [15, 16, 17, 18, 19]
        got = [(await next_item(fills)).msg.trade_id for _ in range(5)]
        assert got == [f"t{i}" for i in range(5)]
        with pytest.raises(SubscriptionOverflowError):
            await next_item(fills)

    run(key, scenario, family=family)


@each_family
def test_pings_are_answered_and_the_socket_closes_with_the_session(
    key: rsa.RSAPrivateKey, family: Family
) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key(), family=family) as server:
            async with websocket(family, KalshiAuth("k", key), url=server.url).connect() as session:
                await session.subscribe_trade()
                latencies = await server.ping_clients()
                assert len(latencies) == 1
                assert len(server.open_clients()) == 1
            await server.wait_for(lambda: not server.open_clients())

    asyncio.run(main())


@each_family
def test_callbacks_and_run_forever_stop_cleanly(key: rsa.RSAPrivateKey, family: Family) -> None:
    async def scenario(server: KalshiWsServer, session: Any) -> None:
        seen: list[str] = []
        stop = asyncio.Event()

        @session.on("trade")
        async def on_trade(message: Any) -> None:
            seen.append(message.msg.trade_id)
            if len(seen) == 3:
                stop.set()

        await session.subscribe_trade()
        runner = asyncio.create_task(session.run_forever(stop))
        for i in range(3):
            await server.publish("trade", dict(server.sample_msg("trade"), trade_id=f"x{i}"))
        await asyncio.wait_for(runner, 5)
        assert seen == ["x0", "x1", "x2"]

    run(key, scenario, family=family)


@each_family
def test_reconnect_gives_up_after_the_policy_and_ends_streams(key: rsa.RSAPrivateKey, family: Family) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key(), family=family) as server:
            policy = ReconnectPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
            ws = websocket(family, KalshiAuth("ws-key", key), url=server.url, reconnect=policy)
            async with ws.connect() as session:
                trades = await session.subscribe_trade()
                server.public_key = rsa.generate_private_key(
                    public_exponent=65537, key_size=2048
                ).public_key()
                await server.drop_connections(abort=True)
                with pytest.raises(ConnectionLostError):
                    while True:
                        await next_item(trades)
                assert server.auth_failures == 2

    asyncio.run(main())
