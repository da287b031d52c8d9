"""Local order books: quotes derived from both sides' bids, exact Decimals, no stale prices after a gap."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalshi_api_core.errors import KalshiError
from kalshi_api_core.ws.book import (
    BookInconsistentError,
    BookNotFoundError,
    BookUnavailableError,
    BookView,
    Level,
    OrderBook,
    OrderBookManager,
)

D = Decimal
Side = Literal["yes", "no"]
TICKER = "FED-23DEC-T3.00"


def levels(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(count)) for price, count in pairs]


def fresh_book(seq: int | None = 2) -> OrderBook:
    """The spec's example snapshot; its levels arrive worst first."""
    book = OrderBook(TICKER)
    book.apply_snapshot(
        levels(("0.0800", "300.00"), ("0.2200", "333.00")),
        levels(("0.5400", "20.00"), ("0.5600", "146.00")),
        seq,
    )
    return book


def test_snapshot_quotes_both_sides_with_asks_from_the_opposite_bids() -> None:
    view = fresh_book().view()
    assert view.available and view.seq == 2 and view.ticker == TICKER
    assert view.yes_bids == (Level(D("0.22"), D("333")), Level(D("0.08"), D("300")))
    assert view.no_bids == (Level(D("0.56"), D("146")), Level(D("0.54"), D("20")))
    assert view.best_yes_bid == D("0.22")
    assert view.best_yes_ask == D("0.44")  # 1 - best NO bid 0.56
    assert view.best_no_bid == D("0.56")
    assert view.best_no_ask == D("0.78")  # 1 - best YES bid 0.22
    assert view.yes_spread == D("0.22")
    assert view.no_spread == D("0.22")
    assert view.depth("yes", 1) == (Level(D("0.22"), D("333")),)
    assert view.depth("no") == view.no_bids
    assert view.depth("no", 0) == ()
    assert view.depth("yes", 10) == view.yes_bids
    assert view.volume("yes") == D("633")
    assert view.volume("no") == D("166")


def test_deltas_change_remove_and_add_levels() -> None:
    book = fresh_book()
    view = book.apply_delta("yes", D("0.2200"), D("-333.00"), 3)  # the best YES level empties
    assert view.yes_bids == (Level(D("0.08"), D("300")),)
    assert view.best_yes_bid == D("0.08")
    assert view.best_no_ask == D("0.92")

    view = book.apply_delta("yes", D("0.3000"), D("10.00"), 4)  # a new best level
    assert view.yes_bids == (Level(D("0.30"), D("10")), Level(D("0.08"), D("300")))
    assert view.yes_spread == D("0.14")

    view = book.apply_delta("no", D("0.5600"), D("-46.00"), 5)
    assert view.no_bids[0] == Level(D("0.56"), D("100"))
    view = book.apply_delta("no", D("0.5600"), D("-100.00"), 6)
    assert view.best_no_bid == D("0.54")
    assert view.best_yes_ask == D("0.46")
    assert view.seq == 6


def test_arithmetic_stays_exact() -> None:
    book = OrderBook(TICKER)
    book.apply_snapshot(levels(("0.1", "0.1")), levels(("0.7", "1")), 1)
    view = book.apply_delta("yes", D("0.1"), D("0.2"), 2)
    assert view.yes_bids[0].count == D("0.3")  # as a float, 0.1 + 0.2 != 0.3
    view = book.apply_delta("yes", D("0.2"), D("0.01"), 3)
    assert view.best_yes_bid == D("0.2")
    assert view.yes_spread == D("0.1")  # (1 - 0.7) - 0.2
    assert str(OrderBook(TICKER).apply_snapshot([], levels(("0.5600", "1.00")), 1).best_yes_ask) == "0.4400"
    # A delta that undoes another at the same price restores exactly, so the level can reach 0 and vanish.
    book.apply_delta("yes", D("0.2"), D("0.02"), 4)
    assert book.apply_delta("yes", D("0.2"), D("-0.03"), 5).yes_bids == (Level(D("0.1"), D("0.3")),)


@pytest.mark.parametrize(
    ("yes", "no"),
    [(None, None), ([], []), (None, levels(("0.5", "1"))), (levels(("0.5", "1")), None)],
)
def test_an_empty_side_has_no_quotes_on_it(
    yes: list[tuple[Decimal, Decimal]] | None, no: list[tuple[Decimal, Decimal]] | None
) -> None:
    view = OrderBook(TICKER).apply_snapshot(yes, no, 1)
    assert view.available
    assert (view.best_yes_bid is None) == (not yes)
    assert (view.best_no_ask is None) == (not yes)
    assert (view.best_no_bid is None) == (not no)
    assert (view.best_yes_ask is None) == (not no)
    assert view.yes_spread is None and view.no_spread is None  # a spread needs both sides
    if not yes:
        assert view.depth("yes") == () and view.volume("yes") == 0


