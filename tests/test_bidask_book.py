"""The perps exchange's two-sided local book: both sides arrive (no side is derived from the other), prices
are any finite amount, and anything that doesn't fit makes the book unavailable until the next snapshot."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kalshi_api_core.ws.bidask_book import BidAskOrderBook, BidAskOrderBookManager
from kalshi_api_core.ws.book import BookInconsistentError, BookNotFoundError, BookUnavailableError, Level

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
