"""Kalshi's rate limits as the fake enforces them: a read and a write token bucket, per-endpoint costs."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from kalshi_api_core.errors import ConfigurationError
from kalshi_api_core.ratelimit import BASIC_READ, BASIC_WRITE, DEFAULT_COST, bucket_for
from kalshi_api_core.testing.problems import ApiProblem
from kalshi_api_core.testing.routes import Request


@dataclass(frozen=True)
class RateLimits:
    """Token budgets; every request takes its cost from the read or the write bucket, or is answered 429.

    The defaults are Kalshi's Basic tier as published on docs.kalshi.com ("Rate limits"): 200 read and 100
    write tokens per second, 10 tokens a request unless ``costs`` (operation id -> tokens) says otherwise, and
    a write bucket that holds two seconds of budget. A batch is billed per item, as Kalshi bills it.
    """

    read_per_second: int = int(BASIC_READ.refill_rate)
    write_per_second: int = int(BASIC_WRITE.refill_rate)
    read_capacity: int | None = None  # None: one second of budget
    write_capacity: int | None = None  # None: two seconds of budget
    default_cost: int = DEFAULT_COST
    costs: Mapping[str, int] = field(default_factory=dict)
    usage_tier: str = "basic"

    def __post_init__(self) -> None:
        for name in ("read_per_second", "write_per_second", "read_capacity", "write_capacity"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigurationError(f"RateLimits.{name} must be a positive int, got {value!r}")
        for operation_id, cost in {"default_cost": self.default_cost, **self.costs}.items():
            if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
                raise ConfigurationError(
                    f"RateLimits cost of {operation_id} must be an int >= 0, got {cost!r}"
                )

    @property
    def read_bucket(self) -> tuple[int, int]:
        """(capacity, refill per second) of the read bucket."""
        return self.read_capacity or self.read_per_second, self.read_per_second

    @property
    def write_bucket(self) -> tuple[int, int]:
        return self.write_capacity or 2 * self.write_per_second, self.write_per_second

    def cost(self, operation_id: str) -> int:
        return self.costs.get(operation_id, self.default_cost)


class _Bucket:
    def __init__(self, capacity: int, rate: int) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def take(self, cost: int) -> float | None:
        """Take ``cost`` tokens, or say how many seconds until they will be there."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return None
        return (cost - self.tokens) / self.rate


class RateLimiter:
    """Admits requests or raises the 429 problem; counts the 429s it caused (``rejected``)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._read = _Bucket(*limits.read_bucket)
        self._write = _Bucket(*limits.write_bucket)
        self._lock = threading.Lock()
        self.rejected = 0

    def admit(self, request: Request) -> None:
        operation = request.route.operation
        items = getattr(request.body, "orders", None)
        count = len(items) if operation.operation_id.startswith("Batch") and isinstance(items, list) else 1
        cost = self.limits.cost(operation.operation_id) * count
        # Which bucket an operation bills is the client limiter's table too: one source for both sides.
        bucket = self._write if bucket_for(operation) == "write" else self._read
        with self._lock:
            wait = bucket.take(cost)
            if wait is None:
                return
            self.rejected += 1
        kind = "write" if bucket is self._write else "read"
        raise ApiProblem(
            429,
            "too_many_requests",
            f"{operation.operation_id} costs {cost} {kind} tokens; the bucket refills at {bucket.rate}/s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
