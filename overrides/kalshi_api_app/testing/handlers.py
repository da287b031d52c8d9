"""What the fake answers per operation: the stateful ones from the exchange, every other one a sample of
its response model (``answer``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from kalshi_api.models import (
    AmendOrderV2Params,
    AmendOrderV2Request,
    AmendOrderV2Response,
    BatchCancelOrdersV2Request,
    BatchCancelOrdersV2Response,
    BatchCancelOrdersV2ResponseOrdersItem,
    BatchCreateOrdersV2Request,
    BatchCreateOrdersV2Response,
    BatchCreateOrdersV2ResponseOrdersItem,
    BucketLimit,
    CancelOrderV2Params,
    CancelOrderV2Response,
    CreateOrderV2Request,
    CreateOrderV2Response,
    DecreaseOrderV2Params,
    DecreaseOrderV2Request,
    DecreaseOrderV2Response,
    EndpointTokenCost,
    ErrorResponse,
    GetAccountApiLimitsResponse,
    GetAccountEndpointCostsResponse,
    GetBalanceResponse,
    GetEventParams,
    GetEventResponse,
    GetEventsParams,
    GetEventsResponse,
    GetFillsParams,
    GetFillsResponse,
    GetMarketOrderbookParams,
    GetMarketOrderbookResponse,
    GetMarketOrderbooksParams,
    GetMarketOrderbooksResponse,
    GetMarketParams,
    GetMarketResponse,
    GetMarketsParams,
    GetMarketsResponse,
    GetOrderParams,
    GetOrderQueuePositionParams,
    GetOrderQueuePositionResponse,
    GetOrderQueuePositionsParams,
    GetOrderQueuePositionsResponse,
    GetOrderResponse,
    GetOrdersParams,
    GetOrdersResponse,
    GetPortfolioRestingOrderTotalValueResponse,
    GetPositionsParams,
    GetPositionsResponse,
    GetSeriesListResponse,
    GetSeriesParams,
    GetSeriesResponse,
    GetTradesParams,
    GetTradesResponse,
    MarketOrderbookFp,
    OrderQueuePosition,
)
from kalshi_api_app.testing import views
from kalshi_api_app.testing.amounts import ZERO, cents, count, dollars
from kalshi_api_app.testing.exchange import Exchange
from kalshi_api_app.testing.limits import RateLimits
from kalshi_api_app.testing.problems import ApiProblem, bad_request, not_found
from kalshi_api_app.testing.records import OrderState, millis, now
from kalshi_api_app.testing.routes import Request, Route
from kalshi_api_app.testing.samples import sample

T = TypeVar("T")
# Kalshi's GetMarkets status filter -> the market statuses it selects.
_MARKET_STATUSES = {
    "unopened": {"initialized"},
    "open": {"active"},
    "paused": {"inactive"},
    "closed": {"closed"},
    "settled": {"determined", "finalized"},
}


@dataclass(frozen=True)
class Context:
    exchange: Exchange
    limits: RateLimits  # what GetAccountApiLimits/GetAccountEndpointCosts report
    routes: Sequence[Route]


Answer = BaseModel | dict[str, Any] | None
Handler = Callable[[Context, Request], Answer]


def answer(context: Context, request: Request) -> Answer:
    """The response of a request: from the exchange's state where the fake keeps it, else a sample."""
    handler = HANDLERS.get(request.operation_id)
    if handler is not None:
        with context.exchange.operation():  # expires orders that are due before answering
            return handler(context, request)
    target = request.route.operation.response_type
    if isinstance(target, type) and issubclass(target, BaseModel):
        cursor = request.route.operation.page_cursor
        return sample(target, {cursor: ""} if cursor else None)  # one page: no next cursor
    return {} if target is not None else None


# --- paging and filters --------------------------------------------------------------------------------


