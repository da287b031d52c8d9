"""What changed in one exchange operation, in order: the WebSocket streams are built from these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kalshi_api_app.testing.records import FillRecord, OrderState, TradeRecord


@dataclass(frozen=True)
class BookChanged:
    """Contracts added (delta > 0) or taken away at one level of the published book."""

    ticker: str
    outcome: str  # "yes" or "no"
    price: Decimal  # the outcome's price
    delta: Decimal
    client_order_id: str | None  # the account's order that caused it, if any


@dataclass(frozen=True)
class Traded:
    trade: TradeRecord


@dataclass(frozen=True)
class Filled:
    """A fill of one of the account's orders."""

    fill: FillRecord


@dataclass(frozen=True)
class OrderChanged:
    """One of the account's orders as it stands after a change (a copy: later changes don't touch it)."""

    order: OrderState


@dataclass(frozen=True)
class PositionChanged:
    ticker: str


@dataclass(frozen=True)
class MarketChanged:
    """The market's top of book, last price or volume may have moved."""

    ticker: str


Event = BookChanged | Traded | Filled | OrderChanged | PositionChanged | MarketChanged
