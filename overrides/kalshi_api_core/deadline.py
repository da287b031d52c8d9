"""One time budget across several requests.

``place_order``'s ``total_timeout`` has to bound the requests it makes (the creates, the lookups' pages and
their GET retries) without a deadline argument on every resource method: it sets a deadline here for the
block, and the transport reads it when it prepares a request. A context variable follows the code that set
it, in its thread or asyncio task, and nothing else.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("kalshi_api_deadline", default=None)


def current() -> float | None:
    """The deadline of the innermost ``within`` block (a ``time.monotonic()`` instant), if any."""
    return _DEADLINE.get()


def earliest(*instants: float | None) -> float | None:
    given = [instant for instant in instants if instant is not None]
    return min(given) if given else None


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (negative once it has passed); None without one."""
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def within(deadline: float | None) -> Iterator[None]:
    """Requests made in the block end by ``deadline`` (or by an enclosing block's, if that is earlier)."""
    token = _DEADLINE.set(earliest(_DEADLINE.get(), deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)
