"""Local order books for Kalshi's ``orderbook_delta`` channel: one snapshot, then signed count deltas.

The feed carries only bids. A YES bid at p is a NO ask at 1 - p, so each side's asks are derived from the
other side's bids. A book that may have missed a message (a seq gap, a count going negative, a delta with no
snapshot) is marked unavailable and refuses to quote until the next snapshot: stale prices look exactly like
good ones, so they are never handed out silently.

The module takes plain values (tickers, ``Decimal`` prices and counts) so it doesn't depend on the generated
payload models; the engine passes their fields through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NoReturn

from kalshi_api_core.errors import KalshiError

Side = Literal["yes", "no"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_NO_SNAPSHOT = "no snapshot received yet"


class BookUnavailableError(KalshiError):
    """Prices were asked of a book that may be stale: after a gap or inconsistency, before a new snapshot."""

    def __init__(self, ticker: str, reason: str) -> None:
        self.ticker = ticker
        self.reason = reason
        super().__init__(f"order book {ticker} is unavailable until its next snapshot: {reason}")


class BookInconsistentError(KalshiError):
    """A message that doesn't fit the local book, which has therefore missed something and is now unavailable.

    Recover by resubscribing: the new subscription starts with a snapshot.
    """

    def __init__(self, ticker: str, reason: str) -> None:
        self.ticker = ticker
        self.reason = reason
        super().__init__(f"order book {ticker} is inconsistent: {reason}")


class BookNotFoundError(KalshiError, KeyError):
    """No snapshot has ever been applied for this ticker."""

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        super().__init__(ticker)

    def __str__(self) -> str:  # KeyError's own str() would show only the repr of the key
        return f"no order book for {self.ticker!r}: no snapshot has been applied for it"


@dataclass(frozen=True, slots=True)
class Level:
    """``count`` contracts bid at ``price`` dollars."""

    price: Decimal
    count: Decimal


@dataclass(frozen=True, slots=True)
class BookView:
    """An immutable, consistent picture of one market's book; later messages never change it.

    ``yes_bids``/``no_bids`` are sorted best (highest price) first. An unavailable view carries no levels,
    and its prices, spreads, depth and volume raise ``BookUnavailableError`` instead of answering stale.
    """

    ticker: str
    seq: int | None  # seq of the last applied message
    available: bool
    yes_bids: tuple[Level, ...] = ()
    no_bids: tuple[Level, ...] = ()
    reason: str | None = None  # why the book is unavailable

    def _bids(self, side: Side) -> tuple[Level, ...]:
        if not self.available:
            raise BookUnavailableError(self.ticker, self.reason or "unavailable")
        if side == "yes":
            return self.yes_bids
        if side == "no":
            return self.no_bids
        raise ValueError(f"side must be 'yes' or 'no', got {side!r}")

    @property
    def best_yes_bid(self) -> Decimal | None:
        return _best(self._bids("yes"))

    @property
    def best_no_bid(self) -> Decimal | None:
        return _best(self._bids("no"))

    @property
    def best_yes_ask(self) -> Decimal | None:
        """Selling YES at p is buying NO at 1 - p, so the YES ask mirrors the best NO bid."""
        return _complement(_best(self._bids("no")))

    @property
    def best_no_ask(self) -> Decimal | None:
        return _complement(_best(self._bids("yes")))

    @property
    def yes_spread(self) -> Decimal | None:
        """Best YES ask minus best YES bid; None when either side is empty."""
        return _spread(self.best_yes_bid, self.best_yes_ask)

    @property
    def no_spread(self) -> Decimal | None:
        """Best NO ask minus best NO bid. Always equal to ``yes_spread``: both are 1 - best YES - best NO."""
        return _spread(self.best_no_bid, self.best_no_ask)

    def depth(self, side: Side, levels: int | None = None) -> tuple[Level, ...]:
        """The best ``levels`` bids of ``side`` (all of them when None), best first."""
        if levels is not None and levels < 0:
            raise ValueError(f"levels must be >= 0, got {levels}")
        return self._bids(side)[:levels]

    def volume(self, side: Side) -> Decimal:
        """Total contracts bid on ``side``."""
        return sum((level.count for level in self._bids(side)), _ZERO)


def _best(bids: tuple[Level, ...]) -> Decimal | None:
    return bids[0].price if bids else None


def _complement(price: Decimal | None) -> Decimal | None:
    return None if price is None else _ONE - price


def _spread(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    return None if bid is None or ask is None else ask - bid


def _as_side(value: str) -> Side | None:
    # The payload's side is an open string; narrow it without a cast.
    if value == "yes":
        return "yes"
    if value == "no":
        return "no"
    return None


def _is_amount(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


class OrderBook:
    """The mutable book of one market. Not thread-safe: one event loop owns it.

    Duplicate prices within one snapshot side are an inconsistency (the server never sends them, so one
    means a corrupt message) rather than silently keeping one of them.
    """

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        self._counts: dict[Side, dict[Decimal, Decimal]] = {"yes": {}, "no": {}}
        # Sorted levels per side, rebuilt only for a side that changed since the last view.
        self._sorted: dict[Side, tuple[Level, ...] | None] = {"yes": (), "no": ()}
        self._seq: int | None = None
        self._unavailable: str | None = _NO_SNAPSHOT  # the reason; None while the book is usable
        self._view: BookView | None = None

    def apply_snapshot(
        self,
        yes: Iterable[tuple[Decimal, Decimal]] | None,
        no: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BookView:
        """Replace the whole book (an absent side has no levels); an unavailable book becomes usable."""
        yes_counts, no_counts = self._parse("yes", yes), self._parse("no", no)
        self._counts = {"yes": yes_counts, "no": no_counts}
        self._sorted = {"yes": None, "no": None}
        self._seq = seq
        self._unavailable = None
        self._view = None
        return self.view()

    def apply_delta(
        self, side: str, price: Decimal, delta: Decimal, seq: int | None, *, contiguous: bool = True
    ) -> BookView:
        """Add ``delta`` contracts to the ``side`` bid at ``price``; a level reaching 0 disappears.

        With ``contiguous`` (the subscription feeds only this market) seq must be exactly the last seq + 1.
        A subscription shared by several markets interleaves their seqs, so there pass ``contiguous=False``:
        seq then only has to increase, and the subscription's own continuity is the caller's to check.
        Either check is skipped when seq or the last seq is unknown. Anything that doesn't fit raises
        ``BookInconsistentError`` and leaves the book unavailable until the next snapshot.
        """
        if self._unavailable is not None:
            # Keep the first reason: it names what actually went wrong.
            raise BookInconsistentError(self.ticker, f"delta while awaiting a snapshot ({self._unavailable})")
        if seq is not None and self._seq is not None:
            if contiguous and seq != self._seq + 1:
                self._fail(f"seq {seq} after {self._seq}: expected {self._seq + 1}")
            if not contiguous and seq <= self._seq:
                self._fail(f"seq {seq} after {self._seq}: seqs must increase")
        checked_side = _as_side(side)
        if checked_side is None:
            self._fail(f"side must be 'yes' or 'no', got {side!r}")
        self._check_price(checked_side, price)
        if not _is_amount(delta):
            self._fail(f"delta must be a finite Decimal, got {delta!r}")
        counts = self._counts[checked_side]
        old = counts.get(price, _ZERO)
        new = old + delta
        if new < 0:
            self._fail(f"{checked_side} count at {price} would go negative: {old} + {delta}")
        if new:
            counts[price] = new
        else:
            counts.pop(price, None)
        self._sorted[checked_side] = None
        self._seq = seq
        self._view = None
        return self.view()

    def invalidate(self, reason: str) -> None:
        """Mark the book unavailable until the next snapshot; its levels are dropped so none is read stale."""
        self._counts = {"yes": {}, "no": {}}
        self._sorted = {"yes": (), "no": ()}
        self._unavailable = reason
        self._view = None

    def view(self) -> BookView:
        """The current book, built once per change (O(levels), plus a sort of any side that changed)."""
        if self._view is None:
            if self._unavailable is not None:
                self._view = BookView(self.ticker, self._seq, False, reason=self._unavailable)
            else:
                self._view = BookView(self.ticker, self._seq, True, self._levels("yes"), self._levels("no"))
        return self._view

    def _levels(self, side: Side) -> tuple[Level, ...]:
        levels = self._sorted[side]
        if levels is None:
            ordered = sorted(self._counts[side].items(), reverse=True)
            levels = self._sorted[side] = tuple(Level(price, count) for price, count in ordered)
        return levels

    def _parse(self, side: Side, levels: Iterable[tuple[Decimal, Decimal]] | None) -> dict[Decimal, Decimal]:
        counts: dict[Decimal, Decimal] = {}
        for price, count in levels or ():
            self._check_price(side, price)
            if not _is_amount(count) or count < 0:
                self._fail(f"snapshot {side} count at {price} must be a Decimal >= 0, got {count!r}")
            if price in counts:
                self._fail(f"snapshot lists the {side} price {price} twice")
            counts[price] = count
        return {price: count for price, count in counts.items() if count}  # a 0 level is no level

    def _check_price(self, side: Side, price: Decimal) -> None:
        if not _is_amount(price) or not _ZERO <= price <= _ONE:
            self._fail(f"{side} price must be a Decimal in [0, 1], got {price!r}")

    def _fail(self, reason: str) -> NoReturn:
        self.invalidate(reason)
        raise BookInconsistentError(self.ticker, reason)


class OrderBookManager:
    """The books of many markets, keyed by ticker; a book exists once its first snapshot arrived."""

    def __init__(self) -> None:
        self._books: dict[str, OrderBook] = {}

    def apply_snapshot(
        self,
        ticker: str,
        yes: Iterable[tuple[Decimal, Decimal]] | None,
        no: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BookView:
        book = self._books.get(ticker)
        if book is None:
            book = self._books[ticker] = OrderBook(ticker)
        return book.apply_snapshot(yes, no, seq)

    def apply_delta(
        self,
        ticker: str,
        side: str,
        price: Decimal,
        delta: Decimal,
        seq: int | None,
        *,
        contiguous: bool = True,
    ) -> BookView:
        """As ``OrderBook.apply_delta``; a ticker with no book yet is a delta before its snapshot."""
        book = self._books.get(ticker)
        if book is None:
            raise BookInconsistentError(ticker, f"delta while awaiting a snapshot ({_NO_SNAPSHOT})")
        return book.apply_delta(side, price, delta, seq, contiguous=contiguous)

    def invalidate(self, ticker: str | None, reason: str) -> None:
        """Mark one book (every book when ``ticker`` is None) unavailable; an unknown ticker has no book."""
        for name, book in self._books.items():
            if ticker is None or name == ticker:
                book.invalidate(reason)

    def view(self, ticker: str) -> BookView:
        book = self._books.get(ticker)
        if book is None:
            raise BookNotFoundError(ticker)
        return book.view()

    def tickers(self) -> list[str]:
        """Every ticker with a book, sorted."""
        return sorted(self._books)
