"""The contract between the pinned specs and the generated package, checked by introspecting the package.

Expectations come from the spec's IR (plus the declared type overrides and departures); what was generated
comes from the imported ``kalshi_api`` package itself, never from the generator's plan. Each function returns
human-readable mismatches, each naming the spec element and what differs.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import AwareDatetime, BaseModel, JsonValue

from codegen.directions import message_direction, openapi_directions
from codegen.families import TRADE, Family
from codegen.ir import MISSING, AsyncAPIDocument, OpenAPIDocument, Operation, Property, Schema
from codegen.model_schema import TypeOverrides
from codegen.naming import class_name, field_name, pascal_case
from codegen.operations import OperationConfig
from codegen.response_fields import relaxation, required_when_received
from tests._samples import field_override

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "overrides" / "config"
Direction = Literal["request", "response"]


@dataclass(frozen=True)
class Departures:
    excluded_rules: list[dict[str, Any]]
    optional_fields: Mapping[str, frozenset[str]]  # schema location -> response fields decoded as optional

    @classmethod
    def load(cls, spec: str, config: Path = CONFIG) -> Departures:
        data = yaml.safe_load((config / "departures.yaml").read_text(encoding="utf-8")) or {}
        optional = ((data.get("optional_response_fields") or {}).get(spec)) or {}
        return cls(
            excluded_rules=list(data.get("excluded_operations") or []),
            optional_fields={loc: frozenset(entry["fields"]) for loc, entry in optional.items()},
        )

    def excluded(self, op: Operation) -> bool:
        return any(op.method in r["methods"] and re.search(r["path"], op.path) for r in self.excluded_rules)


# --- descriptors: one comparable string per type -------------------------------------------------------


def describe_annotation(tp: Any) -> tuple[str, bool]:
    """(descriptor, accepts None) of a generated field's type."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return describe_annotation(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        rest = [a for a in args if a is not type(None)]
        nullable = len(rest) < len(args)
        literals = [a for a in rest if typing.get_origin(a) is Literal]
        if len(rest) == 2 and len(literals) == 1:  # Literal[...] | str: an enum open to new values
            return describe_annotation(literals[0])[0] + "+", nullable
        if len(rest) == 1:
            return describe_annotation(rest[0])[0], nullable
        return "union<" + "|".join(sorted(describe_annotation(a)[0] for a in rest)) + ">", nullable
    if origin is Literal:
        return "enum{" + ",".join(sorted(map(repr, typing.get_args(tp)))) + "}", False
    if origin is list:
        return f"array<{describe_annotation(typing.get_args(tp)[0])[0]}>", False
    if origin is dict:
        value = typing.get_args(tp)[1]
        return ("json" if value is JsonValue else f"map<{describe_annotation(value)[0]}>"), False
    if origin is tuple:
        parts = [describe_annotation(a)[0] for a in typing.get_args(tp)]
        return ("price_level" if parts == ["decimal", "decimal"] else f"tuple<{','.join(parts)}>"), False
    if tp is AwareDatetime or tp is datetime:
        return "datetime", False
    simple = {
        Decimal: "decimal",
        int: "integer",
        float: "number",
        bool: "boolean",
        str: "string",
        date: "date",
    }
    if tp in simple:
        return simple[tp], False
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return "model:" + tp.__name__.removesuffix("Input"), False
    if tp is JsonValue:
        return "json", False
    return f"unknown<{tp!r}>", False


