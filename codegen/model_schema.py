"""The spec pre-pass of the model layer: the IR's schemas as one JSON Schema document for
datamodel-code-generator, with every decision of ours already taken.

datamodel-code-generator renders pydantic models from JSON Schema; what it can't know is written into the
document it reads:

- names: one definition per generated class or alias, named as the SDK names it (``Market``; the request
  twin of a schema used both ways ``MarketInput``; an inline object ``<Owner><Property>``, its array items
  ``...Item``, map values ``...Value``, union members ``...Option<n>``);
- direction: request definitions keep closed enums and the spec's constraints; response definitions get
  open enums (``Literal[...] | str``), no constraints, and the required fields servers leave out relaxed
  (``response_fields``);
- types the schema can't say: ``x-python-type`` (beside the JSON type it replaces) names the Decimal money
  and count types, the strict ints, floats and bools, and ``JsonValue`` for free-form objects; a component
  that is an override type altogether is a ``customTypePath`` alias;
- field names: the wire name's Python name (``naming.field_name``) as the alias map.

The document is OpenAPI 3.1 (components are JSON Schema 2020-12), so nothing in it is read twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.directions import Direction
from codegen.ir import MISSING, IRError, Property, Schema
from codegen.naming import class_name, field_name, pascal_case
from codegen.response_fields import Relaxation, relaxation

CORE = "kalshi_api_core"
# The Python type of each JSON kind, where the SDK's strict type replaces the plain one.
_STRICT = {"integer": f"{CORE}.StrictInt", "number": f"{CORE}.StrictFloat", "boolean": f"{CORE}.StrictBool"}
_JSON_VALUE = "pydantic.JsonValue"
_OPEN_BASE = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


@dataclass(frozen=True)
class TypeOverrides:
    """The slice of overrides/config/types.yaml that applies to one spec."""

    kinds: Mapping[str, str]  # override type name -> JSON kind it may replace
    components: Mapping[str, str] = field(default_factory=dict)  # component name -> override type
    field_suffixes: Mapping[str, str] = field(default_factory=dict)  # "_dollars" -> override type
    fields: Mapping[str, str] = field(default_factory=dict)  # property name -> override type
    formats: Mapping[str, str] = field(default_factory=dict)  # number format ("double") -> override type
    # schema location -> response fields decoded as optional though the spec requires them
    optional_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # schema location -> request fields the SDK fills in when the caller leaves them out (client_order_id)
    filled_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def caller_may_omit(self, location: str, wire_name: str) -> bool:
        """Whether a required request field is the SDK's to fill in when absent."""
        return wire_name in self.filled_fields.get(location, frozenset())


@dataclass(frozen=True)
class PlannedField:
    name: str  # Python name
    wire_name: str
    required: bool
    default: Any  # the spec's default (MISSING: none)
    relaxed: Relaxation | None  # why a field the spec requires is optional here
    schema: Schema  # the property's schema (its limits bind request models)


@dataclass(frozen=True)
class PlannedModel:
    name: str
    kind: str  # "class" or "alias"
    direction: Direction
    location: str
    fields: tuple[PlannedField, ...] = ()


@dataclass
class SchemaPlan:
    document: dict[str, Any]  # the OpenAPI 3.1 document datamodel-code-generator reads
    models: dict[str, PlannedModel]  # by Python name, in planning order
    request_names: dict[str, str]  # component name -> request class/alias name
    response_names: dict[str, str]  # component name -> response class/alias name
    base_classes: dict[str, str]  # class name -> its base class (dotted path)
    aliases: dict[str, str]  # wire field name -> Python name, where they differ
    stale: list[str] = field(default_factory=list)  # override entries this spec no longer calls for
    notes: list[str] = field(default_factory=list)  # choices the pre-pass made that regen reports


def in_direction(props: Iterable[Property], direction: Direction) -> tuple[Property, ...]:
    """The properties a model of ``direction`` has: readOnly ones only in responses, writeOnly ones only in
    requests."""
    skip = "read_only" if direction == "request" else "write_only"
    return tuple(p for p in props if not getattr(p, skip))


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _typed(json_kind: str, python_type: str) -> dict[str, Any]:
    """A schema of ``json_kind`` that becomes ``python_type`` (a dotted path)."""
    return {"type": json_kind, "x-python-type": python_type}


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [node, {"type": "null"}]}


