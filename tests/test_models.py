"""The generated models against the pinned specs: every schema has a model that decodes and round-trips."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import kalshi_api
from codegen.ir import MISSING, AsyncAPIDocument, OpenAPIDocument, Schema
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.models import ModelPlan
from codegen.naming import field_name, pascal_case
from codegen.operations import OperationConfig
from codegen.overrides import load_type_overrides
from codegen.render import Project, asyncapi_plan, openapi_plan
from kalshi_api import models, ws
from kalshi_api_core import RequestModel, ResponseModel
from tests._samples import Sampler

ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(ROOT)
OPENAPI: OpenAPIDocument = load_openapi(read_yaml(PROJECT.openapi))
ASYNCAPI: AsyncAPIDocument = load_asyncapi(read_yaml(PROJECT.asyncapi))
REST_PLAN: ModelPlan = openapi_plan(PROJECT, OPENAPI)
WS_PLAN, WS_REGISTRY = asyncapi_plan(PROJECT, ASYNCAPI)
REST_SAMPLER = Sampler(OPENAPI.schemas, load_type_overrides(PROJECT.override_config, "openapi"))
WS_SAMPLER = Sampler(ASYNCAPI.schemas, load_type_overrides(PROJECT.override_config, "asyncapi"))


def _normalize(value: Any) -> Any:
    """Compare JSON semantically where the wire allows two spellings of one instant."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _round_trip(target: Any, payload: Any) -> Any:
    """Decode JSON bytes the way the SDK does and serialize back to wire JSON."""
    raw = json.dumps(payload).encode()
    if isinstance(target, type) and issubclass(target, BaseModel):
        instance = target.model_validate_json(raw)
        return json.loads(instance.model_dump_json(exclude_unset=True))
    adapter: TypeAdapter[Any] = TypeAdapter(target)
    return json.loads(adapter.dump_json(adapter.validate_json(raw)))


def _components(plan: ModelPlan, schemas: dict[str, Schema]) -> list[tuple[str, str, Schema]]:
    """(component, python name, schema) for both directions of every component."""
    result = []
    for name, schema in schemas.items():
        for py_name in dict.fromkeys((plan.response_names[name], plan.request_names[name])):
            result.append((name, py_name, schema))
    return result


# the component schemas with a model (departures.yaml's excluded_schemas leaves the V1 order writes out)
MODELLED = {name: schema for name, schema in OPENAPI.schemas.items() if name in REST_PLAN.response_names}
REST_COMPONENTS = _components(REST_PLAN, MODELLED)
WS_COMPONENTS = _components(WS_PLAN, ASYNCAPI.schemas)


def test_every_component_schema_has_a_model() -> None:
    assert len(OPENAPI.schemas) == len(read_yaml(PROJECT.openapi)["components"]["schemas"])
    missing = [n for n in MODELLED if REST_PLAN.response_names[n] not in models.__all__]
    assert missing == []
    for name in MODELLED:
        assert hasattr(models, REST_PLAN.response_names[name]), name
    left_out = set(OPENAPI.schemas) - set(MODELLED)
    assert left_out == set(OperationConfig.load(PROJECT.override_config).left_out_schemas(OPENAPI))
    assert "CreateOrderRequest" in left_out and not hasattr(models, "CreateOrderRequest")


def test_every_message_has_a_payload_type() -> None:
    assert set(ws.MESSAGE_PAYLOADS) == set(ASYNCAPI.messages)
    assert len(ws.MESSAGE_PAYLOADS) == 39
    for key, type_name in WS_REGISTRY:
        assert ws.MESSAGE_PAYLOADS[key] is getattr(ws.models, type_name)


@pytest.mark.parametrize(
    ("component", "py_name", "schema"), REST_COMPONENTS, ids=[c[1] for c in REST_COMPONENTS]
)
def test_rest_sample_round_trips(component: str, py_name: str, schema: Schema) -> None:
    for required_only in (False, True):
        sample = REST_SAMPLER.value(schema, required_only)
        assert _normalize(_round_trip(getattr(models, py_name), sample)) == _normalize(sample)


@pytest.mark.parametrize(("component", "py_name", "schema"), WS_COMPONENTS, ids=[c[1] for c in WS_COMPONENTS])
def test_ws_sample_round_trips(component: str, py_name: str, schema: Schema) -> None:
    for required_only in (False, True):
        sample = WS_SAMPLER.value(schema, required_only)
        assert _normalize(_round_trip(getattr(ws.models, py_name), sample)) == _normalize(sample)


def _examples() -> list[tuple[str, Any, Any]]:
    found = []
    for name, schema in MODELLED.items():
        if schema.example is not MISSING:
            found.append((f"rest:{name}", getattr(models, REST_PLAN.response_names[name]), schema.example))
        for prop in schema.properties:
            if prop.schema.example is not MISSING:
                owner = getattr(models, REST_PLAN.response_names[name])
                found.append((f"rest:{name}.{prop.name}", owner, {prop.name: prop.schema.example}))
    for key, message in ASYNCAPI.messages.items():
        for index, example in enumerate(message.examples):
            found.append((f"ws:{key}[{index}]", ws.MESSAGE_PAYLOADS[key], example))
    return found