def test_snapshot_drops_zero_levels_and_refuses_duplicate_prices() -> None:
    book = OrderBook(TICKER)
    view = book.apply_snapshot(levels(("0.10", "0.00"), ("0.20", "5")), None, 1)
    assert view.yes_bids == (Level(D("0.20"), D("5")),)
    # 0.5 and 0.50 are one price: a corrupt message, so no guess at which count is right.
    with pytest.raises(BookInconsistentError, match="twice"):
        book.apply_snapshot(None, levels(("0.5", "1"), ("0.50", "2")), 2)
    assert not book.view().available
    assert book.apply_snapshot(levels(("0.3", "1")), None, 3).yes_bids == (Level(D("0.3"), D("1")),)


def _delta_before_snapshot(book: OrderBook) -> None:
    book.apply_delta("yes", D("0.5"), D("1"), 1)


def _seq_gap(book: OrderBook) -> None:
    book.apply_snapshot(None, None, 4)
    book.apply_delta("yes", D("0.5"), D("1"), 5)
    book.apply_delta("yes", D("0.5"), D("1"), 7)


def _repeated_seq(book: OrderBook) -> None:
    book.apply_snapshot(None, None, 4)
    book.apply_delta("yes", D("0.5"), D("1"), 5)
    book.apply_delta("yes", D("0.5"), D("1"), 5)


def _negative_count(book: OrderBook) -> None:
    book.apply_snapshot(levels(("0.5", "1")), None, 1)
    book.apply_delta("yes", D("0.5"), D("-1.01"), 2)


def _negative_new_level(book: OrderBook) -> None:
    book.apply_snapshot(levels(("0.5", "1")), None, 1)
    book.apply_delta("no", D("0.5"), D("-1"), 2)


def _bad_side(book: OrderBook) -> None:
    book.apply_snapshot(None, None, 1)
    book.apply_delta("maybe", D("0.5"), D("1"), 2)


def _price_above_one(book: OrderBook) -> None:
    book.apply_snapshot(None, None, 1)
    book.apply_delta("yes", D("1.01"), D("1"), 2)


def _price_below_zero(book: OrderBook) -> None:
    book.apply_snapshot(None, levels(("-0.01", "1")), 1)


def _nan_delta(book: OrderBook) -> None:
    book.apply_snapshot(None, None, 1)
    book.apply_delta("no", D("0.5"), D("NaN"), 2)


@pytest.mark.parametrize(
    ("break_book", "reason"),
    [
        (_delta_before_snapshot, "no snapshot received yet"),
        (_seq_gap, "seq 7 after 5: expected 6"),
        (_repeated_seq, "seq 5 after 5: expected 6"),
        (_negative_count, "would go negative"),
        (_negative_new_level, "would go negative"),
        (_bad_side, "side must be"),
        (_price_above_one, r"price must be a Decimal in \[0, 1\]"),
        (_price_below_zero, r"price must be a Decimal in \[0, 1\]"),
        (_nan_delta, "finite"),
    ],
)
def test_an_inconsistency_makes_the_book_unavailable_until_a_snapshot(
    break_book: Callable[[OrderBook], None], reason: str
) -> None:
    book = OrderBook(TICKER)
    with pytest.raises(BookInconsistentError, match=reason) as caught:
        break_book(book)
    assert isinstance(caught.value, KalshiError) and caught.value.ticker == TICKER

    view = book.view()
    assert not view.available
    assert view.yes_bids == () and view.no_bids == ()  # nothing stale to read
    for read in (
        lambda: view.best_yes_bid,
        lambda: view.best_yes_ask,
        lambda: view.best_no_bid,
        lambda: view.best_no_ask,
        lambda: view.yes_spread,
        lambda: view.no_spread,
        lambda: view.depth("yes"),
        lambda: view.volume("no"),
    ):
        with pytest.raises(BookUnavailableError, match=reason) as unavailable:
            read()
        assert TICKER in str(unavailable.value)

    # Further deltas can't apply either, and keep naming the first problem.
    with pytest.raises(BookInconsistentError, match=reason):
        book.apply_delta("yes", D("0.5"), D("1"), None)

    view = book.apply_snapshot(levels(("0.40", "7")), levels(("0.30", "2")), 10)
    assert view == BookView(TICKER, 10, True, (Level(D("0.40"), D("7")),), (Level(D("0.30"), D("2")),))
    assert book.apply_delta("yes", D("0.40"), D("1"), 11).best_yes_bid == D("0.40")


def test_invalidate_hides_levels_until_the_next_snapshot() -> None:
    book = fresh_book()
    book.invalidate("websocket reconnected")
    with pytest.raises(BookUnavailableError, match="websocket reconnected"):
        _ = book.view().best_yes_bid
    assert book.view().reason == "websocket reconnected" and book.view().seq == 2
    assert book.apply_snapshot(None, levels(("0.1", "1")), 1).no_bids == (Level(D("0.1"), D("1")),)