class Expectations:
    """Descriptors the spec implies for each schema, with the project's declared type overrides."""

    def __init__(self, schemas: Mapping[str, Schema], overrides: TypeOverrides) -> None:
        self.schemas = schemas
        self.overrides = overrides

    def _override(self, expr: str) -> str:
        if expr.startswith("list[") and expr.endswith("]"):
            return f"array<{self._override(expr[5:-1])}>"
        kinds = {
            "Dollars": "decimal",
            "Count": "decimal",
            "DecimalNumber": "decimal",
            "PriceLevel": "price_level",
        }
        return kinds[expr]

    def field(self, prop: Property, direction: Direction) -> str:
        expr = field_override(prop, self.overrides)
        return self._override(expr) if expr is not None else self.schema(prop.schema, direction)

    def schema(self, schema: Schema, direction: Direction) -> str:
        kind = schema.kind
        if kind == "ref":
            name = schema.ref or ""
            if name in self.overrides.components:
                return self._override(self.overrides.components[name])
            target = self.schemas[name]
            if target.kind in ("object", "all_of"):
                return "model:" + pascal_case(name)
            return self.schema(target, direction)
        if kind in ("object", "all_of"):
            return "model:*"
        if kind == "json_object":
            return "json"
        if kind == "map":
            assert schema.additional is not None
            return f"map<{self.schema(schema.additional, direction)}>"
        if kind == "array":
            assert schema.items is not None
            return f"array<{self.schema(schema.items, direction)}>"
        if kind in ("one_of", "any_of"):
            return "union<" + "|".join(sorted({self.schema(p, direction) for p in schema.parts})) + ">"
        if schema.const is not MISSING:
            return "enum{" + repr(schema.const) + "}"
        if schema.enum is not None:
            closed = "enum{" + ",".join(sorted(map(repr, schema.enum))) + "}"
            return closed if direction == "request" else closed + "+"
        if kind == "string":
            return {"date-time": "datetime", "date": "date"}.get(schema.format or "", "string")
        if kind == "number" and schema.format is not None and schema.format in self.overrides.formats:
            return self._override(self.overrides.formats[schema.format])
        return kind

    def nullable(self, schema: Schema) -> bool:
        if schema.nullable:
            return True
        if schema.kind == "ref" and schema.ref in self.schemas:
            return self.schemas[schema.ref].nullable
        return False


# --- models --------------------------------------------------------------------------------------------


def properties(schema: Schema, schemas: Mapping[str, Schema]) -> list[Property]:
    """An object's properties; allOf members merged (later wins, required if any member requires it)."""
    if schema.kind == "ref":
        return properties(schemas[schema.ref or ""], schemas)
    if schema.kind != "all_of":
        return list(schema.properties)
    merged: dict[str, Property] = {}
    required: set[str] = set()
    for part in schema.parts:
        for prop in properties(part, schemas):
            merged[prop.name] = prop
            required |= {prop.name} if prop.required else set()
    return [Property(p.name, p.schema, p.name in required) for p in merged.values()]


