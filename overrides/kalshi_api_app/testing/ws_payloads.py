"""The fake exchange's state and events as the generated WebSocket message bodies (``msg``)."""

from __future__ import annotations

from decimal import Decimal

from kalshi_api.ws.models import (
    FillPayloadMsg,
    MarketPositionPayloadMsg,
    OrderbookDeltaPayloadMsg,
    OrderbookSnapshotPayloadMsg,
    TickerPayloadMsg,
    TradePayloadMsg,
    UserOrderPayloadMsg,
)
from kalshi_api_app.testing import views
from kalshi_api_app.testing.amounts import ONE, ZERO, count, dollars
from kalshi_api_app.testing.events import BookChanged
from kalshi_api_app.testing.exchange import Exchange, MarketState
from kalshi_api_app.testing.records import (
    ACCOUNT_USER_ID,
    FillRecord,
    OrderState,
    Position,
    TradeRecord,
    legs,
    market_id,
    millis,
    now,
)


def snapshot(state: MarketState) -> OrderbookSnapshotPayloadMsg:
    levels = state.book.outcome_levels()

    def side(name: str) -> list[tuple[Decimal, Decimal]] | None:
        return [(dollars(p), count(c)) for p, c in levels[name]] or None  # an empty side is left out

    ticker = state.spec.ticker
    return OrderbookSnapshotPayloadMsg(
        market_ticker=ticker,
        market_id=market_id(ticker),
        yes_dollars_fp=side("yes"),
        no_dollars_fp=side("no"),
    )


def delta(event: BookChanged) -> OrderbookDeltaPayloadMsg:
    moment = now()
    return OrderbookDeltaPayloadMsg(
        client_order_id=event.client_order_id,
        delta_fp=count(event.delta),
        market_id=market_id(event.ticker),
        market_ticker=event.ticker,
        price_dollars=dollars(event.price),
        side=event.outcome,
        ts=moment,
        ts_ms=millis(moment),
    )


def ticker(exchange: Exchange, state: MarketState) -> TickerPayloadMsg:
    moment = now()
    yes_bid, yes_bid_size, yes_ask, yes_ask_size = state.book.top()
    interest = exchange.open_interest(state.spec.ticker)
    last_trade = next((t.count for t in reversed(exchange.trades) if t.ticker == state.spec.ticker), ZERO)
    return TickerPayloadMsg(
        dollar_open_interest=int(interest),  # each contract's notional is $1
        dollar_volume=int(state.volume),
        last_trade_size_fp=count(last_trade),
        market_id=market_id(state.spec.ticker),
        market_ticker=state.spec.ticker,
        open_interest_fp=count(interest),
        price_dollars=dollars(state.last_price),
        time=moment,
        ts=millis(moment) // 1000,
        ts_ms=millis(moment),
        volume_fp=count(state.volume),
        yes_ask_dollars=dollars(yes_ask),
        yes_ask_size_fp=count(yes_ask_size),
        yes_bid_dollars=dollars(yes_bid),
        yes_bid_size_fp=count(yes_bid_size),
    )


def trade(record: TradeRecord) -> TradePayloadMsg:
    outcome = legs(record.taker_side)[2]
    return TradePayloadMsg(
        count_fp=count(record.count),
        is_block_trade=False,
        market_ticker=record.ticker,
        no_price_dollars=dollars(ONE - record.yes_price),
        taker_book_side=record.taker_side,
        taker_outcome_side=outcome,
        taker_side=outcome,
        trade_id=record.trade_id,
        ts=millis(record.created) // 1000,
        ts_ms=millis(record.created),
        yes_price_dollars=dollars(record.yes_price),
    )


def fill(record: FillRecord) -> FillPayloadMsg:
    return FillPayloadMsg(
        **views.fill_fields(record),
        client_order_id=record.client_order_id,
        exchange_index=0,
        post_position_fp=count(record.post_position),
        purchased_side=legs(record.side)[2],
        subaccount=0,
        ts_ms=millis(record.trade.created),
    )


def user_order(order: OrderState) -> UserOrderPayloadMsg:
    updated = order.updated or order.created
    return UserOrderPayloadMsg(
        **views.order_fields(order),
        created_ts_ms=millis(order.created),
        expiration_ts_ms=millis(order.expiration) if order.expiration else None,
        is_yes=order.side == "bid",
        last_updated_ts_ms=millis(updated),
    )


def market_position(position: Position) -> MarketPositionPayloadMsg:
    return MarketPositionPayloadMsg(
        fees_paid_dollars=dollars(ZERO),
        market_ticker=position.ticker,
        position_cost_dollars=dollars(position.cost),
        position_fee_cost_dollars=dollars(ZERO),
        position_fp=count(position.contracts),
        realized_pnl_dollars=dollars(position.realized),
        subaccount=0,
        user_id=ACCOUNT_USER_ID,
        volume_fp=count(position.volume),
    )
