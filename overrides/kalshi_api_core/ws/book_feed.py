"""Local order books kept from an orderbook_delta subscription, read as a stream of immutable views."""

from __future__ import annotations

from collections import deque
from typing import Any

from kalshi_api_core.ws.book import BookInconsistentError, BookView, OrderBookManager
from kalshi_api_core.ws.subscription import Resync, Subscription


class BookFeed:
    """``async for view in feed``: a consistent ``BookView`` after every snapshot or delta applied.

    The engine checks the subscription's seq; the books check their own arithmetic. Either kind of break makes
    the affected books unavailable (their views say so and refuse to quote prices) until the fresh snapshot
    that the automatic resubscribe brings.
    """

    def __init__(self, subscription: Subscription[Any], tickers: list[str], resync: Any) -> None:
        self.subscription = subscription
        self.tickers = tickers
        self.books = OrderBookManager()
        self._resync = resync  # callable(subscription, reason): resubscribe for a fresh snapshot
        self._ready: deque[BookView] = deque()

    def view(self, ticker: str) -> BookView:
        return self.books.view(ticker)

    def __aiter__(self) -> BookFeed:
        return self

    async def __anext__(self) -> BookView:
        while not self._ready:
            self._apply(await self.subscription.__anext__())
        return self._ready.popleft()

    def _apply(self, item: Any) -> None:
        if isinstance(item, Resync):
            self.books.invalidate(None, item.reason)
            self._ready.extend(self.books.view(t) for t in self.books.tickers())
            return
        msg = item.msg
        try:
            if item.type_ == "orderbook_snapshot":
                view = self.books.apply_snapshot(
                    msg.market_ticker, msg.yes_dollars_fp, msg.no_dollars_fp, item.seq
                )
            else:
                # one subscription interleaves the seqs of all its markets: each book only sees them increase
                view = self.books.apply_delta(
                    msg.market_ticker, msg.side, msg.price_dollars, msg.delta_fp, item.seq, contiguous=False
                )
        except BookInconsistentError as exc:
            self._resync(self.subscription, f"order book inconsistent: {exc}")
            self.books.invalidate(None, str(exc))
            self._ready.extend(self.books.view(t) for t in self.books.tickers())
            return
        self._ready.append(view)
