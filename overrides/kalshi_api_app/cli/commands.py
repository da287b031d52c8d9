"""The REST commands: each calls the SDK and says what to print (``output.Result``).

Listings page automatically through the SDK's ``*_all`` iterators: ``--limit`` caps the rows (and the page
size, so no more is fetched than shown), ``--max-pages`` the requests, ``--page-size`` overrides the size.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kalshi_api_app.cli.output import Column, Result, fields, table, wire
from kalshi_api_app.cli.progress import collect
from kalshi_api_app.orders import place_order
from kalshi_api_core.resources import build_params

if TYPE_CHECKING:
    from kalshi_api.client import KalshiClient

# What a command does with the client: a Result to print, or None when it printed as it went (stream).
Command = Callable[["KalshiClient", argparse.Namespace], "Result | None"]

# Kalshi's usual default page size: a --limit below it asks for no more than that many rows.
DEFAULT_PAGE_SIZE = 100

MARKET_COLUMNS = (
    Column("TICKER", "ticker"),
    Column("STATUS", "status"),
    Column("YES_BID", "yes_bid_dollars"),
    Column("YES_ASK", "yes_ask_dollars"),
    Column("LAST", "last_price_dollars"),
    Column("VOLUME", "volume_fp"),
    Column("CLOSES", "close_time"),
    Column("TITLE", "title"),
)
EVENT_COLUMNS = (
    Column("EVENT_TICKER", "event_ticker"),
    Column("SERIES_TICKER", "series_ticker"),
    Column("CATEGORY", "category"),
    Column("TITLE", "title"),
)
SERIES_COLUMNS = (
    Column("TICKER", "ticker"),
    Column("CATEGORY", "category"),
    Column("FREQUENCY", "frequency"),
    Column("TITLE", "title"),
)
ORDER_COLUMNS = (
    Column("ORDER_ID", "order_id"),
    Column("TICKER", "ticker"),
    Column("SIDE", "book_side"),
    Column("PRICE", "yes_price_dollars"),
    Column("COUNT", "initial_count_fp"),
    Column("FILLED", "fill_count_fp"),
    Column("REMAINING", "remaining_count_fp"),
    Column("STATUS", "status"),
)
FILL_COLUMNS = (
    Column("TRADE_ID", "trade_id"),
    Column("TICKER", "ticker"),
    Column("SIDE", "book_side"),
    Column("PRICE", "yes_price_dollars"),
    Column("COUNT", "count_fp"),
    Column("TAKER", "is_taker"),
    Column("FEE", "fee_cost"),
    Column("CREATED", "created_time"),
)
POSITION_COLUMNS = (
    Column("TICKER", "ticker"),
    Column("POSITION", "position_fp"),
    Column("EXPOSURE", "market_exposure_dollars"),
    Column("REALIZED_PNL", "realized_pnl_dollars"),
    Column("FEES", "fees_paid_dollars"),
    Column("RESTING", "resting_orders_count"),
)
LEVEL_COLUMNS = (Column("SIDE", "side"), Column("PRICE", "price"), Column("COUNT", "count"))


def _paging(args: argparse.Namespace) -> dict[str, Any]:
    """The SDK's page size and page cap from --page-size, --limit and --max-pages."""
    size = args.page_size
    if size is None and args.limit is not None:
        size = min(args.limit, DEFAULT_PAGE_SIZE)
    return {"limit": size, "max_pages": args.max_pages}


def _listing(items: Iterable[Any], label: str, columns: tuple[Column, ...], limit: int | None) -> Result:
    rows = collect(items, label, limit)
    return Result(rows, [table(columns, rows)])


def status(client: KalshiClient, args: argparse.Namespace) -> Result:
    found = client.exchange.status()
    return Result(found, [fields(found)])


