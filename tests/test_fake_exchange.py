"""The fake exchange (kalshi_api.testing.FakeKalshi) through the real SDK client over loopback HTTP: every
operation, the order lifecycle and matching, positions and balance, signatures, rate limits, the fixture."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel

import kalshi_api.resources
from codegen.families import PERPS
from kalshi_api import DecimalInputError, KalshiAuth, KalshiClient, errors, models
from kalshi_api.client import EXCLUDED_OPERATIONS
from kalshi_api.orders import place_order
from kalshi_api.testing import ROUTES, FakeKalshi, MarketSpec, RateLimits
from kalshi_api_app.testing.routes import Route
from kalshi_api_app.testing.samples import sample
from kalshi_api_core.pagination import Page
from kalshi_api_core.resources import SyncResource
from kalshi_api_core.transport import Operation
from tests.contract import generated_operations

T = "KXHIGHNY-26NOV22-T60"
T2 = "KXHIGHNY-26NOV22-T65"
EVENT = "KXHIGHNY-26NOV22"
SERIES = "KXHIGHNY"
GTC = "good_till_canceled"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def client(fake_kalshi: FakeKalshi) -> Iterator[KalshiClient]:
    with fake_kalshi.client(max_retries=0) as client:
        yield client


def order(
    client: KalshiClient, side: str, price: str, count: str, **options: Any
) -> models.CreateOrderV2Response:
    options.setdefault("time_in_force", GTC)
    options.setdefault("self_trade_prevention_type", "taker_at_cross")
    return client.orders.create_v2(
        ticker=options.pop("ticker", T), side=side, price=price, count=count, **options
    )


def book(client: KalshiClient, ticker: str = T) -> dict[str, list[tuple[Decimal, Decimal]]]:
    got = client.markets.orderbook(ticker)
    return {"yes": list(got.yes_dollars), "no": list(got.no_dollars)}


def levels(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(p), Decimal(c)) for p, c in pairs]


# --- every operation -----------------------------------------------------------------------------------


def _methods(client: KalshiClient) -> dict[str, Callable[..., Any]]:
    """Each operation's client method, found by the operation id its generated docstring names."""
    found = {}
    for attribute in dir(client):
        resource = getattr(client, attribute)
        if not isinstance(resource, SyncResource):
            continue
        for name in dir(resource):
            method = getattr(resource, name)
            if name.startswith("_") or name.endswith("_all") or not callable(method):
                continue
            match = re.search(r"\((\w+)\)\.", (method.__doc__ or "").split("\n", 1)[0])
            if match:
                found[match.group(1)] = method
    return found


