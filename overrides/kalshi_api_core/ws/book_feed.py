"""Local order books kept from an orderbook_delta subscription, read as a stream of immutable views.

``BookFeed`` keeps the trade exchange's yes/no books; ``BidAskBookFeed`` the perps exchange's two-sided
bid/ask books. A session picks one with its ``book_feed_class``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from kalshi_api_core.ws.bidask_book import BidAskBookView, BidAskOrderBookManager
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
            self._invalidate(item.reason)
            return
        try:
            view = self._apply_message(item)
        except BookInconsistentError as exc:
            self._resync(self.subscription, f"order book inconsistent: {exc}")
            self._invalidate(str(exc))
            return
        self._ready.append(view)

    def _invalidate(self, reason: str) -> None:
        """Every book unavailable, each announced by its (unavailable) view."""
        self.books.invalidate(None, reason)
        self._ready.extend(self.books.view(t) for t in self.books.tickers())

    def _apply_message(self, item: Any) -> BookView:
        msg = item.msg
        if item.type_ == "orderbook_snapshot":
            return self.books.apply_snapshot(
                msg.market_ticker, msg.yes_dollars_fp, msg.no_dollars_fp, item.seq
            )
        # one subscription interleaves the seqs of all its markets: each book only sees them increase
        return self.books.apply_delta(
            msg.market_ticker, msg.side, msg.price_dollars, msg.delta_fp, item.seq, contiguous=False
        )


class BidAskBookFeed(BookFeed):
    """``async for view in feed``: a consistent ``BidAskBookView`` of a perps market after every snapshot or
    delta applied; gaps and inconsistencies are handled as in ``BookFeed``.

    A ``BookFeed`` so that a session's ``book_feed_class`` hook (typed ``type[BookFeed]``) can name it; its
    views and books are the two-sided kind, hence the overrides that mypy would call incompatible.
    """

    books: BidAskOrderBookManager  # type: ignore[assignment]
    _ready: deque[BidAskBookView]  # type: ignore[assignment]

    def __init__(self, subscription: Subscription[Any], tickers: list[str], resync: Any) -> None:
        super().__init__(subscription, tickers, resync)
        self.books = BidAskOrderBookManager()
        self._ready = deque()

    def view(self, ticker: str) -> BidAskBookView:  # type: ignore[override]
        return self.books.view(ticker)

    def __aiter__(self) -> BidAskBookFeed:
        return self

    async def __anext__(self) -> BidAskBookView:  # type: ignore[override]
        while not self._ready:
            self._apply(await self.subscription.__anext__())
        return self._ready.popleft()

    def _apply_message(self, item: Any) -> BidAskBookView:  # type: ignore[override]
        msg = item.msg
        if item.type_ == "orderbook_snapshot":
            return self.books.apply_snapshot(msg.market_ticker, msg.bid, msg.ask, item.seq)
        return self.books.apply_delta(
            msg.market_ticker, msg.side, msg.price, msg.delta, item.seq, contiguous=False
        )
