"""Page through your fills into a pandas DataFrame and summarise them per market and side, in exact Decimals.

    python examples/fills_to_dataframe.py --fake         # a FakeKalshi on 127.0.0.1, after a few trades
    python examples/fills_to_dataframe.py --ticker TICKER --page-size 200

Needs pandas (pip install 'kalshi-api[pandas]'). ``to_pandas()`` keeps money and counts as ``Decimal`` in
object columns, so sums and averages below are exact; pass ``decimals="float"`` for fast, inexact floats.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import pandas as pd
from _connect import connect, parser

from kalshi_api import KalshiClient

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi

PRICE = Decimal("0.0001")  # Kalshi quotes dollars to 4 places


def fills_frame(client: KalshiClient, ticker: str | None, page_size: int) -> pd.DataFrame:
    """Every fill (of ``ticker``, or all), one row each, columns named as on the wire."""
    # fills_all follows the cursor over every page; to_pandas() gathers them into one DataFrame.
    return client.portfolio.fills_all(ticker=ticker, limit=page_size).to_pandas()


def summarize(fills: pd.DataFrame) -> pd.DataFrame:
    """Per market and book side (bid: bought YES; ask: sold YES, i.e. bought NO): fills, contracts, the
    volume-weighted YES price and fees."""
    fills = fills.assign(notional=fills["count_fp"] * fills["yes_price_dollars"])  # Decimal x Decimal
    summary = fills.groupby(["market_ticker", "book_side"]).agg(
        fills=("fill_id", "size"),
        contracts=("count_fp", "sum"),
        notional=("notional", "sum"),
        fees=("fee_cost", "sum"),
    )
    summary["avg_yes_price"] = (summary["notional"] / summary["contracts"]).map(lambda d: d.quantize(PRICE))
    return summary


def net_yes(fills: pd.DataFrame) -> pd.Series:
    """YES contracts bought less those sold, per market (negative: a NO position)."""
    signed = fills["count_fp"].where(fills["book_side"] == "bid", -fills["count_fp"])
    net: pd.Series = signed.groupby(fills["market_ticker"]).sum()  # pandas-stubs leave a grouped sum untyped
    return net


def trade(client: KalshiClient, ticker: str, side: Literal["bid", "ask"], price: str, count: str) -> None:
    client.orders.create_v2(
        ticker=ticker,
        side=side,
        count=count,
        price=price,
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )


def seed(fake: FakeKalshi, client: KalshiClient) -> None:
    """Six fills over two markets: the account buys and sells against other traders' quotes."""
    high, index = "KXHIGHNY-26NOV22-T60", "KXINX-26NOV22-T6000"
    fake.seed_order(high, "ask", "0.56", "10")
    fake.seed_order(high, "ask", "0.58", "10")
    trade(client, high, "bid", "0.56", "6")  # 6 at 0.56
    trade(client, high, "bid", "0.58", "8")  # the other 4 at 0.56, then 4 at 0.58
    fake.seed_order(high, "bid", "0.57", "5")  # below the 6 still offered at 0.58, so it rests
    trade(client, high, "ask", "0.57", "5")  # sells 5 of the 14 at 0.57
    fake.seed_order(index, "ask", "0.09", "20")
    trade(client, index, "bid", "0.09", "20")
    trade(client, index, "bid", "0.07", "10")  # rests ...
    fake.seed_order(index, "ask", "0.07", "3")  # ... until someone sells into it: a maker fill


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--ticker", help="only this market's fills")
    options.add_argument("--page-size", type=int, default=100, help="fills per request (1..1000)")
    args = options.parse_args(argv)

    with connect(args.fake) as (client, fake):
        if fake is not None:
            seed(fake, client)
        fills = fills_frame(client, args.ticker, args.page_size)

    print(f"{len(fills)} fills, {fills['count_fp'].sum()} contracts, fees {fills['fee_cost'].sum()}")
    if fills.empty:
        return 0
    with pd.option_context("display.width", 120):
        print(summarize(fills).to_string())
        print("net YES contracts:")
        print(net_yes(fills).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