def _arguments(route: Route, fixed: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Path arguments and keyword arguments for a route: a full sample, with real tickers and ids."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if route.params is not None:
        values = sample(route.params).model_dump()
        for name, value in values.items():
            if name in fixed:
                values[name] = fixed[name]
            elif name == "tickers":
                values[name] = [T] if isinstance(value, list) else None
        params = route.params.model_validate(values)
        wire = {info.alias or name: name for name, info in route.params.model_fields.items()}
        args = [getattr(params, wire[p]) for p in route.operation.path_params]
        path_names = {wire[p] for p in route.operation.path_params}
        kwargs = {n: v for n, v in params if n not in path_names and v is not None}
    if isinstance(route.body, type) and issubclass(route.body, BaseModel):
        kwargs["request"] = sample(route.body)
    elif route.body is not None:
        kwargs["request"] = {}
    return args, kwargs


PERPS_IDS = set(generated_operations(PERPS))
ORDER_WRITES = {"CreateOrderV2", "BatchCreateOrdersV2", "AmendOrderV2", "DecreaseOrderV2", "CancelOrderV2"}


def test_routes_cover_every_operation_the_client_has() -> None:
    """Every operation of both clients: the trade one's and the perps one's (tests/test_fake_perps.py)."""
    operations = set()
    for info in pkgutil.iter_modules(kalshi_api.resources.__path__):
        module = importlib.import_module(f"kalshi_api.resources.{info.name}")
        operations |= {v.operation_id for v in vars(module).values() if isinstance(v, Operation)}
    assert {r.operation.operation_id for r in ROUTES} == operations | PERPS_IDS
    assert not operations & set(EXCLUDED_OPERATIONS)
    assert len(operations) > 90


def test_every_operation_answers_2xx_and_decodes(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    methods = _methods(client)
    fake_kalshi.seed_order(T, "ask", "0.70", "5")
    resting = order(client, "bid", "0.40", "10")
    fixed = {
        "ticker": T,
        "event_ticker": EVENT,
        "series_ticker": SERIES,
        "market_tickers": T,
        "order_id": resting.order_id,
        "cursor": None,
        "status": None,
        "count_filter": None,
    }
    for route in ROUTES:
        operation_id = route.operation.operation_id
        if (
            operation_id in ORDER_WRITES
            or operation_id == "BatchCancelOrdersV2"
            or operation_id not in methods
        ):
            continue  # order writes are tested below, the perps operations in tests/test_fake_perps.py
        args, kwargs = _arguments(route, fixed)
        result = methods[operation_id](*args, **kwargs)
        expected = route.operation.response_type
        if route.status == 204 or expected is None:
            assert result is None, operation_id
        elif route.operation.page_items is not None:
            assert isinstance(result, Page) and not result.has_next, operation_id
        elif route.operation.unwrap is None:
            assert isinstance(result, expected if isinstance(expected, type) else dict), operation_id
    # the order writes, with arguments that make sense for the exchange
    order(client, "bid", "0.30", "2", client_order_id="every-1")
    batch = client.orders.batch_create_v2(
        orders=[
            models.CreateOrderV2Request(
                ticker=T, side="bid", price="0.20", count="1", time_in_force=GTC,
                self_trade_prevention_type="maker", client_order_id=f"batch-{i}",
            )
            for i in range(2)
        ]
    )  # fmt: skip
    client.orders.amend_v2(resting.order_id, ticker=T, side="bid", price="0.41", count="10")
    client.orders.decrease_v2(resting.order_id, reduce_by="1")
    client.orders.cancel_v2(resting.order_id)
    client.orders.batch_cancel_v2(orders=[{"order_id": o.order_id or ""} for o in batch.orders])
    failed = [c for c in fake_kalshi.calls if not 200 <= c.status < 300]
    assert failed == []
    assert {c.operation_id for c in fake_kalshi.calls} == {
        r.operation.operation_id for r in ROUTES
    } - PERPS_IDS


def test_async_client_calls_the_same_exchange(fake_kalshi: FakeKalshi) -> None:
    async def main() -> None:
        async with fake_kalshi.async_client() as client:
            page = await client.markets.list(limit=2)
            assert [m.ticker for m in page] == [T, T2] and page.has_next
            tickers = [m.ticker async for m in client.markets.list_all(limit=1)]
            assert tickers == [T, T2, "KXHIGHNY-26NOV22-T70", "KXINX-26NOV22-T6000"]
            created = await client.orders.create_v2(
                ticker=T, side="bid", price="0.45", count="3", time_in_force=GTC,
                self_trade_prevention_type="maker",
            )  # fmt: skip
            got = await client.orders.get(created.order_id)
            assert (got.status, got.remaining_count_fp, got.yes_price_dollars) == (
                "resting", Decimal("3"), Decimal("0.45"),
            )  # fmt: skip
            assert (await client.portfolio.balance()).balance_dollars == Decimal("998.65")
            assert (await client.exchange.status()).trading_active is True

    asyncio.run(main())


def test_the_readme_examples_run_against_the_fake(fake_kalshi: FakeKalshi) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    offline = readme.split("### Testing a bot offline", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(offline, "README.md", "exec"), {})  # the section's own example, as written
    with fake_kalshi.client() as client:  # "Use it", with fake_kalshi.client() for KalshiClient.from_env()
        market = client.markets.get("KXHIGHNY-26NOV22-T60")
        assert market.ticker in [m.ticker for m in client.markets.list_all(status="open", max_pages=5)]
        created = client.orders.create_v2(
            ticker=market.ticker, side="bid", count="10", price=Decimal("0.56"),
            time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross",
        )  # fmt: skip
        assert created.client_order_id and client.portfolio.balance().balance_dollars == Decimal("994.40")
        request = models.CreateOrderV2Request(
            ticker="KXHIGHNY-26NOV22-T60", side="bid", count="10", price="0.56",
            time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross",
        )  # fmt: skip
        assert place_order(client, request).how == "created"

    async def fills() -> list[str]:
        async with fake_kalshi.async_client() as client:
            page = await client.portfolio.fills(limit=100)
            return [f.trade_id for f in page] + [f.trade_id async for f in client.portfolio.fills_all()]

    assert asyncio.run(fills()) == []


# --- errors --------------------------------------------------------------------------------------------


def test_unknown_paths_invalid_parameters_and_bodies_get_kalshis_error_shape(fake_kalshi: FakeKalshi) -> None:
    with httpx.Client(base_url=fake_kalshi.rest_url) as http:
        missing = http.get("/no/such/thing")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert "/no/such/thing" in missing.json()["error"]["message"]
        bad_query = http.get("/markets", params={"limit": "many"})
        assert bad_query.status_code == 400
        assert "limit" in bad_query.json()["error"]["message"]
        bad_body = http.post("/portfolio/events/orders", json={"ticker": T, "side": "up", "count": "1"})
        assert bad_body.status_code == 400
        message = bad_body.json()["error"]["message"]
        assert "side" in message and "'up'" in message
        float_price = http.post(
            "/portfolio/events/orders",
            json={"ticker": T, "side": "bid", "count": "1", "price": 0.5, "time_in_force": GTC,
                  "self_trade_prevention_type": "maker"},
        )  # fmt: skip
        assert float_price.status_code == 400 and "price" in float_price.json()["error"]["message"]
        assert http.put("/markets").status_code == 405


def test_typed_errors_reach_the_client(client: KalshiClient) -> None:
    with pytest.raises(errors.NotFoundError) as missing:
        client.markets.get("NO-SUCH-MARKET")
    assert missing.value.code == "market_not_found" and "NO-SUCH-MARKET" in str(missing.value)
    with pytest.raises(errors.BadRequestError) as bad_price:
        order(client, "bid", "0.555", "1")
    assert bad_price.value.code == "invalid_price" and "0.555" in str(bad_price.value)
    with pytest.raises(errors.BadRequestError) as fractional:
        order(client, "bid", "0.50", "1.5")
    assert fractional.value.code == "invalid_count"
    with pytest.raises(errors.BadRequestError) as broke:
        order(client, "bid", "0.99", "2000")
    assert broke.value.code == "insufficient_balance"
    with pytest.raises(errors.NotFoundError):
        client.orders.cancel_v2("no-such-order")


# --- matching ------------------------------------------------------------------------------------------


def test_a_resting_order_shows_in_orders_orderbook_and_market(client: KalshiClient) -> None:
    created = order(client, "bid", "0.42", "7", client_order_id="rest-1")
    assert (created.fill_count, created.remaining_count, created.client_order_id) == (0, 7, "rest-1")
    assert book(client) == {"yes": levels(("0.4200", "7.00")), "no": []}
    listed = client.orders.list(ticker=T)
    assert [(o.order_id, o.status, o.book_side, o.outcome_side) for o in listed] == [
        (created.order_id, "resting", "bid", "yes")
    ]
    market = client.markets.get(T)
    assert (market.yes_bid_dollars, market.yes_bid_size_fp, market.no_ask_dollars) == (
        Decimal("0.42"), Decimal("7"), Decimal("0.58"),
    )  # fmt: skip
    ask = order(client, "ask", "0.61", "3")  # an ask at 0.61 is a NO bid at 0.39
    assert book(client)["no"] == levels(("0.3900", "3.00"))
    assert client.orders.get(ask.order_id).outcome_side == "no"
    assert client.portfolio.resting_order_total_value().total_resting_order_value == 294 + 117


def test_price_time_priority_with_partial_fills(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    first = fake_kalshi.seed_order(T, "ask", "0.55", "3")
    second = fake_kalshi.seed_order(T, "ask", "0.55", "4")
    fake_kalshi.seed_order(T, "ask", "0.54", "2")  # a better price, though it came last
    taken = order(client, "bid", "0.55", "6")
    assert (taken.fill_count, taken.remaining_count) == (6, 0)
    assert taken.average_fill_price == Decimal("0.5467")  # (2 x 0.54 + 4 x 0.55) / 6
    fills = list(reversed(client.portfolio.fills(ticker=T).items))
    assert [(f.yes_price_dollars, f.count_fp, f.is_taker) for f in fills] == [
        (Decimal("0.54"), 2, True), (Decimal("0.55"), 3, True), (Decimal("0.55"), 1, True),
    ]  # fmt: skip
    assert book(client)["no"] == levels(("0.4500", "3.00"))  # 1 of the second order's 4 is gone
    trades = client.markets.trades(ticker=T).items
    assert [(t.count_fp, t.taker_book_side) for t in trades] == [(1, "bid"), (3, "bid"), (2, "bid")]
    assert first != second


def test_the_accounts_resting_order_fills_as_maker_ahead_of_later_orders(
    fake_kalshi: FakeKalshi, client: KalshiClient
) -> None:
    mine = order(client, "bid", "0.40", "5")
    fake_kalshi.seed_order(T, "bid", "0.40", "4")  # same price, later: behind the account's order
    fake_kalshi.seed_order(T, "ask", "0.40", "3")  # the house sells into the bids
    got = client.orders.get(mine.order_id)
    assert (got.status, got.fill_count_fp, got.remaining_count_fp) == ("resting", 3, 2)
    assert got.maker_fill_cost_dollars == Decimal("1.20")
    fill = client.portfolio.fills().items[0]
    assert (fill.is_taker, fill.count_fp, fill.order_id) == (False, 3, mine.order_id)
    assert client.orders.queue_position(mine.order_id).queue_position_fp == 0
    assert book(client)["yes"] == levels(("0.4000", "6.00"))
    fake_kalshi.seed_order(T, "ask", "0.40", "3")  # 2 more for the account, then 1 from the house
    assert client.orders.get(mine.order_id).status == "executed"
    assert book(client)["yes"] == levels(("0.4000", "3.00"))


def test_amend_moves_price_and_size_and_can_cross(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    created = order(client, "bid", "0.30", "10", client_order_id="amend-me")
    fake_kalshi.seed_order(T, "bid", "0.30", "5")
    smaller = client.orders.amend_v2(created.order_id, ticker=T, side="bid", price="0.30", count="8")
    assert (smaller.remaining_count, smaller.fill_count) == (8, 0)
    assert client.orders.queue_position(created.order_id).queue_position_fp == 0  # kept its place
    bigger = client.orders.amend_v2(
        created.order_id, ticker=T, side="bid", price="0.30", count="12", updated_client_order_id="amended"
    )
    assert (bigger.remaining_count, bigger.client_order_id) == (12, "amended")
    assert client.orders.queue_position(created.order_id).queue_position_fp == 5  # behind the house now
    fake_kalshi.seed_order(T, "ask", "0.35", "4")
    crossed = client.orders.amend_v2(created.order_id, ticker=T, side="bid", price="0.35", count="12")
    assert (crossed.fill_count, crossed.remaining_count, crossed.average_fill_price) == (
        4, 8, Decimal("0.35"),
    )  # fmt: skip
    assert book(client) == {"yes": levels(("0.3000", "5.00"), ("0.3500", "8.00")), "no": []}
    with pytest.raises(errors.BadRequestError) as wrong_side:
        client.orders.amend_v2(created.order_id, ticker=T, side="ask", price="0.35", count="12")
    assert wrong_side.value.code == "invalid_order"
    with pytest.raises(errors.BadRequestError) as below_filled:
        client.orders.amend_v2(created.order_id, ticker=T, side="bid", price="0.35", count="4")
    assert below_filled.value.code == "invalid_count"
    with pytest.raises(errors.ConflictError):
        order(client, "bid", "0.10", "1", client_order_id="amend-me")  # the old id stays taken


def test_decrease_and_cancel(client: KalshiClient) -> None:
    created = order(client, "bid", "0.25", "10", client_order_id="shrink")
    assert client.orders.decrease_v2(created.order_id, reduce_by="3").remaining_count == 7
    assert client.orders.decrease_v2(created.order_id, reduce_to="2").remaining_count == 2
    assert book(client)["yes"] == levels(("0.2500", "2.00"))
    with pytest.raises(errors.BadRequestError):
        client.orders.decrease_v2(created.order_id, reduce_by="1", reduce_to="1")
    canceled = client.orders.cancel_v2(created.order_id)
    assert (canceled.reduced_by, canceled.client_order_id) == (2, "shrink")
    assert client.orders.get(created.order_id).status == "canceled"
    assert book(client)["yes"] == []
    with pytest.raises(errors.BadRequestError) as again:
        client.orders.cancel_v2(created.order_id)
    assert again.value.code == "order_not_resting"
    to_zero = order(client, "bid", "0.25", "4")
    assert client.orders.decrease_v2(to_zero.order_id, reduce_to="0").remaining_count == 0
    assert client.orders.get(to_zero.order_id).status == "canceled"


def test_batch_create_and_cancel_report_each_order(client: KalshiClient) -> None:
    def request(cid: str, price: str, ticker: str = T) -> models.CreateOrderV2Request:
        return models.CreateOrderV2Request(
            ticker=ticker, side="bid", price=price, count="2", time_in_force=GTC,
            self_trade_prevention_type="maker", client_order_id=cid,
        )  # fmt: skip

    created = client.orders.batch_create_v2(
        orders=[
            request("b-1", "0.11"),
            request("b-2", "0.12"),
            request("b-1", "0.13"),
            request("b-3", "0.1", "NOPE"),
        ]
    )
    outcome = [(o.client_order_id, o.error.code if o.error else None) for o in created.orders]
    assert outcome == [
        ("b-1", None),
        ("b-2", None),
        ("b-1", "order_already_exists"),
        ("b-3", "market_not_found"),
    ]
    assert book(client)["yes"] == levels(("0.1100", "2.00"), ("0.1200", "2.00"))
    ids = [o.order_id or "" for o in created.orders[:2]]
    canceled = client.orders.batch_cancel_v2(
        orders=[{"order_id": ids[0]}, {"order_id": "missing"}, {"order_id": ids[1]}]
    )
    assert [(o.reduced_by, o.error.code if o.error else None) for o in canceled.orders] == [
        (2, None), (0, "order_not_found"), (2, None),
    ]  # fmt: skip
    assert book(client)["yes"] == []


def test_immediate_or_cancel_and_fill_or_kill(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    fake_kalshi.seed_order(T, "ask", "0.50", "3")
    ioc = order(client, "bid", "0.50", "5", time_in_force="immediate_or_cancel")
    assert (ioc.fill_count, ioc.remaining_count) == (3, 0)
    assert client.orders.get(ioc.order_id).status == "canceled"
    assert book(client) == {"yes": [], "no": []}  # the remainder did not rest
    fake_kalshi.seed_order(T, "ask", "0.50", "3")
    killed = order(client, "bid", "0.50", "4", time_in_force="fill_or_kill")
    assert (killed.fill_count, killed.remaining_count) == (0, 0)
    assert client.orders.get(killed.order_id).status == "canceled"
    assert book(client)["no"] == levels(("0.5000", "3.00"))  # untouched
    filled = order(client, "bid", "0.50", "3", time_in_force="fill_or_kill")
    assert (filled.fill_count, client.orders.get(filled.order_id).status) == (3, "executed")


def test_orders_expire_at_their_expiration_time(client: KalshiClient) -> None:
    with pytest.raises(errors.BadRequestError) as past:
        order(client, "bid", "0.20", "1", expiration_time=1)
    assert past.value.code == "invalid_expiration"
    expires = int(time.time()) + 1
    lasting = order(client, "bid", "0.20", "1", expiration_time=expires)
    assert client.orders.get(lasting.order_id).status == "resting"
    while time.time() <= expires:
        time.sleep(0.05)
    got = client.orders.get(lasting.order_id)
    assert (got.status, got.expiration_time and got.expiration_time.timestamp()) == ("canceled", expires)
    assert book(client)["yes"] == []


def test_client_order_id_is_idempotent(client: KalshiClient) -> None:
    first = order(client, "bid", "0.33", "2", client_order_id="once")
    with pytest.raises(errors.ConflictError) as repeated:
        order(client, "bid", "0.33", "2", client_order_id="once")
    assert repeated.value.code == "order_already_exists"
    assert [o.order_id for o in client.orders.list()] == [first.order_id]
    request = models.CreateOrderV2Request(
        ticker=T, side="bid", price="0.33", count="2", time_in_force=GTC,
        self_trade_prevention_type="maker", client_order_id="once",
    )  # fmt: skip
    placed = place_order(client, request)  # the SDK's exactly-once helper finds the order
    assert (placed.how, placed.order_id) == ("found", first.order_id)
    assert book(client)["yes"] == levels(("0.3300", "2.00"))


def test_self_trade_prevention(client: KalshiClient) -> None:
    resting = order(client, "ask", "0.60", "5")
    stopped = order(client, "bid", "0.60", "3", self_trade_prevention_type="taker_at_cross")
    assert (stopped.fill_count, client.orders.get(stopped.order_id).status) == (0, "canceled")
    assert client.orders.get(resting.order_id).status == "resting"
    cleared = order(client, "bid", "0.60", "3", self_trade_prevention_type="maker")
    assert client.orders.get(resting.order_id).status == "canceled"
    assert client.orders.get(cleared.order_id).status == "resting"
    assert book(client) == {"yes": levels(("0.6000", "3.00")), "no": []}
    assert client.portfolio.fills().items == []


def test_post_only_and_reduce_only(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    fake_kalshi.seed_order(T, "ask", "0.50", "5")
    with pytest.raises(errors.BadRequestError) as crossing:
        order(client, "bid", "0.50", "1", post_only=True)
    assert crossing.value.code == "post_only_cross"
    assert order(client, "bid", "0.49", "1", post_only=True).remaining_count == 1
    with pytest.raises(errors.BadRequestError) as growing:
        order(client, "ask", "0.40", "1", reduce_only=True)  # nothing held: an ask would open NO
    assert growing.value.code == "reduce_only"


# --- portfolio -----------------------------------------------------------------------------------------


def test_positions_and_balance_in_exact_decimals(fake_kalshi: FakeKalshi, client: KalshiClient) -> None:
    fake_kalshi.seed_order(T, "ask", "0.56", "6")
    order(client, "bid", "0.56", "6")  # buy 6 YES at 0.56: 3.36
    assert fake_kalshi.balance == Decimal("996.64")
    position = client.portfolio.positions(ticker=T).response.market_positions[0]
    assert (position.position_fp, position.market_exposure_dollars, position.total_traded_dollars) == (
        6, Decimal("3.36"), Decimal("3.36"),
    )  # fmt: skip
    fake_kalshi.seed_order(T, "bid", "0.60", "4")
    sold = order(client, "ask", "0.60", "4")  # sell 4 YES at 0.60: buys NO at 0.40, closing 4 pairs
    assert sold.fill_count == 4
    balance = client.portfolio.balance()
    assert balance.balance_dollars == Decimal("999.0400")  # 996.64 - 4 x 0.40 + 4 x 1
    assert balance.balance == 99904
    positions = client.portfolio.positions().response
    held = positions.market_positions[0]
    assert (held.position_fp, held.market_exposure_dollars, held.realized_pnl_dollars) == (
        2, Decimal("1.12"), Decimal("0.16"),  # 4 x (1 - 0.40) - 4 x 0.56
    )  # fmt: skip
    assert held.total_traded_dollars == Decimal("4.96")
    assert positions.event_positions[0].event_ticker == EVENT
    assert fake_kalshi.position(T) == 2
    resting = order(client, "ask", "0.75", "4")  # rests, holding 4 x (1 - 0.75) = 1.00 back
    assert client.portfolio.balance().balance_dollars == Decimal("998.04")
    client.orders.cancel_v2(resting.order_id)
    assert fake_kalshi.balance == Decimal("999.04")


def test_listings_page_with_cursors_and_reflect_added_markets(
    fake_kalshi: FakeKalshi, client: KalshiClient
) -> None:
    fake_kalshi.add_market(MarketSpec("KXNEW-26DEC01-T1", title="A new market"))
    fake_kalshi.add_market("KXNEW-26DEC01-T2")
    tickers = [m.ticker for m in client.markets.list_all(limit=2)]
    assert tickers[-2:] == ["KXNEW-26DEC01-T1", "KXNEW-26DEC01-T2"] and len(tickers) == 6
    assert [m.ticker for m in client.markets.list(series_ticker="KXNEW")] == tickers[-2:]
    events = [e.event_ticker for e in client.events.list_all(limit=1)]
    assert events == [EVENT, "KXINX-26NOV22", "KXNEW-26DEC01"]
    nested = client.events.get("KXNEW-26DEC01", with_nested_markets=True)
    assert [m.title for m in nested.markets] == ["A new market", "KXNEW-26DEC01-T2"]
    assert client.markets.get_series("KXNEW").ticker == "KXNEW"
    for price in ("0.10", "0.11", "0.12"):
        order(client, "bid", price, "1")
    assert len(list(client.orders.list_all(limit=2))) == 3
    with pytest.raises(errors.BadRequestError):
        client.markets.list(cursor="not-a-cursor")


# --- signatures ----------------------------------------------------------------------------------------


def test_signatures_are_verified_with_the_public_key(key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with FakeKalshi(public_key=pem, key_id="my-key") as fake:
        with fake.client(auth=KalshiAuth("my-key", key), max_retries=0) as good:
            assert good.portfolio.balance().balance_dollars == Decimal("1000")
        with fake.client(auth=KalshiAuth("my-key", other), max_retries=0) as wrong_key:
            with pytest.raises(errors.AuthenticationError) as refused:
                wrong_key.portfolio.balance()
            assert "does not verify" in str(refused.value)
            assert wrong_key.markets.get(T).ticker == T  # public operations need no signature
        with fake.client(auth=KalshiAuth("someone-else", key), max_retries=0) as wrong_id:
            with pytest.raises(errors.AuthenticationError):
                wrong_id.portfolio.balance()
        with httpx.Client(base_url=fake.rest_url) as http:
            unsigned = http.get("/portfolio/balance")
            assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unauthorized"
        assert [c.status for c in fake.calls if c.operation_id == "GetBalance"] == [200, 401, 401, 401]


def test_a_key_pair_makes_clients_that_sign(key: rsa.RSAPrivateKey) -> None:
    with FakeKalshi(private_key=key) as fake:
        with fake.client(max_retries=0) as client:
            assert client.auth is not None and client.auth.key_id == "fake-key-id"
            assert order(client, "bid", "0.50", "1").remaining_count == 1


def test_bad_keys_and_settings_are_refused_with_clear_errors() -> None:
    with pytest.raises(errors.ConfigurationError, match="public_key"):
        FakeKalshi(public_key="not a pem")
    with pytest.raises(DecimalInputError, match="balance"):
        FakeKalshi(balance=0.5)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="NoSuchOperation"):
        FakeKalshi(rate_limits=RateLimits(costs={"NoSuchOperation": 1}))
    with pytest.raises(errors.ConfigurationError, match="read_per_second"):
        RateLimits(read_per_second=0)
    with pytest.raises(errors.ConfigurationError, match="tick_size"):
        MarketSpec("KXA-1", tick_size=Decimal("0.3"))
    with FakeKalshi() as fake, pytest.raises(errors.ConfigurationError, match=r"price 1\.5"):
        fake.seed_order(T, "ask", "1.5", "1")


# --- rate limits ---------------------------------------------------------------------------------------


def test_rate_limits_answer_429_with_retry_after_and_count_them() -> None:
    # 10 tokens a request, refilled at 1 a second: three reads pass, then ten seconds to the next one
    limits = RateLimits(read_per_second=1, read_capacity=30, write_per_second=1, write_capacity=20)
    with FakeKalshi(rate_limits=limits) as fake, fake.client(max_retries=0) as client:
        refused = []
        for _ in range(5):
            try:
                client.exchange.status()
            except errors.RateLimitError as exc:
                refused.append(exc)
        assert len(refused) == 2 and fake.rate_limited == 2
        assert all(exc.code == "too_many_requests" and 1 <= (exc.retry_after or 0) <= 10 for exc in refused)
        created = order(client, "bid", "0.50", "1")  # writes draw on their own bucket
        with pytest.raises(errors.RateLimitError):  # a batch is billed per order: 20 tokens > 10 left
            client.orders.batch_create_v2(
                orders=[
                    models.CreateOrderV2Request(
                        ticker=T, side="bid", price="0.40", count="1", time_in_force=GTC,
                        self_trade_prevention_type="maker",
                    )
                    for _ in range(2)
                ]
            )  # fmt: skip
        assert created.remaining_count == 1
        assert fake.rate_limited == 3


def test_account_limits_and_costs_report_the_configuration(
    fake_kalshi: FakeKalshi, client: KalshiClient
) -> None:
    basic = client.account.limits()
    assert (basic.read.refill_rate, basic.read.bucket_capacity, basic.write.bucket_capacity) == (
        200,
        200,
        200,
    )
    limits = RateLimits(write_per_second=50, default_cost=5, costs={"CancelOrderV2": 2, "GetMarkets": 1})
    with FakeKalshi(rate_limits=limits) as fake, fake.client() as limited:
        reported = limited.account.limits()
        assert (reported.write.refill_rate, reported.write.bucket_capacity, reported.usage_tier) == (
            50,
            100,
            "basic",
        )
        costs = limited.account.endpoint_costs()
        assert costs.default_cost == 5
        assert {(c.method, c.path, c.cost) for c in costs.endpoint_costs} == {
            ("DELETE", "/portfolio/events/orders/{order_id}", 2), ("GET", "/markets", 1),
        }  # fmt: skip


# --- the fixture ---------------------------------------------------------------------------------------


def test_the_pytest_fixture_is_installed_and_running(fake_kalshi: FakeKalshi) -> None:
    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    assert plugins["kalshi_api"] == "kalshi_api_app.testing.pytest_plugin"
    assert isinstance(fake_kalshi, FakeKalshi)
    with httpx.Client() as http:
        assert http.get(f"{fake_kalshi.rest_url}/markets/{T}").json()["market"]["ticker"] == T
