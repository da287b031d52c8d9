"""Scan the open markets, page after page, and rank the ones quoted on both sides by spread or by volume.

    python examples/market_scan.py                       # Kalshi (KalshiClient.from_env(); public data)
    python examples/market_scan.py --fake                # a FakeKalshi on 127.0.0.1, seeded with quotes
    python examples/market_scan.py --sort volume --top 5 --page-size 200 --max-pages 3

Prices and sizes stay ``Decimal`` from the wire to the table, so spreads are exact (0.03, not 0.0299999).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from _connect import connect, parser

from kalshi_api import KalshiClient, models

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi


@dataclass(frozen=True)
class Quote:
    """A market's top of book: the best YES bid and ask, in dollars."""

    ticker: str
    bid: Decimal
    ask: Decimal
    volume_24h: Decimal

    @property
    def spread(self) -> Decimal:
        return self.ask - self.bid


def two_sided(markets: Iterable[models.Market]) -> Iterator[Quote]:
    """The markets with both a bid and an ask: Kalshi shows a missing bid as 0 and a missing ask as 1."""
    for market in markets:
        if market.yes_bid_dollars > 0 and market.yes_ask_dollars < 1:
            yield Quote(market.ticker, market.yes_bid_dollars, market.yes_ask_dollars, market.volume_24h_fp)


def scan(client: KalshiClient, page_size: int, max_pages: int | None) -> tuple[int, list[Quote]]:
    """How many open markets there are (within ``max_pages``), and the two-sided ones."""
    # list_all follows the cursor from page to page, fetching each page when iteration reaches it.
    markets = list(client.markets.list_all(status="open", limit=page_size, max_pages=max_pages))
    return len(markets), list(two_sided(markets))


def print_table(quotes: Iterable[Quote]) -> None:
    print(f"{'ticker':<24} {'bid':>7} {'ask':>7} {'spread':>7} {'volume 24h':>11}")
    for q in quotes:
        print(f"{q.ticker:<24} {q.bid:>7} {q.ask:>7} {q.spread:>7} {q.volume_24h:>11}")


def seed(fake: FakeKalshi) -> None:
    """Six markets, five of them quoted with different spreads, and some trades between other traders."""
    fake.add_market("KXINX-26NOV22-T6100")
    fake.add_market("KXINX-26NOV22-T6200")
    quotes = {  # ticker: (bid, ask, contracts traded)
        "KXHIGHNY-26NOV22-T60": ("0.55", "0.58", "40"),
        "KXHIGHNY-26NOV22-T65": ("0.31", "0.40", "12"),
        "KXHIGHNY-26NOV22-T70": ("0.08", "0.10", "75"),
        "KXINX-26NOV22-T6100": ("0.62", "0.81", "3"),
        "KXINX-26NOV22-T6200": ("0.20", "0.26", "0"),
    }  # KXINX-26NOV22-T6000 stays empty: it is listed but not two-sided
    for ticker, (bid, ask, traded) in quotes.items():
        if traded != "0":  # a resting ask, then a bid that takes it: volume without touching the quotes
            fake.seed_order(ticker, "ask", ask, traded)
            fake.seed_order(ticker, "bid", ask, traded)
        fake.seed_order(ticker, "bid", bid, "10")
        fake.seed_order(ticker, "ask", ask, "10")


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument(
        "--sort",
        choices=["spread", "volume"],
        default="spread",
        help="widest spread, or most traded in 24h, first",
    )
    options.add_argument("--top", type=int, default=10, help="rows to print")
    options.add_argument("--page-size", type=int, default=1000, help="markets per request (1..1000)")
    options.add_argument("--max-pages", type=int, default=5, help="stop after this many pages")
    args = options.parse_args(argv)

    with connect(args.fake) as (client, fake):
        if fake is not None:
            seed(fake)
        seen, quotes = scan(client, args.page_size, args.max_pages)

    if args.sort == "spread":
        quotes.sort(key=lambda q: (-q.spread, q.ticker))
    else:
        quotes.sort(key=lambda q: (-q.volume_24h, q.ticker))
    print(f"{seen} open markets, {len(quotes)} quoted on both sides; by {args.sort}:")
    print_table(quotes[: args.top])
    return 0


if __name__ == "__main__":
    sys.exit(main())
