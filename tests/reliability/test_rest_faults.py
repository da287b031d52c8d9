"""The REST client under injected faults and load: every call ends right, retries stay within policy, and no
order is ever placed twice or lost."""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient, models
from kalshi_api.orders import aplace_order, place_order
from kalshi_api_core import errors
from kalshi_api_core.transport import RetryPolicy
from tests.reliability.conftest import record
from tests.spec_server import Reply, SpecServer

CALLS = int(
    os.environ.get("KALSHI_SOAK_CALLS", "500")
)  # per client kind (sync, async); `make soak` raises it
RETRIES = 4
POLICY = RetryPolicy(max_retries=RETRIES, backoff_base=0.001, backoff_max=0.004, retry_after_max=0.05)
READ_TIMEOUT = 0.25
STALL = 0.6  # past the read timeout


def _past_date() -> str:
    return format_datetime(datetime.now(timezone.utc) - timedelta(minutes=5), usegmt=True)


# Transient faults: a GET that meets one is retried. Each maps to the typed error it ends in when retries run
# out.
TRANSIENT: dict[str, tuple[Callable[[], Reply], type[errors.KalshiError]]] = {
    "429 retry-after seconds": (lambda: Reply(429, headers={"Retry-After": "0"}), errors.RateLimitError),
    "429 retry-after date": (
        lambda: Reply(429, headers={"Retry-After": _past_date()}),
        errors.RateLimitError,
    ),
    "500": (lambda: Reply(500, kind="500"), errors.ServerError),
    "502": (lambda: Reply(502, kind="502"), errors.ServerError),
    "503": (lambda: Reply(503, kind="503"), errors.ServerError),
    "504": (lambda: Reply(504, kind="504"), errors.ServerError),
    "reset before body": (lambda: Reply(reset="before_body", kind="reset before"), errors.NetworkError),
    "reset after body": (lambda: Reply(reset="after_body", kind="reset after"), errors.NetworkError),
    "stall past read timeout": (lambda: Reply(delay=STALL, kind="stall"), errors.RequestTimeoutError),
    "truncated body": (lambda: Reply(truncate=True, kind="truncated"), errors.NetworkError),
}  # fmt: skip


class FaultPlan:
    """Injects a random transient fault into a share of requests, remembering what each call met."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.by_call: dict[str, list[str]] = {}  # call id -> what each attempt met ("ok" or a fault)

    def __call__(self, operation_id: str, headers: dict[str, str]) -> Reply | None:
        with self.lock:
            fault = self.random.choice(list(TRANSIENT)) if self.random.random() < self.rate else None
            self.by_call.setdefault(headers.get("x-call", "?"), []).append(fault or "ok")
        return TRANSIENT[fault][0]() if fault else None


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def server(key: rsa.RSAPrivateKey) -> Iterator[SpecServer]:
    with SpecServer(key.public_key()) as srv:
        yield srv


class Attempts:
    """Counts, on the client side, every request the SDK sends per call (the X-Call header)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_call: Counter[str] = Counter()

    def count(self, request: httpx.Request) -> None:
        with self.lock:
            self.by_call[request.headers.get("x-call", "?")] += 1

    def sync_client(self) -> httpx.Client:
        return httpx.Client(event_hooks={"request": [self.count]}, follow_redirects=False)

    def async_client(self) -> httpx.AsyncClient:
        async def count(request: httpx.Request) -> None:
            self.count(request)

        return httpx.AsyncClient(event_hooks={"request": [count]}, follow_redirects=False)


def _check_outcomes(plan: FaultPlan, attempts: Attempts, outcomes: dict[str, Any]) -> Counter[str]:
    """Each call: a correct result, or the typed error its last fault calls for after exactly the policy's
    attempts; never more attempts than the policy allows."""
    faults: Counter[str] = Counter()
    for call, outcome in outcomes.items():
        met = plan.by_call[call]
        sent = attempts.by_call[call]
        faults.update(m for m in met if m != "ok")
        assert len(met) <= sent <= 1 + RETRIES, f"{call}: sent {sent}, server saw {met}"
        if isinstance(outcome, models.ExchangeStatus):
            assert met[-1] == "ok", f"{call}: {met} -> {outcome!r}"
            continue
        assert sent == 1 + RETRIES, f"{call} gave up after {sent} attempts: {met} -> {outcome!r}"
        # When the server saw every attempt, the error is the one its last fault calls for. An attempt the
        # server never saw failed on its way (a connection the server had just closed): a network error.
        allowed = {TRANSIENT[met[-1]][1]} if met[-1] != "ok" else set()
        if len(met) < sent:
            allowed |= {errors.NetworkError, errors.RequestTimeoutError}
        assert type(outcome) in allowed, f"{call}: {met} (sent {sent}) -> {type(outcome).__name__}"
    return faults


