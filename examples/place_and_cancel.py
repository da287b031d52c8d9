"""Place a limit order, see it rest, amend it, decrease it, cancel it and confirm it is gone (the V2 calls).

    python examples/place_and_cancel.py --fake                               # a FakeKalshi on 127.0.0.1
    KALSHI_ENV=demo python examples/place_and_cancel.py --ticker TICKER      # Kalshi's demo exchange
    python examples/place_and_cancel.py --ticker TICKER --price 0.02         # production: real money

The order is a post-only YES bid, so it can only rest, never trade on arrival: by default 2 contracts at 5
cents below the best bid (at least $0.01). It is then amended one cent up, decreased to 1 contract and
canceled. Exit status 0 when all went through, 1 when the exchange refused a step, 2 without credentials.
"""

from __future__ import annotations

import sys
import uuid
from decimal import Decimal

from _connect import DEFAULT_TICKER, connect, parser

from kalshi_api import KalshiClient, errors, models
from kalshi_api.orders import place_order

CENT = Decimal("0.01")


def passive_price(client: KalshiClient, ticker: str) -> Decimal:
    """5 cents below the best YES bid, at least $0.01: a price that waits in the book."""
    market = client.markets.get(ticker)
    print(f"market    {ticker}: bid {market.yes_bid_dollars} ask {market.yes_ask_dollars}")
    return max(market.yes_bid_dollars - 5 * CENT, CENT)


def place(client: KalshiClient, request: models.CreateOrderV2Request) -> str:
    """Create the order and return its order_id, without ever placing it twice."""
    try:
        created = client.orders.create_v2(request=request)
    except errors.RequestError as err:
        if not err.outcome_unknown:  # refused: nothing was placed
            raise
        # The request may have reached the exchange (no answer, 429, 5xx, an unreadable 2xx). Its
        # client_order_id finds it if it did; place_order looks first and sends the very same request again
        # only if the order isn't there.
        print(f"uncertain ({err}); reconciling client_order_id {err.client_order_id}")
        placed = place_order(client, request, reconcile_first=True, client_order_id=err.client_order_id)
        return placed.order_id
    print(f"placed    order_id={created.order_id} client_order_id={created.client_order_id}")
    return created.order_id


def show(client: KalshiClient, order_id: str, step: str) -> models.Order:
    order = client.orders.get(order_id)
    print(f"{step:<9} status={order.status} {order.remaining_count_fp} @ {order.yes_price_dollars}")
    return order


def run(client: KalshiClient, ticker: str, count: Decimal, price: Decimal | None) -> None:
    price = passive_price(client, ticker) if price is None else price
    request = models.CreateOrderV2Request(
        ticker=ticker,
        side="bid",  # a YES bid; "ask" would bid for NO at 1 - price
        count=count,
        price=price,
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
        post_only=True,  # refused rather than trading if the book moved through the price
        client_order_id=str(uuid.uuid4()),  # our idempotency key: keep it to find the order again
    )
    order_id = place(client, request)
    show(client, order_id, "resting")

    # A new price loses the order's place in the queue; the answer carries the order_id to use from now on.
    amended = client.orders.amend_v2(order_id, ticker=ticker, side="bid", price=price + CENT, count=count)
    order_id = amended.order_id
    show(client, order_id, "amended")

    decreased = client.orders.decrease_v2(order_id, reduce_to=Decimal(1))
    print(f"decreased remaining {decreased.remaining_count}")

    canceled = client.orders.cancel_v2(order_id)
    print(f"canceled  {canceled.reduced_by} contracts taken off the book")
    final = show(client, order_id, "confirmed")
    if final.status != "canceled":
        raise SystemExit(f"order {order_id} is {final.status}, not canceled")


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--ticker", default=DEFAULT_TICKER, help="the market to bid in")
    options.add_argument("--count", type=Decimal, default=Decimal(2), help="contracts (at least 2)")
    options.add_argument("--price", type=Decimal, help="YES bid in dollars, e.g. 0.35 (default: passive)")
    args = options.parse_args(argv)
    if args.count < 2:
        options.error(f"--count must be at least 2 (the example decreases the order to 1), got {args.count}")

    with connect(args.fake) as (client, fake):
        if fake is not None:
            fake.seed_order(args.ticker, "bid", "0.40", "100")  # other traders' quotes around ours
            fake.seed_order(args.ticker, "ask", "0.60", "100")
        try:
            run(client, args.ticker, args.count, args.price)
        except errors.AuthRequiredError:
            print(
                "placing orders needs an API key: set KALSHI_KEY_ID and KALSHI_PRIVATE_KEY_PATH (or --fake)"
            )
            return 2
        except errors.NotFoundError as err:  # no such market, or the order vanished (filled) mid-way
            print(f"not found: {err.message} ({err.method} {err.path})")
            return 1
        except errors.BadRequestError as err:  # refused outright (bad price or count, not resting): no change
            print(f"rejected: [{err.code}] {err.message}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
