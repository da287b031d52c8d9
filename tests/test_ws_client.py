"""The SDK's WebSocket client against a real `websockets` server on loopback that plays the AsyncAPI spec."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import KalshiAuth, KalshiClient
from kalshi_api.ws import (
    CHANNELS,
    MESSAGE_PAYLOADS,
    KalshiWebSocket,
    KalshiWsSession,
    ReconnectPolicy,
    Resync,
    SubscriptionOverflowError,
)
from kalshi_api.ws.protocol import MarketTickerRequiredError, UnknownSubscriptionIDError
from kalshi_api_core.errors import HostNotAllowedError
from kalshi_api_core.ws.book import BookUnavailableError, BookView
from tests.ws_server import KalshiWsServer

FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
T = "KXTEST-26NOV22"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


Scenario = Callable[[KalshiWsServer, KalshiWsSession], Awaitable[None]]


def run(key: rsa.RSAPrivateKey, scenario: Scenario, **ws_options: Any) -> None:
    """Run ``scenario`` against a fresh server and session; afterwards no task may be left running."""

    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            ws = KalshiWebSocket(KalshiAuth("ws-key", key), url=server.url, reconnect=FAST, **ws_options)
            async with ws.connect() as session:
                await asyncio.wait_for(scenario(server, session), 20)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftover == []

    asyncio.run(main())


async def next_item(sub: Any, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(sub.__anext__(), timeout)


def truth_matches(view: BookView, server: KalshiWsServer, ticker: str) -> bool:
    book = server.books[ticker]
    levels = {side: {p: c for p, c in book[side].items() if c} for side in ("yes", "no")}
    return (
        view.available
        and {lv.price: lv.count for lv in view.yes_bids} == levels["yes"]
        and {lv.price: lv.count for lv in view.no_bids} == levels["no"]
    )


async def view_matching_truth(feed: Any, server: KalshiWsServer, ticker: str, limit: int = 200) -> BookView:
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
        for channel, spec in CHANNELS.items():
            for spec_message in server.protocol.channels[channel]:
                key_name, message = spec_message.key, spec_message.name
                if message == "orderbook_snapshot":
                    continue
                msg = server.sample_msg(key_name)
                if channel == "orderbook_delta":
                    msg["market_ticker"] = T  # the subscription is for T only
                await server.publish(channel, msg, type_=message)
                received = await next_item(subs[channel])
                assert received.type_ == message
                assert isinstance(received, spec.messages[message])
                assert isinstance(received, MESSAGE_PAYLOADS[key_name])

    run(key, scenario)


def test_command_errors_are_typed(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        with pytest.raises(MarketTickerRequiredError) as err:
            await session.subscribe_orderbook_delta()
        assert err.value.error_code == 14 and err.value.command == "subscribe"
        sub = await session.subscribe_ticker()
        await session.unsubscribe(sub)
        sub.sid = 999
        with pytest.raises(UnknownSubscriptionIDError):
            await session._command("unsubscribe", {"sids": [999]})

    run(key, scenario)


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


def test_sequence_gap_resyncs_that_subscription_only(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[(Decimal("0.55"), Decimal("3"))])
        feed = await session.subscribe_book(T)
        trades = await session.subscribe_trade()
        await next_item(feed)
        server.skip_next_seq("orderbook_delta")
        await server.publish_delta(T, "yes", Decimal("0.41"), Decimal("1"))  # arrives with a gap: dropped
        unavailable = await next_item(feed)
        assert not unavailable.available
        with pytest.raises(BookUnavailableError):
            _ = unavailable.best_yes_bid
        await view_matching_truth(feed, server, T)  # the fresh snapshot includes the lost delta
        await server.publish_delta(T, "no", Decimal("0.55"), Decimal("-1"))
        assert truth_matches(await view_matching_truth(feed, server, T), server, T)
        subscribes = [c for c in server.commands if c.get("cmd") == "subscribe"]
        assert [c["params"]["channels"] for c in subscribes].count(["trade"]) == 1  # trade untouched
        assert trades.sid is not None

    run(key, scenario)


def test_repeated_frames_are_delivered_once(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[])
        feed = await session.subscribe_book(T)
        fills = await session.subscribe_fill()
        await next_item(feed)
        server.repeat_next_frame("orderbook_delta")
        await server.publish_delta(T, "yes", Decimal("0.40"), Decimal("5"))
        server.repeat_next_frame("fill")
        first = server.sample_msg("fill")
        await server.publish("fill", first)
        second = dict(first, trade_id="second-trade")
        await server.publish("fill", second)
        assert (await next_item(feed)).yes_bids[0].count == Decimal("15")
        got = [await next_item(fills), await next_item(fills)]
        assert [f.msg.trade_id for f in got] == [first["trade_id"], "second-trade"]
        assert fills.qsize() == 0

    run(key, scenario)


# --- reconnects and faults -----------------------------------------------------------------------------


def test_reconnect_resubscribes_everything_with_the_same_parameters(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[(Decimal("0.50"), Decimal("1"))])
        feed = await session.subscribe_book(T)
        tickers = await session.subscribe_ticker(market_tickers=["A", "B"])
        await view_matching_truth(feed, server, T)
        await server.drop_connections(abort=True)
        server.set_book(T, yes=[(Decimal("0.42"), Decimal("7"))], no=[(Decimal("0.50"), Decimal("1"))])
        marker = await next_item(tickers)
        assert isinstance(marker, Resync) and marker.reason == "reconnected"
        view = await view_matching_truth(feed, server, T)
        assert view.best_yes_bid == Decimal("0.42")
        await server.wait_for(lambda: len(server.subscriptions("ticker")) == 1)
        ((_, resubscribed),) = server.subscriptions("ticker")
        assert resubscribed.params.get("market_tickers") == ["A", "B"]
        assert session.reconnects == 1 and server.connections == 2

    run(key, scenario)


def test_private_messages_across_a_reconnect_are_neither_lost_nor_duplicated(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
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

    run(key, scenario)


def test_error_frames_malformed_json_and_unknown_sids_do_not_stop_the_stream(
    key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kalshi_api.ws")

    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        trades = await session.subscribe_trade()
        await server.send_error(17)
        await server.send_raw("{not json")
        await server.send_raw('{"type": "trade", "sid": 777, "msg": {}}')
        await server.send_raw('{"type": "brand_new_type", "sid": 1, "msg": {}}')
        await server.publish("trade", server.sample_msg("trade"))
        assert (await next_item(trades)).type_ == "trade"

    run(key, scenario)
    text = caplog.text
    assert "server error 17" in text and "not JSON" in text and "sid 777" in text


def test_a_stalled_consumer_is_bounded_by_the_overflow_policy(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
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

    run(key, scenario)


def test_pings_are_answered_and_the_socket_closes_with_the_session(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            async with KalshiWebSocket(KalshiAuth("k", key), url=server.url).connect() as session:
                await session.subscribe_trade()
                latencies = await server.ping_clients()
                assert len(latencies) == 1
                assert len(server.open_clients()) == 1
            await server.wait_for(lambda: not server.open_clients())

    asyncio.run(main())


def test_callbacks_and_run_forever_stop_cleanly(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
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

    run(key, scenario)


def test_reconnect_gives_up_after_the_policy_and_ends_streams(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        from kalshi_api.ws import ConnectionLostError

        async with KalshiWsServer(key.public_key()) as server:
            policy = ReconnectPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
            ws = KalshiWebSocket(KalshiAuth("ws-key", key), url=server.url, reconnect=policy)
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
