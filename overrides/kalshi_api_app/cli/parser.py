"""The command line's grammar: global options, commands and their options (argparse).

Global options work before or after the command (``kalshi-api --json status`` and ``kalshi-api status
--json``): each command repeats them with a suppressed default, so only what was typed overrides the top
level's value.
"""

from __future__ import annotations

import argparse
from typing import Any

from kalshi_api_app.cli import arguments, commands, stream
from kalshi_api_core.config import ENVIRONMENTS

DESCRIPTION = "Kalshi's trading API from the command line (the kalshi-api SDK)."
EPILOG = (
    "Credentials come from KALSHI_KEY_ID with KALSHI_PRIVATE_KEY_PATH or KALSHI_PRIVATE_KEY (and "
    "KALSHI_PRIVATE_KEY_PASSPHRASE); KALSHI_ENV picks the environment unless --env or --demo does. "
    "--fake needs neither: it runs against an in-process fake exchange."
)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON (Decimals as strings)"
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--env", choices=sorted(ENVIRONMENTS), default=default(None), help="Kalshi environment"
    )
    where.add_argument(
        "--demo", dest="env", action="store_const", const="demo", default=default(None), help="--env demo"
    )
    group.add_argument(
        "--fake", action="store_true", default=default(False), help="use an in-process fake exchange"
    )
    group.add_argument(
        "--base-url", default=default(None), metavar="URL", help="REST API root URL (with --ws-url)"
    )
    group.add_argument(
        "--ws-url", default=default(None), metavar="URL", help="WebSocket API URL (with --base-url)"
    )


class _Commands:
    """Adds leaf commands under a subparsers action, each with the global options and its handler."""

    def __init__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self.subparsers = subparsers

    def add(self, name: str, handler: commands.Command, help_text: str) -> argparse.ArgumentParser:
        leaf = self.subparsers.add_parser(name, help=help_text, description=help_text)
        _global_options(leaf, suppress=True)
        leaf.set_defaults(command=handler, command_parser=leaf)
        return leaf

    def group(self, name: str, help_text: str) -> _Commands:
        parent = self.subparsers.add_parser(name, help=help_text, description=help_text)
        return _Commands(parent.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True))

    def listing(self, name: str, handler: commands.Command, help_text: str, *filters: str) -> None:
        """An auto-paged listing: its filter options (each an SDK parameter) and the paging options."""
        leaf = self.add(name, handler, help_text)
        for option in filters:
            leaf.add_argument(option)
        paging = leaf.add_argument_group("paging")
        paging.add_argument("--limit", type=arguments.positive_int, help="show at most N rows", metavar="N")
        paging.add_argument("--page-size", type=arguments.positive_int, help="rows per request", metavar="N")
        paging.add_argument(
            "--max-pages", type=arguments.positive_int, help="at most N requests", metavar="N"
        )

    def lookup(self, name: str, handler: commands.Command, help_text: str, key: str = "ticker") -> None:
        """A command that shows one object, named by its ticker or id."""
        self.add(name, handler, help_text).add_argument(key, metavar=key.upper())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kalshi-api", description=DESCRIPTION, epilog=EPILOG)
    _global_options(parser, suppress=False)
    top = _Commands(parser.add_subparsers(dest="command_name", metavar="COMMAND", required=True))

    top.add("status", commands.status, "exchange status")

    markets = top.group("markets", "markets")
    markets.listing(
        "list", commands.markets_list, "list markets", "--status", "--event-ticker", "--series-ticker"
    )
    markets.lookup("get", commands.markets_get, "one market")

    book = top.add("orderbook", commands.orderbook, "a market's order book (best bids first)")
    book.add_argument("ticker", metavar="TICKER")
    book.add_argument("--depth", type=arguments.positive_int, help="levels per side", metavar="N")

    series = top.group("series", "series")
    listing = series.add("list", commands.series_list, "list series (one request)")
    listing.add_argument("--category")
    listing.add_argument("--limit", type=arguments.positive_int, help="show at most N rows", metavar="N")
    series.lookup("get", commands.series_get, "one series")

    events = top.group("events", "events")
    events.listing("list", commands.events_list, "list events", "--status", "--series-ticker")
    events.lookup("get", commands.events_get, "one event and its markets")

    top.add("balance", commands.balance, "the account's balance")
    top.listing(
        "positions", commands.positions, "the account's market positions", "--ticker", "--event-ticker"
    )
    top.listing("fills", commands.fills, "the account's fills", "--ticker", "--order-id")

    orders = top.group("orders", "the account's orders (V2 order writes)")
    orders.listing("list", commands.orders_list, "list orders", "--ticker", "--event-ticker", "--status")
    _order_create(
        orders.add("create", commands.orders_create, "place a limit order; prints its client_order_id")
    )
    orders.lookup("cancel", commands.orders_cancel, "cancel an order", key="order_id")

    _stream(top.add("stream", stream.stream, "print a WebSocket channel's messages, one per line"))
    return parser


def _order_create(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ticker", metavar="TICKER")
    parser.add_argument("--side", required=True, help="bid (buy YES) or ask (sell YES)")
    parser.add_argument("--price", type=arguments.price, required=True, help="YES price in dollars: 0.56")
    parser.add_argument("--count", type=arguments.count, required=True, help="contracts")
    parser.add_argument(
        "--time-in-force",
        default="good_till_canceled",
        metavar="TIF",
        help="good_till_canceled (default), immediate_or_cancel or fill_or_kill",
    )
    parser.add_argument(
        "--self-trade-prevention-type",
        default="taker_at_cross",
        metavar="STP",
        help="taker_at_cross (default) or maker",
    )
    parser.add_argument("--post-only", action="store_true", default=None, help="rest only, never take")
    parser.add_argument("--reduce-only", action="store_true", default=None, help="only reduce a position")
    parser.add_argument("--client-order-id", metavar="ID", help="your idempotency key (default: a new UUID4)")


def _stream(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("channel", metavar="CHANNEL", help="orderbook_delta, ticker, trade, fill, ...")
    for name, (option, metavar) in stream.LIST_OPTIONS.items():
        parser.add_argument(option, dest=name, action="append", help=f"one of {name}", metavar=metavar)
    parser.add_argument(
        "--param",
        type=arguments.parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another subscribe parameter (VALUE read as JSON when it parses: true, 3)",
    )
    parser.add_argument("--limit", type=arguments.positive_int, help="stop after N messages", metavar="N")
