"""Build wire-format JSON samples for any spec schema straight from the IR (independently of generated code).

A sample sets every property, uses the spec's example where it gives one, and types fixed-point fields the
way overrides/config/types.yaml says, so decoding it exercises every field of a generated model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codegen.ir import MISSING, Property, Schema
from codegen.model_schema import TypeOverrides

OVERRIDE_SAMPLES: dict[str, Any] = {
    "Dollars": "0.5600",
    "Count": "10.00",
    "PriceLevel": ["0.1500", "100.00"],
}


def field_override(prop: Property, overrides: TypeOverrides) -> str | None:
    """The override type (e.g. ``Dollars``) overrides/config/types.yaml gives a property, if any."""
    if prop.name in overrides.fields:
        return overrides.fields[prop.name]
    schema = prop.schema
    if schema.kind == "string" and schema.enum is None and schema.format is None and schema.const is MISSING:
        for suffix, expr in overrides.field_suffixes.items():
            if prop.name.endswith(suffix):
                return expr
    return None


class Sampler:
    def __init__(self, schemas: Mapping[str, Schema], overrides: TypeOverrides, *, use_examples: bool = True):
        self.schemas = schemas
        self.overrides = overrides
        self.use_examples = use_examples

    def _override(self, expr: str) -> Any:
        if expr.startswith("list[") and expr.endswith("]"):
            return [self._override(expr[5:-1])]
        return OVERRIDE_SAMPLES[expr]

    def properties(self, schema: Schema) -> tuple[Property, ...]:
        if schema.kind == "ref":
            return self.properties(self.schemas[schema.ref or ""])
        if schema.kind == "all_of":
            merged: dict[str, Property] = {}
            required: set[str] = set()
            for part in schema.parts:
                for prop in self.properties(part):
                    merged[prop.name] = prop
                    required |= {prop.name} if prop.required else set()
            return tuple(Property(p.name, p.schema, p.name in required) for p in merged.values())
        return schema.properties

    def field_value(self, prop: Property, required_only: bool = False) -> Any:
        expr = field_override(prop, self.overrides)
        return self._override(expr) if expr is not None else self.value(prop.schema, required_only)

    def value(self, schema: Schema, required_only: bool = False) -> Any:
        kind = schema.kind
        if kind == "ref":
            name = schema.ref or ""
            if name in self.overrides.components:
                return self._override(self.overrides.components[name])
            if self.use_examples and schema.example is not MISSING:
                return schema.example
            return self.value(self.schemas[name], required_only)
        if self.use_examples and schema.example is not MISSING and kind not in ("object", "all_of"):
            return schema.example
        if kind in ("object", "all_of"):
            return {
                p.name: self.field_value(p, required_only)
                for p in self.properties(schema)
                if p.required or not required_only
            }
        if kind == "map":
            assert schema.additional is not None
            return {"key": self.value(schema.additional, required_only)}
        if kind == "json_object":
            return {"free": [1, "form", None, {"nested": True}]}
        if kind == "array":
            assert schema.items is not None
            count = max(1, schema.constraints.min_items or 1)
            return [self.value(schema.items, required_only) for _ in range(count)]
        if kind in ("one_of", "any_of"):
            return self.value(schema.parts[0], required_only)
        if schema.const is not MISSING:
            return schema.const
        if schema.enum is not None:
            return schema.enum[0]
        if kind == "string":
            return {
                "date-time": "2026-01-02T03:04:05Z",
                "date": "2026-01-02",
                "uuid": "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
            }.get(schema.format or "", "sample")
        if kind == "integer":
            c = schema.constraints
            return (
                c.minimum
                if c.minimum is not None
                else (c.maximum if c.maximum is not None and c.maximum < 7 else 7)
            )
        if kind == "number":
            return 1.25
        if kind == "boolean":
            return True
        raise AssertionError(f"no sample for {schema.location}")