def test_thousand_gets_under_thirty_percent_faults(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    plan = FaultPlan(rate=0.35, seed=7)
    server.fault_plan = plan
    sent = Attempts()
    outcomes: dict[str, Any] = {}

    def sync_call(n: int, client: KalshiClient) -> None:
        call = f"sync-{n}"
        try:
            outcomes[call] = client.exchange.status(extra_headers={"X-Call": call}, timeout=READ_TIMEOUT)
        except errors.KalshiError as exc:
            outcomes[call] = exc

    async def async_calls(count: int) -> None:
        limit = asyncio.Semaphore(16)
        async with AsyncKalshiClient(
            auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY, http_client=sent.async_client()
        ) as client:

            async def one(n: int) -> None:
                call = f"async-{n}"
                async with limit:
                    try:
                        outcomes[call] = await client.exchange.status(
                            extra_headers={"X-Call": call}, timeout=READ_TIMEOUT
                        )
                    except errors.KalshiError as exc:
                        outcomes[call] = exc

            await asyncio.gather(*(one(n) for n in range(count)))

    http = sent.sync_client()
    with KalshiClient(
        auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY, http_client=http
    ) as client:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: sync_call(n, client), range(CALLS)))
    asyncio.run(async_calls(CALLS))

    assert len(outcomes) == 2 * CALLS
    faults = _check_outcomes(plan, sent, outcomes)
    attempts = sum(sent.by_call.values())
    assert sum(faults.values()) / attempts >= 0.3
    assert len(faults) == len(TRANSIENT)  # every kind of fault was met
    failed = sum(1 for o in outcomes.values() if isinstance(o, Exception))
    record(
        "rest load",
        calls=len(outcomes),
        attempts=attempts,
        retries=attempts - len(outcomes),
        faults=Counter(faults),
        calls_failed_after_retries=failed,
    )


