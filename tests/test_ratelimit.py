"""The client-side rate limiter against a loopback server that enforces a limit (429 beyond N requests in a
sliding window): bursts of reads and writes from threads and async tasks, one limiter shared by a sync and an
async client, back-off after 429, seeding from the account operations, the cost table, and bad configuration.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import kalshi_api.resources
from kalshi_api import AsyncKalshiClient, KalshiClient, models
from kalshi_api.ratelimit import (
    BASIC_READ,
    BASIC_WRITE,
    Budget,
    Cost,
    RateLimiter,
    aseed_from_account,
    seed_from_account,
)
from kalshi_api.testing import FakeKalshi, RateLimits
from kalshi_api_core import errors
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.transport import Operation, RetryPolicy
from tests.spec_server import Reply, SpecServer, WindowLimit

ORDER = {
    "ticker": "KXTEST-26",
    "side": "bid",
    "count": "2",
    "price": "0.55",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
}
# Every operation of the client, by operationId.
OPERATIONS: dict[str, Operation[Any]] = {
    op.operation_id: op
    for info in pkgutil.iter_modules(kalshi_api.resources.__path__)
    for op in vars(importlib.import_module(f"kalshi_api.resources.{info.name}")).values()
    if isinstance(op, Operation)
}
# What Kalshi bills to the write bucket: order placement, amends, decreases and cancels, order groups and the
# RFQ quote flow (docs.kalshi.com/getting_started/rate_limits).
WRITES = {
    "CreateOrderV2",
    "BatchCreateOrdersV2",
    "AmendOrderV2",
    "DecreaseOrderV2",
    "CancelOrderV2",
    "BatchCancelOrdersV2",
    "CreateOrderGroup",
    "DeleteOrderGroup",
    "UpdateOrderGroupLimit",
    "ResetOrderGroup",
    "TriggerOrderGroup",
    "CreateQuote",
    "DeleteQuote",
    "AcceptQuote",
    "ConfirmQuote",
    "DeleteRFQQuote",
    "AcceptRFQQuote",
    "ConfirmRFQQuote",
}


# The server takes 20 requests per half second. The limiters below allow at most 15: a burst of 5 (of 10-token
# requests) plus 20 a second, so arrivals bunched up by the network and the scheduler still fit.
def server_limit(*operation_ids: str) -> WindowLimit:
    return WindowLimit(limit=20, window=0.5, operations=frozenset(operation_ids))


def paced() -> RateLimiter:
    return RateLimiter(read=Budget(refill_rate=200, capacity=50), write=Budget(refill_rate=200, capacity=50))


def options(server: SpecServer, key: rsa.RSAPrivateKey, **more: Any) -> dict[str, Any]:
    # no retries: a 429 surfaces instead of being retried away
    return {"auth": KalshiAuth("key-id", key), "base_url": server.base_url, "max_retries": 0, **more}


def burst(call: Callable[[], object], count: int, threads: int) -> list[BaseException | None]:
    """Each call's exception, or None, for ``count`` calls spread over ``threads`` threads."""
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(call) for _ in range(count)]
    return [future.exception() for future in futures]


async def aburst(call: Callable[[], Awaitable[object]], count: int) -> list[BaseException | None]:
    """Each call's exception, or None, for ``count`` concurrent tasks."""
    results = await asyncio.gather(*(call() for _ in range(count)), return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]


def rate_limited(outcomes: list[BaseException | None]) -> int:
    return sum(isinstance(outcome, errors.RateLimitError) for outcome in outcomes)


# --- bursts against an enforced limit ----------------------------------------------------------------------


