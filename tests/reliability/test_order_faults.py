"""Order writes under the faults that leave their outcome unknown, over the loopback spec server, sync and
async: every error names the order's client_order_id, ``place_order`` reconciles an unreadable 2xx by lookup,
tells "unknown" apart from "refused", honours Retry-After, and keeps to its ``total_timeout``."""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient, models
from kalshi_api.orders import PlacedOrder, aplace_order, place_order
from kalshi_api.ratelimit import Budget, RateLimiter
from kalshi_api_core import errors
from kalshi_api_core.transport import RetryPolicy
from tests.spec_server import Reply, SpecServer

FLAVOURS = ["sync", "async"]
# fast backoff, but a server's Retry-After of 1 s is honoured in full
POLICY = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.004, retry_after_max=5.0)
ORDER = {
    "side": "bid",
    "count": "1",
    "price": "0.50",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
}


def _request(**fields: Any) -> models.CreateOrderV2Request:
    return models.CreateOrderV2Request(ticker="KX-F", **{**ORDER, **fields})


def _options(server: SpecServer, key: rsa.RSAPrivateKey, **client: Any) -> dict[str, Any]:
    return {"auth": KalshiAuth("k", key), "base_url": server.base_url, "retry": POLICY, **client}


def _place(
    flavour: str,
    server: SpecServer,
    key: rsa.RSAPrivateKey,
    request: models.CreateOrderV2Request,
    client: dict[str, Any] | None = None,
    **options: Any,
) -> PlacedOrder:
    """place_order or aplace_order with a fresh client; raises what they raise."""
    opts = _options(server, key, **(client or {}))
    if flavour == "sync":
        with KalshiClient(**opts) as sync_client:
            return place_order(sync_client, request, **options)

    async def main() -> PlacedOrder:
        async with AsyncKalshiClient(**opts) as async_client:
            return await aplace_order(async_client, request, **options)

    return asyncio.run(main())


def _create(
    flavour: str, server: SpecServer, key: rsa.RSAPrivateKey, client: dict[str, Any], **order: Any
) -> Any:
    opts = _options(server, key, **client)
    if flavour == "sync":
        with KalshiClient(**opts) as sync_client:
            return sync_client.orders.create_v2(request=_request(**order))

    async def main() -> Any:
        async with AsyncKalshiClient(**opts) as async_client:
            return await async_client.orders.create_v2(request=_request(**order))

    return asyncio.run(main())


def _sent_id(server: SpecServer, n: int = 0) -> str:
    return str(json.loads(server.calls("CreateOrderV2")[n].body)["client_order_id"])


# --- every error of an order write names its client_order_id --------------------------------------------

