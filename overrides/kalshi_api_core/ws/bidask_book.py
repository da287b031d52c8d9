"""Local order books for the perps (margin) exchange's ``orderbook_delta`` channel: a plain two-sided book.

Unlike the trade exchange's yes/no book, bids and asks both arrive (nothing is derived from the other side),
and prices are dollar amounts with no $1 ceiling: the spec bounds neither side's price, so the book only
requires a finite ``Decimal``. Everything else is ``book``'s: the errors, ``Level``, the seq checks, the
copy-on-write maps and the views that sort a side only when it is read. A book that may have missed a
message is unavailable and refuses to quote until the next snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from kalshi_api_core.ws.book import Level, _BookManager, _spread, _TwoSidedBook, _TwoSidedView

BookSide = Literal["bid", "ask"]

_TWO = Decimal(2)


class BidAskBookView(_TwoSidedView[BookSide]):
    """An immutable, consistent picture of one perps market's book; later messages never change it.

    ``bids`` are sorted best (highest price) first, ``asks`` best (lowest price) first. An unavailable view
    carries no levels, and its prices, spread, mid, depth and volume raise ``BookUnavailableError`` instead of
    answering stale.
    """

    __slots__ = ()
    _SIDES = ("bid", "ask")
    _FIELDS = ("bids", "asks")
    _B_DESCENDING = False  # asks: the lowest price is the best

    def __init__(
        self,
        ticker: str,
        seq: int | None,
        available: bool,
        bids: tuple[Level, ...] = (),
        asks: tuple[Level, ...] = (),
        reason: str | None = None,
    ) -> None:
        super().__init__(ticker, seq, available, bids, asks, reason)

    @property
    def bids(self) -> tuple[Level, ...]:
        return self._a_levels()

    @property
    def asks(self) -> tuple[Level, ...]:
        return self._b_levels()

    @property
    def best_bid(self) -> Decimal | None:
        return self._best(True)

    @property
    def best_ask(self) -> Decimal | None:
        return self._best(False)

    @property
    def spread(self) -> Decimal | None:
        """Best ask minus best bid; None when either side is empty. A crossed book, which the exchange
        shouldn't show, would give 0 or less: it is reported as it is, not refused."""
        return _spread(self.best_bid, self.best_ask)

    @property
    def mid(self) -> Decimal | None:
        """Halfway between the best bid and the best ask; None when either side is empty."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid + ask) / _TWO


class BidAskOrderBook(_TwoSidedBook[BidAskBookView]):
    """The mutable book of one perps market. Not thread-safe: one event loop owns it.

    Duplicate prices within one snapshot side are an inconsistency (the server never sends them, so one
    means a corrupt message) rather than silently keeping one of them.
    """

    _SIDES = ("bid", "ask")
    _PRICES = (Decimal("-Infinity"), Decimal("Infinity"))  # any finite price: the spec sets no bounds
    _PRICE_RULE = "a finite Decimal"

    def __init__(self, ticker: str) -> None:
        super().__init__(ticker, BidAskBookView)

    def apply_snapshot(
        self,
        bids: Iterable[tuple[Decimal, Decimal]] | None,
        asks: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BidAskBookView:
        """Replace the whole book (an absent side has no levels); an unavailable book becomes usable."""
        return self._replace(bids, asks, seq)


class BidAskOrderBookManager(_BookManager[BidAskBookView]):
    """The books of many perps markets, keyed by ticker; a book exists once its first snapshot arrived."""

    def __init__(self) -> None:
        super().__init__(BidAskOrderBook)

    def apply_snapshot(
        self,
        ticker: str,
        bids: Iterable[tuple[Decimal, Decimal]] | None,
        asks: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BidAskBookView:
        return self._book(ticker)._replace(bids, asks, seq)
