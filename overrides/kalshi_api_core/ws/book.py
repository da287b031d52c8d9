"""Local order books for Kalshi's ``orderbook_delta`` channel: one snapshot, then signed count deltas.

The feed carries only bids. A YES bid at p is a NO ask at 1 - p, so each side's asks are derived from the
other side's bids. A book that may have missed a message (a seq gap, a count going negative, a delta with no
snapshot) is marked unavailable and refuses to quote until the next snapshot: stale prices look exactly like
good ones, so they are never handed out silently.

The module takes plain values (tickers, ``Decimal`` prices and counts) so it doesn't depend on the generated
payload models; the engine passes their fields through. ``bidask_book`` builds the perps exchange's two-sided
books on the same machinery (the ``_TwoSided*`` classes here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal, NoReturn, TypeVar

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
    """``count`` contracts at ``price`` dollars: bid, or offered on a two-sided book's ask side."""

    price: Decimal
    count: Decimal


# The shared machinery of this module's yes/no book and bidask_book's bid/ask book. A book has two sides,
# each a price -> count map sorted into levels (best first) only when a view's side is first read.

_S = TypeVar("_S", bound=str)  # a side's name, as the public methods type it
_V = TypeVar("_V", bound="_TwoSidedView[Any]")


class _TwoSidedView(Generic[_S]):
    """An immutable view of two sides: the levels it was built with, or the book's maps sorted when read."""

    __slots__ = ("_a", "_a_counts", "_available", "_b", "_b_counts", "_reason", "_seq", "_ticker")

    _SIDES: ClassVar[tuple[str, str]]  # the two sides' names, as apply_delta and depth() take them
    _FIELDS: ClassVar[tuple[str, str]]  # their levels' property names, for repr
    # The first side is always bids (best = highest); the second is bids too, or asks (best = lowest).
    _B_DESCENDING: ClassVar[bool]

    _ticker: str
    _seq: int | None
    _available: bool
    _reason: str | None
    _a: tuple[Level, ...] | None  # sorted levels, once read
    _b: tuple[Level, ...] | None
    _a_counts: Mapping[Decimal, Decimal] | None  # price -> count, for a view that sorts lazily
    _b_counts: Mapping[Decimal, Decimal] | None

    def __init__(
        self,
        ticker: str,
        seq: int | None,
        available: bool,
        a: tuple[Level, ...] = (),
        b: tuple[Level, ...] = (),
        reason: str | None = None,
    ) -> None:
        _init(self, ticker, seq, available, reason, a, b, None, None)

    @classmethod
    def _of_counts(
        cls: type[_V],
        ticker: str,
        seq: int | None,
        a: Mapping[Decimal, Decimal],
        b: Mapping[Decimal, Decimal],
        previous: _V | None,
    ) -> _V:
        """A view of the book's maps; a side unchanged since ``previous`` (the same map) keeps its levels."""
        view = cls.__new__(cls)
        a_levels = b_levels = None
        if previous is not None:
            a_levels = previous._a if previous._a_counts is a else None
            b_levels = previous._b if previous._b_counts is b else None
        _init(view, ticker, seq, True, None, a_levels, b_levels, a, b)
        return view

    @classmethod
    def _unavailable(cls: type[_V], ticker: str, seq: int | None, reason: str) -> _V:
        view = cls.__new__(cls)
        _init(view, ticker, seq, False, reason, (), (), None, None)
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

    def _a_levels(self) -> tuple[Level, ...]:
        levels = self._a
        if levels is None:
            levels = self._a = _sorted_levels(self._a_counts, True)
        return levels

    def _b_levels(self) -> tuple[Level, ...]:
        levels = self._b
        if levels is None:
            levels = self._b = _sorted_levels(self._b_counts, self._B_DESCENDING)
        return levels

    def _key(self) -> tuple[object, ...]:
        return (self.ticker, self.seq, self.available, self._a_levels(), self._b_levels(), self.reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _TwoSidedView) or other._SIDES != self._SIDES:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        a, b = self._FIELDS
        return (
            f"{type(self).__name__}(ticker={self.ticker!r}, seq={self.seq!r}, available={self.available!r}, "
            f"{a}={self._a_levels()!r}, {b}={self._b_levels()!r}, reason={self.reason!r})"
        )

    def _levels(self, side: _S) -> tuple[Level, ...]:
        if not self.available:
            raise BookUnavailableError(self.ticker, self.reason or "unavailable")
        a, b = self._SIDES
        if side == a:
            return self._a_levels()
        if side == b:
            return self._b_levels()
        raise ValueError(f"side must be {a!r} or {b!r}, got {side!r}")

    def _best(self, first: bool) -> Decimal | None:
        """The first (or second) side's best price; a side not sorted yet answers with max() or min()."""
        if not self.available:
            raise BookUnavailableError(self.ticker, self.reason or "unavailable")
        levels = self._a if first else self._b
        if levels is not None:
            return levels[0].price if levels else None
        counts = self._a_counts if first else self._b_counts
        if not counts:
            return None
        return max(counts) if first or self._B_DESCENDING else min(counts)

    def depth(self, side: _S, levels: int | None = None) -> tuple[Level, ...]:
        """The best ``levels`` levels of ``side`` (all of them when None), best first."""
        if levels is not None and levels < 0:
            raise ValueError(f"levels must be >= 0, got {levels}")
        return self._levels(side)[:levels]

    def volume(self, side: _S) -> Decimal:
        """Total contracts on ``side``."""
        return sum((level.count for level in self._levels(side)), _ZERO)