def check_model(
    label: str,
    cls: type[BaseModel],
    schema: Schema,
    expect: Expectations,
    direction: Direction,
    optional: Mapping[str, frozenset[str]] = {},
) -> list[str]:
    """Fields, wire names, types, enums, required/optional and defaults of one generated model."""
    problems: list[str] = []
    # readOnly properties are the server's (no request field), writeOnly ones the client's
    skip = "read_only" if direction == "request" else "write_only"
    props = [p for p in properties(schema, expect.schemas) if not getattr(p.schema, skip)]
    by_wire = {(info.alias or name): (name, info) for name, info in cls.model_fields.items()}
    for missing in sorted({p.name for p in props} - set(by_wire)):
        problems.append(f"{label}.{missing}: in the spec, missing from {cls.__name__}")
    for extra in sorted(set(by_wire) - {p.name for p in props}):
        problems.append(f"{label}.{extra}: in {cls.__name__}, not in the spec")
    for prop in props:
        if prop.name not in by_wire:
            continue
        py_name, info = by_wire[prop.name]
        where = f"{label}.{prop.name}"
        if py_name != field_name(prop.name):
            problems.append(f"{where}: Python name {py_name!r}, expected {field_name(prop.name)!r}")
        required = (
            required_when_received(prop, schema.location, optional, expect.schemas)
            if direction == "response"
            else prop.required and not expect.overrides.caller_may_omit(schema.location, prop.name)
        )
        if info.is_required() != required:
            said = "required" if required else "optional"
            problems.append(f"{where}: the spec says {said}, {cls.__name__} differs")
        got, accepts_none = describe_annotation(info.annotation)
        want = expect.field(prop, direction)
        # arrays of inline objects: compare the arrays, then the item model field by field
        inner_want, inner_got, inner_schema = want, got, prop.schema
        while inner_want.startswith("array<") and inner_got.startswith("array<") and inner_schema.items:
            inner_want, inner_got, inner_schema = inner_want[6:-1], inner_got[6:-1], inner_schema.items
        if inner_want == "model:*" and inner_got.startswith("model:"):
            nested = _model_class(info.annotation)
            if nested is not None:
                problems += check_model(where, nested, inner_schema, expect, direction, optional)
        elif got != want:
            problems.append(f"{where}: the spec says {want}, {cls.__name__} has {got}")
        if required and expect.nullable(prop.schema) != accepts_none:
            problems.append(
                f"{where}: nullable is {expect.nullable(prop.schema)} in the spec, not in the model"
            )
        default = prop.schema.default
        if not required and default not in (MISSING, None) and info.default != default:
            problems.append(f"{where}: default {default!r} in the spec, {info.default!r} in the model")
        if not required and default not in (MISSING, None) and expect.nullable(prop.schema) != accepts_none:
            # a field with a default takes None only where the spec says null is a value
            problems.append(
                f"{where}: has default {default!r}; nullable is {expect.nullable(prop.schema)} in the spec"
            )
    return problems


def _check_body_overloads(
    label: str, method: tuple[str, Any], body: Schema, spec: OpenAPIDocument, types: TypeOverrides
) -> list[str]:
    """A body method has a keyword overload whose required keywords are the spec's required body fields (and
    path/query ones), and a ``request=`` overload."""
    overloads = typing.get_overloads(method[1])  # type: ignore[attr-defined]  # Python 3.11+
    if len(overloads) != 2:
        return [f"{label}: {method[0]} has {len(overloads)} overloads, expected keyword and request= ones"]
    keywords, whole = (inspect.signature(o).parameters for o in overloads)
    required = {n for n, p in keywords.items() if p.default is inspect.Parameter.empty} - {"self"}
    wanted = {
        field_name(p.name)
        for p in properties(body, spec.schemas)
        if p.required and not p.schema.read_only and not types.caller_may_omit(body.location, p.name)
    }
    wanted |= {n for n, p in whole.items() if p.default is inspect.Parameter.empty} - {"self", "request"}
    problems = []
    if required != wanted:
        problems.append(f"{label}: {method[0]} requires {sorted(required)}, the spec {sorted(wanted)}")
    if "request" not in whole or whole["request"].default is not inspect.Parameter.empty:
        problems.append(f"{label}: {method[0]} has no overload taking request= alone")
    return problems


def _model_class(tp: Any) -> type[BaseModel] | None:
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _model_class(arg)
        if found is not None:
            return found
    return None


def check_component(
    label: str,
    obj: Any,
    schema: Schema,
    expect: Expectations,
    direction: Direction,
    optional: Mapping[str, frozenset[str]],
) -> list[str]:
    if inspect.isclass(obj) and issubclass(obj, BaseModel):
        if schema.kind not in ("object", "all_of"):
            return [f"{label}: a model class for a {schema.kind} schema"]
        return check_model(label, obj, schema, expect, direction, optional)
    got = describe_annotation(obj)[0]
    want = expect.schema(schema, "request")  # a named enum alias stays closed; fields widen it
    if schema.name in expect.overrides.components:
        want = expect._override(expect.overrides.components[schema.name or ""])
    return [] if got == want else [f"{label}: the spec says {want}, the generated alias is {got}"]


# --- OpenAPI -------------------------------------------------------------------------------------------


