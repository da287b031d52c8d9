"""Pages fetch the pages after them, and every call can return its raw response: over a loopback server."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel

from codegen.load import load_openapi, read_yaml
from codegen.operations import OperationConfig
from codegen.render import Project
from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient, models
from kalshi_api.client import RESOURCES
from kalshi_api_core.pagination import AsyncPage, Page
from kalshi_api_core.raw_response import RawResponse
from kalshi_api_core.transport import Operation
from tests.spec_server import Reply, SpecServer
from tests.test_real_payloads import payload

MARKET = payload("rest/get_market.json")["market"]
PROJECT = Project(Path(__file__).resolve().parent.parent)


def _page(tickers: list[str], cursor: str) -> dict[str, Any]:
    return {"markets": [{**MARKET, "ticker": t} for t in tickers], "cursor": cursor}


def _script_three_pages(server: SpecServer) -> None:
    server.script(
        "GetMarkets",
        Reply(body=_page(["A", "B"], "c2")),
        Reply(body=_page(["C"], "c3")),
        Reply(body=_page(["D"], "")),
    )


def _cursors(server: SpecServer) -> list[str | None]:
    return [dict(call.query).get("cursor") for call in server.calls("GetMarkets")]


def test_a_page_fetches_the_next_with_its_cursor_and_the_same_arguments(server: SpecServer) -> None:
    _script_three_pages(server)
    with KalshiClient(base_url=server.base_url) as client:
        first = client.markets.list(status="open", limit=2)
        second = first.next_page()
        assert isinstance(second, Page) and [m.ticker for m in second] == ["C"]
        third = second.next_page()
        assert third is not None and third.next_page() is None and not third.has_next
    assert _cursors(server) == [None, "c2", "c3"]
    assert all(dict(call.query)["status"] == "open" for call in server.calls("GetMarkets"))


def test_iter_pages_walks_every_page_from_this_one(server: SpecServer) -> None:
    _script_three_pages(server)
    with KalshiClient(base_url=server.base_url) as client:
        pages = list(client.markets.list().iter_pages())
    assert [[m.ticker for m in page] for page in pages] == [["A", "B"], ["C"], ["D"]]
    assert all(page.item_type is models.Market for page in pages)


def test_async_pages_await_the_next(server: SpecServer) -> None:
    _script_three_pages(server)

    async def main() -> list[list[str]]:
        async with AsyncKalshiClient(base_url=server.base_url) as client:
            first = await client.markets.list()
            assert isinstance(first, AsyncPage)
            return [[m.ticker for m in page] async for page in first.iter_pages()]

    assert asyncio.run(main()) == [["A", "B"], ["C"], ["D"]]
    assert _cursors(server) == [None, "c2", "c3"]


def test_a_raw_response_has_the_status_headers_and_the_decoded_result(server: SpecServer) -> None:
    headers = {"X-Request-Id": "req-42", "X-RateLimit-Remaining": "190"}
    server.script("GetMarket", Reply(body={"market": MARKET}, headers=headers))
    with KalshiClient(base_url=server.base_url) as client:
        raw = client.with_raw_response.markets.get(MARKET["ticker"])
    assert isinstance(raw, RawResponse) and raw.status_code == 200
    assert raw.request_id == "req-42" and raw.rate_limit_headers == {"x-ratelimit-remaining": "190"}
    assert isinstance(raw.parsed, models.Market) and raw.parsed.ticker == MARKET["ticker"]


def test_raw_responses_async_and_for_pages_and_writes(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    _script_three_pages(server)
    server.script("CreateOrderV2", Reply(status=201, headers={"X-Request-Id": "order-1"}))

    async def main() -> None:
        async with AsyncKalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url) as client:
            raw = await client.with_raw_response.markets.list()
            assert isinstance(raw.parsed, AsyncPage) and [m.ticker for m in raw.parsed] == ["A", "B"]
            assert await raw.parsed.next_page() is not None  # a raw page continues like any page
            created = await client.with_raw_response.orders.create_v2(
                ticker="KX", side="bid", count="1", price="0.5", time_in_force="good_till_canceled",
                self_trade_prevention_type="taker_at_cross",
            )  # fmt: skip
            assert (created.status_code, created.request_id) == (201, "order-1")
            assert created.parsed.order_id

    asyncio.run(main())


def test_the_raw_view_has_every_resource_and_method() -> None:
    with KalshiClient(base_url="http://127.0.0.1:9") as client:
        for attribute in RESOURCES:
            plain, raw = getattr(client, attribute), getattr(client.with_raw_response, attribute)
            methods = {n for n in dir(plain) if not n.startswith("_") and not n.endswith("_all")}
            assert methods == {n for n in dir(raw) if not n.startswith("_")}, attribute


@pytest.mark.parametrize("module", RESOURCES)
def test_every_operation_carries_its_billing_and_page_item_type(module: str) -> None:
    config = OperationConfig.load(PROJECT.override_config)
    spec = {op.operation_id: op for op in load_openapi(read_yaml(PROJECT.openapi)).operations}
    resources = importlib.import_module(f"kalshi_api.resources.{module}")
    constants = [v for v in vars(resources).values() if isinstance(v, Operation)]
    assert constants
    for constant in constants:
        assert (constant.bucket, constant.cost) == config.billing(spec[constant.operation_id])
        if constant.page_items:
            item = constant.page_item_type
            assert isinstance(item, type) and issubclass(item, BaseModel), constant.operation_id


def test_the_user_agent_names_the_package_and_the_spec_versions(server: SpecServer) -> None:
    import tomllib

    from kalshi_api import OPENAPI_VERSION

    with (PROJECT.root / "pyproject.toml").open("rb") as fh:
        package = tomllib.load(fh)["project"]["version"]
    with KalshiClient(base_url=server.base_url) as client:
        client.exchange.status()
    agent = server.calls()[-1].headers["user-agent"]
    assert agent == f"kalshi-api/{package} (Kalshi API spec {OPENAPI_VERSION})"