EXAMPLES = _examples()


def test_the_specs_carry_examples() -> None:
    assert sum(1 for e in EXAMPLES if e[0].startswith("rest:")) >= 20
    assert sum(1 for e in EXAMPLES if e[0].startswith("ws:")) >= 39


@pytest.mark.parametrize(("label", "target", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_spec_example_decodes_and_round_trips(label: str, target: Any, example: Any) -> None:
    if "." in label:
        # A property example: decode it through that field alone.
        field_wire, value = next(iter(example.items()))
        info = target.model_fields[field_name(field_wire)]
        adapter: TypeAdapter[Any] = TypeAdapter(info.annotation)
        assert _normalize(
            json.loads(adapter.dump_json(adapter.validate_json(json.dumps(value))))
        ) == _normalize(value)
        return
    assert _normalize(_round_trip(target, example)) == _normalize(example)


def _classes(module: Any) -> list[type[BaseModel]]:
    return [
        obj
        for name in module.__all__
        if isinstance(obj := getattr(module, name), type) and issubclass(obj, BaseModel)
    ]


def test_request_models_forbid_unknown_fields_and_response_models_keep_them() -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas["CreateOrderV2Request"])
    with pytest.raises(ValidationError) as err:
        models.CreateOrderV2Request.model_validate({**sample, "prise": "0.50"})
    assert "prise" in str(err.value)

    market = REST_SAMPLER.value(OPENAPI.schemas["Market"])
    decoded = models.Market.model_validate_json(json.dumps({**market, "brand_new_field": {"x": 1}}))
    assert decoded.model_extra == {"brand_new_field": {"x": 1}}
    assert json.loads(decoded.model_dump_json(exclude_unset=True))["brand_new_field"] == {"x": 1}

    for cls in _classes(models) + _classes(ws.models):
        expected = "forbid" if issubclass(cls, RequestModel) else "allow"
        assert issubclass(cls, RequestModel | ResponseModel), cls
        assert cls.model_config.get("extra") == expected, cls


def test_response_enums_accept_values_the_spec_does_not_list_yet() -> None:
    market = REST_SAMPLER.value(OPENAPI.schemas["Market"])
    decoded = models.Market.model_validate({**market, "status": "paused_for_review"})
    assert decoded.status == "paused_for_review"
    order = models.Order.model_validate({**REST_SAMPLER.value(OPENAPI.schemas["Order"]), "side": "maybe"})
    assert order.side == "maybe"


def test_request_enums_are_closed() -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas["CreateOrderV2Request"])
    for field, bad in (("side", "buy"), ("time_in_force", "GTT"), ("self_trade_prevention_type", "none")):
        with pytest.raises(ValidationError) as err:
            models.CreateOrderV2Request.model_validate({**sample, field: bad})
        assert field in str(err.value) and bad in str(err.value)


def _object_schemas() -> list[tuple[type[BaseModel], Schema]]:
    """Every generated class with the object schema it models, nested inline objects included."""
    pairs: list[tuple[type[BaseModel], Schema]] = []

    def add(module: Any, cls: type[BaseModel], schema: Schema) -> None:
        pairs.append((cls, schema))
        for prop in schema.properties:
            inner, suffix = prop.schema, pascal_case(prop.name)
            while inner.kind == "array" and inner.items is not None:
                inner, suffix = inner.items, suffix + "Item"
            if inner.kind == "object":
                add(module, getattr(module, cls.__name__ + suffix), inner)

    for plan, schemas, module in (
        (REST_PLAN, MODELLED, models),
        (WS_PLAN, ASYNCAPI.schemas, ws.models),
    ):
        for name, schema in schemas.items():
            for py_name in {plan.response_names[name], plan.request_names[name]}:
                cls = getattr(module, py_name)
                if isinstance(cls, type) and issubclass(cls, BaseModel) and schema.kind == "object":
                    add(module, cls, schema)
    return pairs


def test_fields_match_the_spec_names_and_required_flags() -> None:
    # The policy, stated here on its own: response models relax a required field when the spec deprecates it,
    # when it is nullable or x-omitempty, or when departures.yaml lists it; requests keep them all required.
    relaxed = {
        **load_type_overrides(PROJECT.override_config, "openapi").optional_fields,
        **load_type_overrides(PROJECT.override_config, "asyncapi").optional_fields,
    }
    pairs = _object_schemas()
    assert len(pairs) > 200
    departures, by_rule = set(), set()
    for cls, schema in pairs:
        by_wire = {(info.alias or name): (name, info) for name, info in cls.model_fields.items()}
        assert set(by_wire) == {p.name for p in schema.properties}, cls
        for prop in schema.properties:
            _, info = by_wire[prop.name]
            expected = prop.required
            if issubclass(cls, ResponseModel) and prop.required:
                omitempty = dict(prop.schema.extensions).get("x-omitempty") is True
                if prop.schema.deprecated or prop.schema.nullable or omitempty:
                    expected = False
                    by_rule.add((cls.__name__, prop.name))
                elif prop.name in relaxed.get(schema.location, ()):
                    expected = False
                    departures.add((schema.location, prop.name))
            assert info.is_required() == expected, f"{cls.__name__}.{prop.name}"
    # every listed departure took effect, and only those
    assert departures == {(loc, name) for loc, names in relaxed.items() for name in names}
    assert {("Market", "fractional_trading_enabled"), ("EventData", "settlement_sources")} <= by_rule


