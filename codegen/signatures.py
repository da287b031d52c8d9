"""Method argument types: what a caller may pass, from the spec's schemas, with the imports each type needs.

A signature takes plain Python types (``int``, ``str``, ``Literal[...]``; money and counts as
``DecimalInput``, i.e. ``Decimal | int | str``): the request model each method builds checks the strict
types and the limits. Containers are qualified (``builtins.list``) because a resource may have a method named
``list``. Every name a type uses is recorded with the module it comes from as the type is built, so a
generated module imports exactly what its signatures say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from codegen.ir import MISSING, IRError, Property, Schema
from codegen.model_schema import TypeOverrides
from codegen.naming import pascal_case

Import = tuple[str, str]  # (module, name)
_PLAIN = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_DECIMALS = frozenset({"Dollars", "Count"})


@dataclass(frozen=True)
class TypeExpr:
    text: str
    imports: frozenset[Import] = frozenset()

    @staticmethod
    def union(members: Iterable[TypeExpr]) -> TypeExpr:
        unique = list(dict.fromkeys(members))
        return TypeExpr(" | ".join(m.text for m in unique), frozenset().union(*(m.imports for m in unique)))

    def wrap(self, template: str, *imports: Import) -> TypeExpr:
        return TypeExpr(template.format(self.text), self.imports | frozenset(imports))


def imports_of(types: Iterable[TypeExpr]) -> dict[str, set[str]]:
    """module -> names, for the types given."""
    found: dict[str, set[str]] = {}
    for type_ in types:
        for module, name in type_.imports:
            found.setdefault(module, set()).add(name)
    return found


class SignatureTypes:
    """Argument types for the request schemas of one spec, whose models live in ``models_module``."""

    def __init__(
        self,
        schemas: Mapping[str, Schema],
        request_names: Mapping[str, str],
        overrides: TypeOverrides,
        models_module: str,
    ) -> None:
        self.schemas = schemas
        self.request_names = request_names
        self.overrides = overrides
        self.models_module = models_module

    def model(self, name: str) -> TypeExpr:
        return TypeExpr(name, frozenset({(self.models_module, name)}))

    def argument(self, prop: Property, owner: str) -> TypeExpr:
        """The argument type for ``prop`` of the request class ``owner`` (``| None`` is the caller's)."""
        override = self._field_override(prop)
        if override is not None:
            return override
        return self._type(prop.schema, owner + pascal_case(prop.name), nullable=False)

    def _field_override(self, prop: Property) -> TypeExpr | None:
        schema = prop.schema
        if prop.name in self.overrides.fields:
            return self._override(self.overrides.fields[prop.name])
        if (
            schema.kind == "string"
            and schema.enum is None
            and schema.format is None
            and schema.const is MISSING
        ):
            for suffix, override in self.overrides.field_suffixes.items():
                if prop.name.endswith(suffix):
                    return self._override(override)
        return None

    def _override(self, override: str) -> TypeExpr:
        if override.startswith("list[") and override.endswith("]"):
            return self._override(override[5:-1]).wrap("builtins.list[{}]", ("builtins", ""))
        if override in _DECIMALS:
            return TypeExpr("DecimalInput", frozenset({("kalshi_api_core.resources", "DecimalInput")}))
        return TypeExpr(override, frozenset({("kalshi_api_core", override)}))

    def _type(self, schema: Schema, nested: str, nullable: bool = True) -> TypeExpr:
        bare = self._bare(schema, nested)
        return bare.wrap("{} | None") if nullable and schema.nullable else bare

    def _bare(self, schema: Schema, nested: str) -> TypeExpr:
        kind = schema.kind
        if kind == "ref":
            name = schema.ref or ""
            if name in self.overrides.components:
                return self._override(self.overrides.components[name])
            return self.model(self.request_names[name])
        if kind in ("object", "all_of"):
            return self.model(nested)
        if kind == "map":
            assert schema.additional is not None
            return self._type(schema.additional, nested + "Value").wrap(
                "builtins.dict[str, {}]", ("builtins", "")
            )
        if kind == "json_object":
            return TypeExpr(
                "builtins.dict[str, JsonValue]", frozenset({("builtins", ""), ("pydantic", "JsonValue")})
            )
        if kind == "array":
            assert schema.items is not None
            return self._type(schema.items, nested + "Item").wrap("builtins.list[{}]", ("builtins", ""))
        if kind in ("one_of", "any_of"):
            return TypeExpr.union(self._type(p, f"{nested}Option{i + 1}") for i, p in enumerate(schema.parts))
        if schema.const is not MISSING:
            return TypeExpr(f"Literal[{schema.const!r}]", frozenset({("typing", "Literal")}))
        if schema.enum is not None:
            values = ", ".join(repr(v) for v in schema.enum)
            return TypeExpr(f"Literal[{values}]", frozenset({("typing", "Literal")}))
        if kind == "string" and schema.format == "date-time":
            return TypeExpr("AwareDatetime", frozenset({("pydantic", "AwareDatetime")}))
        if kind == "string" and schema.format == "date":
            return TypeExpr("date", frozenset({("datetime", "date")}))
        if kind in _PLAIN:
            return TypeExpr(_PLAIN[kind])
        raise IRError(schema.location, f"no argument type for schema kind {kind}")