class BookView(_TwoSidedView[Side]):
    """An immutable, consistent picture of one market's book; later messages never change it.

    ``yes_bids``/``no_bids`` are sorted best (highest price) first. An unavailable view carries no levels,
    and its prices, spreads, depth and volume raise ``BookUnavailableError`` instead of answering stale.

    The book hands out one view per message, most of which are never read, so a view keeps the book's
    price -> count maps (which the book never changes once a view holds them: it copies before writing)
    and sorts a side into levels only when that side is first read.
    """

    __slots__ = ()
    _SIDES = ("yes", "no")
    _FIELDS = ("yes_bids", "no_bids")
    _B_DESCENDING = True  # both sides are bids

    def __init__(
        self,
        ticker: str,
        seq: int | None,
        available: bool,
        yes_bids: tuple[Level, ...] = (),
        no_bids: tuple[Level, ...] = (),
        reason: str | None = None,
    ) -> None:
        super().__init__(ticker, seq, available, yes_bids, no_bids, reason)

    @property
    def yes_bids(self) -> tuple[Level, ...]:
        return self._a_levels()

    @property
    def no_bids(self) -> tuple[Level, ...]:
        return self._b_levels()

    @property
    def best_yes_bid(self) -> Decimal | None:
        return self._best(True)

    @property
    def best_no_bid(self) -> Decimal | None:
        return self._best(False)

    @property
    def best_yes_ask(self) -> Decimal | None:
        """Selling YES at p is buying NO at 1 - p, so the YES ask mirrors the best NO bid."""
        return _complement(self._best(False))

    @property
    def best_no_ask(self) -> Decimal | None:
        return _complement(self._best(True))

    @property
    def yes_spread(self) -> Decimal | None:
        """Best YES ask minus best YES bid; None when either side is empty."""
        return _spread(self.best_yes_bid, self.best_yes_ask)

    @property
    def no_spread(self) -> Decimal | None:
        """Best NO ask minus best NO bid. Always equal to ``yes_spread``: both are 1 - best YES - best NO."""
        return _spread(self.best_no_bid, self.best_no_ask)


def _complement(price: Decimal | None) -> Decimal | None:
    return None if price is None else _ONE - price