def _page(items: Sequence[T], limit: int | None, cursor: str | None) -> tuple[list[T], str]:
    """One page and the cursor of the next ("" after the last). Cursors are offsets into the listing."""
    start = 0
    if cursor:
        if not cursor.isdigit():
            raise bad_request(f"cursor {cursor!r} is not one this exchange issued", "invalid_cursor")
        start = int(cursor)
    size = limit or 100
    end = start + size
    return list(items[start:end]), str(end) if end < len(items) else ""


def _split(value: str | None) -> set[str] | None:
    return None if value is None else {part for part in value.split(",") if part}


def _within(moment: datetime, low: int | None, high: int | None) -> bool:
    seconds = moment.timestamp()
    return (low is None or seconds >= low) and (high is None or seconds <= high)


# --- markets, events, series -----------------------------------------------------------------------------


def get_markets(context: Context, request: Request) -> GetMarketsResponse:
    p = request.params_as(GetMarketsParams)
    exchange = context.exchange
    tickers = _split(p.tickers)
    statuses = _MARKET_STATUSES[p.status] if p.status else None
    selected = [
        m
        for m in exchange.markets.values()
        if (tickers is None or m.spec.ticker in tickers)
        and (p.event_ticker is None or m.spec.event in p.event_ticker.split(","))
        and (p.series_ticker is None or m.spec.series == p.series_ticker)
        and (statuses is None or m.spec.status in statuses)
        and _within(m.close_time, p.min_close_ts, p.max_close_ts)
        and _within(m.created, p.min_created_ts, p.max_created_ts)
        and _within(m.updated, p.min_updated_ts, None)
    ]
    page, cursor = _page(selected, p.limit, p.cursor)
    return GetMarketsResponse(cursor=cursor, markets=[views.market(exchange, m) for m in page])


def get_market(context: Context, request: Request) -> GetMarketResponse:
    ticker = request.params_as(GetMarketParams).ticker
    return GetMarketResponse(market=views.market(context.exchange, context.exchange.market(ticker)))


def get_orderbook(context: Context, request: Request) -> GetMarketOrderbookResponse:
    p = request.params_as(GetMarketOrderbookParams)
    return GetMarketOrderbookResponse(
        orderbook_fp=views.orderbook(context.exchange.market(p.ticker), p.depth)
    )


def get_orderbooks(context: Context, request: Request) -> GetMarketOrderbooksResponse:
    tickers = request.params_as(GetMarketOrderbooksParams).tickers
    books = [
        MarketOrderbookFp(ticker=t, orderbook_fp=views.orderbook(context.exchange.market(t), 0))
        for t in tickers
    ]
    return GetMarketOrderbooksResponse(orderbooks=books)


def get_trades(context: Context, request: Request) -> GetTradesResponse:
    p = request.params_as(GetTradesParams)
    trades = [
        t
        for t in reversed(context.exchange.trades)
        if (p.ticker is None or t.ticker == p.ticker) and _within(t.created, p.min_ts, p.max_ts)
    ]
    page, cursor = _page(trades, p.limit, p.cursor)
    return GetTradesResponse(cursor=cursor, trades=[views.trade(t) for t in page])


def _event_tickers(context: Context) -> list[str]:
    return list(dict.fromkeys(m.spec.event for m in context.exchange.markets.values()))


def get_events(context: Context, request: Request) -> GetEventsResponse:
    p = request.params_as(GetEventsParams)
    exchange = context.exchange
    statuses = _MARKET_STATUSES[p.status] if p.status else None
    wanted = _split(p.tickers)

    def selected(event_ticker: str) -> bool:
        markets = [m for m in exchange.markets.values() if m.spec.event == event_ticker]
        return (
            (wanted is None or event_ticker in wanted)
            and (p.series_ticker is None or markets[0].spec.series == p.series_ticker)
            and (statuses is None or any(m.spec.status in statuses for m in markets))
        )

    page, cursor = _page([e for e in _event_tickers(context) if selected(e)], p.limit, p.cursor)
    events = [views.event(exchange, e, p.with_nested_markets) for e in page]
    return GetEventsResponse(cursor=cursor, events=events)


