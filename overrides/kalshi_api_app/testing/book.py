"""One market's order book with price-time priority.

Orders are kept on the YES book: bids (buy YES at p) and asks (sell YES at p, i.e. buy NO at 1 - p). A bid at
p crosses an ask at q <= p; the trade happens at the resting order's price. Kalshi publishes the book as
bids on both outcomes: YES bids are the bids, NO bids at 1 - q are the asks at q.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kalshi_api_app.testing.amounts import ONE, ZERO
from kalshi_api_app.testing.records import OrderState, Side


class Book:
    def __init__(self) -> None:
        self._levels: dict[Side, dict[Decimal, list[OrderState]]] = {"bid": {}, "ask": {}}

    def add(self, order: OrderState) -> None:
        """Rest ``order`` behind everything at its price (its priority number is the newest)."""
        self._levels[order.side].setdefault(order.price, []).append(order)

    def remove(self, order: OrderState) -> None:
        levels = self._levels[order.side]
        queue = levels[order.price]
        queue.remove(order)
        if not queue:
            del levels[order.price]

    def crossing(self, side: Side, price: Decimal) -> Iterator[OrderState]:
        """Resting orders an incoming ``side`` order at ``price`` would trade with, in the order it would:
        best price first, then time. Iterate over a fresh call after changing the book."""
        opposite: Side = "ask" if side == "bid" else "bid"
        levels = self._levels[opposite]
        if side == "bid":
            prices = sorted(p for p in levels if p <= price)
        else:
            prices = sorted((p for p in levels if p >= price), reverse=True)
        for level in prices:
            yield from list(levels[level])

    def best(self, side: Side) -> tuple[Decimal, Decimal] | None:
        """(price, contracts) at the best level of ``side``: the highest bid or the lowest ask."""
        levels = self._levels[side]
        if not levels:
            return None
        price = max(levels) if side == "bid" else min(levels)
        return price, sum((o.remaining for o in levels[price]), ZERO)

    def top(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(YES bid, its size, YES ask, its size) as markets and tickers quote them: an empty side is a bid
        of 0 or an ask of 1, with size 0."""
        bid, ask = self.best("bid"), self.best("ask")
        return (*(bid or (ZERO, ZERO)), *(ask or (ONE, ZERO)))

    def outcome_levels(self) -> dict[str, list[tuple[Decimal, Decimal]]]:
        """The book as Kalshi publishes it: YES bids and NO bids, each (price, contracts), ascending."""
        yes = [(p, sum((o.remaining for o in q), ZERO)) for p, q in self._levels["bid"].items()]
        no = [(ONE - p, sum((o.remaining for o in q), ZERO)) for p, q in self._levels["ask"].items()]
        return {"yes": sorted(yes), "no": sorted(no)}

    def ahead_of(self, order: OrderState) -> Decimal:
        """Contracts resting at the order's price ahead of it: its queue position."""
        queue = self._levels[order.side].get(order.price, [])
        return sum((o.remaining for o in queue if o.priority < order.priority), ZERO)

    def orders(self) -> Iterator[OrderState]:
        for levels in self._levels.values():
            for queue in levels.values():
                yield from queue


def outcome_price(side: Side, price: Decimal) -> tuple[str, Decimal]:
    """Where a resting order shows in the published book: a bid at p is a YES bid at p, an ask at p a NO
    bid at 1 - p."""
    return ("yes", price) if side == "bid" else ("no", ONE - price)
