"""FakeKalshi serves the perps API beside the trade one: every perps operation, called through the
PerpsClient over loopback HTTP, answers with a schema-valid sample that decodes into its declared model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from codegen.families import PERPS
from codegen.load import load_openapi, read_yaml
from kalshi_api.perps import AsyncPerpsClient, PerpsClient
from kalshi_api.testing import ROUTES, FakeKalshi
from kalshi_api_app.testing.samples import sample
from kalshi_api_core.pagination import AsyncPage, Page
from tests.contract import ROOT, client_methods

PERPS_IDS = sorted(
    op.operation_id for op in load_openapi(read_yaml(PERPS.pinned(ROOT, "openapi"))).operations
)
METHODS = client_methods(PERPS)  # operationId -> ("resource.method", function)
BY_ID = {route.operation.operation_id: route for route in ROUTES}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeKalshi]:
    with FakeKalshi() as running:
        yield running


def arguments(op_id: str) -> dict[str, Any]:
    """Sampled arguments: every path and query parameter by keyword, and the body as ``request=``."""
    route = BY_ID[op_id]
    found: dict[str, Any] = {}
    if route.params is not None:
        params = sample(route.params)
        found |= {name: getattr(params, name) for name in type(params).model_fields}
    if isinstance(route.body, type) and issubclass(route.body, BaseModel):
        found["request"] = sample(route.body)
    return found


def check(op_id: str, result: Any) -> None:
    """The result is the declared model (or, for a single-object envelope, the object it holds)."""
    operation = BY_ID[op_id].operation
    target = operation.response_type
    if isinstance(result, Page | AsyncPage):
        result = result.response
    if operation.unwrap is not None:
        target = target.model_fields[operation.unwrap].annotation
    if isinstance(target, type):
        assert isinstance(result, target), (op_id, type(result))


def test_the_fake_routes_every_perps_operation() -> None:
    assert sorted(set(PERPS_IDS) & set(BY_ID)) == PERPS_IDS
    assert sorted(METHODS) == PERPS_IDS


@pytest.mark.parametrize("op_id", PERPS_IDS)
def test_every_perps_operation_answers_a_sample(fake: FakeKalshi, op_id: str) -> None:
    attribute, name = METHODS[op_id][0].split(".")
    with fake.perps_client() as client:
        check(op_id, getattr(getattr(client, attribute), name)(**arguments(op_id)))
    assert (fake.calls[-1].operation_id, fake.calls[-1].status) == (op_id, BY_ID[op_id].status)


def test_every_perps_operation_answers_the_async_client_too(fake: FakeKalshi) -> None:
    async def run() -> None:
        async with fake.async_perps_client() as client:
            for op_id in PERPS_IDS:
                attribute, name = METHODS[op_id][0].split(".")
                check(op_id, await getattr(getattr(client, attribute), name)(**arguments(op_id)))

    asyncio.run(run())


def test_the_perps_clients_are_the_fakes() -> None:
    with FakeKalshi() as fake, fake.perps_client() as client:
        assert isinstance(client, PerpsClient) and client.base_url == fake.rest_url
    with FakeKalshi() as fake:
        assert isinstance(fake.async_perps_client(), AsyncPerpsClient)
