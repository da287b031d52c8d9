"""The WebSocket session when the server misbehaves in ways a reconnect doesn't cure: resubscribes refused or
never answered, frames its models reject on every fresh snapshot, and connections that drop with a subscribe
in flight. Each fault either heals (a live subscription again) or ends the stream with a typed error after a
bounded number of tries; it never stalls silently or loops."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import KalshiAuth
from kalshi_api.ws import (
    CommandTimeoutError,
    ConnectionLostError,
    FrameDecodeError,
    KalshiWebSocket,
    KalshiWsSession,
    ReconnectPolicy,
    ResubscribeError,
    ResubscribePolicy,
    Resync,
    SubscriptionClosedError,
)
from kalshi_api.ws.protocol import InternalError
from tests.ws_server import KalshiWsServer

T = "KXFAULT-26NOV22"
FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
QUICK_RETRIES = ResubscribePolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05)

Scenario = Callable[[KalshiWsServer, KalshiWsSession], Awaitable[None]]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run(key: rsa.RSAPrivateKey, scenario: Scenario, **options: Any) -> None:
    """Run ``scenario`` against a fresh server and session; afterwards no task may be left running."""

    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            options.setdefault("reconnect", FAST)
            options.setdefault("resubscribe", QUICK_RETRIES)
            ws = KalshiWebSocket(KalshiAuth("faults", key), url=server.url, **options)
            async with ws.connect() as session:
                await asyncio.wait_for(scenario(server, session), 20)
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(main())


async def next_item(sub: Any, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(sub.__anext__(), timeout)


def subscribes(server: KalshiWsServer, channel: str) -> int:
    return sum(
        1
        for c in server.commands
        if c.get("cmd") == "subscribe" and channel in (c.get("params") or {}).get("channels", [])
    )


def book_levels(msg: Any) -> dict[str, dict[Decimal, Decimal]]:
    return {"yes": dict(msg.yes_dollars_fp or ()), "no": dict(msg.no_dollars_fp or ())}


def truth(server: KalshiWsServer, ticker: str) -> dict[str, dict[Decimal, Decimal]]:
    return {side: dict(server.books[ticker][side]) for side in ("yes", "no")}


async def gap(server: KalshiWsServer) -> None:
    """A seq gap on the order book subscription: the delta that jumps it is lost, so a resubscribe follows."""
    server.skip_next_seq("orderbook_delta")
    await server.publish_delta(T, "yes", Decimal("0.41"), Decimal("1"))


def without_market_id(frame: dict[str, Any]) -> dict[str, Any]:
    return {**frame, "msg": {k: v for k, v in frame["msg"].items() if k != "market_id"}}


# --- A. resubscribes that fail ------------------------------------------------------------------------


def test_a_refused_resubscribe_is_retried_until_a_fresh_snapshot_arrives(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[(Decimal("0.55"), Decimal("3"))])
        deltas = await session.subscribe_orderbook_delta(market_ticker=T)
        assert (await next_item(deltas)).type_ == "orderbook_snapshot"
        server.refuse_next("subscribe", 17, channel="orderbook_delta")
        await gap(server)
        marker = await next_item(deltas)
        assert isinstance(marker, Resync) and marker.reason.startswith("seq gap")
        fresh = await next_item(deltas)  # only after the refused resubscribe was tried again
        assert fresh.type_ == "orderbook_snapshot" and book_levels(fresh.msg) == truth(server, T)
        assert subscribes(server, "orderbook_delta") == 3  # the first, the refused one, the retry
        await server.publish_delta(T, "no", Decimal("0.55"), Decimal("-1"))
        assert (await next_item(deltas)).type_ == "orderbook_delta"  # live again on the new sid

    run(key, scenario)


def test_a_book_is_available_again_after_a_refused_resubscribe(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))], no=[(Decimal("0.55"), Decimal("3"))])
        feed = await session.subscribe_book(T)
        assert (await next_item(feed)).available
        server.refuse_next("subscribe", 17, channel="orderbook_delta")
        await gap(server)
        assert not (await next_item(feed)).available
        view = await next_item(feed)
        assert view.available and view.best_yes_bid == Decimal("0.41")  # the lost delta is in the snapshot

    run(key, scenario)


def test_a_resubscribe_refused_every_time_ends_the_stream_with_a_typed_error(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))])
        deltas = await session.subscribe_orderbook_delta(market_ticker=T)
        trades = await session.subscribe_trade()
        await next_item(deltas)
        server.refuse_next("subscribe", 17, channel="orderbook_delta", times=None)
        await gap(server)
        assert isinstance(await next_item(deltas), Resync)
        with pytest.raises(ResubscribeError) as err:
            await next_item(deltas)
        assert isinstance(err.value, SubscriptionClosedError)
        assert err.value.channel == "orderbook_delta" and err.value.attempts == 3
        assert isinstance(err.value.cause, InternalError) and err.value.cause.error_code == 17
        assert "orderbook_delta" in str(err.value) and "3 times" in str(err.value)
        assert "InternalError" in str(err.value)
        assert subscribes(server, "orderbook_delta") == 1 + 3
        with pytest.raises(ResubscribeError):
            await next_item(deltas)  # the stream stays ended
        await server.publish("trade", server.sample_msg("trade"))
        assert (await next_item(trades)).type_ == "trade"  # the rest of the session is untouched

    run(key, scenario)


def test_a_resubscribe_that_is_never_answered_is_retried(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))])
        deltas = await session.subscribe_orderbook_delta(market_ticker=T)
        await next_item(deltas)
        server.ignore_next("subscribe", channel="orderbook_delta")
        await gap(server)
        assert isinstance(await next_item(deltas), Resync)
        fresh = await next_item(deltas)  # after the command timeout, the retry's answer and snapshot
        assert fresh.type_ == "orderbook_snapshot" and book_levels(fresh.msg) == truth(server, T)
        assert subscribes(server, "orderbook_delta") == 3

    run(key, scenario, command_timeout=0.5)


# --- B. frames the models reject -----------------------------------------------------------------------


def test_b_snapshots_that_never_decode_end_the_stream_after_a_bounded_number_of_resubscribes(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))])
        server.corrupt("orderbook_snapshot", without_market_id)  # every snapshot, the fresh ones too
        deltas = await session.subscribe_orderbook_delta(market_ticker=T)
        markers = 0
        with pytest.raises(FrameDecodeError) as err:
            for _ in range(20):  # a loop would yield Resync markers for ever
                assert isinstance(await next_item(deltas), Resync)
                markers += 1
        assert markers == 2  # the first two undecodable snapshots resubscribed, the third ended it
        assert isinstance(err.value, SubscriptionClosedError)
        assert err.value.channel == "orderbook_delta" and err.value.message_type == "orderbook_snapshot"
        assert err.value.frames == 3 and "market_id" in err.value.error
        assert "orderbook_snapshot" in str(err.value) and "market_id" in str(err.value)
        await session.list_subscriptions()  # a round trip: whatever the session sent has arrived
        assert subscribes(server, "orderbook_delta") == 3
        assert server.subscriptions("orderbook_delta") == []  # and the server stopped sending it

    run(key, scenario)


def test_b_a_decoded_frame_resets_the_count_of_undecodable_ones(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.set_book(T, yes=[(Decimal("0.40"), Decimal("10"))])
        deltas = await session.subscribe_orderbook_delta(market_ticker=T)
        assert (await next_item(deltas)).type_ == "orderbook_snapshot"
        for round_no in range(2):  # four bad frames in all, never three in a row
            server.corrupt("orderbook_delta", without_market_id, times=1)
            await server.publish_delta(T, "yes", Decimal("0.30"), Decimal("1"))
            assert isinstance(await next_item(deltas), Resync)
            server.corrupt("orderbook_snapshot", without_market_id, times=1)
            assert isinstance(await next_item(deltas), Resync)  # the fresh snapshot failed too
            fresh = await next_item(deltas)
            assert fresh.type_ == "orderbook_snapshot", round_no
            assert book_levels(fresh.msg) == truth(server, T)
        assert subscribes(server, "orderbook_delta") == 5

    run(key, scenario)


def test_b_an_undecodable_frame_on_a_channel_without_seq_is_skipped(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        trades = await session.subscribe_trade()
        server.corrupt("trade", lambda f: {**f, "msg": {"trade_id": "broken"}}, times=5)
        sample = server.sample_msg("trade")
        for i in range(5):
            await server.publish("trade", dict(sample, trade_id=f"bad-{i}"))
        await server.publish("trade", dict(sample, trade_id="good"))
        assert (await next_item(trades)).msg.trade_id == "good"
        assert subscribes(server, "trade") == 1

    run(key, scenario)


# --- D. a subscribe racing a dropped connection --------------------------------------------------------


def test_d_a_subscribe_in_flight_when_the_connection_drops_is_sent_again_after_the_reconnect(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.ignore_next("subscribe", channel="fill")  # held: the answer never comes on this connection
        pending = asyncio.create_task(session.subscribe_fill())
        await server.wait_for(lambda: subscribes(server, "fill") == 1)
        await server.drop_connections(abort=True)
        fills = await pending
        assert session.reconnects == 1 and subscribes(server, "fill") == 2
        await server.wait_for(lambda: len(server.subscriptions("fill")) == 1)
        await server.publish("fill", dict(server.sample_msg("fill"), trade_id="after-the-drop"))
        assert (await next_item(fills)).msg.trade_id == "after-the-drop"

    run(key, scenario)


def test_d_a_subscribe_right_after_a_drop_waits_for_the_reconnect(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        await server.drop_connections(abort=True)
        fills = await session.subscribe_fill()  # the old connection is gone, the new one may not be up yet
        await server.wait_for(lambda: len(server.subscriptions("fill")) == 1)
        await server.publish("fill", server.sample_msg("fill"))
        assert (await next_item(fills)).type_ == "fill"

    run(key, scenario)


def test_d_a_subscribe_in_flight_fails_typed_once_the_session_gives_up_reconnecting(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.ignore_next("subscribe", channel="fill")
        pending = asyncio.create_task(session.subscribe_fill())
        await server.wait_for(lambda: subscribes(server, "fill") == 1)
        server.public_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        await server.drop_connections(abort=True)  # and every reconnect is refused
        with pytest.raises(ConnectionLostError, match="gave up"):
            await pending
        assert server.auth_failures == 2

    run(key, scenario, reconnect=ReconnectPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02))


def test_d_a_subscribe_waits_for_the_reconnect_at_most_command_timeout(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.public_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        await server.drop_connections(abort=True)  # every reconnect is refused, and the policy never gives up
        with pytest.raises(ConnectionLostError, match=r"within command_timeout=0\.5 s"):
            await session.subscribe_fill()
        assert server.auth_failures >= 1  # it was still trying

    run(key, scenario, command_timeout=0.5)


def test_d_a_command_never_answered_on_a_live_connection_raises_a_typed_timeout(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        server.ignore_next("list_subscriptions")
        with pytest.raises(CommandTimeoutError, match="list_subscriptions") as err:
            await session.list_subscriptions()
        assert isinstance(err.value, asyncio.TimeoutError) and err.value.timeout == 0.5
        assert await session.list_subscriptions() == []  # the connection is fine

    run(key, scenario, command_timeout=0.5)


def test_d_an_update_in_flight_when_the_connection_drops_applies_to_the_restored_subscription(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill(market_tickers=["A-1"])
        server.ignore_next("update_subscription")
        pending = asyncio.create_task(
            session.update_subscription(fills, action="add_markets", market_tickers=["B-2"])
        )
        await server.wait_for(lambda: any(c.get("cmd") == "update_subscription" for c in server.commands))
        await server.drop_connections(abort=True)
        await pending
        ((_, restored),) = server.subscriptions("fill")
        assert restored.markets == ["A-1", "B-2"]
        assert fills.params["market_tickers"] == ["A-1", "B-2"]  # what a later resubscribe asks for

    run(key, scenario)
