"""Plan the pydantic models of one spec: which classes and aliases exist and how each field is typed.

The plan is plain data (strings of Python type expressions); the Jinja template only prints it.
Direction matters: a schema sent to the exchange becomes a strict request model (closed ``Literal`` enums,
unknown fields forbidden, constraints enforced); a schema received becomes a tolerant response model
(enums open to values the spec doesn't list yet, unknown fields kept). A schema used both ways gets both,
the request twin named ``<Name>Input``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from codegen.ir import MISSING, IRError, Property, Schema
from codegen.naming import field_name, pascal_case
from codegen.response_fields import Relaxation, relaxation

Direction = Literal["request", "response"]

# Python names that are not imported from anywhere.
_BUILTIN_TYPES = frozenset({"list", "dict", "tuple", "str", "int", "float", "bool", "None"})


@dataclass(frozen=True)
class TypeOverrides:
    """The slice of overrides/config/types.yaml that applies to one spec."""

    kinds: Mapping[str, str]  # override type name -> JSON kind it may replace
    components: Mapping[str, str] = field(default_factory=dict)  # component name -> python type
    field_suffixes: Mapping[str, str] = field(default_factory=dict)  # "_dollars" -> python type
    fields: Mapping[str, str] = field(default_factory=dict)  # property name -> python type
    # schema location -> response fields decoded as optional though the spec requires them
    optional_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldDef:
    name: str
    wire_name: str
    type_expr: str
    default_expr: str | None  # None: required
    location: str
    relaxed: Relaxation | None = None  # why a field the spec requires is optional here (response models)

    @property
    def field_call(self) -> str | None:
        """The ``Field(...)`` call, or None when a bare default (or nothing) says it all."""
        if self.name == self.wire_name:
            return None
        args = [] if self.default_expr is None else [self.default_expr]
        args.append(f"alias={self.wire_name!r}")
        return f"Field({', '.join(args)})"


@dataclass(frozen=True)
class ClassDef:
    name: str
    base: str  # RequestModel / ResponseModel
    fields: tuple[FieldDef, ...]
    location: str
    depends_on: frozenset[str]


@dataclass(frozen=True)
class AliasDef:
    name: str
    type_expr: str
    location: str
    depends_on: frozenset[str]


Definition = ClassDef | AliasDef


@dataclass
class ModelPlan:
    definitions: list[Definition]  # in dependency order
    imports: dict[str, set[str]]  # module -> names
    cyclic: list[str]  # classes that need model_rebuild() after all are defined
    request_names: dict[str, str]  # component name -> request class/alias name
    response_names: dict[str, str]  # component name -> response class/alias name
    stale: list[str] = field(default_factory=list)  # override entries this spec no longer calls for


class _Planner:
    def __init__(
        self,
        schemas: Mapping[str, Schema],
        directions: Mapping[str, set[Direction]],
        overrides: TypeOverrides,
    ) -> None:
        self.schemas = schemas
        self.directions = directions
        self.overrides = overrides
        self.imports: dict[str, set[str]] = {}
        self.defs: dict[str, Definition] = {}
        self.order: list[str] = []
        self.request_names: dict[str, str] = {}
        self.response_names: dict[str, str] = {}
        self._deps: set[str] = set()
        self.relaxed_used: set[str] = set()
        self.stale: list[str] = []
        for name in schemas:
            both = directions.get(name) == {"request", "response"}
            self.response_names[name] = pascal_case(name)
            self.request_names[name] = pascal_case(name) + ("Input" if both and self._differs(name) else "")
        self._check_overrides()

    # --- names and imports --------------------------------------------------------------------------

    def use(self, module: str, name: str) -> str:
        self.imports.setdefault(module, set()).add(name)
        return name

    def override_type(self, expr: str, schema: Schema, kind_required: str) -> str:
        for ident in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr):
            if ident in _BUILTIN_TYPES:
                continue
            if ident not in self.overrides.kinds:
                raise IRError(schema.location, f"override type {ident!r} is not declared in override_types")
            self.use("kalshi_api_core", ident)
        if kind_required != schema.kind:
            raise IRError(
                schema.location,
                f"override type {expr!r} replaces {kind_required} schemas, found {schema.kind}",
            )
        return expr

    def register(self, definition: Definition) -> None:
        if definition.name in self.defs:
            other = self.defs[definition.name].location
            raise IRError(definition.location, f"Python name {definition.name!r} is already used by {other}")
        self.defs[definition.name] = definition
        self.order.append(definition.name)

    def _check_overrides(self) -> None:
        for component in self.overrides.components:
            if component not in self.schemas:
                raise IRError("overrides/config/types.yaml", f"component {component!r} is not in the spec")

    def _differs(self, name: str) -> bool:
        """Whether the request and response renderings of a component differ (objects always do)."""
        schema = self.schemas[name]
        if name in self.overrides.components or schema.enum is not None:
            return False  # an enum alias stays closed; response fields widen it where they use it
        return _contains(schema, self.schemas, lambda s: s.kind in ("object", "all_of") or s.enum is not None)

    # --- components ---------------------------------------------------------------------------------

    def plan_component(self, name: str) -> None:
        schema = self.schemas[name]
        directions = sorted(self.directions.get(name, {"response"}), reverse=True)  # response first
        emitted: set[str] = set()
        for direction in directions:
            py_name = self.request_names[name] if direction == "request" else self.response_names[name]
            if py_name in emitted:
                continue
            emitted.add(py_name)
            if name in self.overrides.components:
                kind = self.overrides.kinds[_base_ident(self.overrides.components[name])]
                expr = self.override_type(self.overrides.components[name], schema, kind)
                self.register(AliasDef(py_name, expr, schema.location, frozenset()))
            else:
                self.plan_named(py_name, schema, direction)

    def plan_named(self, py_name: str, schema: Schema, direction: Direction) -> None:
        """A class for an object schema, a type alias for anything else."""
        if _is_object_like(schema):
            self.plan_class(py_name, schema, direction)
            return
        self._deps = set()
        expr = self.type_expr(schema, direction, py_name, closed_enums=True)
        self.register(AliasDef(py_name, expr, schema.location, frozenset(self._deps)))

    def plan_class(self, py_name: str, schema: Schema, direction: Direction) -> None:
        outer_deps = self._deps  # nested classes are planned while the enclosing field is being typed
        try:
            self._plan_class(py_name, schema, direction)
        finally:
            self._deps = outer_deps

    def _plan_class(self, py_name: str, schema: Schema, direction: Direction) -> None:
        properties = self.object_properties(schema)
        fields: list[FieldDef] = []
        deps: set[str] = set()
        seen: dict[str, str] = {}
        departures = self.overrides.optional_fields
        if direction == "response":
            self.check_departures(schema.location, properties)
        for prop in properties:
            why = relaxation(prop, schema.location, departures) if direction == "response" else None
            if why is not None:
                prop = Property(prop.name, prop.schema, required=False)
            self._deps = set()
            fdef = replace(self.field(prop, direction, py_name), relaxed=why)
            deps |= self._deps
            if fdef.name in seen:
                raise IRError(
                    prop.schema.location, f"field name {fdef.name!r} collides with {seen[fdef.name]!r}"
                )
            seen[fdef.name] = prop.name
            fields.append(fdef)
        base = self.use("kalshi_api_core", "RequestModel" if direction == "request" else "ResponseModel")
        self.register(ClassDef(py_name, base, tuple(fields), schema.location, frozenset(deps - {py_name})))

    def check_departures(self, location: str, properties: tuple[Property, ...]) -> None:
        """Departures that no longer apply are noted (the contract tests fail on them); they never block a
        spec bump's regen. One that the deprecated/nullable rule covers is stale too."""
        departures = self.overrides.optional_fields
        self.relaxed_used.add(location)
        for name in sorted(departures.get(location, frozenset())):
            prop = next((p for p in properties if p.name == name), None)
            if prop is None or relaxation(prop, location, departures) != "departure":
                self.stale.append(
                    f"departures.yaml: {location} `{name}` is not a required, non-nullable, "
                    "non-deprecated field any more"
                )

    def object_properties(self, schema: Schema) -> tuple[Property, ...]:
        """Properties of an object, or the merged properties of an allOf of objects (later parts win)."""
        if schema.kind == "ref":
            return self.object_properties(self.schemas[schema.ref or ""])
        if schema.kind == "object":
            if schema.additional is not None:
                raise IRError(
                    schema.location,
                    "objects with both properties and typed additionalProperties are not supported",
                )
            return schema.properties
        if schema.kind == "all_of":
            merged: dict[str, Property] = {}
            required: set[str] = set()
            for part in schema.parts:
                for prop in self.object_properties(part):
                    merged[prop.name] = prop
                    if prop.required:
                        required.add(prop.name)
            return tuple(Property(p.name, p.schema, p.name in required) for p in merged.values())
        raise IRError(schema.location, f"allOf member of kind {schema.kind} is not an object")

    # --- fields -------------------------------------------------------------------------------------

    def field(self, prop: Property, direction: Direction, owner: str) -> FieldDef:
        schema = prop.schema
        expr = self.field_override(prop)
        if expr is None:
            expr = self.type_expr(schema, direction, owner + pascal_case(prop.name))
        elif schema.nullable:
            expr = f"{expr} | None"
        default = None
        if not prop.required:
            if schema.default is MISSING or schema.default is None:
                if not expr.endswith("| None"):
                    expr = f"{expr} | None"
                default = "None"
            else:
                default = self.default_expr(schema, schema.default, expr)
        return FieldDef(field_name(prop.name), prop.name, expr, default, schema.location)

    def field_override(self, prop: Property) -> str | None:
        schema = prop.schema
        if prop.name in self.overrides.fields:
            expr = self.overrides.fields[prop.name]
            return self.override_type(expr, schema, _json_kind_of(expr, self.overrides.kinds))
        plain_string = (
            schema.kind == "string"
            and schema.enum is None
            and schema.format is None
            and schema.const is MISSING
        )
        if plain_string:
            for suffix, expr in self.overrides.field_suffixes.items():
                if prop.name.endswith(suffix):
                    return self.override_type(expr, schema, "string")
        return None

    def default_expr(self, schema: Schema, value: Any, expr: str) -> str:
        if isinstance(value, bool | int | float | str) and not _decimal_typed(expr):
            return repr(value)
        if _decimal_typed(expr) and isinstance(value, int | str) and not isinstance(value, bool):
            self.use("decimal", "Decimal")
            return f"Decimal({str(Decimal(value))!r})"
        if value == [] or value == {}:
            return f"Field(default_factory={type(value).__name__})"
        raise IRError(schema.location, f"default {value!r} cannot be rendered for type {expr}")

    # --- type expressions ---------------------------------------------------------------------------

    def type_expr(
        self, schema: Schema, direction: Direction, nested_name: str, closed_enums: bool = False
    ) -> str:
        expr = self._bare_expr(schema, direction, nested_name, closed_enums)
        if schema.nullable and expr != "None":
            expr = f"{expr} | None"
        return expr

    def _bare_expr(self, schema: Schema, direction: Direction, nested_name: str, closed_enums: bool) -> str:
        kind = schema.kind
        if kind == "ref":
            return self._ref_expr(schema, direction, closed_enums)
        if kind in ("object", "all_of"):
            self.plan_class(nested_name, schema, direction)
            self._deps.add(nested_name)
            return nested_name
        if kind == "map":
            assert schema.additional is not None
            return f"dict[str, {self.type_expr(schema.additional, direction, nested_name + 'Value')}]"
        if kind == "json_object":
            return f"dict[str, {self.use('pydantic', 'JsonValue')}]"
        if kind == "array":
            assert schema.items is not None
            inner = f"list[{self.type_expr(schema.items, direction, nested_name + 'Item')}]"
            return self._constrained(
                inner,
                schema,
                direction,
                min_length=schema.constraints.min_items,
                max_length=schema.constraints.max_items,
            )
        if kind in ("one_of", "any_of"):
            members = [
                self.type_expr(p, direction, f"{nested_name}Option{i + 1}")
                for i, p in enumerate(schema.parts)
            ]
            return " | ".join(dict.fromkeys(members))
        if schema.const is not MISSING:
            return f"{self.use('typing', 'Literal')}[{schema.const!r}]"
        if schema.enum is not None:
            literal = f"{self.use('typing', 'Literal')}[{', '.join(repr(v) for v in schema.enum)}]"
            return (
                literal if direction == "request" or closed_enums else f"{literal} | {_open_enum_base(kind)}"
            )
        if kind == "string":
            if schema.format == "date-time":
                return self.use("pydantic", "AwareDatetime")
            if schema.format == "date":
                return self.use("datetime", "date")
            c = schema.constraints
            return self._constrained(
                "str", schema, direction, min_length=c.min_length, max_length=c.max_length, pattern=c.pattern
            )
        if kind in ("integer", "number"):
            c = schema.constraints
            base = self.use("kalshi_api_core", "StrictInt" if kind == "integer" else "StrictFloat")
            bounds = {"ge": c.minimum, "le": c.maximum, "gt": c.exclusive_minimum, "lt": c.exclusive_maximum}
            return self._constrained(base, schema, direction, multiple_of=c.multiple_of, **bounds)
        if kind == "boolean":
            return self.use("kalshi_api_core", "StrictBool")
        raise IRError(schema.location, f"no Python type for schema kind {kind}")

    def _ref_expr(self, schema: Schema, direction: Direction, closed_enums: bool) -> str:
        name = schema.ref or ""
        target = self.schemas[name]
        if name in self.overrides.components:
            # Use the override type itself (Dollars, not FixedPointDollars) so signatures say what it is.
            expr = self.overrides.components[name]
            return self.override_type(expr, target, self.overrides.kinds[_base_ident(expr)])
        py_name = self.request_names[name] if direction == "request" else self.response_names[name]
        self._deps.add(py_name)
        if (
            target.enum is not None
            and direction == "response"
            and not closed_enums
            and target.const is MISSING
        ):
            return f"{py_name} | {_open_enum_base(target.kind)}"
        return py_name

    def _constrained(self, base: str, schema: Schema, direction: Direction, **limits: Any) -> str:
        # Responses are decoded as sent: a server that exceeds its own documented limits still decodes.
        present = {k: v for k, v in limits.items() if v is not None}
        if direction == "response" or not present:
            return base
        args = ", ".join(f"{k}={v!r}" for k, v in present.items())
        return f"{self.use('typing', 'Annotated')}[{base}, {self.use('pydantic', 'Field')}({args})]"


