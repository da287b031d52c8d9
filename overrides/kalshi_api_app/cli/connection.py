"""The client a command runs with: Kalshi itself (credentials from the environment, like
``KalshiClient.from_env``), a server at ``--base-url``/``--ws-url``, or a fake exchange (``--fake``).

The fake (every operation's route and model) is imported only for ``--fake``, so other commands and
``--help`` don't pay for it (the pytest plugin does the same).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from kalshi_api.client import KalshiClient
from kalshi_api_app.cli.arguments import UsageError

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi

# What the fake's other traders ("the house") leave resting on each market, so order books, crossing orders
# and the order-book stream show something: (side, price, count).
HOUSE_ORDERS: tuple[tuple[Literal["bid", "ask"], str, str], ...] = (
    ("bid", "0.44", "10"),
    ("ask", "0.56", "10"),
)


@contextmanager
def open_client(args: argparse.Namespace) -> Iterator[KalshiClient]:
    given_urls = [args.base_url is not None, args.ws_url is not None]
    if args.fake and any(given_urls):
        raise UsageError("--base-url" if given_urls[0] else "--ws-url", "not allowed with --fake")
    if any(given_urls) and not all(given_urls):  # REST and WebSocket must reach the same exchange
        missing, given = ("--ws-url", "--base-url") if given_urls[0] else ("--base-url", "--ws-url")
        raise UsageError(missing, f"required with {given}")
    if args.fake:
        with _fake() as fake, fake.client() as client:
            yield client
        return
    chosen = {"environment": args.env, "base_url": args.base_url, "ws_url": args.ws_url}
    with KalshiClient.from_env(**{k: v for k, v in chosen.items() if v is not None}) as client:
        yield client


@contextmanager
def _fake() -> Iterator[FakeKalshi]:
    from kalshi_api.testing import FakeKalshi
    from kalshi_api_app.testing.records import DEFAULT_MARKETS

    with FakeKalshi() as fake:
        for market in DEFAULT_MARKETS:
            for side, price, count in HOUSE_ORDERS:
                fake.seed_order(market.ticker, side, price, count)
        yield fake
