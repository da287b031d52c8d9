"""Seeding a ``RateLimiter`` from the account: its own limits and Kalshi's current cost of every endpoint.

The limiter lives in the runtime, which never imports the generated client; the two account operations are
called here, and their typed answers handed to the limiter.
"""

from __future__ import annotations

from kalshi_api.client import AsyncKalshiClient, KalshiClient
from kalshi_api.models import GetAccountApiLimitsResponse, GetAccountEndpointCostsResponse
from kalshi_api_core.ratelimit import Budget, RateLimiter

__all__ = ["aseed_from_account", "seed_from_account"]


def seed_from_account(limiter: RateLimiter, client: KalshiClient) -> None:
    """Load the account's limits (GET /account/limits, which needs credentials) and the current cost of
    every endpoint (GET /account/endpoint_costs) into ``limiter``; tokens already spent stay spent. An
    explicit call, never a hidden request: the two requests are paced by the limits the limiter has so far."""
    _apply(limiter, client.account.limits(), client.account.endpoint_costs())


async def aseed_from_account(limiter: RateLimiter, client: AsyncKalshiClient) -> None:
    """``seed_from_account`` through an ``AsyncKalshiClient``."""
    _apply(limiter, await client.account.limits(), await client.account.endpoint_costs())


def _apply(
    limiter: RateLimiter, limits: GetAccountApiLimitsResponse, costs: GetAccountEndpointCostsResponse
) -> None:
    limiter.replace_limits(
        read=Budget(limits.read.refill_rate, limits.read.bucket_capacity),
        write=Budget(limits.write.refill_rate, limits.write.bucket_capacity),
        default_cost=costs.default_cost,
        costs={(c.method, c.path): c.cost for c in costs.endpoint_costs},
        usage_tier=limits.usage_tier,
    )