def _base_ident(expr: str) -> str:
    match = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)
    names = [m for m in match if m not in _BUILTIN_TYPES]
    return names[0] if names else expr


def _json_kind_of(expr: str, kinds: Mapping[str, str]) -> str:
    """``list[PriceLevel]`` replaces an array; ``Dollars`` replaces a string."""
    if expr.startswith("list["):
        return "array"
    return kinds[_base_ident(expr)]


def _decimal_typed(expr: str) -> bool:
    return expr.split(" | ")[0] in ("Dollars", "Count")


def _open_enum_base(kind: str) -> str:
    return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[kind]


def _is_object_like(schema: Schema) -> bool:
    return schema.kind in ("object", "all_of")


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


def referenced_components(schema: Schema | None, schemas: Mapping[str, Schema]) -> set[str]:
    """Names of every component schema reachable from ``schema``."""
    found: set[str] = set()
    stack = [schema] if schema is not None else []
    while stack:
        current = stack.pop()
        if current.kind == "ref" and current.ref is not None:
            if current.ref not in found:
                found.add(current.ref)
                stack.append(schemas[current.ref])
            continue
        stack.extend(p.schema for p in current.properties)
        stack.extend(current.parts)
        stack.extend(s for s in (current.items, current.additional) if s is not None)
    return found


