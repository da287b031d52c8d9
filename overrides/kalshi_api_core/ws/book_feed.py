"""Local order books kept from an orderbook_delta subscription, read as a stream of immutable views.

``BookFeed`` keeps the trade exchange's yes/no books; ``BidAskBookFeed`` the perps exchange's two-sided
bid/ask books. A session picks one with its ``book_feed_class``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Generic, TypeVar

from kalshi_api_core.ws.bidask_book import BidAskBookView, BidAskOrderBookManager
from kalshi_api_core.ws.book import (
    BookInconsistentError,
    BookView,
    OrderBookManager,
    _BookManager,
    _TwoSidedView,
)
from kalshi_api_core.ws.subscription import Resync, Subscription

V = TypeVar("V", bound=_TwoSidedView[Any])


class BookFeedBase(Generic[V]):
    """``async for view in feed``: a consistent view after every snapshot or delta applied.

    The engine checks the subscription's seq; the books check their own arithmetic. Either kind of break makes
    the affected books unavailable (their views say so and refuse to quote prices) until the fresh snapshot
    that the automatic resubscribe brings. A subclass reads its exchange's messages (``_apply_message``).
    """

    def __init__(self, subscription: Subscription[Any], tickers: list[str], resync: Any) -> None:
        self.subscription = subscription
        self.tickers = tickers
        self.books = self._new_books()
        self._resync = resync  # callable(subscription, reason): resubscribe for a fresh snapshot
        self._ready: deque[V] = deque()

    def view(self, ticker: str) -> V:
        return self.books.view(ticker)

    def __aiter__(self) -> BookFeedBase[V]:
        return self

    async def __anext__(self) -> V:
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

    def _new_books(self) -> _BookManager[V]:
        raise NotImplementedError

    def _apply_message(self, item: Any) -> V:
        raise NotImplementedError


class BookFeed(BookFeedBase[BookView]):
    """The trade exchange's yes/no books (``BookView``s)."""

    books: OrderBookManager

    def _new_books(self) -> OrderBookManager:
        return OrderBookManager()

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


class BidAskBookFeed(BookFeedBase[BidAskBookView]):
    """The perps exchange's two-sided bid/ask books (``BidAskBookView``s)."""

    books: BidAskOrderBookManager

    def _new_books(self) -> BidAskOrderBookManager:
        return BidAskOrderBookManager()

    def _apply_message(self, item: Any) -> BidAskBookView:
        msg = item.msg
        if item.type_ == "orderbook_snapshot":
            return self.books.apply_snapshot(msg.market_ticker, msg.bid, msg.ask, item.seq)
        return self.books.apply_delta(
            msg.market_ticker, msg.side, msg.price, msg.delta, item.seq, contiguous=False
        )
