"""kalshi-api through exactly the paths its client and WebSocket engine use."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import Any

from workloads import PAGES, Book, normalize_book

NAME = "kalshi-api"


def decode(key: str, raw: bytes) -> Callable[[], Any]:
    """What the transport does with a 2xx body: ``op.validate(raw, None)`` then ``op.decode(model)``."""
    module, name = PAGES[key].operation.split(":")
    op = getattr(importlib.import_module(f"kalshi_api.resources.{module}"), name)

    def run() -> Any:
        return op.decode(op.validate(raw, None))

    return run


def book(frames: list[bytes], ticker: str) -> tuple[Callable[[], Any], Callable[[Any], Book]]:
    """The engine's path (``engine._on_frame`` then ``BookFeed._apply``): one discriminated-union
    ``validate_json`` per frame, then ``OrderBookManager.apply_snapshot``/``apply_delta`` with
    ``contiguous=False``, each returning the immutable ``BookView`` the feed hands out. The engine's
    subscription lookup, seq check and queue hop are not included (nor are the peers' equivalents)."""
    from kalshi_api.ws.protocol import PROTOCOL
    from kalshi_api_core.ws.book import OrderBookManager

    validate = PROTOCOL.data_frames.validate_json

    def run() -> Any:
        books = OrderBookManager()
        for raw in frames:
            item = validate(raw)
            msg = item.msg
            if item.type_ == "orderbook_snapshot":
                books.apply_snapshot(msg.market_ticker, msg.yes_dollars_fp, msg.no_dollars_fp, item.seq)
            else:
                books.apply_delta(
                    msg.market_ticker, msg.side, msg.price_dollars, msg.delta_fp, item.seq, contiguous=False
                )
        return books

    def final(books: Any) -> Book:
        view = books.view(ticker)
        return normalize_book(
            {level.price: level.count for level in view.yes_bids},
            {level.price: level.count for level in view.no_bids},
        )

    return run, final


def signer(key_id: str, key: Any, path: str, count: int) -> Callable[[], Any]:
    from kalshi_api_core.auth import KalshiAuth

    auth = KalshiAuth(key_id, key)

    def run() -> Any:
        headers = None
        for _ in range(count):
            headers = auth.headers("GET", path)
        return headers

    return run


def sync_calls(base_url: str, count: int) -> tuple[Callable[[int], Any], Callable[[], None]]:
    from kalshi_api import KalshiClient

    client = KalshiClient(base_url=base_url, max_retries=0)
    status = client.exchange.status

    def run(n: int = count) -> Any:
        result = None
        for _ in range(n):
            result = status()
        return result

    return run, client.close


def async_calls(
    base_url: str, count: int, loop: asyncio.AbstractEventLoop
) -> tuple[Callable[[int], Any], Callable[[], None]]:
    from kalshi_api import AsyncKalshiClient

    async def make() -> Any:
        return AsyncKalshiClient(base_url=base_url, max_retries=0)

    client = loop.run_until_complete(make())
    status = client.exchange.status

    async def calls(n: int) -> Any:
        result = None
        for _ in range(n):
            result = await status()
        return result

    def run(n: int = count) -> Any:
        return loop.run_until_complete(calls(n))

    return run, lambda: loop.run_until_complete(client.close())