def plan_models(
    schemas: Mapping[str, Schema],
    request_roots: Iterable[Schema | None],
    response_roots: Iterable[Schema | None],
    overrides: TypeOverrides,
    extra: Iterable[tuple[str, Schema, Direction]] = (),
) -> ModelPlan:
    """Plan every component schema (plus ``extra`` named inline schemas), in dependency order.

    Components reachable from a request root are planned as requests, from a response root as responses;
    a component reachable from neither is planned as a response model.
    """
    directions: dict[str, set[Direction]] = {}
    for direction, roots in (("request", request_roots), ("response", response_roots)):
        for root in roots:
            for name in referenced_components(root, schemas):
                directions.setdefault(name, set()).add(direction)  # type: ignore[arg-type]
            if root is not None and root.name is not None:
                directions.setdefault(root.name, set()).add(direction)  # type: ignore[arg-type]
    planner = _Planner(schemas, directions, overrides)
    for name in schemas:
        planner.plan_component(name)
    for py_name, schema, direction in extra:
        planner.plan_named(py_name, schema, direction)
    for location in sorted(set(overrides.optional_fields) - planner.relaxed_used):
        planner.stale.append(f"departures.yaml: {location} is not a received object of this spec")
    ordered, cyclic = _dependency_order(planner.defs, planner.order)
    return ModelPlan(
        ordered, planner.imports, cyclic, planner.request_names, planner.response_names, planner.stale
    )


def _dependency_order(defs: Mapping[str, Definition], order: list[str]) -> tuple[list[Definition], list[str]]:
    """Definitions after their dependencies, otherwise in spec order. Classes in a cycle are reported."""
    placed: set[str] = set()
    visiting: set[str] = set()
    result: list[Definition] = []
    cyclic: list[str] = []

    def visit(name: str) -> None:
        if name in placed:
            return
        if name in visiting:
            if isinstance(defs[name], AliasDef):
                raise IRError(defs[name].location, f"type alias {name} is recursive")
            if name not in cyclic:
                cyclic.append(name)
            return
        visiting.add(name)
        for dep in sorted(defs[name].depends_on, key=order.index):
            visit(dep)
        visiting.discard(name)
        placed.add(name)
        result.append(defs[name])

    for name in order:
        visit(name)
    return result, cyclic