def test_read_burst_from_threads(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.enforce(unpaced := server_limit("GetExchangeStatus"))
    with KalshiClient(**options(server, key)) as client:
        outcomes = burst(client.exchange.status, 50, threads=8)
    assert rate_limited(outcomes) == unpaced.rejected > 0

    server.reset()
    server.enforce(limit := server_limit("GetExchangeStatus"))
    with KalshiClient(**options(server, key, rate_limit=paced())) as client:
        outcomes = burst(client.exchange.status, 50, threads=8)
    assert outcomes == [None] * 50
    assert limit.rejected == 0


def test_read_burst_from_async_tasks(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    async def run(**more: Any) -> list[BaseException | None]:
        async with AsyncKalshiClient(**options(server, key, **more)) as client:
            return await aburst(client.exchange.status, 50)

    server.enforce(unpaced := server_limit("GetExchangeStatus"))
    outcomes = asyncio.run(run())
    assert rate_limited(outcomes) == unpaced.rejected > 0

    server.reset()
    server.enforce(limit := server_limit("GetExchangeStatus"))
    assert asyncio.run(run(rate_limit=paced())) == [None] * 50
    assert limit.rejected == 0


def test_one_limiter_paces_a_sync_and_an_async_client_together(
    server: SpecServer, key: rsa.RSAPrivateKey
) -> None:
    # each client alone stays under the server's limit; only a shared budget keeps both together under it
    server.enforce(limit := server_limit("GetExchangeStatus"))
    limiter = paced()

    async def run_async() -> list[BaseException | None]:
        async with AsyncKalshiClient(**options(server, key, rate_limit=limiter)) as client:
            return await aburst(client.exchange.status, 30)

    with (
        KalshiClient(**options(server, key, rate_limit=limiter)) as client,
        ThreadPoolExecutor(1) as background,
    ):
        sync_outcomes = background.submit(burst, client.exchange.status, 30, 4)
        async_outcomes = asyncio.run(run_async())
        assert sync_outcomes.result() == [None] * 30
    assert async_outcomes == [None] * 30
    assert limit.rejected == 0
    assert len(server.calls("GetExchangeStatus")) == 60


def test_write_burst_is_paced_by_the_write_bucket(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    def create(client: KalshiClient) -> Callable[[], object]:
        return lambda: client.orders.create_v2(**ORDER)

    server.enforce(unpaced := server_limit("CreateOrderV2"))
    with KalshiClient(**options(server, key)) as client:
        outcomes = burst(create(client), 50, threads=8)
    assert rate_limited(outcomes) == unpaced.rejected > 0

    server.reset()
    server.enforce(limit := server_limit("CreateOrderV2"))
    # a read bucket roomy enough to let the burst through: only the write bucket can pace the creates
    limiter = RateLimiter(read=Budget(refill_rate=10_000, capacity=10_000), write=paced().write)
    with KalshiClient(**options(server, key, rate_limit=limiter)) as client:
        outcomes = burst(create(client), 50, threads=8)
    assert outcomes == [None] * 50
    assert limit.rejected == 0
    assert len(server.committed) == 50


# --- 429s and retries --------------------------------------------------------------------------------------


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


STATUS = OPERATIONS["GetExchangeStatus"]
CREATE = OPERATIONS["CreateOrderV2"]


def test_a_429_with_retry_after_pauses_the_bucket(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    server.script(
        "GetExchangeStatus", Reply(429, {"error": "too many requests"}, headers={"Retry-After": "3"})
    )
    with KalshiClient(**options(server, key, rate_limit=limiter)) as client:
        with pytest.raises(errors.RateLimitError):
            client.exchange.status()
    assert limiter.wait_time(STATUS) >= 3.0
    assert limiter.wait_time(CREATE) == 0.0  # the write bucket is another budget
    clock.now += 3.1
    assert limiter.wait_time(STATUS) == 0.0


def test_a_429_without_retry_after_drains_the_bucket(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    limiter = RateLimiter(clock=Clock())
    server.script("GetExchangeStatus", Reply(429, {"error": "too many requests"}))
    with KalshiClient(**options(server, key, rate_limit=limiter)) as client:
        assert limiter.wait_time(STATUS) == 0.0
        with pytest.raises(errors.RateLimitError):
            client.exchange.status()
    # empty: the next read waits for its 10 tokens at 200 a second, less the 5% headroom
    assert limiter.wait_time(STATUS) == pytest.approx(10 / (BASIC_READ.refill_rate * 0.95))


def test_every_attempt_takes_tokens_retries_too(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    limiter = RateLimiter(read=Budget(refill_rate=10, capacity=20), headroom=0, clock=Clock())
    server.script("GetExchangeStatus", Reply(503))
    retry = RetryPolicy(max_retries=1, backoff_base=0.001, backoff_max=0.001)
    with KalshiClient(**options(server, key, rate_limit=limiter, retry=retry)) as client:
        client.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 2
    assert limiter.wait_time(STATUS) == pytest.approx(1.0)  # both attempts' 10 tokens are gone


# --- costs -------------------------------------------------------------------------------------------------


def test_kalshi_write_operations_bill_the_write_bucket_and_everything_else_reads() -> None:
    limiter = RateLimiter()
    buckets = {op_id: limiter.cost(op).bucket for op_id, op in OPERATIONS.items()}
    assert {op_id for op_id, bucket in buckets.items() if bucket == "write"} == WRITES
    assert all(buckets[op_id] == "read" for op_id, op in OPERATIONS.items() if op.method == "GET")


def test_documented_costs_and_batches_billed_per_item() -> None:
    limiter = RateLimiter()
    assert limiter.cost(OPERATIONS["GetMarkets"]) == Cost("read", 10)
    assert limiter.cost(OPERATIONS["CreateOrderV2"]) == Cost("write", 10)
    assert limiter.cost(OPERATIONS["CancelOrderV2"]) == Cost("write", 2)
    assert limiter.cost(OPERATIONS["BatchCreateOrdersV2"], items=5) == Cost("write", 50)
    assert limiter.cost(OPERATIONS["BatchCancelOrdersV2"], items=5) == Cost("write", 10)
    assert (limiter.read, limiter.write) == (BASIC_READ, BASIC_WRITE)


def test_a_request_costlier_than_its_bucket_is_refused_before_sending(
    server: SpecServer, key: rsa.RSAPrivateKey
) -> None:
    limiter = RateLimiter(write=Budget(refill_rate=100, capacity=30))
    four = models.BatchCreateOrdersV2Request.model_validate({"orders": [ORDER] * 4})
    with KalshiClient(**options(server, key, rate_limit=limiter)) as client:
        with pytest.raises(
            errors.RequestCostError, match=r"costs 40 tokens.*write bucket's capacity of 30"
        ) as err:
            client.orders.batch_create_v2(request=four)
        assert (err.value.cost, err.value.bucket, err.value.capacity) == (40, "write", 30)
        assert "POST /portfolio/events/orders/batched" in str(err.value)
        assert server.calls("BatchCreateOrdersV2") == []
        client.orders.batch_create_v2(orders=[ORDER] * 3)  # 30 tokens: fits
    assert len(server.calls("BatchCreateOrdersV2")) == 1

    async def run() -> None:
        async with AsyncKalshiClient(**options(server, key, rate_limit=limiter)) as client:
            await client.orders.batch_create_v2(request=four)

    with pytest.raises(errors.RequestCostError):
        asyncio.run(run())
    assert len(server.calls("BatchCreateOrdersV2")) == 1


# --- seeding from the account ------------------------------------------------------------------------------

LIMITS = {
    "usage_tier": "advanced",
    "read": {"refill_rate": 300, "bucket_capacity": 600},
    "write": {"refill_rate": 300, "bucket_capacity": 600},
    "grants": [],
}
COSTS = {
    "default_cost": 5,
    "endpoint_costs": [
        {"method": "DELETE", "path": "/trade-api/v2/portfolio/events/orders/{id}", "cost": 1},
        {"method": "POST", "path": "/trade-api/v2/portfolio/events/orders/batched", "cost": 7},
        {"method": "GET", "path": "/markets", "cost": 3},
    ],
}


def check_seeded(limiter: RateLimiter) -> None:
    assert limiter.usage_tier == "advanced"
    assert limiter.read == Budget(refill_rate=300, capacity=600)
    assert limiter.write == Budget(refill_rate=300, capacity=600)
    assert limiter.cost(OPERATIONS["CancelOrderV2"]) == Cost("write", 1)
    assert limiter.cost(OPERATIONS["BatchCreateOrdersV2"], items=3) == Cost("write", 21)
    assert limiter.cost(OPERATIONS["GetMarkets"]) == Cost("read", 3)
    # the account's table replaces the documented one: anything it doesn't list costs its default
    assert limiter.cost(OPERATIONS["BatchCancelOrdersV2"], items=2) == Cost("write", 10)
    assert limiter.cost(OPERATIONS["GetExchangeStatus"]) == Cost("read", 5)


def test_seeding_from_the_account(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.script("GetAccountApiLimits", Reply(200, LIMITS))
    server.script("GetAccountEndpointCosts", Reply(200, COSTS))
    with KalshiClient(**options(server, key, rate_limit=True)) as client:
        assert client.rate_limiter is not None
        seed_from_account(client.rate_limiter, client)
        check_seeded(client.rate_limiter)
    assert [call.signature_ok for call in server.calls("GetAccountApiLimits")] == [True]


def test_seeding_from_the_account_async(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.script("GetAccountApiLimits", Reply(200, LIMITS))
    server.script("GetAccountEndpointCosts", Reply(200, COSTS))
    limiter = RateLimiter()

    async def run() -> None:
        async with AsyncKalshiClient(**options(server, key, rate_limit=limiter)) as client:
            await aseed_from_account(limiter, client)

    asyncio.run(run())
    check_seeded(limiter)


def test_limits_the_account_reports_are_checked_too(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.script(
        "GetAccountApiLimits", Reply(200, {**LIMITS, "write": {"refill_rate": 0, "bucket_capacity": 5}})
    )
    limiter = RateLimiter()
    with KalshiClient(**options(server, key, rate_limit=limiter)) as client:
        with pytest.raises(errors.ConfigurationError, match=r"refill_rate must be a positive .*got 0"):
            seed_from_account(limiter, client)
    assert limiter.write == BASIC_WRITE and limiter.usage_tier is None


# --- configuration -----------------------------------------------------------------------------------------


def test_off_by_default_and_true_means_basic_tier(server: SpecServer) -> None:
    with KalshiClient(base_url=server.base_url) as client:
        assert client.rate_limiter is None
    with KalshiClient(base_url=server.base_url, rate_limit=True) as client:
        assert client.rate_limiter is not None
        assert (client.rate_limiter.read, client.rate_limiter.write) == (BASIC_READ, BASIC_WRITE)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Budget(refill_rate=0, capacity=10),
            "refill_rate must be a positive number of tokens, got 0",
        ),
        (lambda: Budget(refill_rate=10, capacity=-5), "capacity must be a positive number of tokens, got -5"),
        (lambda: Budget(refill_rate=float("nan"), capacity=10), "refill_rate .*got nan"),
        (lambda: Budget(refill_rate=10, capacity=float("inf")), "capacity must be finite, got inf"),
        (lambda: Budget(refill_rate=True, capacity=10), "refill_rate .*got True"),
        (lambda: RateLimiter(read="fast"), "read must be a Budget, got 'fast'"),
        (
            lambda: RateLimiter().replace_limits(read=BASIC_READ, write=5, default_cost=1, costs={}),
            "write must be a Budget, got 5",
        ),
        (
            lambda: RateLimiter().replace_limits(
                read=BASIC_READ, write=BASIC_WRITE, default_cost=-2, costs={}
            ),
            "default_cost must be .*>= 0, got -2",
        ),
        (lambda: RateLimiter(default_cost=-1), "default_cost must be .*>= 0, got -1"),
        (lambda: RateLimiter(headroom=1), r"headroom must be a fraction in \[0, 1\), got 1"),
        (lambda: RateLimiter(headroom=-0.1), r"headroom must be .*got -0.1"),
        (lambda: RateLimiter(costs={("GET", "/markets"): 2.5}), "cost of GET /markets .*got 2.5"),
        (
            lambda: KalshiClient(rate_limit="yes"),
            "rate_limit must be True, False or a RateLimiter, got 'yes'",
        ),
    ],
)
def test_bad_configuration_names_the_value(make: Callable[[], object], message: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=message):
        make()


# --- against the fake exchange ------------------------------------------------------------------------------

FAKE_LIMITS = RateLimits(read_per_second=100, write_per_second=50)  # small, so a burst overruns it quickly
FAKE_ORDER = {**ORDER, "ticker": "KXHIGHNY-26NOV22-T60", "count": "1", "price": "0.10"}


def mixed_burst(client: KalshiClient) -> list[BaseException | None]:
    """40 reads and 20 order creates at once, from 8 threads."""
    calls: list[Callable[[], object]] = [client.exchange.status] * 40
    calls += [lambda: client.orders.create_v2(**FAKE_ORDER)] * 20
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.exception() for future in futures]


def test_a_limiter_seeded_from_the_fake_exchange_keeps_a_burst_under_its_limits() -> None:
    with FakeKalshi(rate_limits=FAKE_LIMITS) as fake, fake.client(max_retries=0) as client:
        outcomes = mixed_burst(client)
        assert rate_limited(outcomes) == fake.rate_limited > 0  # unpaced, the exchange refuses part of it

    with FakeKalshi(rate_limits=FAKE_LIMITS) as fake:
        limiter = RateLimiter()  # Basic tier until seeded: twice what this exchange allows
        with fake.client(max_retries=0, rate_limit=limiter) as client:
            seed_from_account(limiter, client)  # learns the exchange's real limits and costs
            assert (limiter.read, limiter.write) == (Budget(100, 100), Budget(50, 100))
            # The seeding calls were paced at the Basic tier's refill rate, not the exchange's; once both
            # buckets are full again (capacity / refill rate = 1 s) the two sides agree exactly.
            time.sleep(1.0)
            outcomes = mixed_burst(client)
            assert outcomes == [None] * 60
            assert fake.rate_limited == 0
            assert len(client.orders.list(ticker=FAKE_ORDER["ticker"], limit=100)) == 20  # all resting


def test_headroom_keeps_a_burst_below_the_servers_capacity_too() -> None:
    """After a quiet spell the bucket holds 95% of the published capacity: a burst whose requests arrive
    late finds the server's bucket with room to spare. A request of the full capacity is still taken."""
    now = [0.0]
    limiter = RateLimiter(read=Budget(refill_rate=100, capacity=100), clock=lambda: now[0])
    status = OPERATIONS["GetExchangeStatus"]  # 10 tokens
    assert limiter.wait_time(status) == 0.0
    for _ in range(9):
        limiter.acquire(status)  # 90 tokens, no wait
    assert limiter.wait_time(status) == pytest.approx((10 - 5) / 95)  # 5 left of the 95 it holds
    now[0] += 60.0  # idle: refilled to the ceiling, not to the published capacity
    assert limiter.wait_time(status, items=10) == pytest.approx((100 - 95) / 95)