def test_unknown_seqs_are_not_checked() -> None:
    book = fresh_book(seq=None)
    assert book.apply_delta("yes", D("0.5"), D("1"), 7).seq == 7
    assert book.apply_delta("yes", D("0.5"), D("1"), None).seq is None
    assert book.apply_delta("yes", D("0.5"), D("1"), 3).seq == 3


def test_a_shared_subscription_only_needs_increasing_seqs() -> None:
    book = fresh_book(seq=2)
    assert book.apply_delta("yes", D("0.5"), D("1"), 5, contiguous=False).seq == 5
    with pytest.raises(BookInconsistentError, match="must increase"):
        book.apply_delta("yes", D("0.5"), D("1"), 5, contiguous=False)


def test_views_are_immutable_values() -> None:
    book = fresh_book()
    before = book.view()
    assert book.view() is before  # cached until the next change
    copy = BookView(before.ticker, before.seq, before.available, before.yes_bids, before.no_bids)
    book.apply_delta("yes", D("0.22"), D("-333"), 3)
    book.apply_delta("no", D("0.60"), D("5"), 4)
    after = book.view()
    assert before == copy and hash(before) == hash(copy)
    assert before.best_yes_bid == D("0.22") and before.best_no_bid == D("0.56")
    assert after != before and after.best_yes_bid == D("0.08") and after.best_no_bid == D("0.60")
    assert after.yes_bids is not before.yes_bids
    with pytest.raises(AttributeError):
        before.seq = 9  # type: ignore[misc]
    with pytest.raises(AttributeError):
        before.yes_bids = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.yes_bids[0].count = D(0)  # type: ignore[misc]


def test_generated_payload_fields_pass_straight_through() -> None:
    # Imported here: the book itself never depends on generated code, and only this test should.
    from kalshi_api.ws.models import OrderbookDeltaPayload, OrderbookSnapshotPayload

    snapshot = OrderbookSnapshotPayload.model_validate_json(
        '{"type": "orderbook_snapshot", "sid": 2, "seq": 2, "msg": {"market_ticker": "FED-23DEC-T3.00",'
        ' "market_id": "9b0f6b43", "yes_dollars_fp": [["0.0800", "300.00"], ["0.2200", "333.00"]]}}'
    )
    delta = OrderbookDeltaPayload.model_validate_json(
        '{"type": "orderbook_delta", "sid": 2, "seq": 3, "msg": {"market_ticker": "FED-23DEC-T3.00",'
        ' "market_id": "9b0f6b43", "price_dollars": "0.960", "delta_fp": "54.00", "side": "yes"}}'
    )
    books = OrderBookManager()
    msg = snapshot.msg
    books.apply_snapshot(msg.market_ticker, msg.yes_dollars_fp, msg.no_dollars_fp, snapshot.seq)
    d = delta.msg
    view = books.apply_delta(d.market_ticker, d.side, d.price_dollars, d.delta_fp, delta.seq)
    assert view.best_yes_bid == D("0.96") and view.best_no_ask == D("0.04") and view.best_yes_ask is None


def test_manager_keeps_markets_apart() -> None:
    books = OrderBookManager()
    books.apply_snapshot("B", levels(("0.4", "1")), None, 1)
    books.apply_snapshot("A", None, levels(("0.3", "2")), 1)
    books.apply_delta("A", "no", D("0.3"), D("1"), 2)
    assert books.tickers() == ["A", "B"]
    assert books.view("A").no_bids == (Level(D("0.3"), D("3")),)
    assert books.view("B").yes_bids == (Level(D("0.4"), D("1")),)

    with pytest.raises(BookInconsistentError, match="would go negative"):
        books.apply_delta("B", "yes", D("0.4"), D("-2"), 2)
    assert not books.view("B").available and books.view("A").available

    books.invalidate("A", "resubscribing")
    books.invalidate("never-seen", "no book: nothing to do")
    assert not books.view("A").available and books.view("A").reason == "resubscribing"

    books.apply_snapshot("A", None, None, 5)
    books.apply_snapshot("B", None, None, 5)
    books.invalidate(None, "reconnected")
    assert [books.view(t).reason for t in books.tickers()] == ["reconnected", "reconnected"]


def test_manager_unknown_tickers() -> None:
    books = OrderBookManager()
    with pytest.raises(BookInconsistentError, match="awaiting a snapshot"):
        books.apply_delta("X", "yes", D("0.5"), D("1"), 1)
    with pytest.raises(BookNotFoundError, match="no order book for 'X'") as caught:
        books.view("X")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, KalshiError)
    assert books.tickers() == []