WRITE_ERRORS: dict[str, tuple[Callable[[], Reply], type[errors.KalshiError], dict[str, Any], bool]] = {
    # fault -> (reply, error, client options, outcome unknown)
    "2xx JSON cut off": (
        lambda: Reply(201, b'{"order_id": "o-1", "client_ord'),
        errors.ResponseDecodeError,
        {},
        True,
    ),
    "2xx JSON without a required field": (
        lambda: Reply(201, {"order_id": "o-1"}),
        errors.ResponseDecodeError,
        {},
        True,
    ),
    "2xx empty body": (lambda: Reply(201, b""), errors.ResponseDecodeError, {}, True),
    "2xx bad gzip": (
        lambda: Reply(201, b"not gzip at all", headers={"Content-Encoding": "gzip"}),
        errors.ResponseDecodeError,
        {},
        True,
    ),
    "2xx too large (declared)": (
        lambda: Reply(201, pad=50_000),
        errors.ResponseTooLargeError,
        {"max_response_bytes": 4096},
        True,
    ),
    "2xx too large (streamed)": (
        lambda: Reply(
            201, gzip.compress(b'{"x": "' + b"0" * 50_000 + b'"}'), headers={"Content-Encoding": "gzip"}
        ),
        errors.ResponseTooLargeError,
        {"max_response_bytes": 4096},
        True,
    ),
    "2xx cut off mid-body": (lambda: Reply(201, truncate=True), errors.NetworkError, {}, True),
    "503": (
        lambda: Reply(503, {"error": "overloaded"}, headers={"Retry-After": "1"}),
        errors.ServerError,
        {},
        True,
    ),
    "400": (
        lambda: Reply(400, {"code": "invalid_price", "message": "no"}),
        errors.BadRequestError,
        {},
        False,
    ),
    "timeout": (lambda: Reply(201, delay=0.5), errors.RequestTimeoutError, {"timeout": 0.1}, True),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("fault", list(WRITE_ERRORS))
def test_every_error_of_an_order_create_names_its_client_order_id(
    server: SpecServer, key: rsa.RSAPrivateKey, fault: str, flavour: str
) -> None:
    make, cls, client, unknown = WRITE_ERRORS[fault]
    server.script("CreateOrderV2", make())
    with pytest.raises(cls) as info:
        _create(flavour, server, key, client)
    error = info.value
    assert isinstance(error, errors.RequestError)
    sent = _sent_id(server)
    assert (
        uuid.UUID(sent).version == 4 and error.client_order_id == sent and error.client_order_ids == (sent,)
    )
    assert error.outcome_unknown is unknown and sent in str(error)
    assert ("reconcile" in str(error)) is unknown  # a refusal says refused, not "outcome unknown"
    if fault == "503":
        assert isinstance(error, errors.APIError) and error.retry_after == 1.0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_write_the_rate_limiter_refuses_names_its_orders_and_sends_nothing(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    tiny = RateLimiter(write=Budget(refill_rate=5, capacity=5))  # a create costs 10 tokens: never fits
    with pytest.raises(errors.RequestCostError) as info:
        _create(flavour, server, key, {"rate_limit": tiny}, client_order_id="mine-7")
    assert info.value.client_order_id == "mine-7" and server.calls() == []


# --- place_order: a 2xx it can't read is reconciled, never failed nor sent twice ----------------------------

UNREADABLE_2XX = {
    "JSON cut off mid-body": lambda: Reply(201, b'{"order_id": "x", "fill_count_fp": "0.00", "remaini'),
    "JSON without a required field": lambda: Reply(201, {"order_id": "x", "client_order_id": "y"}),
    "HTTP body cut off": lambda: Reply(201, truncate=True),
    "undecodable gzip": lambda: Reply(201, b"\x1f\x8b broken", headers={"Content-Encoding": "gzip"}),
    "too large": lambda: Reply(201, pad=50_000),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("fault", list(UNREADABLE_2XX))
def test_place_order_finds_an_order_whose_2xx_it_could_not_read(
    server: SpecServer, key: rsa.RSAPrivateKey, fault: str, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.script("CreateOrderV2", UNREADABLE_2XX[fault]())
    placed = _place(flavour, server, key, _request(), {"max_response_bytes": 16_384})
    assert placed.how == "found" and placed.attempts == 1
    assert placed.client_order_id == _sent_id(server) and placed.order_id == f"order-{placed.client_order_id}"
    assert server.commit_counts == {placed.client_order_id: 1} and len(server.calls("CreateOrderV2")) == 1


# --- place_order: unknown is unknown, refused is refused ---------------------------------------------------


def _lookups_fail(server: SpecServer) -> None:
    server.fault_plan = lambda operation, headers: (
        Reply(500, {"error": "db"}) if operation == "GetOrders" else None
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("lookup", ["500", "repeated cursor"])
def test_when_every_lookup_fails_the_order_state_is_unknown_not_the_lookups_error(
    server: SpecServer, key: rsa.RSAPrivateKey, lookup: str, flavour: str
) -> None:
    if lookup == "500":
        server.serve_committed_orders = True
        _lookups_fail(server)
    # else: the spec sample's orders page, whose cursor never changes: paging stops with PaginationError
    server.script("CreateOrderV2", Reply(drop=True, commit=True))  # placed; the answer is lost
    with pytest.raises(errors.OrderStateUnknownError) as info:
        _place(flavour, server, key, _request(), attempts=3)
    error = info.value
    sent = _sent_id(server)
    assert error.client_order_id == sent and error.client_order_ids == (sent,)
    # the second create met the first one's order (409), the third round only looked
    assert error.creates == 2 == len(server.calls("CreateOrderV2")) and server.commit_counts == {sent: 1}
    assert isinstance(error.create_error, errors.ConflictError) and error.__cause__ is error.create_error
    if lookup == "500":
        assert isinstance(error.lookup_error, errors.ServerError) and error.lookup_error.status == 500
    else:
        assert isinstance(error.lookup_error, errors.PaginationError)
    assert "may or may not exist" in str(error) and sent in str(error) and "reconcile" in str(error)
    assert error.outcome_unknown and error.method == "POST"
    assert error.path == "/trade-api/v2/portfolio/events/orders"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_creates_that_never_answer_and_lookups_that_fail_end_unknown(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    _lookups_fail(server)
    server.script("CreateOrderV2", *[Reply(502, commit=False)] * 3)
    with pytest.raises(errors.OrderStateUnknownError) as info:
        _place(flavour, server, key, _request(client_order_id="c-502"), attempts=3)
    assert info.value.creates == 3 and isinstance(info.value.create_error, errors.ServerError)
    assert info.value.client_order_id == "c-502" and server.committed == {}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_refusal_after_an_uncertain_create_is_still_unknown(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.script("CreateOrderV2", Reply(503, commit=False), Reply(400, {"code": "market_closed"}))
    with pytest.raises(errors.OrderStateUnknownError) as info:
        _place(flavour, server, key, _request())
    assert isinstance(info.value.create_error, errors.BadRequestError) and info.value.creates == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_first_create_refused_for_an_id_in_use_elsewhere_is_a_conflict(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.committed["taken-1"] = {"ticker": "KX-OTHER"}  # someone's earlier order; the lookup won't see it
    with pytest.raises(errors.ConflictError) as info:
        _place(flavour, server, key, _request(client_order_id="taken-1"))
    assert info.value.client_order_id == "taken-1" and not info.value.outcome_unknown
    assert "refused" in str(info.value) and len(server.calls("CreateOrderV2")) == 1


# --- place_order: Retry-After and the total budget ---------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_a_create_is_honoured(
    server: SpecServer, key: rsa.RSAPrivateKey, status: int, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.script(
        "CreateOrderV2", Reply(status, {"error": "slow down"}, headers={"Retry-After": "1"}, commit=False)
    )
    placed = _place(flavour, server, key, _request())
    assert placed.how == "created" and placed.attempts == 2
    first, second = server.calls("CreateOrderV2")
    assert second.at - first.at >= 1.0  # measured where the creates arrived
    assert server.calls("GetOrders")  # the lookup came in between: the first create might have landed


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_total_timeout_stops_before_a_wait_that_would_exceed_it(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.script("CreateOrderV2", Reply(503, headers={"Retry-After": "1"}, commit=False))
    with pytest.raises(errors.OrderStateUnknownError) as info:
        _place(flavour, server, key, _request(), total_timeout=0.5)
    assert "total_timeout=0.5s would be exceeded" in str(info.value)
    assert info.value.creates == 1 and isinstance(info.value.create_error, errors.ServerError)
    assert len(server.calls("CreateOrderV2")) == 1 and server.committed == {}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_total_timeout_cuts_a_create_that_stalls(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    server.serve_committed_orders = True
    server.script("CreateOrderV2", Reply(201, delay=0.8, commit=True))  # placed, answered after 0.8 s
    with pytest.raises(errors.OrderStateUnknownError) as info:  # the client's own timeout is 10 s
        _place(flavour, server, key, _request(), total_timeout=0.3)
    assert isinstance(info.value.create_error, errors.RequestTimeoutError) and info.value.creates == 1
    assert list(server.commit_counts.values()) == [1]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_total_timeout_reaches_the_lookups_retries(
    server: SpecServer, key: rsa.RSAPrivateKey, flavour: str
) -> None:
    server.serve_committed_orders = True
    busy = Reply(503, headers={"Retry-After": "1"})
    server.fault_plan = lambda operation, headers: busy if operation == "GetOrders" else None
    server.script("CreateOrderV2", Reply(drop=True, commit=True))
    with pytest.raises(errors.OrderStateUnknownError) as info:
        _place(flavour, server, key, _request(), total_timeout=0.8)
    # No lookup slept through its Retry-After (that would use the budget up in the first round): each failed
    # at once, and every round ran: a drop, then the 409 of the first create's order, then a lookup alone.
    assert (
        isinstance(info.value.lookup_error, errors.ServerError) and info.value.lookup_error.retry_after == 1
    )
    assert info.value.creates == 2 and len(server.calls("GetOrders")) == 3
    assert "3 attempt(s) used up" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("total_timeout", 0), ("total_timeout", -1.0), ("total_timeout", float("nan")), ("total_timeout", True),
     ("attempts", 0), ("attempts", True), ("lookup_pages", 0), ("lookup_pages", 2.5)],
)  # fmt: skip
def test_bad_place_order_arguments_are_refused_before_any_request(
    server: SpecServer, key: rsa.RSAPrivateKey, name: str, value: Any
) -> None:
    for flavour in FLAVOURS:
        with pytest.raises(errors.ConfigurationError, match=rf"{name} must .* got {value!r}"):
            _place(flavour, server, key, _request(), **{name: value})
    assert server.calls() == []
