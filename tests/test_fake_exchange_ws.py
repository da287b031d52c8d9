"""The fake exchange's WebSocket API through the SDK's own ``client.websocket()``: order-book snapshots and
deltas kept as a local book, the ticker, trade, fill, user_orders and market_positions streams, commands and
their errors, and signed upgrades."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, KalshiAuth
from kalshi_api.testing import FakeKalshi
from kalshi_api.ws import ConnectError, KalshiWsSession, Resync
from kalshi_api.ws.protocol import AlreadySubscribedError, MarketNotFoundError, MarketTickerRequiredError
from kalshi_api_core.ws.book import BookView

T = "KXHIGHNY-26NOV22-T60"
T2 = "KXHIGHNY-26NOV22-T65"
GTC = "good_till_canceled"

Scenario = Callable[[FakeKalshi, AsyncKalshiClient, KalshiWsSession], Awaitable[None]]


def run(scenario: Scenario) -> None:
    """Run ``scenario`` with a REST client and a WebSocket session on a fake; no task may be left over."""

    async def main() -> None:
        async with FakeKalshi() as fake, fake.async_client(max_retries=0) as client:
            async with client.websocket().connect() as session:
                await asyncio.wait_for(scenario(fake, client, session), 20)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftover == []

    asyncio.run(main())


async def next_item(stream: Any, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def order(client: AsyncKalshiClient, side: str, price: str, count: str, **options: Any) -> Any:
    options.setdefault("self_trade_prevention_type", "taker_at_cross")
    return await client.orders.create_v2(
        ticker=options.pop("ticker", T), side=side, price=price, count=count,
        time_in_force=options.pop("time_in_force", GTC), **options,
    )  # fmt: skip


async def rest_book(client: AsyncKalshiClient, ticker: str = T) -> tuple[list[Any], list[Any]]:
    got = await client.markets.orderbook(ticker)
    return [(p, c) for p, c in got.yes_dollars], [(p, c) for p, c in got.no_dollars]


def local_book(view: BookView) -> tuple[list[Any], list[Any]]:
    """A view's levels in the REST orderbook's form: ascending by price."""
    return sorted((lv.price, lv.count) for lv in view.yes_bids), sorted(
        (lv.price, lv.count) for lv in view.no_bids
    )


def test_the_local_book_follows_every_change_with_contiguous_seqs() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        fake.seed_order(T, "ask", "0.60", "5")
        fake.seed_order(T, "bid", "0.40", "5")
        feed = await session.subscribe_book(T)
        first = await next_item(feed)
        assert first.seq == 1 and local_book(first) == await rest_book(client)
        resting = await order(client, "bid", "0.45", "10")  # rests
        await order(client, "bid", "0.60", "3")  # takes 3 of the house's 5
        await client.orders.amend_v2(resting.order_id, ticker=T, side="bid", price="0.50", count="8")
        await client.orders.decrease_v2(resting.order_id, reduce_by="2")
        ask = await order(client, "ask", "0.70", "4")
        fake.seed_order(T, "bid", "0.70", "1")  # the house lifts 1 of the account's ask
        await client.orders.cancel_v2(ask.order_id)
        fake.seed_order(T, "ask", "0.50", "6")  # fills the account's bid, 0.50 x 6
        target = await rest_book(client)
        seqs = [first.seq]
        view = first
        while local_book(view) != target:
            view = await next_item(feed)
            assert view.available, view.reason
            seqs.append(view.seq)
        assert seqs == list(range(1, len(seqs) + 1))  # one delta per change, none missing
        assert len(seqs) > 8
        assert view.best_yes_bid == Decimal("0.40") and view.best_yes_ask == Decimal("0.60")

    run(scenario)


def test_one_book_feed_over_two_markets() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        fake.seed_order(T2, "bid", "0.20", "2")
        feed = await session.subscribe_book(T, T2)
        views = {v.ticker: v for v in [await next_item(feed), await next_item(feed)]}
        assert local_book(views[T2]) == ([(Decimal("0.2"), Decimal("2"))], [])
        await order(client, "ask", "0.80", "1", ticker=T2)
        view = await next_item(feed)
        assert (view.ticker, local_book(view)) == (T2, await rest_book(client, T2))

    run(scenario)


def test_ticker_trade_fill_user_orders_and_positions_streams() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        orders = await session.subscribe_user_orders(market_tickers=[T])
        trades = await session.subscribe_trade(market_tickers=[T])
        tickers = await session.subscribe_ticker(market_tickers=[T], send_initial_snapshot=True)
        positions = await session.subscribe_market_positions()
        initial = await next_item(tickers)
        assert (initial.msg.market_ticker, initial.msg.volume_fp) == (T, 0)
        fake.seed_order(T, "ask", "0.55", "4")
        placed = await order(client, "bid", "0.55", "3", client_order_id="stream-1")
        fill = (await next_item(fills)).msg
        assert (fill.client_order_id, fill.order_id, fill.count_fp, fill.yes_price_dollars) == (
            "stream-1", placed.order_id, 3, Decimal("0.55"),
        )  # fmt: skip
        assert (fill.is_taker, fill.post_position_fp, fill.purchased_side, fill.book_side) == (
            True,
            3,
            "yes",
            "bid",
        )
        update = (await next_item(orders)).msg
        assert (update.order_id, update.status, update.fill_count_fp, update.remaining_count_fp) == (
            placed.order_id, "executed", 3, 0,
        )  # fmt: skip
        trade = (await next_item(trades)).msg
        assert (trade.count_fp, trade.yes_price_dollars, trade.no_price_dollars, trade.taker_side) == (
            3, Decimal("0.55"), Decimal("0.45"), "yes",
        )  # fmt: skip
        ticks = [(await next_item(tickers)).msg for _ in range(2)]  # the house's order rested, then the trade
        assert (ticks[-1].price_dollars, ticks[-1].volume_fp, ticks[-1].yes_ask_dollars) == (
            Decimal("0.55"), 3, Decimal("0.55"),
        )  # fmt: skip
        assert ticks[-1].yes_ask_size_fp == 1
        position = (await next_item(positions)).msg
        assert (position.market_ticker, position.position_fp, position.position_cost_dollars) == (
            T, 3, Decimal("1.65"),
        )  # fmt: skip
        resting = await order(
            client, "bid", "0.30", "2", ticker=T2
        )  # another market: not in the orders stream
        await order(client, "bid", "0.31", "2")
        assert (await next_item(orders)).msg.ticker == T
        assert resting.order_id not in {placed.order_id}

    run(scenario)


def test_update_subscription_unsubscribe_and_list() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        sub = await session.subscribe_orderbook_delta(market_tickers=[T])
        assert (await next_item(sub)).type_ == "orderbook_snapshot"
        fake.seed_order(T2, "bid", "0.10", "1")
        await session.update_subscription(sub, action="add_markets", market_tickers=[T2])
        added = await next_item(sub)
        assert (added.type_, added.msg.market_ticker, added.seq) == ("orderbook_snapshot", T2, 2)
        await session.update_subscription(sub, action="delete_markets", market_tickers=[T2])
        fake.seed_order(T2, "bid", "0.11", "1")  # no longer covered ...
        fake.seed_order(T, "bid", "0.12", "1")  # ... so the next frame is this one
        delta = await next_item(sub)
        assert (delta.type_, delta.msg.market_ticker, delta.msg.delta_fp, delta.seq) == (
            "orderbook_delta",
            T,
            1,
            3,
        )
        listed = await session.list_subscriptions()
        assert listed == [{"channel": "orderbook_delta", "sid": sub.sid}]
        trades = await session.subscribe_trade()
        await session.unsubscribe(sub)
        fake.seed_order(T, "ask", "0.12", "1")
        assert (await next_item(trades)).msg.market_ticker == T
        assert sub.qsize() == 0 and [s["channel"] for s in await session.list_subscriptions()] == ["trade"]

    run(scenario)


def test_command_errors_are_typed() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        with pytest.raises(MarketTickerRequiredError):
            await session.subscribe_orderbook_delta()
        with pytest.raises(MarketNotFoundError):
            await session.subscribe_ticker(market_tickers=["NO-SUCH-MARKET"])
        await session.subscribe_ticker(market_tickers=[T])
        with pytest.raises(AlreadySubscribedError):
            await session.subscribe_ticker(market_tickers=[T])

    run(scenario)


def test_the_upgrade_is_signed_and_verified() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def main() -> None:
        async with FakeKalshi(private_key=key) as fake:
            signed = fake.async_client()
            async with signed.websocket().connect() as session:
                feed = await session.subscribe_book(T)
                assert isinstance(await next_item(feed), BookView)
            wrong = fake.async_client(auth=KalshiAuth("fake-key-id", other))
            with pytest.raises(ConnectError, match="401"):
                async with wrong.websocket().connect():
                    pass
            await signed.close()
            await wrong.close()

    asyncio.run(main())


def test_the_fake_serves_sync_tests_too() -> None:
    with FakeKalshi() as fake, fake.client() as client:
        client.orders.create_v2(
            ticker=T,
            side="bid",
            price="0.50",
            count="2",
            time_in_force=GTC,
            self_trade_prevention_type="maker",
        )

        async def first_book() -> BookView | Resync:
            async with client.websocket().connect() as session:
                return await next_item(await session.subscribe_book(T))

        view = asyncio.run(first_book())
        assert isinstance(view, BookView) and view.best_yes_bid == Decimal("0.50")


def test_the_readme_streaming_examples_run_against_the_fake() -> None:
    async def scenario(fake: FakeKalshi, client: AsyncKalshiClient, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        tickers = await session.subscribe_ticker(market_tickers=[T])
        feed = await session.subscribe_book(T)
        fake.seed_order(T, "bid", "0.56", "10")
        fake.seed_order(T, "ask", "0.60", "10")
        await order(client, "ask", "0.56", "2")  # sells 2 YES into the house's bid
        async for message in tickers:
            if isinstance(message, Resync):
                continue
            if message.msg.volume_fp == 2:
                assert (message.msg.market_ticker, message.msg.yes_bid_dollars) == (T, Decimal("0.56"))
                break
        assert (await next_item(fills)).msg.count_fp == 2
        async for book in feed:
            if not book.available or book.best_yes_bid is None or book.best_yes_ask is None:
                continue
            if book.depth("yes", 3)[0].count == 8:
                assert (book.best_yes_bid, book.best_yes_ask, book.yes_spread) == (
                    Decimal("0.56"), Decimal("0.60"), Decimal("0.04"),
                )  # fmt: skip
                break

    run(scenario)
