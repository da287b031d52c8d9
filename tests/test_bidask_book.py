"""The perps exchange's two-sided local book: both sides arrive (no side is derived from the other), prices
are any finite amount, and anything that doesn't fit makes the book unavailable until the next snapshot."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest

from kalshi_api_core.ws.bidask_book import BidAskBookView, BidAskOrderBook, BidAskOrderBookManager
from kalshi_api_core.ws.book import (
    BookInconsistentError,
    BookNotFoundError,
    BookUnavailableError,
    BookView,
    Level,
)
from kalshi_api_core.ws.book_feed import BidAskBookFeed, BookFeed, BookFeedBase
from kalshi_api_core.ws.channels import ChannelSpec
from kalshi_api_core.ws.engine import Session
from kalshi_api_core.ws.subscription import Resync, Subscription

T = "BTC-PERP"


def book() -> BidAskOrderBook:
    b = BidAskOrderBook(T)
    b.apply_snapshot(
        [(D("100.5"), D("2")), (D("101"), D("1"))], [(D("102.25"), D("3")), (D("103"), D("4"))], 1
    )
    return b


def test_a_snapshot_gives_both_sides_best_first() -> None:
    view = book().view()
    assert view.bids == (Level(D("101"), D("1")), Level(D("100.5"), D("2")))
    assert view.asks == (Level(D("102.25"), D("3")), Level(D("103"), D("4")))
    assert (view.best_bid, view.best_ask, view.spread, view.mid) == (
        D("101"),
        D("102.25"),
        D("1.25"),
        D("101.625"),
    )
    assert view.depth("ask", 1) == (Level(D("102.25"), D("3")),) and view.volume("bid") == D("3")


def test_deltas_add_remove_and_views_already_handed_out_never_change() -> None:
    b = book()
    before = b.view()
    b.apply_delta("bid", D("101.5"), D("5"), 2)
    after = b.apply_delta("ask", D("102.25"), D("-3"), 3)  # the level reaches 0: gone
    assert after.best_bid == D("101.5") and after.best_ask == D("103")
    assert before.best_bid == D("101") and before.best_ask == D("102.25")
    assert after.seq == 3


def test_a_count_going_negative_makes_the_book_unavailable_until_a_snapshot() -> None:
    b = book()
    with pytest.raises(BookInconsistentError, match=T):
        b.apply_delta("ask", D("103"), D("-5"), 2)
    view = b.view()
    assert not view.available and view.reason
    with pytest.raises(BookUnavailableError):
        _ = view.best_bid
    with pytest.raises(BookInconsistentError):  # it stays unavailable, whatever comes next
        b.apply_delta("bid", D("99"), D("1"), 3)
    assert b.apply_snapshot([(D("99"), D("1"))], [], 4).available


@pytest.mark.parametrize(("side", "price"), [("yes", D("100")), ("bid", D("NaN")), ("ask", D("Infinity"))])
def test_an_unknown_side_or_a_price_that_is_no_amount_is_an_inconsistency(side: str, price: D) -> None:
    with pytest.raises(BookInconsistentError):
        book().apply_delta(side, price, D("1"), 2)


def test_an_empty_side_has_no_best_price_and_no_spread() -> None:
    b = BidAskOrderBook(T)
    view = b.apply_snapshot([(D("5"), D("1"))], None, 1)
    assert view.asks == () and view.best_ask is None and view.spread is None and view.mid is None


def test_the_manager_keeps_one_book_per_ticker() -> None:
    books = BidAskOrderBookManager()
    with pytest.raises(BookNotFoundError):
        books.view(T)
    books.apply_snapshot(T, [(D("1"), D("1"))], [(D("2"), D("1"))], 1)
    books.apply_snapshot("ETH-PERP", [(D("10"), D("1"))], [], 2)
    books.apply_delta(T, "ask", D("1.5"), D("2"), 3, contiguous=False)
    assert books.view(T).best_ask == D("1.5") and books.view("ETH-PERP").best_bid == D("10")
    books.invalidate(None, "gap")
    assert not books.view(T).available and not books.view("ETH-PERP").available


def test_deltas_and_seqs_before_and_across_snapshots() -> None:
    with pytest.raises(BookInconsistentError, match="no snapshot received yet"):
        BidAskOrderBook(T).apply_delta("bid", D("100"), D("1"), 1)
    with pytest.raises(BookInconsistentError, match="awaiting a snapshot"):
        BidAskOrderBookManager().apply_delta(T, "bid", D("100"), D("1"), 1)
    b = book()
    with pytest.raises(BookInconsistentError, match="seq 3 after 1: expected 2"):
        b.apply_delta("bid", D("100"), D("1"), 3)
    assert b.apply_snapshot(None, [(D("65010.25"), D("2"))], 7).asks == (Level(D("65010.25"), D("2")),)


def test_unsorted_levels_come_out_best_first_however_they_are_first_read() -> None:
    bids = [(D("99.75"), D("1")), (D("101.5"), D("2")), (D("100"), D("0.5"))]
    asks = [(D("104"), D("1")), (D("102"), D("2")), (D("103.5"), D("0.25"))]
    unread = BidAskOrderBook(T).apply_snapshot(bids, asks, 1)
    # best_* answers from the price maps before the sides are sorted, then the sorted levels agree
    assert (unread.best_bid, unread.best_ask) == (D("101.5"), D("102"))
    assert [lv.price for lv in unread.bids] == [D("101.5"), D("100"), D("99.75")]
    assert [lv.price for lv in unread.asks] == [D("102"), D("103.5"), D("104")]
    assert (unread.best_bid, unread.best_ask) == (D("101.5"), D("102"))


def test_depth_volume_spread_and_mid_are_exact() -> None:
    b = BidAskOrderBook(T)
    view = b.apply_snapshot([(D("0.1"), D("0.1")), (D("0.05"), D("0.2"))], [(D("0.3"), D("1.5"))], 1)
    assert view.volume("bid") == D("0.3")  # as floats, 0.1 + 0.2 != 0.3
    assert view.volume("ask") == D("1.5")
    assert view.depth("bid") == view.bids and view.depth("bid", 0) == () and view.depth("ask", 5) == view.asks
    assert view.spread == D("0.2") and view.mid == D("0.2")
    view = b.apply_delta("ask", D("0.15"), D("1"), 2)
    assert view.spread == D("0.05") and view.mid == D("0.125")
    with pytest.raises(ValueError, match="levels must be >= 0"):
        view.depth("bid", -1)
    with pytest.raises(ValueError, match="side must be 'bid' or 'ask'"):
        view.volume("yes")  # type: ignore[arg-type]


def test_views_are_immutable_values_that_later_messages_leave_alone() -> None:
    b = book()
    first = b.view()
    assert b.view() is first  # cached until the next change
    copy = BidAskBookView(T, 1, True, first.bids, first.asks)
    b.apply_delta("bid", D("101"), D("-1"), 2)
    b.apply_delta("ask", D("102"), D("7"), 3)
    assert first == copy and hash(first) == hash(copy) and first.seq == 1
    assert first.bids[0] == Level(D("101"), D("1")) and first.best_ask == D("102.25")
    assert b.view().best_bid == D("100.5") and b.view().best_ask == D("102")
    assert repr(copy).startswith("BidAskBookView(ticker='BTC-PERP', seq=1, available=True, bids=(Level(")
    # a trade book with the same levels is another kind of book, never equal
    assert first != BookView(T, 1, True, first.bids, first.asks)
    for name, value in (("seq", 9), ("asks", ()), ("bids", ()), ("available", False)):
        with pytest.raises(AttributeError):
            setattr(first, name, value)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.bids[0].count = D(0)  # type: ignore[misc]


def test_an_unavailable_view_refuses_every_price_and_keeps_no_levels() -> None:
    b = book()
    with pytest.raises(BookInconsistentError, match="side must be 'bid' or 'ask', got 'no'"):
        b.apply_delta("no", D("101"), D("1"), 2)
    view = b.view()
    assert not view.available and view.bids == () and view.asks == () and view.seq == 1
    for read in (
        lambda: view.best_bid,
        lambda: view.best_ask,
        lambda: view.spread,
        lambda: view.mid,
        lambda: view.depth("bid"),
        lambda: view.volume("ask"),
    ):
        with pytest.raises(BookUnavailableError, match="side must be"):
            read()


@pytest.mark.parametrize(
    ("bids", "reason"),
    [
        ([(D("100"), D("1")), (D("100.0"), D("2"))], "twice"),
        ([(D("100"), D("-1"))], "must be a Decimal >= 0"),
        ([(D("NaN"), D("1"))], "price must be a finite Decimal"),
    ],
)
def test_a_snapshot_that_does_not_add_up_leaves_the_book_unavailable(
    bids: list[tuple[D, D]], reason: str
) -> None:
    b = book()
    with pytest.raises(BookInconsistentError, match=reason):
        b.apply_snapshot(bids, None, 2)
    assert not b.view().available


# --- the feed: BidAskBookFeed over a subscription ------------------------------------------------------
# Stand-ins with the perps spec's wire field names: the feed reads nothing but these attributes.


@dataclass
class SnapshotMsg:
    market_ticker: str
    bid: list[Any] | None = None
    ask: list[Any] | None = None


@dataclass
class DeltaMsg:
    market_ticker: str
    price: D
    delta: D
    side: str
    ts_ms: int = 0
    client_order_id: str | None = None
    subaccount: int | None = None
    last_update_reason: str | None = None


@dataclass
class Frame:
    type_: str
    sid: int
    seq: int
    msg: Any


def subscription() -> Subscription[Any]:
    spec = ChannelSpec("orderbook_delta", {}, ("market_tickers",), False, True, "raise")
    return Subscription(spec, {"market_tickers": [T, "ETH-PERP"]}, 100, "raise")


def test_the_bidask_feed_keeps_two_sided_books_and_resyncs_on_a_break() -> None:
    async def main() -> None:
        sub = subscription()
        resyncs: list[str] = []
        feed = BidAskBookFeed(sub, [T, "ETH-PERP"], lambda s, reason: resyncs.append(reason))
        # levels as the decoded models give them (tuples) and as plain lists
        sub.deliver(
            Frame("orderbook_snapshot", 1, 1, SnapshotMsg(T, [(D("101"), D("1"))], [[D("102"), D("3")]]))
        )
        sub.deliver(Frame("orderbook_snapshot", 1, 2, SnapshotMsg("ETH-PERP", [[D("3500.5"), D("2")]])))
        sub.deliver(Frame("orderbook_delta", 1, 3, DeltaMsg(T, D("101.5"), D("4"), "bid")))
        sub.deliver(Frame("orderbook_delta", 1, 4, DeltaMsg(T, D("102"), D("-3"), "ask")))
        views = [await asyncio.wait_for(feed.__anext__(), 5) for _ in range(4)]
        assert all(isinstance(v, BidAskBookView) and v.available for v in views)
        assert (views[0].best_bid, views[0].best_ask, views[0].mid) == (D("101"), D("102"), D("101.5"))
        assert views[1].ticker == "ETH-PERP" and views[1].best_bid == D("3500.5") and views[1].asks == ()
        assert views[2].bids == (Level(D("101.5"), D("4")), Level(D("101"), D("1")))
        assert views[3].asks == () and views[3].seq == 4 and views[0].best_ask == D("102")
        assert feed.view(T) is views[3]

        # a count going negative: both books unavailable (one view each) and a resubscribe asked for
        sub.deliver(Frame("orderbook_delta", 1, 5, DeltaMsg(T, D("101"), D("-2"), "bid")))
        broken = [await asyncio.wait_for(feed.__anext__(), 5) for _ in range(2)]
        assert sorted(v.ticker for v in broken) == [T, "ETH-PERP"] and not any(v.available for v in broken)
        assert len(resyncs) == 1 and "would go negative" in resyncs[0]
        with pytest.raises(BookUnavailableError):
            _ = feed.view("ETH-PERP").best_bid

        # the resubscribe's fresh snapshot brings the book back; a Resync marker takes every book down again
        sub.deliver(
            Frame("orderbook_snapshot", 2, 1, SnapshotMsg(T, [(D("99"), D("1"))], [(D("100"), D("1"))]))
        )
        assert (await asyncio.wait_for(feed.__anext__(), 5)).spread == D("1")
        sub.deliver(Resync("orderbook_delta", "reconnected"))
        marked = [await asyncio.wait_for(feed.__anext__(), 5) for _ in range(2)]
        assert {v.reason for v in marked} == {"reconnected"} and len(resyncs) == 1

    asyncio.run(main())


def test_a_session_picks_its_book_kind_with_book_feed_class() -> None:
    from kalshi_api.perps.ws import PerpsWsSession
    from kalshi_api.ws import KalshiWsSession

    assert Session.book_feed_class is BookFeed and KalshiWsSession.book_feed_class is BookFeed
    assert PerpsWsSession.book_feed_class is BidAskBookFeed
    # two kinds of one feed: neither is the other (a perps feed never yields trade views)
    assert issubclass(BidAskBookFeed, BookFeedBase) and issubclass(BookFeed, BookFeedBase)
    assert not issubclass(BidAskBookFeed, BookFeed)