def generated_operations(family: Family = TRADE) -> dict[str, Any]:
    """operationId -> the generated Operation constant, from every resource module of ``family``."""
    from kalshi_api_core.transport import Operation as Generated

    resources = importlib.import_module(f"{family.package}.resources")
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"{family.package}.resources.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Generated):
                found[value.operation_id] = value
    return found


def client_methods(family: Family = TRADE) -> dict[str, tuple[str, Any]]:
    """operationId -> ("resource.method", the function), from the sync client's resources."""
    from kalshi_api_core.transport import Operation as Generated

    client_module = importlib.import_module(f"{family.package}.client")
    client_class, resources = getattr(client_module, family.client), client_module.RESOURCES
    result: dict[str, tuple[str, Any]] = {}
    with client_class(base_url="http://127.0.0.1:9") as client:  # never sends: only builds the resources
        resource_classes = {attribute: type(getattr(client, attribute)) for attribute in resources}
    for attribute, resource_cls in resource_classes.items():
        module = inspect.getmodule(resource_cls)
        for name, function in inspect.getmembers(resource_cls, inspect.isfunction):
            if name.startswith("_") or name.endswith("_all"):
                continue
            for global_name in function.__code__.co_names:
                constant = getattr(module, global_name, None)
                if isinstance(constant, Generated):
                    result[constant.operation_id] = (f"{attribute}.{name}", function)
    return result


def check_openapi(spec: OpenAPIDocument, overrides: TypeOverrides, family: Family = TRADE) -> list[str]:
    models = importlib.import_module(f"{family.package}.models")
    config = family.config(ROOT)
    expect = Expectations(spec.schemas, overrides)
    departures = Departures.load("openapi", config)
    problems: list[str] = []
    generated = generated_operations(family)
    methods = client_methods(family)
    wanted = {op.operation_id: op for op in spec.operations if not departures.excluded(op)}
    for op_id in sorted(set(wanted) - set(methods)):
        problems.append(
            f"operation {op_id} ({wanted[op_id].method.upper()} {wanted[op_id].path}): no client method"
        )
    for op_id in sorted(set(methods) - set(wanted)):
        problems.append(f"method {methods[op_id][0]}: its operation {op_id} is not in the spec")
    for op_id in sorted(set(wanted) & set(methods) & set(generated)):
        problems += _check_operation(wanted[op_id], generated[op_id], methods[op_id], models, expect, spec)
    for op in spec.operations:
        if departures.excluded(op) and op.operation_id in methods:
            problems.append(f"operation {op.operation_id}: excluded by departures.yaml but has a method")
    directions = openapi_directions(spec)
    left_out = OperationConfig.load(config).left_out_schemas(spec)  # departures.yaml's excluded_schemas
    for name in sorted(left_out):
        if hasattr(models, class_name(name, expect.overrides.kinds)):
            problems.append(f"schema {name}: excluded by departures.yaml but has a model")
    for name, schema in spec.schemas.items():
        if name in left_out:
            continue
        for direction in sorted(directions[name]):
            # the request twin of a schema used both ways is <Name>Input (when the two renderings differ)
            py_name = class_name(name, expect.overrides.kinds)
            twin = getattr(models, py_name + "Input", None) if direction == "request" else None
            obj = twin if twin is not None else getattr(models, py_name, None)
            if obj is None:
                problems.append(f"schema {name}: no generated model")
                continue
            problems += check_component(
                f"schema {name}", obj, schema, expect, direction, departures.optional_fields
            )
    return problems


