"""What every example shares: the ``--fake`` switch and the client it selects.

Without ``--fake`` an example talks to Kalshi with ``KalshiClient.from_env()``: your API key from
KALSHI_KEY_ID plus KALSHI_PRIVATE_KEY_PATH (or KALSHI_PRIVATE_KEY), and KALSHI_ENV=demo (the demo exchange,
play money) or production (the default: real money). With ``--fake`` it runs against a ``FakeKalshi`` on
127.0.0.1 instead, which the example first gives the state it needs: no account, no network.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kalshi_api import KalshiClient

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi

# A market the fake lists by default (the README's): the examples' default ticker.
DEFAULT_TICKER = "KXHIGHNY-26NOV22-T60"


def parser(description: str | None) -> argparse.ArgumentParser:
    """A command-line parser with ``--fake``; each example adds its own options. ``--help`` shows
    ``description`` (the example's docstring) as it is written."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--fake", action="store_true", help="run against a FakeKalshi on 127.0.0.1 (no account, no network)"
    )
    return parser


@contextmanager
def connect(fake: bool) -> Iterator[tuple[KalshiClient, FakeKalshi | None]]:
    """Your account's client and None, or a fresh fake exchange's client and the fake itself (so the example
    can seed it). Both are closed when the block ends."""
    if not fake:
        with KalshiClient.from_env() as client:
            yield client, None
        return
    from kalshi_api.testing import FakeKalshi  # imported only when used: it loads every operation's route

    with FakeKalshi() as exchange, exchange.client() as client:
        yield client, exchange
