"""Schema constructs older and future specs use, through the whole model pass: load -> pre-pass ->
datamodel-code-generator -> a module that is imported and used here."""

from __future__ import annotations

import sys
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from codegen.directions import openapi_directions
from codegen.load import load_openapi
from codegen.models import ModelPlan, plan_models
from codegen.overrides import load_type_overrides
from codegen.render import Project

ROOT = Path(__file__).resolve().parent.parent
TYPES = load_type_overrides(Project(ROOT).override_config, "openapi")


def _spec(schemas: dict[str, Any]) -> dict[str, Any]:
    """``Thing`` is sent (POST body) and received (GET response); the other schemas as they are used."""
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
    return {
        "openapi": "3.0.0",
        "info": {"title": "quirks", "version": "1"},
        "paths": {
            "/things": {
                "post": {"operationId": "CreateThing", "requestBody": body, "responses": {"201": {}}},
                "get": {"operationId": "GetThing", "responses": {"200": body}},
            }
        },
        "components": {
            "schemas": {
                "FixedPointDollars": {"type": "string"},
                "FixedPointCount": {"type": "string"},
                "PriceLevelDollarsCountFp": {"type": "array", "items": {"type": "string"}},
                **schemas,
            }
        },
    }


def _module(schemas: dict[str, Any]) -> tuple[ModelPlan, types.ModuleType]:
    doc = load_openapi(_spec(schemas))
    plan = plan_models(doc.schemas, openapi_directions(doc), TYPES)
    module = types.ModuleType("quirk_models")
    sys.modules[module.__name__] = module  # pydantic resolves the (postponed) annotations in it
    exec(compile(plan.code, module.__name__, "exec"), module.__dict__)
    return plan, module


def test_read_only_fields_are_received_only_and_write_only_fields_sent_only() -> None:
    thing = {
        "type": "object",
        "required": ["id", "name", "secret"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string"},
            "secret": {"type": "string", "writeOnly": True},
        },
    }
    plan, module = _module({"Thing": thing})
    assert plan.request_names["Thing"] == "ThingInput"
    sent, received = module.ThingInput, module.Thing
    assert set(sent.model_fields) == {"name", "secret"} and set(received.model_fields) == {"id_", "name"}
    with pytest.raises(ValidationError, match="id"):  # the server assigns it: a request can't carry it
        sent.model_validate({"id": "t-1", "name": "n", "secret": "s"})
    assert received.model_validate({"id": "t-1", "name": "n"}).id_ == "t-1"


def test_typed_additional_properties_are_checked_when_sent_and_kept_when_received() -> None:
    thing = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
        "additionalProperties": {"$ref": "#/components/schemas/FixedPointDollars"},
    }
    _, module = _module({"Thing": thing})
    sent = module.ThingInput.model_validate({"name": "n", "fee": "0.25"})
    assert sent.model_extra == {"fee": Decimal("0.25")}
    with pytest.raises(ValidationError):
        module.ThingInput.model_validate({"name": "n", "fee": 0.25})  # a float is never money
    received = module.Thing.model_validate({"name": "n", "fee": "0.25", "tag": True})
    assert received.model_extra == {"fee": "0.25", "tag": True}  # tolerant: a new kind of value decodes


def test_a_discriminated_union_keeps_its_members_fields_as_the_spec_types_them() -> None:
    kind = {"type": "string"}
    schemas = {
        "Cat": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": kind, "lives": {"type": "integer"}},
        },
        "Dog": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": kind, "good": {"type": "boolean"}},
        },
        "Thing": {
            "type": "object",
            "properties": {
                "pet": {
                    "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                    "discriminator": {"propertyName": "kind"},
                }
            },
        },
    }
    _, module = _module(schemas)
    assert module.Cat.model_fields["kind"].annotation in (str, "str")
    thing = module.Thing.model_validate({"pet": {"kind": "Dog", "good": True}})
    assert isinstance(thing.pet, module.Dog) and thing.pet.good is True


def test_limits_beside_a_reference_bind_sent_values_and_a_decimal_one_is_noted() -> None:
    thing = {
        "type": "object",
        "properties": {
            "code": {"allOf": [{"$ref": "#/components/schemas/Code"}], "maxLength": 3},
            "cap": {"allOf": [{"$ref": "#/components/schemas/FixedPointDollars"}], "maxLength": 20},
        },
    }
    plan, module = _module({"Code": {"type": "string"}, "Thing": thing})
    assert module.ThingInput.model_validate({"code": "abc"}).code == "abc"
    with pytest.raises(ValidationError, match="at most 3 characters"):
        module.ThingInput.model_validate({"code": "abcd"})
    assert module.Thing.model_validate({"code": "abcd"}).code == "abcd"  # received as sent
    assert any("cap: limits beside a Dollars reference" in note for note in plan.notes), plan.notes


def test_a_component_named_like_an_imported_type_gets_model_after_its_name() -> None:
    price_level = {"type": "object", "properties": {"price": {"type": "string"}}}
    thing = {"type": "object", "properties": {"level": {"$ref": "#/components/schemas/PriceLevel"}}}
    plan, module = _module({"PriceLevel": price_level, "Thing": thing})
    assert plan.response_names["PriceLevel"] == "PriceLevelModel"
    level = module.Thing.model_validate({"level": {"price": "0.5"}}).level
    assert isinstance(level, module.PriceLevelModel)