def _spread(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    return None if bid is None or ask is None else ask - bid


def _init(
    view: _TwoSidedView[Any],
    ticker: str,
    seq: int | None,
    available: bool,
    reason: str | None,
    a: tuple[Level, ...] | None,
    b: tuple[Level, ...] | None,
    a_counts: Mapping[Decimal, Decimal] | None,
    b_counts: Mapping[Decimal, Decimal] | None,
) -> None:
    view._ticker = ticker
    view._seq = seq
    view._available = available
    view._reason = reason
    view._a = a
    view._b = b
    view._a_counts = a_counts
    view._b_counts = b_counts


def _sorted_levels(counts: Mapping[Decimal, Decimal] | None, descending: bool) -> tuple[Level, ...]:
    return tuple(Level(price, count) for price, count in sorted((counts or {}).items(), reverse=descending))


def _is_amount(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


class _TwoSidedBook(Generic[_V]):
    """One market's two price -> count maps and the views of them; subclasses name the sides and bounds."""

    _SIDES: ClassVar[tuple[str, str]]
    _PRICES: ClassVar[tuple[Decimal, Decimal]]  # the lowest and highest valid price
    _PRICE_RULE: ClassVar[str]  # the bounds, for messages

    def __init__(self, ticker: str, view_type: type[_V]) -> None:
        self.ticker = ticker
        self._view_type = view_type
        # Copied from the class: 3.11 reads an instance's own attributes much faster, and deltas are hot.
        self._a_name, self._b_name = self._SIDES
        self._low, self._high = self._PRICES
        self._a: dict[Decimal, Decimal] = {}
        self._b: dict[Decimal, Decimal] = {}
        self._seq: int | None = None
        self._unavailable: str | None = _NO_SNAPSHOT  # the reason; None while the book is usable
        self._view: _V | None = None  # the view of the current state, once asked for
        self._previous: _V | None = None  # the last view of a usable book
        # The latest view holds the current maps; a side it holds is copied before its next write.
        self._view_holds_a = self._view_holds_b = False

    def _replace(
        self,
        a: Iterable[tuple[Decimal, Decimal]] | None,
        b: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> _V:
        """Replace the whole book (an absent side has no levels); an unavailable book becomes usable."""
        a_counts, b_counts = self._parse(self._a_name, a), self._parse(self._b_name, b)
        self._a, self._b = a_counts, b_counts
        self._view_holds_a = self._view_holds_b = False
        self._seq = seq
        self._unavailable = None
        self._view = None
        return self.view()

    def apply_delta(
        self, side: str, price: Decimal, delta: Decimal, seq: int | None, *, contiguous: bool = True
    ) -> _V:
        """Add ``delta`` contracts to the ``side`` level at ``price``; a level reaching 0 disappears.

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
        if side == self._a_name:
            if self._view_holds_a:
                self._a = dict(self._a)
                self._view_holds_a = False
            counts = self._a
        elif side == self._b_name:
            if self._view_holds_b:
                self._b = dict(self._b)
                self._view_holds_b = False
            counts = self._b
        else:
            self._fail(f"side must be {self._a_name!r} or {self._b_name!r}, got {side!r}")
        if not (isinstance(price, Decimal) and price.is_finite() and self._low <= price <= self._high):
            self._fail(f"{side} price must be {self._PRICE_RULE}, got {price!r}")
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
        self._a, self._b = {}, {}
        self._view_holds_a = self._view_holds_b = False
        self._unavailable = reason
        self._view = None

    def view(self) -> _V:
        """The current book, built once per change in O(1); a view sorts a side when that side is read."""
        view = self._view
        if view is None:
            if self._unavailable is not None:
                view = self._view_type._unavailable(self.ticker, self._seq, self._unavailable)
            else:
                view = self._view_type._of_counts(self.ticker, self._seq, self._a, self._b, self._previous)
                self._previous = view
                self._view_holds_a = self._view_holds_b = True
            self._view = view
        return view

    def _parse(self, side: str, levels: Iterable[tuple[Decimal, Decimal]] | None) -> dict[Decimal, Decimal]:
        counts: dict[Decimal, Decimal] = {}
        for price, count in levels or ():
            if not _is_amount(price) or not self._low <= price <= self._high:
                self._fail(f"{side} price must be {self._PRICE_RULE}, got {price!r}")
            if not _is_amount(count) or count < 0:
                self._fail(f"snapshot {side} count at {price} must be a Decimal >= 0, got {count!r}")
            if price in counts:
                self._fail(f"snapshot lists the {side} price {price} twice")
            counts[price] = count
        return {price: count for price, count in counts.items() if count}  # a 0 level is no level

    def _fail(self, reason: str) -> NoReturn:
        self.invalidate(reason)
        raise BookInconsistentError(self.ticker, reason)


class OrderBook(_TwoSidedBook[BookView]):
    """The mutable book of one market. Not thread-safe: one event loop owns it.

    Duplicate prices within one snapshot side are an inconsistency (the server never sends them, so one
    means a corrupt message) rather than silently keeping one of them.
    """

    _SIDES = ("yes", "no")
    _PRICES = (_ZERO, _ONE)  # a binary contract pays at most $1
    _PRICE_RULE = "a Decimal in [0, 1]"

    def __init__(self, ticker: str) -> None:
        super().__init__(ticker, BookView)

    def apply_snapshot(
        self,
        yes: Iterable[tuple[Decimal, Decimal]] | None,
        no: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BookView:
        """Replace the whole book (an absent side has no levels); an unavailable book becomes usable."""
        return self._replace(yes, no, seq)


class _BookManager(Generic[_V]):
    """Books keyed by ticker, of either kind."""

    def __init__(self, book_type: Callable[[str], _TwoSidedBook[_V]]) -> None:
        self._new_book = book_type
        self._books: dict[str, _TwoSidedBook[_V]] = {}

    def _book(self, ticker: str) -> _TwoSidedBook[_V]:
        """The ticker's book, created for its first snapshot."""
        book = self._books.get(ticker)
        if book is None:
            book = self._books[ticker] = self._new_book(ticker)
        return book

    def apply_delta(
        self,
        ticker: str,
        side: str,
        price: Decimal,
        delta: Decimal,
        seq: int | None,
        *,
        contiguous: bool = True,
    ) -> _V:
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

    def view(self, ticker: str) -> _V:
        book = self._books.get(ticker)
        if book is None:
            raise BookNotFoundError(ticker)
        return book.view()

    def tickers(self) -> list[str]:
        """Every ticker with a book, sorted."""
        return sorted(self._books)


class OrderBookManager(_BookManager[BookView]):
    """The books of many markets, keyed by ticker; a book exists once its first snapshot arrived."""

    def __init__(self) -> None:
        super().__init__(OrderBook)

    def apply_snapshot(
        self,
        ticker: str,
        yes: Iterable[tuple[Decimal, Decimal]] | None,
        no: Iterable[tuple[Decimal, Decimal]] | None,
        seq: int | None,
    ) -> BookView:
        return self._book(ticker)._replace(yes, no, seq)