def test_faults_that_are_not_transient(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    with KalshiClient(base_url=server.base_url, retry=POLICY, max_response_bytes=4096) as client:
        server.script("GetExchangeStatus", Reply(200, b"<html>maintenance</html>", content_type="text/html"))
        with pytest.raises(errors.ResponseDecodeError):
            client.exchange.status()
        server.script("GetExchangeStatus", Reply(200, content_type="text/plain"))  # JSON with a wrong type
        assert isinstance(client.exchange.status(), models.ExchangeStatus)
        server.script("GetExchangeStatus", Reply(200, pad=100_000))
        with pytest.raises(errors.ResponseTooLargeError):
            client.exchange.status()
        server.script("GetExchangeStatus", Reply(200, b'{"exchange_active": tr'))
        with pytest.raises(errors.ResponseDecodeError):
            client.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 4  # none of these is retried
    record("rest load", non_transient_faults=4)


ORDER = {
    "side": "bid",
    "count": "1",
    "price": "0.50",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
}

# Faults of an order create: before the exchange commits it (the order is surely not placed) or after.
WRITE_FAULTS: list[tuple[str, Callable[[], Reply]]] = [
    ("503 before commit", lambda: Reply(503, commit=False, kind="503")),
    ("429 before commit", lambda: Reply(429, headers={"Retry-After": "0"}, commit=False, kind="429")),
    ("reset before body", lambda: Reply(reset="before_body", kind="reset before")),
    ("timeout after commit", lambda: Reply(201, delay=STALL, commit=True, kind="post-commit timeout")),
    ("dropped after commit", lambda: Reply(drop=True, commit=True, kind="post-commit drop")),
    ("reset after commit", lambda: Reply(reset="after_body", commit=True, kind="post-commit reset")),
    ("502 after commit", lambda: Reply(502, commit=True, kind="post-commit 502")),
]


class WritePlan:
    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.met: Counter[str] = Counter()

    def __call__(self, operation_id: str, headers: dict[str, str]) -> Reply | None:
        if operation_id != "CreateOrderV2":
            return None
        with self.lock:
            if self.random.random() >= self.rate:
                return None
            name, make = self.random.choice(WRITE_FAULTS)
            self.met[name] += 1
        return make()


def test_five_hundred_order_creates_under_faults_never_duplicate(
    server: SpecServer, key: rsa.RSAPrivateKey
) -> None:
    plan = WritePlan(rate=0.4, seed=11)
    server.fault_plan = plan
    server.serve_committed_orders = True
    requests = [
        models.CreateOrderV2Request(ticker=f"KX-{n % 7}", client_order_id=f"cid-{n:04d}", **ORDER)
        for n in range(500)
    ]
    uncertain: list[errors.RequestError] = []
    with KalshiClient(
        auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY, timeout=READ_TIMEOUT
    ) as c:
        # 1. plain creates: every failure is typed and names the order it may have placed
        for request in requests:
            try:
                c.orders.create_v2(request=request)
            except errors.RequestError as exc:
                assert exc.client_order_id == request.client_order_id, exc
                uncertain.append(exc)
        first_pass = dict(server.commit_counts)
        # 2. reconcile-then-retry resolves every failure, whatever it was
        resolved = Counter()
        for exc in uncertain:
            request = next(r for r in requests if r.client_order_id == exc.client_order_id)
            placed = place_order(c, request, attempts=6, reconcile_first=True)
            assert placed.client_order_id == request.client_order_id
            resolved[placed.how] += 1
    assert set(server.committed) == {r.client_order_id for r in requests}  # nothing lost
    assert set(server.commit_counts.values()) == {1}  # nothing placed twice
    kinds = Counter(type(e).__name__ for e in uncertain)
    assert {"RequestTimeoutError", "NetworkError", "ServerError"} <= set(kinds)
    record(
        "rest writes",
        creates=len(requests),
        faults=Counter(plan.met),
        uncertain_outcomes=len(uncertain),
        uncertain_by_error=Counter(kinds),
        committed_after_first_pass=len(first_pass),
        resolved_by=Counter(resolved),
        duplicate_creates_refused=server.duplicate_creates,
        duplicates_committed=sum(n - 1 for n in server.commit_counts.values()),
    )


def test_async_place_order_under_faults(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.fault_plan = WritePlan(rate=0.5, seed=3)
    server.serve_committed_orders = True

    async def main() -> list[str]:
        async with AsyncKalshiClient(
            auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY, timeout=READ_TIMEOUT
        ) as client:
            placed = await asyncio.gather(
                *(
                    aplace_order(client, models.CreateOrderV2Request(ticker="KX-A", **ORDER), attempts=8)
                    for _ in range(60)
                )
            )
        return [p.client_order_id for p in placed]

    ids = asyncio.run(main())
    assert len(set(ids)) == 60 and set(server.committed) == set(ids)
    assert set(server.commit_counts.values()) == {1}
    record("rest writes", async_place_order_calls=60)


def test_placing_a_body_the_server_refuses_is_not_retried(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.script("CreateOrderV2", Reply(400, {"error": {"code": "invalid_price"}}, commit=False))
    with KalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY) as client:
        with pytest.raises(errors.BadRequestError):
            place_order(client, models.CreateOrderV2Request(ticker="KX", **ORDER))
    assert len(server.calls("CreateOrderV2")) == 1 and server.calls("GetOrders") == []
    assert json.loads(server.calls("CreateOrderV2")[0].body)["client_order_id"]


def test_resuming_after_an_uncertain_create_uses_its_client_order_id(
    server: SpecServer, key: rsa.RSAPrivateKey
) -> None:
    server.serve_committed_orders = True
    server.script("CreateOrderV2", Reply(201, delay=STALL, commit=True))
    request = models.CreateOrderV2Request(ticker="KX-R", **ORDER)  # no client_order_id: the SDK makes one
    with KalshiClient(
        auth=KalshiAuth("k", key), base_url=server.base_url, retry=POLICY, timeout=READ_TIMEOUT
    ) as c:
        with pytest.raises(errors.RequestTimeoutError) as err:
            c.orders.create_v2(request=request)
        placed = place_order(c, request, reconcile_first=True, client_order_id=err.value.client_order_id)
    assert placed.how == "found" and placed.client_order_id == err.value.client_order_id
    assert list(server.commit_counts.values()) == [1] and len(server.calls("CreateOrderV2")) == 1