def get_event(context: Context, request: Request) -> GetEventResponse:
    p = request.params_as(GetEventParams)
    exchange = context.exchange
    if p.event_ticker not in _event_tickers(context):
        raise not_found(f"event {p.event_ticker!r} not found", "event_not_found")
    markets = [views.market(exchange, m) for m in exchange.markets.values() if m.spec.event == p.event_ticker]
    return GetEventResponse(
        event=views.event(exchange, p.event_ticker, p.with_nested_markets), markets=markets
    )


def _series_tickers(context: Context) -> list[str]:
    return list(dict.fromkeys(m.spec.series for m in context.exchange.markets.values()))


def get_series_list(context: Context, request: Request) -> GetSeriesListResponse:
    return GetSeriesListResponse(series=[views.series(s) for s in _series_tickers(context)])


def get_series(context: Context, request: Request) -> GetSeriesResponse:
    ticker = request.params_as(GetSeriesParams).series_ticker
    if ticker not in _series_tickers(context):
        raise not_found(f"series {ticker!r} not found", "series_not_found")
    return GetSeriesResponse(series=views.series(ticker))


# --- order writes --------------------------------------------------------------------------------------


def _outcome(order: OrderState) -> dict[str, Any]:
    """The fields the create and amend responses share."""
    average = order.average_price
    return {
        "average_fee_paid": dollars(ZERO) if order.filled else None,  # the fake charges no fees
        "average_fill_price": None if average is None else dollars(average),
        "client_order_id": order.client_order_id,
        "fill_count": count(order.filled),
        "order_id": order.order_id,
        "remaining_count": count(order.remaining),
        "ts_ms": millis(now()),
    }


def create_order(context: Context, request: Request) -> CreateOrderV2Response:
    order = context.exchange.create("account", request.body_as(CreateOrderV2Request))
    return CreateOrderV2Response(**_outcome(order))


def _error(problem: ApiProblem) -> ErrorResponse:
    return ErrorResponse(code=problem.code, message=problem.message, service="fake-kalshi")


def batch_create(context: Context, request: Request) -> BatchCreateOrdersV2Response:
    orders = request.body_as(BatchCreateOrdersV2Request).orders
    items = [
        BatchCreateOrdersV2ResponseOrdersItem(client_order_id=given.client_order_id, error=_error(result))
        if isinstance(result, ApiProblem)
        else BatchCreateOrdersV2ResponseOrdersItem(**_outcome(result))
        for given, result in zip(orders, context.exchange.create_batch(orders), strict=True)
    ]
    return BatchCreateOrdersV2Response(orders=items)


def amend_order(context: Context, request: Request) -> AmendOrderV2Response:
    order_id = request.params_as(AmendOrderV2Params).order_id
    order = context.exchange.amend(order_id, request.body_as(AmendOrderV2Request))
    return AmendOrderV2Response(**_outcome(order))


def decrease_order(context: Context, request: Request) -> DecreaseOrderV2Response:
    order_id = request.params_as(DecreaseOrderV2Params).order_id
    body = request.body_as(DecreaseOrderV2Request)
    order = context.exchange.decrease(order_id, body.reduce_by, body.reduce_to)
    return DecreaseOrderV2Response(
        client_order_id=order.client_order_id,
        order_id=order.order_id,
        remaining_count=count(order.remaining),
        ts_ms=millis(now()),
    )


def cancel_order(context: Context, request: Request) -> CancelOrderV2Response:
    order, reduced = context.exchange.cancel(request.params_as(CancelOrderV2Params).order_id)
    return CancelOrderV2Response(
        client_order_id=order.client_order_id,
        order_id=order.order_id,
        reduced_by=count(reduced),
        ts_ms=millis(now()),
    )