# A coarse price grid so random deltas often land on existing levels; counts are 2-decimal fixed point.
PRICES = st.integers(0, 40).map(lambda n: D(n) / 40)
COUNTS = st.integers(0, 10**6).map(lambda cents: D(cents).scaleb(-2))
SNAPSHOT_SIDE = st.none() | st.lists(st.tuples(PRICES, COUNTS), unique_by=lambda level: level[0], max_size=12)


def _assert_matches(view: BookView, model: dict[Side, dict[Decimal, Decimal]]) -> None:
    """Compare against a naive recomputation from plain dicts."""
    assert view.available
    sides: tuple[tuple[Side, tuple[Level, ...]], ...] = (("yes", view.yes_bids), ("no", view.no_bids))
    for side, bids in sides:
        expected = sorted(model[side].items(), reverse=True)
        assert [(level.price, level.count) for level in bids] == expected
        assert view.volume(side) == sum(model[side].values(), D(0))
        assert view.depth(side, 3) == bids[:3]
    yes = max(model["yes"], default=None)
    no = max(model["no"], default=None)
    assert view.best_yes_bid == yes
    assert view.best_no_bid == no
    assert view.best_yes_ask == (None if no is None else 1 - no)
    assert view.best_no_ask == (None if yes is None else 1 - yes)
    spread = None if yes is None or no is None else (1 - no) - yes
    assert view.yes_spread == spread
    assert view.no_spread == spread


@given(yes=SNAPSHOT_SIDE, no=SNAPSHOT_SIDE, data=st.data())
def test_book_matches_a_naive_model_after_every_delta(
    yes: list[tuple[Decimal, Decimal]] | None, no: list[tuple[Decimal, Decimal]] | None, data: st.DataObject
) -> None:
    model: dict[Side, dict[Decimal, Decimal]] = {
        "yes": {price: count for price, count in yes or () if count},
        "no": {price: count for price, count in no or () if count},
    }
    book = OrderBook(TICKER)
    history = [(book.apply_snapshot(yes, no, 1), {side: dict(model[side]) for side in model})]
    _assert_matches(history[0][0], model)

    for seq in range(2, data.draw(st.integers(2, 40), label="messages")):
        side: Side = data.draw(st.sampled_from(["yes", "no"]), label="side")
        known = sorted(model[side])
        price = data.draw(st.sampled_from(known) | PRICES if known else PRICES, label="price")
        current = model[side].get(price, D(0))
        # Any change that keeps the count >= 0, including removing the whole level.
        cents = data.draw(st.integers(-int(current.scaleb(2)), 10**5), label="delta cents")
        delta = D(cents).scaleb(-2)
        view = book.apply_delta(side, price, delta, seq)

        if current + delta:
            model[side][price] = current + delta
        else:
            model[side].pop(price, None)
        assert view.seq == seq
        _assert_matches(view, model)
        history.append((view, {s: dict(model[s]) for s in model}))

    # Every earlier view still shows the book as it was then.
    for old_view, old_model in history:
        _assert_matches(old_view, old_model)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["yes", "no"]),
            st.integers(min_value=1, max_value=8),
            st.integers(min_value=-3, max_value=3),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_every_view_keeps_its_moment_whenever_it_is_first_read(
    steps: list[tuple[Side, int, int, bool]],
) -> None:
    """Views sort their levels only when read; one read long after later deltas still shows its own moment,
    and reading some views early (so sides are shared between views) changes nothing."""
    book = OrderBook(TICKER)
    truth: dict[Side, dict[Decimal, Decimal]] = {"yes": {D("0.05"): D(5)}, "no": {}}
    kept: list[tuple[BookView, dict[Side, dict[Decimal, Decimal]]]] = []
    book.apply_snapshot(list(truth["yes"].items()), None, 0)
    for seq, (side, tick, delta, read_now) in enumerate(steps, start=1):
        price = D(tick) / 10
        if truth[side].get(price, D(0)) + delta < 0:
            delta = 0
        view = book.apply_delta(side, price, D(delta), seq)
        new = truth[side].get(price, D(0)) + delta
        truth[side] = {p: c for p, c in {**truth[side], price: new}.items() if c}
        if read_now:
            _ = view.best_yes_bid, view.no_bids
        kept.append((view, {"yes": dict(truth["yes"]), "no": dict(truth["no"])}))
    for seq, (view, moment) in enumerate(kept, start=1):
        assert view.seq == seq
        for side, bids in (("yes", view.yes_bids), ("no", view.no_bids)):
            assert [(level.price, level.count) for level in bids] == sorted(
                moment[side].items(), reverse=True
            )
        assert view.best_yes_bid == max(moment["yes"], default=None)
        assert view.best_no_ask == (None if not moment["yes"] else 1 - max(moment["yes"]))
