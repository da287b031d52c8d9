"""Kalshi's rate limits as the fake enforces them: a read and a write token bucket, per-endpoint costs."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kalshi_api_app.testing.problems import ApiProblem
from kalshi_api_app.testing.routes import Request
from kalshi_api_core.errors import ConfigurationError
from kalshi_api_core.ratelimit import BASIC_READ, BASIC_WRITE, Budget, TokenBucket, billed_items
from kalshi_api_core.transport import Operation


@dataclass(frozen=True)
class RateLimits:
    """Token budgets; every request takes its cost from the read or the write bucket, or is answered 429.

    The defaults are Kalshi's Basic tier as published on docs.kalshi.com ("Rate limits"): 200 read and 100
    write tokens per second, each operation's documented cost (its generated ``Operation.cost``) unless
    ``costs`` (operation id -> tokens) or ``default_cost`` (every other operation) says otherwise, and a write
    bucket that holds two seconds of budget. A batch is billed per item, as Kalshi bills it.
    """

    read_per_second: int = int(BASIC_READ.refill_rate)
    write_per_second: int = int(BASIC_WRITE.refill_rate)
    read_capacity: int | None = None  # None: one second of budget
    write_capacity: int | None = None  # None: two seconds of budget
    default_cost: int | None = None  # None: each operation's documented cost
    costs: Mapping[str, int] = field(default_factory=dict)
    usage_tier: str = "basic"

    def __post_init__(self) -> None:
        for name in ("read_per_second", "write_per_second", "read_capacity", "write_capacity"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigurationError(f"RateLimits.{name} must be a positive int, got {value!r}")
        for operation_id, cost in {"default_cost": self.default_cost, **self.costs}.items():
            if cost is None and operation_id == "default_cost":
                continue
            if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
                raise ConfigurationError(
                    f"RateLimits cost of {operation_id} must be an int >= 0, got {cost!r}"
                )

    @property
    def read_bucket(self) -> Budget:
        return Budget(refill_rate=self.read_per_second, capacity=self.read_capacity or self.read_per_second)

    @property
    def write_bucket(self) -> Budget:
        return Budget(
            refill_rate=self.write_per_second, capacity=self.write_capacity or 2 * self.write_per_second
        )

    def cost(self, operation: Operation[Any]) -> int:
        """The tokens one request (one order of a batch) to ``operation`` costs."""
        default = operation.cost if self.default_cost is None else self.default_cost
        return self.costs.get(operation.operation_id, default)


class RateLimiter:
    """Admits requests or raises the 429 problem; counts the 429s it caused (``rejected``)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        now = time.monotonic()
        self._read = TokenBucket(limits.read_bucket, now)
        self._write = TokenBucket(limits.write_bucket, now)
        self._lock = threading.Lock()
        self.rejected = 0

    def admit(self, request: Request) -> None:
        operation = request.route.operation
        cost = self.limits.cost(operation) * billed_items(request.body)
        # Which bucket an operation bills, and how a batch is billed, are the client limiter's rules too.
        bucket = self._write if operation.bucket == "write" else self._read
        with self._lock:
            wait = bucket.wait(cost, time.monotonic())
            if wait == 0:
                bucket.take(cost, time.monotonic())
                return
            self.rejected += 1
        kind = "write" if bucket is self._write else "read"
        raise ApiProblem(
            429,
            "too_many_requests",
            f"{operation.operation_id} costs {cost} {kind} tokens; the bucket refills at {bucket.rate:g}/s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
