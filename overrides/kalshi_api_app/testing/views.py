"""The fake exchange's state as the generated REST models Kalshi answers with."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from kalshi_api.models import (
    EventData,
    EventPosition,
    Fill,
    Market,
    MarketPosition,
    Order,
    OrderbookCountFp,
    PriceRange,
    Series,
    Trade,
)
from kalshi_api_app.testing.amounts import ONE, ZERO, count, dollars
from kalshi_api_app.testing.exchange import Exchange, MarketState
from kalshi_api_app.testing.records import (
    ACCOUNT_USER_ID,
    FillRecord,
    OrderState,
    Position,
    TradeRecord,
    legs,
    millis,
)

CATEGORY = "Testing"
_STRUCTURES = {Decimal("0.01"): "linear_cent", Decimal("0.001"): "deci_cent"}


def market(exchange: Exchange, state: MarketState) -> Market:
    spec, book = state.spec, state.book
    yes_bid, yes_bid_size, yes_ask, yes_ask_size = book.top()
    title = spec.title or spec.ticker
    return Market(
        can_close_early=False,
        close_time=state.close_time,
        created_time=state.created,
        event_ticker=spec.event,
        exchange_index=0,
        expiration_value="",
        fractional_trading_enabled=spec.fractional_trading,
        last_price_dollars=dollars(state.last_price),
        latest_expiration_time=state.close_time,
        liquidity_dollars=dollars(sum((o.reserved for o in book.orders()), ZERO)),
        market_type="binary",
        no_ask_dollars=dollars(ONE - yes_bid),
        no_bid_dollars=dollars(ONE - yes_ask),
        no_sub_title=title,
        notional_value_dollars=dollars(ONE),
        open_interest_fp=count(exchange.open_interest(spec.ticker)),
        open_time=state.created,
        previous_price_dollars=dollars(ZERO),
        previous_yes_ask_dollars=dollars(ZERO),
        previous_yes_bid_dollars=dollars(ZERO),
        price_level_structure=_STRUCTURES.get(spec.tick_size, "custom"),
        price_ranges=[PriceRange(start="0.0000", end="1.0000", step=str(dollars(spec.tick_size)))],
        result="",
        rules_primary=f"Resolves YES if: {title}.",
        rules_secondary="",
        settlement_timer_seconds=0,
        status=spec.status,
        ticker=spec.ticker,
        title=title,
        updated_time=state.updated,
        volume_24h_fp=count(state.volume),
        volume_fp=count(state.volume),
        yes_ask_dollars=dollars(yes_ask),
        yes_ask_size_fp=count(yes_ask_size),
        yes_bid_dollars=dollars(yes_bid),
        yes_bid_size_fp=count(yes_bid_size),
        yes_sub_title=title,
    )


def event(exchange: Exchange, event_ticker: str, nested: bool) -> EventData:
    states = [m for m in exchange.markets.values() if m.spec.event == event_ticker]
    first = states[0].spec
    return EventData(
        available_on_brokers=False,
        category=CATEGORY,
        collateral_return_type="",
        event_ticker=event_ticker,
        exchange_index=0,
        markets=[market(exchange, m) for m in states] if nested else None,
        mutually_exclusive=False,
        series_ticker=first.series,
        settlement_sources=[],
        sub_title=event_ticker,
        title=event_ticker,
    )


def series(series_ticker: str) -> Series:
    return Series(
        additional_prohibitions=[],
        category=CATEGORY,
        contract_terms_url="",
        contract_url="",
        fee_multiplier=0.0,
        fee_type="flat",
        frequency="daily",
        settlement_sources=[],
        tags=[],
        ticker=series_ticker,
        title=series_ticker,
    )


def order_fields(state: OrderState) -> dict[str, Any]:
    """What REST's ``Order`` and the WebSocket's ``user_order`` both say about an order."""
    _, side, outcome = legs(state.side)
    return {
        "book_side": state.side,
        "client_order_id": state.client_order_id,
        "created_time": state.created,
        "expiration_time": state.expiration,
        "fill_count_fp": count(state.filled),
        "initial_count_fp": count(state.initial),
        "last_update_time": state.updated or state.created,
        "maker_fees_dollars": dollars(ZERO),
        "maker_fill_cost_dollars": dollars(state.maker_cost),
        "order_group_id": state.order_group_id,
        "order_id": state.order_id,
        "outcome_side": outcome,
        "remaining_count_fp": count(state.remaining),
        "self_trade_prevention_type": state.self_trade_prevention,
        "side": side,
        "status": state.status,
        "subaccount_number": 0,
        "taker_fees_dollars": dollars(ZERO),
        "taker_fill_cost_dollars": dollars(state.taker_cost),
        "ticker": state.ticker,
        "user_id": ACCOUNT_USER_ID,
        "yes_price_dollars": dollars(state.price),
    }


def order(state: OrderState) -> Order:
    return Order(
        **order_fields(state),
        action=legs(state.side)[0],
        exchange_index=0,
        no_price_dollars=dollars(ONE - state.price),
        type_="limit",
    )


def fill_fields(record: FillRecord) -> dict[str, Any]:
    """What REST's ``Fill`` and the WebSocket's ``fill`` both say about a fill."""
    action, side, outcome = legs(record.side)
    trade = record.trade
    return {
        "action": action,
        "book_side": record.side,
        "count_fp": count(trade.count),
        "fee_cost": dollars(ZERO),
        "is_taker": record.is_taker,
        "market_ticker": trade.ticker,
        "order_id": record.order_id,
        "outcome_side": outcome,
        "side": side,
        "trade_id": trade.trade_id,
        "ts": millis(trade.created) // 1000,
        "yes_price_dollars": dollars(trade.yes_price),
    }


def fill(record: FillRecord) -> Fill:
    trade = record.trade
    return Fill(
        **fill_fields(record),
        created_time=trade.created,
        fill_id=record.fill_id,
        no_price_dollars=dollars(ONE - trade.yes_price),
        subaccount_number=0,
        ticker=trade.ticker,
    )


def trade(record: TradeRecord) -> Trade:
    return Trade(
        count_fp=count(record.count),
        created_time=record.created,
        is_block_trade=False,
        no_price_dollars=dollars(ONE - record.yes_price),
        taker_book_side=record.taker_side,
        taker_outcome_side=legs(record.taker_side)[2],
        taker_side=legs(record.taker_side)[2],
        ticker=record.ticker,
        trade_id=record.trade_id,
        yes_price_dollars=dollars(record.yes_price),
    )


def position(exchange: Exchange, state: Position) -> MarketPosition:
    resting = sum(
        1
        for o in exchange.orders.values()
        if o.owner == "account" and o.status == "resting" and o.ticker == state.ticker
    )
    return MarketPosition(
        fees_paid_dollars=dollars(ZERO),
        last_updated_ts=state.updated,
        market_exposure_dollars=dollars(state.cost),
        position_fp=count(state.contracts),
        realized_pnl_dollars=dollars(state.realized),
        resting_orders_count=resting,
        ticker=state.ticker,
        total_traded_dollars=dollars(state.traded),
    )


def event_positions(exchange: Exchange, positions: Iterable[Position]) -> list[EventPosition]:
    by_event: dict[str, list[Position]] = {}
    for state in positions:
        by_event.setdefault(exchange.market(state.ticker).spec.event, []).append(state)
    return [
        EventPosition(
            event_exposure_dollars=dollars(sum((p.cost for p in group), ZERO)),
            event_ticker=event_ticker,
            fees_paid_dollars=dollars(ZERO),
            realized_pnl_dollars=dollars(sum((p.realized for p in group), ZERO)),
            total_cost_dollars=dollars(sum((p.traded for p in group), ZERO)),
            total_cost_shares_fp=count(sum((abs(p.contracts) for p in group), ZERO)),
        )
        for event_ticker, group in by_event.items()
    ]


def orderbook(state: MarketState, depth: int) -> OrderbookCountFp:
    """Both outcomes' bids, ascending by price; ``depth`` > 0 keeps that many best (highest) levels."""
    levels = state.book.outcome_levels()

    def cut(side: list[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
        kept = side[-depth:] if depth > 0 else side
        return [(dollars(price), count(size)) for price, size in kept]

    return OrderbookCountFp(yes_dollars=cut(levels["yes"]), no_dollars=cut(levels["no"]))
