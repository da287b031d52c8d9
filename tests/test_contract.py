"""Contract tests: the generated package agrees with the pinned specs, and disagreements name the change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen.families import PERPS
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.overrides import load_type_overrides
from codegen.render import Project
from tests.contract import check_asyncapi, check_openapi, lines, stale_departures

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "specs"
PROJECT = Project(ROOT)
OPENAPI_DOC = read_yaml(PROJECT.openapi)
ASYNCAPI_DOC = read_yaml(PROJECT.asyncapi)
REST_TYPES = load_type_overrides(PROJECT.override_config, "openapi")
WS_TYPES = load_type_overrides(PROJECT.override_config, "asyncapi")


def test_every_operation_and_schema_matches_the_openapi_spec() -> None:
    problems = check_openapi(load_openapi(OPENAPI_DOC), REST_TYPES)
    assert not problems, "generated REST code disagrees with openapi/openapi.yaml:\n" + lines(problems)


def test_every_channel_and_message_matches_the_asyncapi_spec() -> None:
    problems = check_asyncapi(load_asyncapi(ASYNCAPI_DOC), WS_TYPES)
    assert not problems, "generated WebSocket code disagrees with asyncapi/asyncapi.yaml:\n" + lines(problems)


def test_the_perps_client_matches_the_perps_specs() -> None:
    """The perps pins have their own contract: every operation, schema, channel and message of theirs."""
    config = PERPS.config(ROOT)
    rest = check_openapi(
        load_openapi(read_yaml(PERPS.pinned(ROOT, "openapi"))), load_type_overrides(config, "openapi"), PERPS
    )
    ws = check_asyncapi(
        load_asyncapi(read_yaml(PERPS.pinned(ROOT, "asyncapi"))),
        load_type_overrides(config, "asyncapi"),
        PERPS,
    )
    assert not rest + ws, "kalshi_api.perps disagrees with the perps pins:\n" + lines(rest + ws)


def test_a_perps_spec_change_fails_the_perps_contract() -> None:
    doc = read_yaml(PERPS.pinned(ROOT, "openapi"))
    doc["components"]["schemas"]["MarginFill"]["required"].remove("fees")
    problems = check_openapi(load_openapi(doc), load_type_overrides(PERPS.config(ROOT), "openapi"), PERPS)
    assert problems == ["schema MarginFill.fees: the spec says optional, MarginFill differs"]


def test_every_departure_still_matches_something() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/specs is not beside this checkout")
    problems = stale_departures(load_openapi(OPENAPI_DOC), load_asyncapi(ASYNCAPI_DOC), SHARED)
    assert not problems, "stale entries in overrides/config/departures.yaml:\n" + lines(problems)


# --- mutations: a changed spec makes the contract fail, naming the change ------------------------------


def _mutated_openapi(change: Callable[[dict[str, Any]], None]) -> list[str]:
    doc = copy.deepcopy(OPENAPI_DOC)
    change(doc)
    return check_openapi(load_openapi(doc), REST_TYPES)


def _mutated_asyncapi(change: Callable[[dict[str, Any]], None]) -> list[str]:
    doc = copy.deepcopy(ASYNCAPI_DOC)
    change(doc)
    return check_asyncapi(load_asyncapi(doc), WS_TYPES)


def test_removed_operation_is_named() -> None:
    problems = _mutated_openapi(lambda d: d["paths"]["/markets/{ticker}"].pop("get"))
    assert problems == ["method markets.get: its operation GetMarket is not in the spec"]


def test_added_operation_is_named() -> None:
    def add(doc: dict[str, Any]) -> None:
        ticker = {"name": "ticker", "in": "path", "required": True, "schema": {"type": "string"}}
        operation = {"operationId": "GetMarketRules", "tags": ["market"], "responses": {"204": {}}}
        doc["paths"]["/markets/{ticker}/rules"] = {"get": {**operation, "parameters": [ticker]}}

    problems = _mutated_openapi(add)
    assert problems == ["operation GetMarketRules (GET /markets/{ticker}/rules): no client method"]


def test_renamed_parameter_is_named() -> None:
    def rename(doc: dict[str, Any]) -> None:
        params = doc["paths"]["/markets"]["get"]["parameters"]
        index = params.index({"$ref": "#/components/parameters/MarketStatusQuery"})
        params[index] = {**doc["components"]["parameters"]["MarketStatusQuery"], "name": "state"}

    problems = _mutated_openapi(rename)
    assert "operation GetMarkets: parameter `state` is not an argument of markets.list" in problems
    assert "operation GetMarkets: argument `status` of markets.list is not in the spec" in problems
    assert "operation GetMarkets parameter state: in the spec, missing from GetMarketsParams" in problems


def test_changed_field_type_is_named() -> None:
    def retype(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["Market"]["properties"]["volume_fp"] = {"type": "integer"}

    problems = _mutated_openapi(retype)
    assert problems == ["schema Market.volume_fp: the spec says integer, Market has decimal"]


def test_added_enum_value_is_named() -> None:
    def widen(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["Market"]["properties"]["status"]["enum"].append("paused")

    problems = _mutated_openapi(widen)
    assert len(problems) == 1 and problems[0].startswith("schema Market.status: the spec says enum{")
    assert "'paused'" in problems[0]


def test_field_made_required_is_named() -> None:
    def require(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["CreateOrderV2Request"]["required"].append("post_only")

    problems = _mutated_openapi(require)
    assert (
        "schema CreateOrderV2Request.post_only: the spec says required, CreateOrderV2Request differs"
        in problems
    )
    # and the keyword overloads of the methods that send it don't require it yet
    overloads = [p for p in problems if not p.startswith("schema CreateOrderV2Request.post_only: ")]
    assert overloads and all("requires" in p and "'post_only'" in p for p in overloads), overloads


def test_removed_channel_is_named() -> None:
    def drop(doc: dict[str, Any]) -> None:
        params = doc["components"]["schemas"]["subscribeCommandPayload"]["properties"]["params"]
        params["properties"]["channels"]["items"]["enum"].remove("fill")
        doc["channels"].pop("fill")
        for key in [k for k, op in doc["operations"].items() if op["channel"]["$ref"] == "#/channels/fill"]:
            doc["operations"].pop(key)

    problems = _mutated_asyncapi(drop)
    assert problems[0] == "method subscribe_fill: channel fill is not in the spec"
    assert len(problems) == 2 and problems[1].startswith("message subscribeCommand.params.channels: ")


def test_removed_message_field_is_named() -> None:
    def drop(doc: dict[str, Any]) -> None:
        msg = doc["components"]["schemas"]["tickerPayload"]["properties"]["msg"]
        msg["properties"].pop("volume_fp")
        msg["required"].remove("volume_fp")

    problems = _mutated_asyncapi(drop)
    assert problems == ["message ticker.msg.volume_fp: in TickerPayloadMsg, not in the spec"]
