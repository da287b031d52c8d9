"""What the fake exchange remembers: markets, orders, fills, trades and positions (plain mutable records,
guarded by the exchange's lock)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal

from kalshi_api_app.testing.amounts import CENT, ONE, ZERO, round_dollars
from kalshi_api_core.errors import ConfigurationError

Side = Literal["bid", "ask"]  # of the YES book: a bid buys YES at price p, an ask buys NO at 1 - p
Owner = Literal["account", "house"]  # the client's account, or every other trader
MarketStatus = Literal["initialized", "inactive", "active", "closed", "determined", "finalized"]

ACCOUNT_USER_ID = "fake-user"
_STATUSES = ("initialized", "inactive", "active", "closed", "determined", "finalized")


def now() -> datetime:
    return datetime.now(timezone.utc)


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class MarketSpec:
    """A binary market the fake lists and trades. Event and series tickers default to the ticker's leading
    parts (``KXHIGHNY-26NOV22-T60`` -> event ``KXHIGHNY-26NOV22``, series ``KXHIGHNY``)."""

    ticker: str
    event_ticker: str | None = None
    series_ticker: str | None = None
    title: str | None = None
    status: MarketStatus = "active"  # orders are taken only while "active"
    tick_size: Decimal = CENT
    fractional_trading: bool = False
    close_time: datetime | None = None  # default: 30 days after the market is added

    def __post_init__(self) -> None:
        if not isinstance(self.ticker, str) or not self.ticker or any(c in self.ticker for c in " /?#%"):
            raise ConfigurationError(
                f"MarketSpec.ticker must be a ticker such as 'KXHIGHNY-26NOV22-T60', got {self.ticker!r}"
            )
        if self.status not in _STATUSES:
            raise ConfigurationError(
                f"MarketSpec.status must be one of {', '.join(_STATUSES)}, got {self.status!r}"
            )
        tick = self.tick_size
        if not isinstance(tick, Decimal) or not ZERO < tick < ONE or ONE % tick != ZERO:
            raise ConfigurationError(
                f"MarketSpec.tick_size must be a Decimal dividing 1, such as Decimal('0.01'), got {tick!r}"
            )
        if self.close_time is not None and self.close_time.tzinfo is None:
            raise ConfigurationError(f"MarketSpec.close_time must be timezone-aware, got {self.close_time!r}")

    @property
    def event(self) -> str:
        return self.event_ticker or self.ticker.rsplit("-", 1)[0]

    @property
    def series(self) -> str:
        return self.series_ticker or self.event.split("-", 1)[0]


DEFAULT_MARKETS = (
    MarketSpec("KXHIGHNY-26NOV22-T60", title="NYC high temperature above 60°F on Nov 22, 2026"),
    MarketSpec("KXHIGHNY-26NOV22-T65", title="NYC high temperature above 65°F on Nov 22, 2026"),
    MarketSpec("KXHIGHNY-26NOV22-T70", title="NYC high temperature above 70°F on Nov 22, 2026"),
    MarketSpec("KXINX-26NOV22-T6000", title="S&P 500 closes above 6000 on Nov 22, 2026"),
)
"""What a ``FakeKalshi()`` lists unless told otherwise: the README's ticker among them."""


@dataclass
class OrderState:
    order_id: str
    client_order_id: str
    ticker: str
    owner: Owner
    side: Side
    price: Decimal  # the YES price, for bids and asks alike
    initial: Decimal  # contracts the order may fill in all (fills plus what remains)
    remaining: Decimal
    time_in_force: str
    self_trade_prevention: str
    created: datetime
    priority: int  # lower rests ahead of higher at the same price
    expiration: datetime | None = None
    order_group_id: str | None = None
    filled: Decimal = ZERO
    status: Literal["resting", "canceled", "executed"] = "resting"
    updated: datetime | None = None
    taker_cost: Decimal = ZERO  # what the fills as taker cost, in the order's own outcome (YES or NO)
    maker_cost: Decimal = ZERO
    fill_value: Decimal = ZERO  # sum of count x YES price over the fills: for the average fill price

    def unit_cost(self, yes_price: Decimal) -> Decimal:
        """What one contract costs this order at ``yes_price``: a bid buys YES, an ask buys NO."""
        return yes_price if self.side == "bid" else ONE - yes_price

    @property
    def reserved(self) -> Decimal:
        """Collateral a resting order holds back from the balance."""
        return self.remaining * self.unit_cost(self.price) if self.status == "resting" else ZERO

    @property
    def average_price(self) -> Decimal | None:
        return round_dollars(self.fill_value / self.filled) if self.filled else None


@dataclass(frozen=True)
class TradeRecord:
    trade_id: str
    ticker: str
    yes_price: Decimal
    count: Decimal
    taker_side: Side
    created: datetime


@dataclass(frozen=True)
class FillRecord:
    fill_id: str
    trade: TradeRecord
    order_id: str
    client_order_id: str
    side: Side
    is_taker: bool
    post_position: Decimal


@dataclass
class Position:
    """One owner's holding in one market: positive is YES contracts, negative NO."""

    ticker: str
    contracts: Decimal = ZERO
    cost: Decimal = ZERO  # what the contracts held cost: the market exposure
    realized: Decimal = ZERO
    traded: Decimal = ZERO  # total cost of every fill
    volume: Decimal = ZERO  # contracts traded
    updated: datetime = field(default_factory=now)

    def fill(self, buys_yes: bool, unit: Decimal, count: Decimal, moment: datetime) -> Decimal:
        """Book a fill of ``count`` contracts bought at ``unit`` each; returns the change in cash.

        Buying the outcome opposite to the one held closes contracts first: a YES and a NO contract together
        pay out $1, so each closed pair returns $1 and realizes 1 - unit - its share of the cost held."""
        self.traded += unit * count
        self.volume += count
        self.updated = moment
        held = abs(self.contracts)
        opposite = self.contracts < 0 if buys_yes else self.contracts > 0
        closing = min(count, held) if opposite else ZERO
        cash = -unit * count
        if closing:
            share = self.cost if closing == held else round_dollars(self.cost * closing / held)
            self.cost -= share
            self.realized += closing - unit * closing - share
            cash += closing
        self.cost += unit * (count - closing)
        self.contracts += count if buys_yes else -count
        return cash


def legs(side: Side) -> tuple[Literal["buy", "sell"], Literal["yes"], Literal["yes", "no"]]:
    """(action, side, outcome_side) of a YES-book side, as order and fill records spell it: a bid buys YES;
    an ask sells YES, which is buying NO."""
    return ("buy", "yes", "yes") if side == "bid" else ("sell", "yes", "no")


def new_id() -> str:
    return str(uuid.uuid4())


def market_id(ticker: str) -> str:
    """A stable UUID per ticker: the ``market_id`` of WebSocket messages."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kalshi-fake-market:{ticker}"))


def default_close(opened: datetime) -> datetime:
    return opened + timedelta(days=30)