def batch_cancel(context: Context, request: Request) -> BatchCancelOrdersV2Response:
    order_ids = [item.order_id for item in request.body_as(BatchCancelOrdersV2Request).orders]
    items = []
    stamp = millis(now())
    for order_id, result in zip(order_ids, context.exchange.cancel_batch(order_ids), strict=True):
        if isinstance(result, ApiProblem):
            items.append(
                BatchCancelOrdersV2ResponseOrdersItem(
                    order_id=order_id, reduced_by=count(ZERO), error=_error(result)
                )
            )
            continue
        order, reduced = result
        items.append(
            BatchCancelOrdersV2ResponseOrdersItem(
                client_order_id=order.client_order_id,
                order_id=order_id,
                reduced_by=count(reduced),
                ts_ms=stamp,
            )
        )
    return BatchCancelOrdersV2Response(orders=items)


# --- portfolio -----------------------------------------------------------------------------------------


def get_orders(context: Context, request: Request) -> GetOrdersResponse:
    p = request.params_as(GetOrdersParams)
    exchange = context.exchange
    statuses = _split(p.status)
    orders = [
        o
        for o in reversed(exchange.orders.values())
        if o.owner == "account"
        and (p.ticker is None or o.ticker == p.ticker)
        and (p.event_ticker is None or exchange.market(o.ticker).spec.event == p.event_ticker)
        and (statuses is None or o.status in statuses)
        and _within(o.created, p.min_ts, p.max_ts)
    ]
    page, cursor = _page(orders, p.limit, p.cursor)
    return GetOrdersResponse(cursor=cursor, orders=[views.order(o) for o in page])


def get_order(context: Context, request: Request) -> GetOrderResponse:
    order_id = request.params_as(GetOrderParams).order_id
    return GetOrderResponse(order=views.order(context.exchange.account_order(order_id)))


def _queue_position(exchange: Exchange, order: OrderState) -> Decimal:
    return exchange.market(order.ticker).book.ahead_of(order) if order.status == "resting" else ZERO


def get_queue_position(context: Context, request: Request) -> GetOrderQueuePositionResponse:
    exchange = context.exchange
    order = exchange.account_order(request.params_as(GetOrderQueuePositionParams).order_id)
    return GetOrderQueuePositionResponse(queue_position_fp=count(_queue_position(exchange, order)))


def get_queue_positions(context: Context, request: Request) -> GetOrderQueuePositionsResponse:
    p = request.params_as(GetOrderQueuePositionsParams)
    exchange = context.exchange
    tickers = _split(p.market_tickers)
    positions = [
        OrderQueuePosition(
            market_ticker=o.ticker, order_id=o.order_id, queue_position_fp=count(_queue_position(exchange, o))
        )
        for o in exchange.orders.values()
        if o.owner == "account"
        and o.status == "resting"
        and (tickers is None or o.ticker in tickers)
        and (p.event_ticker is None or exchange.market(o.ticker).spec.event == p.event_ticker)
    ]
    return GetOrderQueuePositionsResponse(queue_positions=positions)


def get_fills(context: Context, request: Request) -> GetFillsResponse:
    p = request.params_as(GetFillsParams)
    fills = [
        f
        for f in reversed(context.exchange.fills)
        if (p.ticker is None or f.trade.ticker == p.ticker)
        and (p.order_id is None or f.order_id == p.order_id)
        and _within(f.trade.created, p.min_ts, p.max_ts)
    ]
    page, cursor = _page(fills, p.limit, p.cursor)
    return GetFillsResponse(cursor=cursor, fills=[views.fill(f) for f in page])