def _check_operation(
    op: Operation,
    constant: Any,
    method: tuple[str, Any],
    models: Any,
    expect: Expectations,
    spec: OpenAPIDocument,
) -> list[str]:
    label = f"operation {op.operation_id}"
    problems = []
    if constant.method != op.method.upper() or constant.path != op.path:
        problems.append(
            f"{label}: spec {op.method.upper()} {op.path}, generated {constant.method} {constant.path}"
        )
    if constant.requires_auth != op.requires_auth:
        problems.append(f"{label}: auth required is {op.requires_auth} in the spec")
    signature = inspect.signature(method[1])
    params = [p for p in op.parameters if p.location in ("path", "query")]
    for param in params:
        if field_name(param.name) not in signature.parameters:
            problems.append(f"{label}: parameter `{param.name}` is not an argument of {method[0]}")
    for arg in signature.parameters:
        known = {field_name(p.name) for p in params} | {"self", "request", "extra_headers", "timeout"}
        body = _body_schema(op, spec)
        if body is not None:
            known |= {field_name(p.name) for p in properties(body, spec.schemas)} | {"extra_body"}
        if arg not in known:
            problems.append(f"{label}: argument `{arg}` of {method[0]} is not in the spec")
    body = _body_schema(op, spec)
    if body is not None and body.kind != "json_object" and hasattr(typing, "get_overloads"):
        problems += _check_body_overloads(label, method, body, spec, expect.overrides)
    if params:
        params_model = getattr(models, pascal_case(op.operation_id) + "Params", None)
        if params_model is None:
            problems.append(f"{label}: no {pascal_case(op.operation_id)}Params model")
        else:
            props = tuple(Property(p.name, p.schema, p.required) for p in params)
            schema = Schema(location=op.pointer, kind="object", properties=props)
            problems += [
                p.replace(f"{label}.", f"{label} parameter ")
                for p in check_model(label, params_model, schema, expect, "request")
            ]
    body = _body_schema(op, spec)
    if body is not None and spec.schemas.get(body.name or "", body).kind == "object":
        for prop in properties(body, spec.schemas):
            if field_name(prop.name) not in signature.parameters:
                problems.append(f"{label}: request field `{prop.name}` is not an argument of {method[0]}")
    success = _success_schema(op)
    want = expect.schema(success, "response") if success is not None else "none"
    got = "none" if constant.response_type is None else describe_annotation(constant.response_type)[0]
    if got != want:
        problems.append(f"{label}: success response is {want} in the spec, {got} generated")
    return problems


def _body_schema(op: Operation, spec: OpenAPIDocument) -> Schema | None:
    if op.request_body is None:
        return None
    for body in op.request_body.content:
        if body.schema is not None and body.schema.kind == "ref":
            return spec.schemas[body.schema.ref or ""]
    return None


def _success_schema(op: Operation) -> Schema | None:
    for response in op.success_responses:
        for body in response.content:
            if body.schema is not None:
                return body.schema
    return None


# --- AsyncAPI ------------------------------------------------------------------------------------------


def check_asyncapi(spec: AsyncAPIDocument, overrides: TypeOverrides, family: Family = TRADE) -> list[str]:
    ws = importlib.import_module(f"{family.package}.ws")
    CHANNELS, MESSAGE_PAYLOADS = ws.CHANNELS, ws.MESSAGE_PAYLOADS
    session_class = getattr(ws, family.session)
    expect = Expectations(spec.schemas, overrides)
    departures = Departures.load("asyncapi", family.config(ROOT))
    problems: list[str] = []
    subscribe = properties(spec.schemas["subscribeCommandPayload"], spec.schemas)
    params_schema = next(p.schema for p in subscribe if p.name == "params")
    spec_params = {p.name for p in params_schema.properties} - {"channels"}
    channel_enum = next(p for p in params_schema.properties if p.name == "channels").schema.items
    spec_channels = set(channel_enum.enum or ()) if channel_enum is not None else set()
    generated = {name[len("subscribe_") :] for name in dir(session_class) if name.startswith("subscribe_")}
    generated.discard("book")
    for channel in sorted(spec_channels - generated):
        problems.append(f"channel {channel}: no subscribe_{channel} method")
    for channel in sorted(generated - spec_channels):
        problems.append(f"method subscribe_{channel}: channel {channel} is not in the spec")
    for channel in sorted(spec_channels & generated):
        args = set(inspect.signature(getattr(session_class, f"subscribe_{channel}")).parameters)
        args -= {"self", "max_queue", "overflow"}
        wire = {p for p in spec_params if field_name(p) in args}
        for stray in sorted(args - {field_name(p) for p in spec_params}):
            problems.append(f"channel {channel}: argument `{stray}` is not a subscribe parameter of the spec")
        table = CHANNELS.get(channel)
        if table is None or set(table.params) != wire:
            problems.append(
                f"channel {channel}: subscribe arguments {sorted(wire)} differ from its channel table"
            )
        spec_messages = {m.key for c in spec.channels if c.key == channel for m in c.messages}
        if table is not None and {m.__name__ for m in table.messages.values()} != {
            MESSAGE_PAYLOADS[k].__name__
            for k in spec_messages
            if k in MESSAGE_PAYLOADS  # type: ignore[attr-defined]
        }:
            problems.append(f"channel {channel}: message models differ from the spec's messages")
    for key, message in spec.messages.items():
        model = MESSAGE_PAYLOADS.get(key)
        if model is None:
            problems.append(f"message {key}: no payload model")
            continue
        target = spec.schemas[message.payload.ref or ""] if message.payload.kind == "ref" else message.payload
        direction = message_direction(spec, key)
        if inspect.isclass(model) and issubclass(model, BaseModel):
            problems += check_model(
                f"message {key}", model, target, expect, direction, departures.optional_fields
            )
    for key in sorted(set(MESSAGE_PAYLOADS) - set(spec.messages)):
        problems.append(f"payload model for message {key}: not in the spec")
    return problems


