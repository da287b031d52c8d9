"""The WebSocket client through chaos: dozens of dropped connections, seq gaps, repeated and swapped
frames, error frames and a consumer that never reads, over tens of thousands of frames. Books end equal to the
server's, private messages arrive exactly once, and no queue grows past its bound."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import KalshiAuth
from kalshi_api.ws import KalshiWebSocket, ReconnectPolicy, Resync
from kalshi_api_core.ws.book import BookView
from tests.reliability.conftest import record
from tests.ws_server import KalshiWsServer

TICKERS = ["KXA-1", "KXB-2", "KXC-3"]
ROUNDS = int(
    os.environ.get("KALSHI_SOAK_ROUNDS", "55")
)  # one forced disconnect per round; `make soak` raises it
FAST = ReconnectPolicy(backoff_base=0.005, backoff_max=0.02)


def _truth(server: KalshiWsServer, ticker: str) -> dict[str, dict[Decimal, Decimal]]:
    return {side: {p: c for p, c in server.books[ticker][side].items() if c} for side in ("yes", "no")}


def written(server: KalshiWsServer, type_: str, field: str) -> set[str]:
    """Ids of the private messages the server actually wrote to a socket (its ground truth)."""
    return {frame["msg"][field] for frame in server.frames(type_=type_)}


def _view_levels(view: BookView) -> dict[str, dict[Decimal, Decimal]]:
    return {
        "yes": {level.price: level.count for level in view.yes_bids},
        "no": {level.price: level.count for level in view.no_bids},
    }


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the client to catch up")
        await asyncio.sleep(0.005)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_chaos_keeps_books_right_and_private_messages_exactly_once(key: rsa.RSAPrivateKey) -> None:
    rng = random.Random(2026)
    faults: Counter[str] = Counter()

    async def main() -> dict[str, Any]:
        async with KalshiWsServer(key.public_key()) as server:
            for ticker in TICKERS:
                server.set_book(
                    ticker, yes=[(Decimal("0.40"), Decimal("100"))], no=[(Decimal("0.55"), Decimal("100"))]
                )
            ws = KalshiWebSocket(KalshiAuth("chaos", key), url=server.url, reconnect=FAST, max_queue=50_000)
            async with ws.connect() as session:
                feed = await session.subscribe_book(*TICKERS)
                fills = await session.subscribe_fill()
                orders = await session.subscribe_user_orders()
                tickers = await session.subscribe_ticker(
                    max_queue=100
                )  # nobody reads this one: it must stay bounded
                latest: dict[str, BookView] = {}
                fill_ids: list[str] = []
                order_ids: list[str] = []

                async def read_books() -> None:
                    async for view in feed:
                        latest[view.ticker] = view

                async def read(sub: Any, into: list[str], field: str) -> None:
                    async for message in sub:
                        if not isinstance(message, Resync):
                            into.append(getattr(message.msg, field))

                readers = [
                    asyncio.create_task(read_books()),
                    asyncio.create_task(read(fills, fill_ids, "trade_id")),
                    asyncio.create_task(read(orders, order_ids, "order_id")),
                ]
                fill_sample, order_sample = server.sample_msg("fill"), server.sample_msg("userOrder")
                ticker_sample = server.sample_msg("ticker")
                for round_no in range(ROUNDS):
                    for step in range(150):
                        ticker = rng.choice(TICKERS)
                        side = rng.choice(["yes", "no"])
                        price = Decimal(rng.randrange(1, 99)) / 100
                        current = server.books[ticker][side].get(price, Decimal(0))
                        delta = (
                            Decimal(rng.randrange(1, 20)) if current < 5 or rng.random() < 0.6 else -current
                        )
                        roll = rng.random()
                        if roll < 0.02:
                            server.skip_next_seq("orderbook_delta")
                            faults["seq gap"] += 1
                        elif roll < 0.04:
                            server.repeat_next_frame("orderbook_delta")
                            faults["repeated book frame"] += 1
                        elif roll < 0.06:
                            server.reorder_next_frames("orderbook_delta")
                            faults["swapped book frames"] += 1
                        await server.publish_delta(ticker, side, price, delta)
                        if step % 4 == 0:
                            trade_id = f"t{round_no}-{step}"
                            if rng.random() < 0.1:
                                server.repeat_next_frame("fill")
                                faults["repeated fill"] += 1
                            if rng.random() < 0.1:
                                server.reorder_next_frames("user_orders")
                                faults["swapped user_order frames"] += 1
                            await server.publish("fill", dict(fill_sample, trade_id=trade_id))
                            order_id = f"o{round_no}-{step}"
                            await server.publish("user_orders", dict(order_sample, order_id=order_id))
                        await server.publish("ticker", ticker_sample)
                        if rng.random() < 0.01:
                            await server.send_error(17)
                            faults["error frame"] += 1
                    # everything the server wrote so far has arrived; then the connection goes
                    await _until(lambda: set(fill_ids) == written(server, "fill", "trade_id"))
                    await _until(lambda: set(order_ids) == written(server, "user_order", "order_id"))
                    await server.drop_connections(abort=rng.random() < 0.5)
                    faults["forced disconnect"] += 1
                    await server.wait_for(lambda: len(server.subscriptions()) == 4, timeout=10)
                await _until(lambda: set(fill_ids) == written(server, "fill", "trade_id"))
                await _until(lambda: set(order_ids) == written(server, "user_order", "order_id"))
                for ticker in TICKERS:  # books converge to the server's after the last resync
                    await _until(
                        lambda t=ticker: (
                            t in latest
                            and latest[t].available
                            and _view_levels(latest[t]) == _truth(server, t)
                        )
                    )
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                frames = sum(len(frames) for frames in server.sent.values())
                return {
                    "fill_ids": fill_ids,
                    "sent_fills": sorted(written(server, "fill", "trade_id")),
                    "order_ids": order_ids,
                    "sent_orders": sorted(written(server, "user_order", "order_id")),
                    "frames": frames,
                    "reconnects": session.reconnects,
                    "high_water": {
                        s.channel: s.high_water for s in (feed.subscription, fills, orders, tickers)
                    },
                    "bounds": {s.channel: s.max_queue for s in (feed.subscription, fills, orders, tickers)},
                    "ticker_dropped": tickers.dropped,
                }

    result = asyncio.run(main())
    assert result["frames"] >= 20_000
    assert result["reconnects"] >= 50
    assert sorted(result["fill_ids"]) == sorted(set(result["fill_ids"])) == sorted(result["sent_fills"])
    assert sorted(result["order_ids"]) == sorted(set(result["order_ids"])) == sorted(result["sent_orders"])
    for channel, high in result["high_water"].items():
        assert high <= result["bounds"][channel], f"{channel} queue reached {high}"
    assert result["high_water"]["ticker"] == 100 and result["ticker_dropped"] > 0
    record(
        "websocket chaos",
        frames_sent=result["frames"],
        reconnects_survived=result["reconnects"],
        faults=faults,
        fills_delivered=len(result["fill_ids"]),
        user_orders_delivered=len(result["order_ids"]),
        duplicates_delivered=len(result["fill_ids"])
        - len(set(result["fill_ids"]))
        + len(result["order_ids"])
        - len(set(result["order_ids"])),
        stalled_ticker_queue_high_water=result["high_water"]["ticker"],
        stalled_ticker_messages_dropped=result["ticker_dropped"],
    )
