"""Local order books for Kalshi's ``orderbook_delta`` channel: one snapshot, then signed count deltas.

The feed carries only bids. A YES bid at p is a NO ask at 1 - p, so each side's asks are derived from the
other side's bids. A book that may have missed a message (a seq gap, a count going negative, a delta with no
snapshot) is marked unavailable and refuses to quote until the next snapshot: stale prices look exactly like
good ones, so they are never handed out silently.

The module takes plain values (tickers, ``Decimal`` prices and counts) so it doesn't depend on the generated
payload models; the engine passes their fields through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


class BookView:
    """An immutable, consistent picture of one market's book; later messages never change it.

    ``yes_bids``/``no_bids`` are sorted best (highest price) first. An unavailable view carries no levels,
    and its prices, spreads, depth and volume raise ``BookUnavailableError`` instead of answering stale.

    The book hands out one view per message, most of which are never read, so a view keeps the book's
    price -> count maps (which the book never changes once a view holds them: it copies before writing)
    and sorts a side into levels only when that side is first read.
    """

    __slots__ = ("_available", "_no", "_no_counts", "_reason", "_seq", "_ticker", "_yes", "_yes_counts")

    _ticker: str
    _seq: int | None
    _available: bool
    _reason: str | None
    _yes: tuple[Level, ...] | None  # sorted levels, once read
    _no: tuple[Level, ...] | None
    _yes_counts: Mapping[Decimal, Decimal] | None  # price -> count, for a view that sorts lazily
    _no_counts: Mapping[Decimal, Decimal] | None

    def __init__(
        self,
        ticker: str,
        seq: int | None,
        available: bool,
        yes_bids: tuple[Level, ...] = (),
        no_bids: tuple[Level, ...] = (),
        reason: str | None = None,
    ) -> None:
        _init(self, ticker, seq, available, reason, yes_bids, no_bids, None, None)

    @classmethod
    def _of_counts(
        cls,
        ticker: str,
        seq: int | None,
        yes: Mapping[Decimal, Decimal],
        no: Mapping[Decimal, Decimal],
        previous: BookView | None,
    ) -> BookView:
        """A view of the book's maps; a side unchanged since ``previous`` (the same map) keeps its levels."""
        view = cls.__new__(cls)
        yes_levels = no_levels = None
        if previous is not None:
            yes_levels = previous._yes if previous._yes_counts is yes else None
            no_levels = previous._no if previous._no_counts is no else None
        _init(view, ticker, seq, True, None, yes_levels, no_levels, yes, no)
        return view

    @property
    def ticker(self) -> str:
        return self._ticker

    @property
    def seq(self) -> int | None:
        """seq of the last applied message."""
        return self._seq

    @property
    def available(self) -> bool:
        return self._available

    @property
    def reason(self) -> str | None:
        """Why the book is unavailable."""
        return self._reason

    @property
    def yes_bids(self) -> tuple[Level, ...]:
        levels = self._yes
        if levels is None:
            levels = self._yes = _sorted_levels(self._yes_counts)
        return levels

    @property
    def no_bids(self) -> tuple[Level, ...]:
        levels = self._no
        if levels is None:
            levels = self._no = _sorted_levels(self._no_counts)
        return levels

    def _key(self) -> tuple[object, ...]:
        return (self.ticker, self.seq, self.available, self.yes_bids, self.no_bids, self.reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BookView):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"BookView(ticker={self.ticker!r}, seq={self.seq!r}, available={self.available!r}, "
            f"yes_bids={self.yes_bids!r}, no_bids={self.no_bids!r}, reason={self.reason!r})"
        )

    def _bids(self, side: Side) -> tuple[Level, ...]:
        if not self.available:
            raise BookUnavailableError(self.ticker, self.reason or "unavailable")
        if side == "yes":
            return self.yes_bids
        if side == "no":
            return self.no_bids
        raise ValueError(f"side must be 'yes' or 'no', got {side!r}")

    def _best(self, side: Side) -> Decimal | None:
        """The best bid price; a side not sorted yet answers with max() instead of sorting."""
        levels = self._bids(side) if not self.available else self._yes if side == "yes" else self._no
        if levels is not None:
            return levels[0].price if levels else None
        counts = self._yes_counts if side == "yes" else self._no_counts
        return max(counts) if counts else None

    @property
    def best_yes_bid(self) -> Decimal | None:
        return self._best("yes")

    @property
    def best_no_bid(self) -> Decimal | None:
        return self._best("no")

    @property
    def best_yes_ask(self) -> Decimal | None:
        """Selling YES at p is buying NO at 1 - p, so the YES ask mirrors the best NO bid."""
        return _complement(self._best("no"))

    @property
    def best_no_ask(self) -> Decimal | None:
        return _complement(self._best("yes"))

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