def test_request_models_keep_deprecated_and_nullable_fields_required() -> None:
    # A request schema's required deprecated field stays required: only received data is tolerated.
    for cls, schema in _object_schemas():
        if not issubclass(cls, RequestModel):
            continue
        for prop in schema.properties:
            if prop.required:
                info = next(i for n, i in cls.model_fields.items() if (i.alias or n) == prop.name)
                assert info.is_required(), f"{cls.__name__}.{prop.name}"


def test_keywords_and_builtins_are_aliased() -> None:
    fields = models.Announcement.model_fields
    assert "type_" in fields and fields["type_"].alias == "type"
    decoded = ws.models.OrderbookDeltaPayload.model_validate(ASYNCAPI.messages["orderbookDelta"].examples[0])
    assert decoded.type_ == "orderbook_delta"
    assert json.loads(decoded.model_dump_json())["type"] == "orderbook_delta"


def test_integer_fields_reject_bool_and_strings() -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas["CreateOrderV2Request"])
    for bad in (True, "3", 3.0):
        with pytest.raises(ValidationError) as err:
            models.CreateOrderV2Request.model_validate({**sample, "expiration_time": bad})
        assert "expiration_time" in str(err.value)


def test_every_integer_field_rejects_bool() -> None:
    checked = 0
    for cls, schema in _object_schemas():
        sample = (REST_SAMPLER if cls.__module__ == models.__name__ else WS_SAMPLER).value(schema)
        for prop in schema.properties:
            if prop.schema.kind == "integer" and prop.schema.enum is None:
                with pytest.raises(ValidationError):
                    cls.model_validate({**sample, prop.name: True})
                checked += 1
    assert checked  # the loop met integer fields


def test_fixed_point_fields_are_decimals_and_serialize_as_wire_strings() -> None:
    order = models.Order.model_validate(REST_SAMPLER.value(OPENAPI.schemas["Order"]))
    assert order.yes_price_dollars == Decimal("0.5600") and isinstance(order.fill_count_fp, Decimal)
    assert json.loads(order.model_dump_json())["yes_price_dollars"] == "0.5600"
    book = ws.models.OrderbookSnapshotPayload.model_validate(
        ASYNCAPI.messages["orderbookSnapshot"].examples[0]
    )
    assert book.msg.yes_dollars_fp is not None
    price, count = book.msg.yes_dollars_fp[0]
    assert (price, count) == (Decimal("0.0800"), Decimal("300.00"))
    fill = ws.models.FillPayload.model_validate(WS_SAMPLER.value(ASYNCAPI.schemas["fillPayload"]))
    assert isinstance(fill.msg.fee_cost, Decimal) and isinstance(fill.msg.count_fp, Decimal)


@pytest.mark.parametrize("bad", [0.56, True, "NaN", "Infinity", "-inf", "1e3", "abc", "", None])
def test_fixed_point_fields_reject_bad_input_naming_the_field(bad: Any) -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas["CreateOrderV2Request"])
    with pytest.raises(ValidationError) as err:
        models.CreateOrderV2Request.model_validate({**sample, "price": bad})
    assert err.value.errors()[0]["loc"] == ("price",)
    assert repr(bad) in str(err.value) or str(bad) in str(err.value)


def test_datetimes_are_timezone_aware() -> None:
    market = REST_SAMPLER.value(OPENAPI.schemas["Market"])
    decoded = models.Market.model_validate(market)
    assert decoded.created_time.tzinfo is not None
    with pytest.raises(ValidationError) as err:
        models.Market.model_validate({**market, "created_time": "2026-01-02T03:04:05"})
    assert "created_time" in str(err.value)


def test_request_constraints_are_enforced() -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas["CreateOrderV2Request"])
    with pytest.raises(ValidationError) as err:
        models.CreateOrderV2Request.model_validate({**sample, "subaccount": -1})
    assert "subaccount" in str(err.value)


def test_package_exports() -> None:
    assert kalshi_api.OPENAPI_VERSION == OPENAPI.version == "3.22.0"
    assert kalshi_api.ASYNCAPI_VERSION == ASYNCAPI.version
    assert kalshi_api.Dollars is not None and kalshi_api.models is models