def get_positions(context: Context, request: Request) -> GetPositionsResponse:
    p = request.params_as(GetPositionsParams)
    exchange = context.exchange
    filters = _split(p.count_filter) or set()
    unknown = filters - {"position", "total_traded"}
    if unknown:
        raise bad_request(
            f"count_filter {p.count_filter!r}: use position and/or total_traded", "invalid_parameters"
        )
    positions = [
        s
        for s in exchange.positions()
        if (p.ticker is None or s.ticker == p.ticker)
        and (p.event_ticker is None or exchange.market(s.ticker).spec.event == p.event_ticker)
        and (
            not filters or ("position" in filters and s.contracts) or ("total_traded" in filters and s.traded)
        )
    ]
    page, cursor = _page(positions, p.limit, p.cursor)
    return GetPositionsResponse(
        cursor=cursor,
        market_positions=[views.position(exchange, s) for s in page],
        event_positions=views.event_positions(exchange, page),
    )


def _portfolio_value(exchange: Exchange) -> Decimal:
    """The account's positions valued at each market's last traded price."""
    total = ZERO
    for state in exchange.positions():
        last = exchange.market(state.ticker).last_price
        total += state.contracts * last if state.contracts > 0 else -state.contracts * (1 - last)
    return total


def get_balance(context: Context, request: Request) -> GetBalanceResponse:
    exchange = context.exchange
    available = exchange.available
    return GetBalanceResponse(
        balance=cents(available),
        balance_dollars=dollars(available),
        portfolio_value=cents(_portfolio_value(exchange)),
        updated_ts=millis(now()) // 1000,
    )


def get_resting_value(context: Context, request: Request) -> GetPortfolioRestingOrderTotalValueResponse:
    return GetPortfolioRestingOrderTotalValueResponse(
        total_resting_order_value=cents(context.exchange.reserved)
    )


# --- account -------------------------------------------------------------------------------------------


def get_limits(context: Context, request: Request) -> GetAccountApiLimitsResponse:
    limits = context.limits
    read, write = limits.read_bucket, limits.write_bucket
    return GetAccountApiLimitsResponse(
        grants=[],
        read=BucketLimit(bucket_capacity=int(read.capacity), refill_rate=int(read.refill_rate)),
        usage_tier=limits.usage_tier,
        write=BucketLimit(bucket_capacity=int(write.capacity), refill_rate=int(write.refill_rate)),
    )


def get_endpoint_costs(context: Context, request: Request) -> GetAccountEndpointCostsResponse:
    """The fake's whole cost table, as Kalshi reports it: a default, and every endpoint that differs."""
    limits = context.limits
    cost = {r.operation.operation_id: limits.cost(r.operation) for r in context.routes}
    default = limits.default_cost
    if default is None:  # each operation's documented cost: the commonest is the default
        default = Counter(cost.values()).most_common(1)[0][0]
    costs = [
        EndpointTokenCost(
            cost=cost[r.operation.operation_id], method=r.operation.method, path=r.operation.path
        )
        for r in context.routes
        if cost[r.operation.operation_id] != default
    ]
    return GetAccountEndpointCostsResponse(default_cost=default, endpoint_costs=costs)


HANDLERS: dict[str, Handler] = {
    "GetMarkets": get_markets,
    "GetMarket": get_market,
    "GetMarketOrderbook": get_orderbook,
    "GetMarketOrderbooks": get_orderbooks,
    "GetTrades": get_trades,
    "GetEvents": get_events,
    "GetEvent": get_event,
    "GetSeriesList": get_series_list,
    "GetSeries": get_series,
    "CreateOrderV2": create_order,
    "BatchCreateOrdersV2": batch_create,
    "AmendOrderV2": amend_order,
    "DecreaseOrderV2": decrease_order,
    "CancelOrderV2": cancel_order,
    "BatchCancelOrdersV2": batch_cancel,
    "GetOrders": get_orders,
    "GetOrder": get_order,
    "GetOrderQueuePosition": get_queue_position,
    "GetOrderQueuePositions": get_queue_positions,
    "GetFills": get_fills,
    "GetPositions": get_positions,
    "GetBalance": get_balance,
    "GetPortfolioRestingOrderTotalValue": get_resting_value,
    "GetAccountApiLimits": get_limits,
    "GetAccountEndpointCosts": get_endpoint_costs,
}
"""Operations answered from the exchange's state."""