class _PrePass:
    def __init__(
        self,
        schemas: Mapping[str, Schema],
        directions: Mapping[str, frozenset[Direction]],
        overrides: TypeOverrides,
    ) -> None:
        self.schemas = schemas
        self.directions = directions
        self.overrides = overrides
        self.definitions: dict[str, dict[str, Any]] = {}
        self.models: dict[str, PlannedModel] = {}
        self.base_classes: dict[str, str] = {}
        self.notes: list[str] = []
        self.aliases: dict[str, str] = {}
        self.stale: list[str] = []
        self.checked_departures: set[str] = set()
        self.response_names = {name: self.class_name(name) for name in schemas}
        self.request_names = {
            name: self.class_name(name) + ("Input" if self._twinned(name) else "") for name in schemas
        }
        for component in overrides.components:
            if component not in schemas:
                raise IRError("overrides/config/types.yaml", f"component {component!r} is not in the spec")

    def class_name(self, component: str) -> str:
        """The Python name of a component; one that would shadow a name the models module imports (a spec
        of 3.8.0 has a ``PriceLevel`` schema) gets ``Model`` after it."""
        name = class_name(component, self.overrides.kinds)
        if name != pascal_case(component):
            self.notes.append(
                f"#/components/schemas/{component}: named {name} ({pascal_case(component)} is imported)"
            )
        return name

    def _twinned(self, name: str) -> bool:
        """A schema used both ways whose request and response renderings differ gets a request twin."""
        if len(self.directions.get(name, ())) != 2:
            return False
        schema = self.schemas[name]
        if name in self.overrides.components or schema.enum is not None:
            return False  # an enum alias stays closed; response fields widen it where they use it
        return _contains(schema, self.schemas, lambda s: s.kind in ("object", "all_of") or s.enum is not None)

    # --- definitions --------------------------------------------------------------------------------

    def define(self, model: PlannedModel, node: dict[str, Any]) -> None:
        if model.name in self.definitions:
            other = self.models[model.name].location
            raise IRError(model.location, f"Python name {model.name!r} is already used by {other}")
        self.definitions[model.name] = node
        self.models[model.name] = model

    def component(self, name: str) -> None:
        schema = self.schemas[name]
        done: set[str] = set()
        ways: frozenset[Direction] = self.directions.get(name, frozenset({"response"}))
        for direction in sorted(ways, reverse=True):  # response first
            py_name = self.request_names[name] if direction == "request" else self.response_names[name]
            if py_name in done:
                continue
            done.add(py_name)
            if name in self.overrides.components:
                override = self.overrides.components[name]
                self.check_kind(override, schema)
                node = {"customTypePath": self.type_path(override)}
                self.define(PlannedModel(py_name, "alias", direction, schema.location), node)
            else:
                self.named(py_name, schema, direction)

    def named(self, py_name: str, schema: Schema, direction: Direction) -> None:
        """A class for an object schema, an alias for anything else."""
        if schema.kind in ("object", "all_of"):
            self.object(py_name, schema, direction)
        else:
            node = self.node(schema, direction, py_name, closed_enums=True)
            self.define(PlannedModel(py_name, "alias", direction, schema.location), node)

    def object(self, py_name: str, schema: Schema, direction: Direction) -> None:
        props = self.properties(schema)
        if direction == "response":
            self.check_departures(schema.location, props)
        planned: list[PlannedField] = []
        nodes: dict[str, Any] = {}
        required: list[str] = []
        seen: dict[str, str] = {}
        departures = self.overrides.optional_fields
        # The class is registered before its fields are planned, so nested classes come after it.
        self.define(PlannedModel(py_name, "class", direction, schema.location), {})
        for prop in in_direction(props, direction):
            why = (
                relaxation(prop, schema.location, departures, self.schemas)
                if direction == "response"
                else None
            )
            is_required = prop.required and why is None
            if direction == "request" and self.overrides.caller_may_omit(schema.location, prop.name):
                is_required = False
            name = field_name(prop.name)
            if name in seen:
                raise IRError(prop.schema.location, f"field name {name!r} collides with {seen[name]!r}")
            seen[name] = prop.name
            if name != prop.name:
                self.alias(prop.name, name, prop.schema.location)
            node = self.field_node(prop, direction, py_name + pascal_case(prop.name))
            default = prop.schema.default
            if default is not MISSING and _decimal_override(node):
                # A Decimal field's default would stay the spec's string: the server applies its own.
                self.notes.append(f"{prop.schema.location}: default {default!r} left to the server (Decimal)")
                default = MISSING
            if not is_required and default is not MISSING and default is not None:
                node = {**node, "default": default}
            nodes[prop.name] = node
            if is_required:
                required.append(prop.name)
            planned.append(PlannedField(name, prop.name, is_required, default, why, prop.schema))
        node = {"type": "object", "properties": nodes, "description": f"`{schema.location}`"}
        if required:
            node["required"] = required
        if schema.additional is not None and direction == "request":
            # Keys beyond the properties, typed: checked when sent. Received ones land untyped in
            # model_extra, like any key a response model doesn't know, so a new kind of value never breaks it.
            node["additionalProperties"] = self.node(schema.additional, direction, py_name + "Value")
        self.definitions[py_name] = node
        self.models[py_name] = PlannedModel(py_name, "class", direction, schema.location, tuple(planned))
        base = "RequestModel" if direction == "request" else "ResponseModel"
        self.base_classes[py_name] = f"{CORE}.{base}"

    def alias(self, wire: str, name: str, location: str) -> None:
        # datamodel-code-generator maps aliases by wire name, for every model: one Python name per wire name.
        known = self.aliases.setdefault(wire, name)
        if known != name:  # field_name is a function of the wire name, so this can't happen
            raise IRError(location, f"wire name {wire!r} maps to both {known!r} and {name!r}")

    def check_departures(self, location: str, props: tuple[Property, ...]) -> None:
        """Departures that no longer apply are noted (the contract tests fail on them); they never block a
        spec bump's regen. One that the deprecated/nullable rule covers is stale too."""
        departures = self.overrides.optional_fields
        self.checked_departures.add(location)
        for name in sorted(departures.get(location, frozenset())):
            prop = next((p for p in props if p.name == name), None)
            if prop is None or relaxation(prop, location, departures, self.schemas) != "departure":
                self.stale.append(
                    f"departures.yaml: {location} `{name}` is not a required, non-nullable, "
                    "non-deprecated field any more"
                )

    def properties(self, schema: Schema) -> tuple[Property, ...]:
        """Properties of an object, or the merged properties of an allOf of objects (later parts win)."""
        if schema.kind == "ref":
            return self.properties(self.schemas[schema.ref or ""])
        if schema.kind == "object":
            return schema.properties
        if schema.kind == "all_of":
            merged: dict[str, Property] = {}
            required: set[str] = set()
            for part in schema.parts:
                for prop in self.properties(part):
                    merged[prop.name] = prop
                    if prop.required:
                        required.add(prop.name)
            return tuple(Property(p.name, p.schema, p.name in required) for p in merged.values())
        raise IRError(schema.location, f"allOf member of kind {schema.kind} is not an object")

    # --- field and type nodes -----------------------------------------------------------------------

    def field_node(self, prop: Property, direction: Direction, nested: str) -> dict[str, Any]:
        override = self.field_override(prop)
        if override is None:
            return self.node(prop.schema, direction, nested)
        return _nullable(override) if prop.schema.nullable else override

    def field_override(self, prop: Property) -> dict[str, Any] | None:
        """asyncapi's money and counts by property name or suffix (the spec types them as plain strings)."""
        schema = prop.schema
        if prop.name in self.overrides.fields:
            return self.override_node(self.overrides.fields[prop.name], schema)
        plain_string = (
            schema.kind == "string"
            and schema.enum is None
            and schema.format is None
            and schema.const is MISSING
        )
        if plain_string:
            for suffix, override in self.overrides.field_suffixes.items():
                if prop.name.endswith(suffix):
                    return self.override_node(override, schema)
        return None

    def override_node(self, override: str, schema: Schema) -> dict[str, Any]:
        """``Dollars`` replaces a string; ``list[PriceLevel]`` an array of them."""
        if override.startswith("list[") and override.endswith("]"):
            if schema.kind != "array":
                raise IRError(
                    schema.location, f"override type {override!r} replaces arrays, found {schema.kind}"
                )
            item = override[5:-1]
            return {"type": "array", "items": _typed(self.overrides.kinds[item], self.type_path(item))}
        self.check_kind(override, schema)
        return _typed(schema.kind, self.type_path(override))

    def type_path(self, override: str) -> str:
        if override not in self.overrides.kinds:
            raise IRError(
                "overrides/config/types.yaml", f"override type {override!r} is not in override_types"
            )
        return f"{CORE}.{override}"

    def check_kind(self, override: str, schema: Schema) -> None:
        kind = self.overrides.kinds.get(override)
        if kind is None:
            raise IRError(schema.location, f"override type {override!r} is not declared in override_types")
        if kind != schema.kind:
            raise IRError(
                schema.location, f"override type {override!r} replaces {kind} schemas, found {schema.kind}"
            )

    def node(
        self, schema: Schema, direction: Direction, nested: str, closed_enums: bool = False
    ) -> dict[str, Any]:
        node = self.bare(schema, direction, nested, closed_enums)
        return _nullable(node) if schema.nullable else node

    def bare(self, schema: Schema, direction: Direction, nested: str, closed_enums: bool) -> dict[str, Any]:
        kind = schema.kind
        if kind == "ref":
            return self.reference(schema, direction, closed_enums)
        if kind in ("object", "all_of"):
            self.object(nested, schema, direction)
            return _ref(nested)
        if kind == "map":
            assert schema.additional is not None
            return {
                "type": "object",
                "additionalProperties": self.node(schema.additional, direction, nested + "Value"),
            }
        if kind == "json_object":
            return {"type": "object", "additionalProperties": _typed("object", _JSON_VALUE)}
        if kind == "array":
            assert schema.items is not None
            items = self.node(schema.items, direction, nested + "Item")
            if _limits(items):
                # datamodel-code-generator names a constrained item type after the field (``Ticker``);
                # an alias of ours keeps the SDK's naming scheme.
                self.define(PlannedModel(nested + "Item", "alias", direction, schema.items.location), items)
                items = _ref(nested + "Item")
            return self.limited({"type": "array", "items": items}, schema, direction)
        if kind in ("one_of", "any_of"):
            members = [self.node(p, direction, f"{nested}Option{i + 1}") for i, p in enumerate(schema.parts)]
            return {"anyOf": members}
        if schema.const is not MISSING:
            return {"const": schema.const}
        if schema.enum is not None:
            closed = {"enum": list(schema.enum)}
            if direction == "request" or closed_enums:
                return closed
            return {"anyOf": [closed, {"type": _OPEN_BASE[kind]}]}
        if kind == "string":
            if schema.format in ("date-time", "date"):
                return {"type": "string", "format": schema.format}
            return self.limited({"type": "string"}, schema, direction)
        if kind == "number" and schema.format is not None and schema.format in self.overrides.formats:
            override = self.overrides.formats[schema.format]
            self.check_kind(override, schema)
            return self.limited(_typed(kind, self.type_path(override)), schema, direction)
        if kind in _STRICT:
            return self.limited(_typed(kind, _STRICT[kind]), schema, direction)
        raise IRError(schema.location, f"no Python type for schema kind {kind}")

    def reference(self, schema: Schema, direction: Direction, closed_enums: bool) -> dict[str, Any]:
        name = schema.ref or ""
        target = self.schemas[name]
        if name in self.overrides.components:
            # The override type itself (Dollars, not FixedPointDollars), so signatures say what it is.
            override = self.overrides.components[name]
            self.check_kind(override, target)
            if direction == "request" and not schema.constraints.is_empty():
                # perps' im_cap: a length and pattern for the wire text of a Decimal, which has its own checks
                self.notes.append(
                    f"{schema.location}: limits beside a {override} reference left to the {override} type"
                )
            return _typed(target.kind, self.type_path(override))
        py_name = self.request_names[name] if direction == "request" else self.response_names[name]
        node = _ref(py_name)
        limited = self.limited({}, schema, direction)
        if (
            limited
        ):  # limits beside the reference (loaded from allOf: [$ref] with siblings): sent values keep them
            node = {"allOf": [node], **limited}
        if target.nullable and target.kind in ("object", "all_of"):
            return _nullable(node)  # a class can't be null itself: each use of it can
        if (
            target.enum is not None
            and target.const is MISSING
            and direction == "response"
            and not closed_enums
        ):
            return {"anyOf": [node, {"type": _OPEN_BASE[target.kind]}]}
        return node

    def limited(self, node: dict[str, Any], schema: Schema, direction: Direction) -> dict[str, Any]:
        """The spec's limits, on what is sent only: a server exceeding its own documented limits still
        decodes."""
        if direction == "response":
            return node
        c = schema.constraints
        keywords = {
            "minimum": c.minimum,
            "maximum": c.maximum,
            "exclusiveMinimum": c.exclusive_minimum,
            "exclusiveMaximum": c.exclusive_maximum,
            "multipleOf": c.multiple_of,
            "minLength": c.min_length,
            "maxLength": c.max_length,
            "pattern": c.pattern,
            "minItems": c.min_items,
            "maxItems": c.max_items,
        }
        return {**node, **{k: v for k, v in keywords.items() if v is not None}}