def _complement(price: Decimal | None) -> Decimal | None:
    return None if price is None else _ONE - price


def _spread(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    return None if bid is None or ask is None else ask - bid


def _init(
    view: BookView,
    ticker: str,
    seq: int | None,
    available: bool,
    reason: str | None,
    yes: tuple[Level, ...] | None,
    no: tuple[Level, ...] | None,
    yes_counts: Mapping[Decimal, Decimal] | None,
    no_counts: Mapping[Decimal, Decimal] | None,
) -> None:
    view._ticker = ticker
    view._seq = seq
    view._available = available
    view._reason = reason
    view._yes = yes
    view._no = no
    view._yes_counts = yes_counts
    view._no_counts = no_counts


def _sorted_levels(counts: Mapping[Decimal, Decimal] | None) -> tuple[Level, ...]:
    return tuple(Level(price, count) for price, count in sorted((counts or {}).items(), reverse=True))


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
        self._yes: dict[Decimal, Decimal] = {}
        self._no: dict[Decimal, Decimal] = {}
        self._seq: int | None = None
        self._unavailable: str | None = _NO_SNAPSHOT  # the reason; None while the book is usable
        self._view: BookView | None = None  # the view of the current state, once asked for
        self._previous: BookView | None = None  # the last view of a usable book
        # The latest view holds the current maps; a side it holds is copied before its next write.
        self._view_holds_yes = self._view_holds_no = False

    def apply_snapshot(
        self,
        yes: Iterable[tuple[Decimal, Decimal]] | None,
        no: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BookView:
        """Replace the whole book (an absent side has no levels); an unavailable book becomes usable."""
        yes_counts, no_counts = self._parse("yes", yes), self._parse("no", no)
        self._yes, self._no = yes_counts, no_counts
        self._view_holds_yes = self._view_holds_no = False
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
        last = self._seq
        if seq is not None and last is not None:
            if contiguous and seq != last + 1:
                self._fail(f"seq {seq} after {last}: expected {last + 1}")
            if not contiguous and seq <= last:
                self._fail(f"seq {seq} after {last}: seqs must increase")
        if side == "yes":
            if self._view_holds_yes:
                self._yes = dict(self._yes)
                self._view_holds_yes = False
            counts = self._yes
        elif side == "no":
            if self._view_holds_no:
                self._no = dict(self._no)
                self._view_holds_no = False
            counts = self._no
        else:
            self._fail(f"side must be 'yes' or 'no', got {side!r}")
        if not (isinstance(price, Decimal) and price.is_finite() and _ZERO <= price <= _ONE):
            self._fail(f"{side} price must be a Decimal in [0, 1], got {price!r}")
        if not _is_amount(delta):
            self._fail(f"delta must be a finite Decimal, got {delta!r}")
        new = counts.get(price, _ZERO) + delta
        if new > 0:
            counts[price] = new
        elif new == 0:
            counts.pop(price, None)
        else:
            self._fail(f"{side} count at {price} would go negative: {counts.get(price, _ZERO)} + {delta}")
        self._seq = seq
        self._view = None
        return self.view()

    def invalidate(self, reason: str) -> None:
        """Mark the book unavailable until the next snapshot; its levels are dropped so none is read stale."""
        self._yes, self._no = {}, {}
        self._view_holds_yes = self._view_holds_no = False
        self._unavailable = reason
        self._view = None

    def view(self) -> BookView:
        """The current book, built once per change in O(1); a view sorts a side when that side is read."""
        view = self._view
        if view is None:
            if self._unavailable is not None:
                view = BookView(self.ticker, self._seq, False, reason=self._unavailable)
            else:
                view = BookView._of_counts(self.ticker, self._seq, self._yes, self._no, self._previous)
                self._previous = view
                self._view_holds_yes = self._view_holds_no = True
            self._view = view
        return view

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
