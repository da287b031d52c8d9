"""The shapes the rate limiter reads when it seeds itself from the account operations.

``GetAccountApiLimits`` and ``GetAccountEndpointCosts`` answer with generated models. The runtime layer can't
import the generated package, so it names only the attributes it reads; the models satisfy these protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class BucketLimit(Protocol):
    @property
    def refill_rate(self) -> int: ...

    @property
    def bucket_capacity(self) -> int: ...


class AccountLimits(Protocol):
    """``GetAccountApiLimitsResponse``."""

    @property
    def usage_tier(self) -> str: ...

    @property
    def read(self) -> BucketLimit: ...

    @property
    def write(self) -> BucketLimit: ...


class EndpointCost(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def cost(self) -> int: ...


class EndpointCosts(Protocol):
    """``GetAccountEndpointCostsResponse``."""

    @property
    def default_cost(self) -> int: ...

    @property
    def endpoint_costs(self) -> Sequence[EndpointCost]: ...


class SyncAccount(Protocol):
    def limits(self) -> AccountLimits: ...

    def endpoint_costs(self) -> EndpointCosts: ...


class AsyncAccount(Protocol):
    async def limits(self) -> AccountLimits: ...

    async def endpoint_costs(self) -> EndpointCosts: ...


class SyncAccountClient(Protocol):
    """A ``KalshiClient``."""

    @property
    def account(self) -> SyncAccount: ...


class AsyncAccountClient(Protocol):
    """An ``AsyncKalshiClient``."""

    @property
    def account(self) -> AsyncAccount: ...
