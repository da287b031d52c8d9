"""The fake exchange's state and matching engine.

Orders cross at price-time priority and trade at the resting order's price. One account (the client's) has
a balance, positions and orders with idempotent ``client_order_id``s; every other trader is "the house",
whose orders (``seed_order``) provide liquidity without a balance. Every operation holds one lock and ends
by handing what changed (``events``) to the listeners, which build the WebSocket streams from it.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal

from kalshi_api.models import AmendOrderV2Request, CreateOrderV2Request
from kalshi_api_app.testing.amounts import ONE, ZERO
from kalshi_api_app.testing.book import Book, outcome_price
from kalshi_api_app.testing.events import (
    BookChanged,
    Event,
    Filled,
    MarketChanged,
    OrderChanged,
    PositionChanged,
    Traded,
)
from kalshi_api_app.testing.problems import ApiProblem, bad_request, conflict, not_found
from kalshi_api_app.testing.records import (
    FillRecord,
    MarketSpec,
    OrderState,
    Owner,
    Position,
    TradeRecord,
    default_close,
    new_id,
    now,
)
from kalshi_api_core.errors import ConfigurationError

Listener = Callable[[Sequence[Event]], None]
GTC = "good_till_canceled"
FOK = "fill_or_kill"


@dataclass
class MarketState:
    spec: MarketSpec
    book: Book
    created: datetime
    updated: datetime
    last_price: Decimal = ZERO
    volume: Decimal = ZERO

    @property
    def close_time(self) -> datetime:
        return self.spec.close_time or default_close(self.created)


class Exchange:
    def __init__(self, markets: Iterable[MarketSpec], balance: Decimal) -> None:
        self.lock = threading.RLock()
        self.markets: dict[str, MarketState] = {}
        self.orders: dict[str, OrderState] = {}  # every order, the house's too
        self.fills: list[FillRecord] = []  # the account's, oldest first
        self.trades: list[TradeRecord] = []
        self.cash = balance
        self._client_ids: dict[str, str] = {}  # the account's client_order_ids, ever used -> order_id
        self._positions: dict[tuple[Owner, str], Position] = {}
        self._listeners: list[Listener] = []
        self._priority = itertools.count()
        for spec in markets:
            self.add_market(spec)

    def listen(self, listener: Listener) -> None:
        with self.lock:
            self._listeners.append(listener)

    @contextlib.contextmanager
    def operation(self) -> Iterator[list[Event]]:
        """Hold the lock for one operation; its events reach the listeners when it ends (even by an error),
        while the lock is still held, so streams see operations in the order they happened."""
        with self.lock:
            events: list[Event] = []
            try:
                self._expire(events)
                yield events
            finally:
                if events:
                    for listener in self._listeners:
                        listener(events)

    # --- markets -------------------------------------------------------------------------------------

    def add_market(self, spec: MarketSpec) -> MarketState:
        with self.lock:
            if spec.ticker in self.markets:
                raise ConfigurationError(f"market {spec.ticker!r} already exists")
            moment = now()
            state = MarketState(spec, Book(), moment, moment)
            self.markets[spec.ticker] = state
            return state

    def market(self, ticker: str) -> MarketState:
        state = self.markets.get(ticker)
        if state is None:
            raise not_found(f"market {ticker!r} not found", "market_not_found")
        return state

    def open_interest(self, ticker: str) -> Decimal:
        """Contracts outstanding: every YES contract held has a NO contract held against it."""
        return sum(
            (p.contracts for (_, t), p in self._positions.items() if t == ticker and p.contracts > 0), ZERO
        )

    # --- the account ---------------------------------------------------------------------------------

    @property
    def reserved(self) -> Decimal:
        """Collateral held by the account's resting orders."""
        return sum((o.reserved for o in self.orders.values() if o.owner == "account"), ZERO)

    @property
    def available(self) -> Decimal:
        return self.cash - self.reserved

    def positions(self) -> list[Position]:
        return [p for (owner, _), p in self._positions.items() if owner == "account"]

    def position(self, ticker: str, owner: Owner = "account") -> Position:
        return self._positions.setdefault((owner, ticker), Position(ticker))

    def account_order(self, order_id: str) -> OrderState:
        order = self.orders.get(order_id)
        if order is None or order.owner != "account":
            raise not_found(f"order {order_id!r} not found", "order_not_found")
        return order

    def resting_order(self, order_id: str) -> OrderState:
        order = self.account_order(order_id)
        if order.status != "resting":
            raise bad_request(f"order {order_id!r} is {order.status}, not resting", "order_not_resting")
        return order

    # --- order writes --------------------------------------------------------------------------------

    def create(self, owner: Owner, request: CreateOrderV2Request) -> OrderState:
        with self.operation() as events:
            return self._create(owner, request, events)

    def create_batch(self, requests: Sequence[CreateOrderV2Request]) -> list[OrderState | ApiProblem]:
        results: list[OrderState | ApiProblem] = []
        with self.operation() as events:
            for request in requests:
                try:
                    results.append(self._create("account", request, events))
                except ApiProblem as problem:
                    results.append(problem)
        return results

    def amend(self, order_id: str, request: AmendOrderV2Request) -> OrderState:
        with self.operation() as events:
            order = self.resting_order(order_id)
            market = self.market(order.ticker)
            if request.ticker != order.ticker or request.side != order.side:
                raise bad_request(
                    f"order {order_id!r} is a {order.side} on {order.ticker}, not a {request.side} on "
                    f"{request.ticker}",
                    "invalid_order",
                )
            if request.client_order_id is not None and request.client_order_id != order.client_order_id:
                raise bad_request(
                    f"client_order_id {request.client_order_id!r} is not order {order_id!r}'s",
                    "invalid_order",
                )
            _check_price(market, request.price)
            _check_count(market, request.count)
            remaining = request.count - order.filled
            if remaining <= 0:
                raise bad_request(
                    f"count {request.count} must exceed the {order.filled} contracts already filled",
                    "invalid_count",
                )
            self._check_balance(remaining * order.unit_cost(request.price) - order.reserved)
            new_id_ = request.updated_client_order_id
            if new_id_ is not None and new_id_ != order.client_order_id:
                self._claim_client_id(new_id_, order.order_id)
                order.client_order_id = new_id_
            order.initial = request.count
            if request.price == order.price and remaining <= order.remaining:
                self._reduce_resting(order, order.remaining - remaining, events)  # keeps its place in line
            else:
                self._unrest(order, events)
                order.price, order.remaining = request.price, remaining
                order.priority = next(self._priority)
                self._execute_and_rest(order, events)
            order.updated = now()
            events.append(OrderChanged(replace(order)))
            return order

    def decrease(self, order_id: str, reduce_by: Decimal | None, reduce_to: Decimal | None) -> OrderState:
        with self.operation() as events:
            order = self.resting_order(order_id)
            if (reduce_by is None) == (reduce_to is None):
                raise bad_request("give exactly one of reduce_by and reduce_to", "invalid_parameters")
            if reduce_by is not None and reduce_by <= 0:
                raise bad_request(f"reduce_by must be positive, got {reduce_by}", "invalid_count")
            if reduce_to is not None and reduce_to < 0:
                raise bad_request(f"reduce_to must not be negative, got {reduce_to}", "invalid_count")
            target = order.remaining - reduce_by if reduce_by is not None else reduce_to
            assert target is not None
            if target > order.remaining:
                raise bad_request(
                    f"reduce_to {target} exceeds the {order.remaining} contracts remaining", "invalid_count"
                )
            self._reduce_resting(order, order.remaining - max(target, ZERO), events)
            order.updated = now()
            events.append(OrderChanged(replace(order)))
            return order

    def cancel(self, order_id: str) -> tuple[OrderState, Decimal]:
        """Cancel a resting order of the account's; returns it and the contracts taken off the book."""
        with self.operation() as events:
            return self._cancel_account(order_id, events)

    def cancel_batch(self, order_ids: Sequence[str]) -> list[tuple[OrderState, Decimal] | ApiProblem]:
        results: list[tuple[OrderState, Decimal] | ApiProblem] = []
        with self.operation() as events:
            for order_id in order_ids:
                try:
                    results.append(self._cancel_account(order_id, events))
                except ApiProblem as problem:
                    results.append(problem)
        return results

    # --- internals -----------------------------------------------------------------------------------

    def _cancel_account(self, order_id: str, events: list[Event]) -> tuple[OrderState, Decimal]:
        order = self.resting_order(order_id)
        reduced = order.remaining
        self._cancel(order, events)
        return order, reduced

    def _create(self, owner: Owner, request: CreateOrderV2Request, events: list[Event]) -> OrderState:
        market = self.market(request.ticker)
        if market.spec.status != "active":
            raise bad_request(f"market {request.ticker!r} is {market.spec.status}, not open", "market_closed")
        _check_price(market, request.price)
        _check_count(market, request.count)
        moment = now()
        expiration = None
        if request.expiration_time is not None:
            try:
                expiration = datetime.fromtimestamp(request.expiration_time, timezone.utc)
            except (OverflowError, OSError, ValueError):
                expiration = moment  # not a date at all: refused below
            if expiration <= moment:
                raise bad_request(
                    f"expiration_time {request.expiration_time} must be a future time in Unix seconds",
                    "invalid_expiration",
                )
        order = OrderState(
            order_id=new_id(),
            client_order_id=request.client_order_id or new_id(),
            ticker=request.ticker,
            owner=owner,
            side=request.side,
            price=request.price,
            initial=request.count,
            remaining=request.count,
            time_in_force=request.time_in_force,
            self_trade_prevention=request.self_trade_prevention_type,
            created=moment,
            updated=moment,
            priority=next(self._priority),
            expiration=expiration,
            order_group_id=request.order_group_id,
        )
        if owner == "account":
            self._check_client_id(order.client_order_id)  # a duplicate is a conflict before anything else
            if request.reduce_only:
                self._check_reduce_only(order)
            self._check_balance(order.reserved)
        if request.post_only and next(market.book.crossing(order.side, order.price), None) is not None:
            raise bad_request(f"post-only order at {order.price} would cross the book", "post_only_cross")
        if owner == "account":
            self._claim_client_id(order.client_order_id, order.order_id)
        self.orders[order.order_id] = order
        if order.time_in_force == FOK and self._fillable(order) < order.remaining:
            order.status, order.remaining = "canceled", ZERO  # killed whole: nothing traded
        else:
            self._execute_and_rest(order, events)
        if owner == "account":
            events.append(OrderChanged(replace(order)))
        return order

    def _execute_and_rest(self, order: OrderState, events: list[Event]) -> None:
        """Trade ``order`` against the book, then rest what is left (GTC) or cancel it."""
        book = self.market(order.ticker).book
        stopped = False
        while order.remaining > 0:
            maker = next(book.crossing(order.side, order.price), None)
            if maker is None:
                break
            if maker.owner == order.owner == "account":
                if order.self_trade_prevention == "maker":
                    self._cancel(maker, events)  # the resting order goes; matching carries on
                    continue
                stopped = True  # taker_at_cross: the incoming order ends where it would meet its own
                break
            self._trade(order, maker, events)
        if order.remaining == 0:
            order.status = "executed"
        elif order.time_in_force == GTC and not stopped:
            order.status = "resting"
            book.add(order)
            events.append(self._book_change(order, order.remaining))
            events.append(MarketChanged(order.ticker))
        else:
            order.status, order.remaining = "canceled", ZERO

    def _fillable(self, order: OrderState) -> Decimal:
        """Contracts ``order`` could trade right now, within self-trade prevention."""
        total = ZERO
        for maker in self.market(order.ticker).book.crossing(order.side, order.price):
            if maker.owner == order.owner == "account":
                if order.self_trade_prevention == "maker":
                    continue
                break
            total += maker.remaining
        return total

    def _trade(self, taker: OrderState, maker: OrderState, events: list[Event]) -> None:
        market = self.market(taker.ticker)
        count = min(taker.remaining, maker.remaining)
        moment = now()
        trade = TradeRecord(new_id(), taker.ticker, maker.price, count, taker.side, moment)
        self.trades.append(trade)
        if maker.remaining == count:
            market.book.remove(maker)
        events.append(self._book_change(maker, -count))
        for order, is_taker in ((taker, True), (maker, False)):
            unit = order.unit_cost(trade.yes_price)
            order.remaining -= count
            order.filled += count
            order.fill_value += count * trade.yes_price
            order.updated = moment
            if is_taker:
                order.taker_cost += unit * count
            else:
                order.maker_cost += unit * count
            if order.remaining == 0:
                order.status = "executed"
            position = self.position(order.ticker, order.owner)
            cash = position.fill(order.side == "bid", unit, count, moment)
            if order.owner == "account":
                self.cash += cash
                fill = FillRecord(
                    new_id(), trade, order.order_id, order.client_order_id, order.side, is_taker,
                    position.contracts,
                )  # fmt: skip
                self.fills.append(fill)
                events += [Filled(fill), PositionChanged(order.ticker)]
                if not is_taker:
                    events.append(OrderChanged(replace(order)))
        market.last_price = trade.yes_price
        market.volume += count
        market.updated = moment
        events += [Traded(trade), MarketChanged(taker.ticker)]

    def _cancel(self, order: OrderState, events: list[Event]) -> None:
        self._unrest(order, events)
        order.status, order.remaining, order.updated = "canceled", ZERO, now()
        if order.owner == "account":
            events.append(OrderChanged(replace(order)))

    def _unrest(self, order: OrderState, events: list[Event]) -> None:
        """Take a resting order off the book (its fields stay as they are)."""
        self.market(order.ticker).book.remove(order)
        events.append(self._book_change(order, -order.remaining))
        events.append(MarketChanged(order.ticker))

    def _reduce_resting(self, order: OrderState, by: Decimal, events: list[Event]) -> None:
        if by <= 0:
            return
        if by >= order.remaining:
            self._cancel(order, events)
            return
        order.remaining -= by
        events.append(self._book_change(order, -by))
        events.append(MarketChanged(order.ticker))

    def _book_change(self, order: OrderState, delta: Decimal) -> BookChanged:
        outcome, price = outcome_price(order.side, order.price)
        client_order_id = order.client_order_id if order.owner == "account" else None
        return BookChanged(order.ticker, outcome, price, delta, client_order_id)

    def _expire(self, events: list[Event]) -> None:
        moment = now()
        due = [
            o
            for o in self.orders.values()
            if o.status == "resting" and o.expiration and o.expiration <= moment
        ]
        for order in due:
            self._cancel(order, events)

    def _check_balance(self, cost: Decimal) -> None:
        if cost > self.available:
            raise bad_request(
                f"the order needs ${cost} but ${self.available} is available", "insufficient_balance"
            )

    def _check_reduce_only(self, order: OrderState) -> None:
        held = self.position(order.ticker).contracts
        reducible = -held if order.side == "bid" else held
        if order.remaining > max(reducible, ZERO):
            raise bad_request(
                f"reduce-only {order.side} of {order.remaining} would grow the position of {held}",
                "reduce_only",
            )

    def _check_client_id(self, client_order_id: str) -> None:
        if client_order_id in self._client_ids:
            raise conflict(
                f"an order with client_order_id {client_order_id!r} already exists", "order_already_exists"
            )

    def _claim_client_id(self, client_order_id: str, order_id: str) -> None:
        self._check_client_id(client_order_id)
        self._client_ids[client_order_id] = order_id


def _check_price(market: MarketState, price: Decimal) -> None:
    tick = market.spec.tick_size
    if not ZERO < price < ONE or price % tick != 0:
        raise bad_request(
            f"price {price} must be between 0 and 1 (exclusive) in steps of {tick}", "invalid_price"
        )


def _check_count(market: MarketState, value: Decimal) -> None:
    whole = value == value.to_integral_value()
    if value <= 0 or not (whole or market.spec.fractional_trading):
        kind = "positive" if market.spec.fractional_trading else "a positive whole number"
        raise bad_request(f"count {value} must be {kind} of contracts", "invalid_count")
