"""Client-side rate limiting: pace requests to Kalshi's token buckets instead of running into 429s.

Kalshi charges every request a number of tokens from one of two buckets, read or write; each bucket refills
at a fixed rate up to its capacity, and a request its bucket can't cover is refused with 429. ``RateLimiter``
keeps a copy of both buckets on the client's side. Before every attempt (retries too) the transport reserves
the request's cost and waits, sleeping in sync code and awaiting in async code, until the bucket would hold
it.

One limiter can pace any number of sync and async clients in any threads and event loops: a reservation holds
the lock for a few arithmetic steps, and every wait happens after the lock is released.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from kalshi_api_core.errors import ConfigurationError, RequestCostError

Bucket = Literal["read", "write"]


@dataclass(frozen=True)
class Budget:
    """One bucket's limits: it refills at ``refill_rate`` tokens per second and holds at most ``capacity``."""

    refill_rate: float
    capacity: float

    def __post_init__(self) -> None:
        for name in ("refill_rate", "capacity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(f"{name} must be a positive number of tokens, got {value!r}")
            if not math.isfinite(value):
                raise ConfigurationError(f"{name} must be finite, got {value!r}")


@dataclass(frozen=True)
class Cost:
    """What one request takes: ``tokens`` from the ``bucket``."""

    bucket: Bucket
    tokens: int


# Kalshi's Basic tier, where every account starts (docs.kalshi.com/getting_started/rate_limits, token-based
# limits, as published in 2026): reads refill 200 tokens/s, writes 100 tokens/s, and the write bucket holds
# two seconds of budget. The page gives no burst size for reads, so the read bucket holds one second.
BASIC_READ = Budget(refill_rate=200, capacity=200)
BASIC_WRITE = Budget(refill_rate=100, capacity=200)

# Kalshi's cost table names full paths; the spec's operations are relative to the base path.
_BASE_PATH = re.compile(r"^/trade-api/v\d+(?=/)")
_PARAMETER = re.compile(r"\{[^/}]*\}")


class Endpoint(Protocol):
    """What the limiter reads of an operation. The generated ``Operation`` objects carry the bucket Kalshi
    bills them to and their documented cost (overrides/config/operations.yaml ``rate_limits``)."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def bucket(self) -> Bucket: ...

    @property
    def cost(self) -> int: ...


def billed_items(body: object) -> int:
    """How many orders a request bills for: Kalshi charges a batch (its ``orders`` list) per order."""
    orders = getattr(body, "orders", None)
    return max(1, len(orders)) if isinstance(orders, list) else 1


def _endpoint_key(method: str, path: str) -> tuple[str, str]:
    """(METHOD, path) without the base path and the names of path parameters, which the two sources may
    spell differently."""
    return method.strip().upper(), _PARAMETER.sub("{}", _BASE_PATH.sub("", path.strip())).rstrip("/")


def _tokens(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be a whole number of tokens >= 0, got {value!r}")
    return value


def _check_budgets(read: object, write: object) -> None:
    for name, budget in (("read", read), ("write", write)):
        if not isinstance(budget, Budget):
            raise ConfigurationError(f"{name} must be a Budget, got {budget!r}")


def _table(
    default: int | None, costs: Mapping[tuple[str, str], int]
) -> tuple[int | None, dict[tuple[str, str], int]]:
    """A default (None: each operation's own cost) and the costs by endpoint key, checked."""
    checked = {_endpoint_key(m, p): _tokens(f"the cost of {m} {p}", c) for (m, p), c in costs.items()}
    return (None if default is None else _tokens("default_cost", default)), checked


class TokenBucket:
    """A token bucket that takes reservations: a reservation takes its tokens at once, into debt if need be,
    and learns how long until the bucket would have held them. Later reservations queue behind the debt, so
    every waiter sleeps exactly once, in the order it arrived."""

    def __init__(self, budget: Budget, now: float, pace: float = 1.0) -> None:
        self.budget = budget
        self.pace = pace  # the share of the refill rate used, and of the capacity
        self.tokens = self.ceiling
        self.updated = now

    @property
    def rate(self) -> float:
        return self.budget.refill_rate * self.pace

    @property
    def ceiling(self) -> float:
        """The most the bucket holds. Below the server's capacity by the same share as the rate: a burst
        after a quiet spell whose requests arrive late (a loaded machine, a slow network) would otherwise
        find the server's bucket short of the refill it was capped out of while they travelled."""
        return float(self.budget.capacity) * self.pace

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.ceiling, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def wait(self, tokens: float, now: float) -> float:
        self.refill(now)
        return max(0.0, (tokens - self.tokens) / self.rate)

    def take(self, tokens: float, now: float) -> float:
        delay = self.wait(tokens, now)
        self.tokens -= tokens
        return delay

    def hold(self, seconds: float, now: float) -> None:
        """Empty, and nothing more for ``seconds``; idempotent: a burst of 429s pauses once, not once each."""
        self.refill(now)
        self.tokens = min(self.tokens, -seconds * self.rate)

    def resize(self, budget: Budget, now: float) -> None:
        """New limits; tokens spent recently stay spent (the server's bucket remembers them too)."""
        self.refill(now)
        spent = self.ceiling - self.tokens
        self.budget = budget
        self.tokens = self.ceiling - spent


class RateLimiter:
    """Read and write token buckets with per-endpoint costs, for every client given it (``rate_limit=``).

    Without arguments it follows Kalshi's Basic tier and each operation's documented cost; pass
    ``read=``/``write=`` budgets for another tier, ``costs=`` ((METHOD, path) -> tokens) for endpoints
    that cost something else, and ``default_cost=`` for every endpoint ``costs`` doesn't name. To load the
    account's own limits and Kalshi's current cost table, see ``kalshi_api.ratelimit.seed_from_account``.
    ``clock`` (monotonic seconds) is a test seam.

    ``headroom`` is the share of each refill rate and capacity left unused (default 5%): the server's
    buckets and ours don't refill in step (they start at different instants, and requests reach the server
    with varying delays), so pacing at exactly the published limits would still meet the odd 429. A request
    is refused only when it costs more than the bucket's published capacity.
    """

    def __init__(
        self,
        *,
        read: Budget = BASIC_READ,
        write: Budget = BASIC_WRITE,
        default_cost: int | None = None,
        costs: Mapping[tuple[str, str], int] | None = None,
        headroom: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_budgets(read, write)
        if isinstance(headroom, bool) or not isinstance(headroom, int | float) or not 0 <= headroom < 1:
            raise ConfigurationError(f"headroom must be a fraction in [0, 1), got {headroom!r}")
        self.headroom = headroom
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        pace = 1 - headroom
        self._buckets = {"read": TokenBucket(read, now, pace), "write": TokenBucket(write, now, pace)}
        # replaced as a whole, so a reader never sees the default of one table with the entries of another
        self._table = _table(default_cost, costs or {})
        self.usage_tier: str | None = None  # the account's API tier, once seeded from it

    @property
    def read(self) -> Budget:
        return self._buckets["read"].budget

    @property
    def write(self) -> Budget:
        return self._buckets["write"].budget

    def cost(self, endpoint: Endpoint, items: int = 1) -> Cost:
        """The tokens a request to ``endpoint`` takes, and from which bucket; a batch is billed per item."""
        default, table = self._table
        per_item = table.get(_endpoint_key(endpoint.method, endpoint.path))
        if per_item is None:
            per_item = endpoint.cost if default is None else default
        return Cost(endpoint.bucket, per_item * max(1, items))

    def wait_time(self, endpoint: Endpoint, items: int = 1) -> float:
        """Seconds a request to ``endpoint`` sent now would wait (nothing is reserved)."""
        cost = self.cost(endpoint, items)
        with self._lock:
            return self._buckets[cost.bucket].wait(cost.tokens, self._clock())

    def acquire(self, endpoint: Endpoint, items: int = 1) -> None:
        """Take a request's tokens, sleeping until its bucket holds them."""
        delay = self._reserve(endpoint, items)
        if delay > 0:
            time.sleep(delay)

    async def aacquire(self, endpoint: Endpoint, items: int = 1) -> None:
        """Take a request's tokens, awaiting until its bucket holds them."""
        delay = self._reserve(endpoint, items)
        if delay > 0:
            await asyncio.sleep(delay)

    def back_off(self, endpoint: Endpoint, retry_after: float | None) -> None:
        """The server answered 429: its bucket is empty whatever ours says (another process may share the
        key), so drain ours, and keep it empty for ``retry_after`` seconds when the server asks to wait."""
        with self._lock:
            self._buckets[endpoint.bucket].hold(retry_after or 0.0, self._clock())

    def replace_limits(
        self,
        *,
        read: Budget,
        write: Budget,
        default_cost: int,
        costs: Mapping[tuple[str, str], int],
        usage_tier: str | None = None,
    ) -> None:
        """New budgets and a whole new cost table (an account's, say); tokens already spent stay spent."""
        _check_budgets(read, write)
        table = _table(default_cost, costs)
        with self._lock:
            now = self._clock()
            self._buckets["read"].resize(read, now)
            self._buckets["write"].resize(write, now)
            self._table = table
            self.usage_tier = usage_tier

    def _reserve(self, endpoint: Endpoint, items: int) -> float:
        cost = self.cost(endpoint, items)
        with self._lock:
            bucket = self._buckets[cost.bucket]
            if cost.tokens > bucket.budget.capacity:
                label = f"{endpoint.method} {endpoint.path}"
                raise RequestCostError(label, cost.tokens, cost.bucket, bucket.budget.capacity)
            return bucket.take(cost.tokens, self._clock())

    def __repr__(self) -> str:
        return f"RateLimiter(read={self.read}, write={self.write}, usage_tier={self.usage_tier!r})"