_LIMIT_KEYWORDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
     "pattern", "minItems", "maxItems"}
)  # fmt: skip


def _decimal_override(node: dict[str, Any]) -> bool:
    members = [node, *node.get("anyOf", ())]
    return any(str(n.get("x-python-type", "")) in (f"{CORE}.Dollars", f"{CORE}.Count") for n in members)


def _limits(node: dict[str, Any]) -> bool:
    return not _LIMIT_KEYWORDS.isdisjoint(node) or any(_limits(n) for n in node.get("anyOf", ()))


def _contains(
    schema: Schema, schemas: Mapping[str, Schema], predicate: Any, seen: set[str] | None = None
) -> bool:
    seen = set() if seen is None else seen
    if predicate(schema):
        return True
    if schema.kind == "ref":
        if schema.ref in seen:
            return False
        seen.add(schema.ref or "")
        return _contains(schemas[schema.ref or ""], schemas, predicate, seen)
    children = [p.schema for p in schema.properties] + list(schema.parts)
    children += [s for s in (schema.items, schema.additional) if s is not None]
    return any(_contains(c, schemas, predicate, seen) for c in children)


def prepare(
    schemas: Mapping[str, Schema],
    directions: Mapping[str, frozenset[Direction]],
    overrides: TypeOverrides,
    extra: Iterable[tuple[str, Schema, Direction]] = (),
) -> SchemaPlan:
    """Every component schema in its direction(s), plus ``extra`` named inline schemas (operation parameter
    models, inline message payloads), as one document for datamodel-code-generator."""
    prepass = _PrePass(schemas, directions, overrides)
    for name in schemas:
        prepass.component(name)
    for py_name, schema, direction in extra:
        prepass.named(py_name, schema, direction)
    for location in sorted(set(overrides.optional_fields) - prepass.checked_departures):
        prepass.stale.append(f"departures.yaml: {location} is not a received object of this spec")
    document = {
        "openapi": "3.1.0",
        "info": {"title": "kalshi-api models", "version": "0"},
        "paths": {},
        "components": {"schemas": prepass.definitions},
    }
    return SchemaPlan(
        document,
        prepass.models,
        prepass.request_names,
        prepass.response_names,
        prepass.base_classes,
        prepass.aliases,
        prepass.stale,
        prepass.notes,
    )
