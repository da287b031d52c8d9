"""The rule for required fields the server may leave out: relaxed in response models, strict in requests."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from codegen.directions import openapi_directions
from codegen.load import load_openapi
from codegen.models import ClassDef, FieldDef, ModelPlan, plan_models
from codegen.overrides import load_type_overrides
from codegen.render import Project

ROOT = Path(__file__).resolve().parent.parent
TYPES = load_type_overrides(Project(ROOT).override_config, "openapi")
QUOTE = "#/components/schemas/Quote"


def _spec() -> dict[str, Any]:
    """One schema sent (POST body) and received (GET response), with each kind of required field."""
    quote = {
        "type": "object",
        "required": ["id", "legacy", "note", "size", "tags"],
        "properties": {
            "id": {"type": "string"},
            "legacy": {"type": "boolean", "deprecated": True},
            "note": {"type": "string", "nullable": True},
            "size": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}, "x-omitempty": True},
        },
    }
    ref = {"$ref": "#/components/schemas/Quote"}
    body = {"content": {"application/json": {"schema": ref}}}
    return {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/quotes": {
                "post": {"operationId": "CreateQuote", "requestBody": body, "responses": {"201": {}}},
                "get": {"operationId": "GetQuote", "responses": {"200": body}},
            }
        },
        "components": {"schemas": {"Quote": quote}},
    }


def _plan(departures: dict[str, frozenset[str]]) -> ModelPlan:
    spec = load_openapi(_spec())
    overrides = dataclasses.replace(TYPES, components={}, optional_fields=departures)
    return plan_models(spec.schemas, openapi_directions(spec), overrides)


def _fields(plan: ModelPlan, name: str) -> dict[str, FieldDef]:
    cls = next(d for d in plan.definitions if d.name == name)
    assert isinstance(cls, ClassDef)
    return {f.wire_name: f for f in cls.fields}


def test_received_fields_relax_by_rule_and_departure_sent_fields_stay_required() -> None:
    plan = _plan({QUOTE: frozenset({"size"})})
    received, sent = _fields(plan, "Quote"), _fields(plan, "QuoteInput")
    assert {name: (f.default_expr, f.relaxed) for name, f in received.items()} == {
        "id": (None, None),
        "legacy": ("None", "deprecated"),
        "note": ("None", "nullable"),
        "size": ("None", "departure"),
        "tags": ("None", "omitempty"),
    }
    assert received["legacy"].type_expr.endswith("| None")
    assert {name: f.default_expr for name, f in sent.items()} == dict.fromkeys(received)
    assert plan.stale == []


def test_a_departure_the_rules_already_cover_is_stale() -> None:
    plan = _plan({QUOTE: frozenset({"legacy", "missing"})})
    assert plan.stale == [
        f"departures.yaml: {QUOTE} `legacy` is not a required, non-nullable, non-deprecated field any more",
        f"departures.yaml: {QUOTE} `missing` is not a required, non-nullable, non-deprecated field any more",
    ]
