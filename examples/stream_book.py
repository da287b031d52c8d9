"""Keep a local order book from the WebSocket and print the best bid and ask each time they change.

    python examples/stream_book.py --fake                     # a FakeKalshi on 127.0.0.1, with busy traders
    python examples/stream_book.py --ticker TICKER --updates 50

One ``orderbook_delta`` subscription brings a snapshot, then deltas; ``session.subscribe_book`` applies them
to a local book and yields an immutable view after each one. When the SDK sees a gap in the sequence it
resubscribes for a fresh snapshot, and the views in between say the book is unavailable instead of quoting
stale prices.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from _connect import DEFAULT_TICKER, connect, parser

from kalshi_api import KalshiClient
from kalshi_api.ws import BookView

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi


def top_of_book(book: BookView) -> str:
    """The best YES bid and ask with their sizes; an ask for YES at p is a bid for NO at 1 - p."""
    bid = f"{book.yes_bids[0].count} @ {book.best_yes_bid}" if book.yes_bids else "none"
    ask = f"{book.no_bids[0].count} @ {book.best_yes_ask}" if book.no_bids else "none"
    return f"bid {bid:<14} ask {ask:<14} spread {book.yes_spread}"


async def watch(client: KalshiClient, ticker: str, changes: int, ready: asyncio.Event) -> None:
    """Print the top of ``ticker``'s book ``changes`` times: the snapshot's, then each time it moves."""
    async with client.websocket().connect() as session:  # same key and exchange as the REST client
        feed = await session.subscribe_book(ticker)
        last = None
        printed = 0
        async for book in feed:
            if not book.available:  # between a detected gap and the fresh snapshot
                print(f"resyncing: {book.reason}")
                continue
            ready.set()
            top = top_of_book(book)
            if top == last:  # a change deeper in the book
                continue
            print(f"seq {book.seq:<4} {top}")
            last = top
            printed += 1
            if printed == changes:
                return


def seed(fake: FakeKalshi, ticker: str) -> None:
    """Other traders' resting quotes: 10 bid at 0.40, 10 offered at 0.60."""
    fake.seed_order(ticker, "bid", "0.40", "10")
    fake.seed_order(ticker, "ask", "0.60", "10")


def moves() -> Iterator[tuple[Literal["bid", "ask"], str, str]]:
    """Other traders' orders, forever (side, price, count): they quote inside the spread, then trade."""
    while True:
        yield "bid", "0.45", "5"  # a better bid
        yield "ask", "0.55", "5"  # a better ask
        yield "bid", "0.55", "5"  # takes that ask
        yield "ask", "0.45", "5"  # hits that bid: back to 0.40 / 0.60


async def trade(fake: FakeKalshi, ticker: str, ready: asyncio.Event) -> None:
    await ready.wait()  # the snapshot is in: every order from here on arrives as a delta
    for side, price, count in moves():
        fake.seed_order(ticker, side, price, count)
        await asyncio.sleep(0.05)


async def stream(client: KalshiClient, fake: FakeKalshi | None, ticker: str, changes: int) -> None:
    ready = asyncio.Event()
    traders = asyncio.ensure_future(trade(fake, ticker, ready)) if fake is not None else None
    try:
        await watch(client, ticker, changes, ready)
    finally:
        if traders is not None:
            traders.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await traders


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--ticker", default=DEFAULT_TICKER, help="the market to watch")
    options.add_argument("--updates", type=int, default=10, help="stop after this many top-of-book lines")
    args = options.parse_args(argv)
    if args.updates < 1:
        options.error(f"--updates must be at least 1, got {args.updates}")

    with connect(args.fake) as (client, fake):
        if fake is not None:
            seed(fake, args.ticker)
        asyncio.run(stream(client, fake, args.ticker, args.updates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