def markets_list(client: KalshiClient, args: argparse.Namespace) -> Result:
    items = client.markets.list_all(
        status=args.status, event_ticker=args.event_ticker, series_ticker=args.series_ticker, **_paging(args)
    )
    return _listing(items, "markets", MARKET_COLUMNS, args.limit)


def markets_get(client: KalshiClient, args: argparse.Namespace) -> Result:
    found = client.markets.get(args.ticker)
    return Result(found, [fields(found)])


def orderbook(client: KalshiClient, args: argparse.Namespace) -> Result:
    book = client.markets.orderbook(args.ticker, depth=args.depth)
    levels = wire(book)  # [[price, count], ...] per side, ascending, as on the wire
    rows = [
        {"side": side, "price": price, "count": count}
        for side in ("yes", "no")
        for price, count in reversed(levels[f"{side}_dollars"])  # best (highest) bid first
    ]
    return Result(book, [table(LEVEL_COLUMNS, rows)])


def series_list(client: KalshiClient, args: argparse.Namespace) -> Result:
    # GET /series has no cursor: one request, cut to --limit here.
    found = client.markets.list_series(category=args.category).series[: args.limit]
    return Result(found, [table(SERIES_COLUMNS, found)])


def series_get(client: KalshiClient, args: argparse.Namespace) -> Result:
    found = client.markets.get_series(args.ticker)
    return Result(found, [fields(found)])


def events_list(client: KalshiClient, args: argparse.Namespace) -> Result:
    items = client.events.list_all(status=args.status, series_ticker=args.series_ticker, **_paging(args))
    return _listing(items, "events", EVENT_COLUMNS, args.limit)


def events_get(client: KalshiClient, args: argparse.Namespace) -> Result:
    found = client.events.get(args.ticker)
    event = {k: v for k, v in wire(found.event).items() if k != "markets"}  # listed below
    return Result(found, [fields(event), table(MARKET_COLUMNS, found.markets)])


def balance(client: KalshiClient, args: argparse.Namespace) -> Result:
    found = client.portfolio.balance()
    return Result(found, [fields(found)])


def positions(client: KalshiClient, args: argparse.Namespace) -> Result:
    items = client.portfolio.positions_all(
        ticker=args.ticker, event_ticker=args.event_ticker, **_paging(args)
    )
    return _listing(items, "positions", POSITION_COLUMNS, args.limit)


def fills(client: KalshiClient, args: argparse.Namespace) -> Result:
    items = client.portfolio.fills_all(ticker=args.ticker, order_id=args.order_id, **_paging(args))
    return _listing(items, "fills", FILL_COLUMNS, args.limit)


def orders_list(client: KalshiClient, args: argparse.Namespace) -> Result:
    items = client.orders.list_all(
        ticker=args.ticker, event_ticker=args.event_ticker, status=args.status, **_paging(args)
    )
    return _listing(items, "orders", ORDER_COLUMNS, args.limit)


def orders_create(client: KalshiClient, args: argparse.Namespace) -> Result:
    """Validate the whole order first, then place it exactly once: an uncertain failure (timeout, lost
    connection) is reconciled by looking the ``client_order_id`` up before anything is sent again."""
    from kalshi_api.models import CreateOrderV2Request

    request = build_params(
        CreateOrderV2Request,
        ticker=args.ticker,
        side=args.side,
        price=args.price,
        count=args.count,
        time_in_force=args.time_in_force,
        self_trade_prevention_type=args.self_trade_prevention_type,
        post_only=args.post_only,
        reduce_only=args.reduce_only,
        client_order_id=args.client_order_id,
    )
    placed = place_order(client, request)
    # The id this command sent: the answer (or the order found after an uncertain failure) may omit it.
    shown = {**wire(placed.result), "client_order_id": placed.client_order_id}
    return Result(shown, [fields(shown)])


def orders_cancel(client: KalshiClient, args: argparse.Namespace) -> Result:
    cancelled = client.orders.cancel_v2(args.order_id)
    return Result(cancelled, [fields(cancelled)])