def stale_departures(openapi: OpenAPIDocument, asyncapi: AsyncAPIDocument, shared: Path) -> list[str]:
    """Departures that no longer match anything: each must still describe a real difference."""
    from codegen.load import load_openapi, read_yaml

    problems = []
    data = yaml.safe_load((CONFIG / "departures.yaml").read_text(encoding="utf-8")) or {}
    for rule in data.get("excluded_operations") or []:
        where = rule.get("matches_in")
        spec = load_openapi(read_yaml(shared / where)) if where else openapi
        single = Departures([rule], {})
        if not any(single.excluded(op) for op in spec.operations):
            problems.append(
                f"excluded_operations rule {rule['path']!r} matches no operation of {where or 'the spec'}"
            )
    config = OperationConfig.load(CONFIG)
    for rule in data.get("excluded_schemas") or []:
        where = rule.get("matches_in")
        spec = load_openapi(read_yaml(shared / where)) if where else openapi
        single = OperationConfig(
            config.resources, config.methods, config.page_items, {}, config.excluded, [rule]
        )
        if not single.left_out_schemas(spec):
            problems.append(
                f"excluded_schemas rule {rule['names']!r} leaves out nothing of {where or 'the spec'}"
            )
    for kind, doc in (("asyncapi", asyncapi), ("openapi", openapi)):
        for location, entry in (((data.get("optional_response_fields") or {}).get(kind)) or {}).items():
            schema = _at(doc.schemas, location)
            required = {p.name for p in properties(schema, doc.schemas) if p.required} if schema else set()
            for name in entry["fields"]:
                if name not in required:
                    problems.append(f"optional_response_fields {location} {name}: not a required field there")
                    continue
                prop = next(p for p in properties(schema, doc.schemas) if p.name == name)
                why = relaxation(prop, location, {location: frozenset(entry["fields"])}, doc.schemas)
                if why != "departure":
                    problems.append(f"optional_response_fields {location} {name}: the {why} rule covers it")
    return problems


def _at(schemas: Mapping[str, Schema], location: str) -> Schema | None:
    parts = location.removeprefix("#/components/schemas/").split("/")
    schema = schemas.get(parts[0])
    for i in range(1, len(parts) - 1, 2):
        if schema is None or parts[i] != "properties":
            return None
        schema = next((p.schema for p in properties(schema, schemas) if p.name == parts[i + 1]), None)
    return schema


def lines(problems: Iterable[str]) -> str:
    return "\n".join(f"  - {p}" for p in problems)
