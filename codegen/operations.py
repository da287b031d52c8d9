"""Plan the REST client: which resource and method each operation becomes, its arguments, and its result.

Arguments are typed from the same schemas as the params and body models that validate them
(``signatures``); results are the generated response models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from codegen.directions import referenced_components, request_roots, response_roots
from codegen.ir import IRError, OpenAPIDocument, Operation, Property, Schema
from codegen.model_schema import in_direction
from codegen.models import ModelPlan
from codegen.naming import field_name, pascal_case, snake_case
from codegen.signatures import Import, SignatureTypes, TypeExpr

# Names every generated method already uses for itself.
RESERVED_ARGS = frozenset({"self", "request", "extra_headers", "timeout", "max_pages"})


@dataclass(frozen=True)
class OperationConfig:
    resources: Mapping[str, str]
    methods: Mapping[str, str]
    page_items: Mapping[str, str]
    order_writes: Mapping[str, str]
    excluded: Sequence[Mapping[str, Any]]
    excluded_schemas: Sequence[Mapping[str, Any]] = ()
    rate_limits: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, config_dir: Path) -> OperationConfig:
        """operations.yaml (names, paging, order writes) and the excluded operations of departures.yaml."""
        path = config_dir / "operations.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = sorted(set(data) - {"resources", "methods", "page_items", "order_writes", "rate_limits"})
        if unknown:
            raise IRError(str(path), f"unknown key(s) {', '.join(unknown)}")
        departures = yaml.safe_load((config_dir / "departures.yaml").read_text(encoding="utf-8")) or {}
        excluded = departures.get("excluded_operations") or []
        for index, rule in enumerate(excluded):
            if not rule.get("methods") or not rule.get("path") or not rule.get("reason"):
                raise IRError(
                    f"departures.yaml: excluded_operations[{index}]",
                    "a rule needs methods, a path and a reason",
                )
        schema_rules = departures.get("excluded_schemas") or []
        for index, rule in enumerate(schema_rules):
            if not rule.get("names") or not rule.get("reason"):
                raise IRError(
                    f"departures.yaml: excluded_schemas[{index}]", "a rule needs names and a reason"
                )
        return cls(
            resources=data.get("resources") or {},
            methods=data.get("methods") or {},
            page_items=data.get("page_items") or {},
            order_writes=data.get("order_writes") or {},
            excluded=excluded,
            excluded_schemas=schema_rules,
            rate_limits=_rate_limits(data.get("rate_limits") or {}, path),
        )

    def billing(self, op: Operation) -> tuple[str, int]:
        """(bucket, tokens) Kalshi bills ``op`` with."""
        limits = self.rate_limits
        write = op.method != "get" and re.fullmatch(limits.get("write_paths", "$^"), op.path) is not None
        cost = int((limits.get("costs") or {}).get(op.operation_id, limits.get("default_cost", 10)))
        return ("write" if write else "read"), cost

    def left_out_schemas(self, doc: OpenAPIDocument) -> dict[str, str]:
        """Component schemas the SDK leaves out, with the reason: those a rule names that no operation the
        client has uses (directly or through another schema it keeps)."""
        kept_ops = [op for op in doc.operations if self.exclusion(op) is None]
        roots = [r for op in kept_ops for r in (*request_roots(op), *response_roots(op))]
        used = set().union(*(referenced_components(r, doc.schemas) for r in roots))
        used |= {r.name for r in roots if r is not None and r.name is not None}
        candidates = {
            name: str(rule["reason"])
            for name in doc.schemas
            for rule in self.excluded_schemas
            if name not in used and re.search(rule["names"], name)
        }
        kept = [s for name, s in doc.schemas.items() if name not in candidates]
        still_needed = set().union(*(referenced_components(s, doc.schemas) for s in kept))
        return {name: why for name, why in candidates.items() if name not in still_needed}

    def exclusion(self, op: Operation) -> str | None:
        """The reason ``op`` is left out, if a rule matches it."""
        for rule in self.excluded:
            if op.method in rule["methods"] and re.search(rule["path"], op.path):
                return str(rule["reason"])
        return None


def _rate_limits(data: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    unknown = sorted(set(data) - {"write_paths", "default_cost", "costs"})
    if unknown:
        raise IRError(f"{path}: rate_limits", f"unknown key(s) {', '.join(unknown)}")
    try:
        re.compile(str(data.get("write_paths", "$^")))
    except re.error as exc:
        raise IRError(f"{path}: rate_limits.write_paths", f"not a regular expression: {exc}") from None
    for name, cost in {"default_cost": data.get("default_cost", 10), **(data.get("costs") or {})}.items():
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
            problem = f"the cost of {name} must be a whole number >= 0, got {cost!r}"
            raise IRError(f"{path}: rate_limits", problem)
    return data


@dataclass(frozen=True)
class Arg:
    name: str  # Python name
    wire_name: str
    type_expr: str  # for the signature (without "| None" for optional arguments)
    required: bool
    note: str  # structural docstring note: type, default, enum, limits
    schema: Schema  # the spec schema the argument was planned from (the reference lists its limits)
    imports: frozenset[Import] = frozenset()  # what the type needs imported


@dataclass(frozen=True)
class MethodPlan:
    name: str
    operation: Operation
    constant: str  # module-level Operation constant
    path_args: tuple[Arg, ...]
    query_args: tuple[Arg, ...]
    body_args: tuple[Arg, ...]
    params_model: str | None
    body_model: str | None  # a RequestModel class, or None
    body_alias: str | None  # a free-form JSON body type (sent as given, {} by default)
    result_type: str  # what the method returns
    result_imports: frozenset[Import]
    response_model: str | None
    unwrap: str | None
    page_items: str | None
    page_cursor: str | None
    page_item_type: str | None
    order_writes: str | None
    array_query: tuple[tuple[str, bool], ...]
    fallback_name: bool
    bucket: str  # the rate-limit bucket Kalshi bills it to ...
    cost: int  # ... and its tokens

    @property
    def auth_note(self) -> str:
        return (
            "Requires authentication." if self.operation.requires_auth else "Public: no credentials needed."
        )


@dataclass
class ResourcePlan:
    tag: str
    attribute: str  # client attribute and module name
    class_name: str
    methods: list[MethodPlan] = field(default_factory=list)

    @property
    def async_class_name(self) -> str:
        return "Async" + self.class_name

    @property
    def raw_class_name(self) -> str:
        """The resource whose methods return ``RawResponse``s (``client.with_raw_response.<attribute>``)."""
        return self.class_name + "WithRawResponse"

    @property
    def async_raw_class_name(self) -> str:
        return "Async" + self.raw_class_name


@dataclass
class ClientPlan:
    resources: list[ResourcePlan]
    excluded: list[tuple[Operation, str]]
    fallbacks: list[str]  # operationIds named by the snake_case fallback
    unused_names: list[str]  # naming-table entries for operations this spec doesn't have


def params_schema(op: Operation) -> Schema | None:
    """The operation's path and query parameters as one object schema (validated by a generated model)."""
    params = [p for p in op.parameters if p.location in ("path", "query")]
    if not params:
        return None
    props = tuple(
        Property(p.name, _non_empty(p.schema) if p.location == "path" else p.schema, p.required)
        for p in params
    )
    return Schema(location=op.pointer + "/parameters", kind="object", properties=props)


def _non_empty(schema: Schema) -> Schema:
    """A path parameter can't be empty (it would change the URL's shape): string ones need a character."""
    if schema.kind == "string" and not schema.constraints.min_length:
        return replace(schema, constraints=replace(schema.constraints, min_length=1))
    return schema


def params_model_name(op: Operation) -> str:
    return pascal_case(op.operation_id) + "Params"


def _note(schema: Schema, schemas: Mapping[str, Schema]) -> str:
    target = schemas.get(schema.ref or "", schema) if schema.kind == "ref" else schema
    bits = [target.kind if schema.kind != "ref" else (schema.ref or "")]
    if target.format:
        bits.append(target.format)
    if target.enum is not None:
        bits.append("one of " + ", ".join(repr(v) for v in target.enum))
    c = target.constraints
    if c.minimum is not None or c.maximum is not None:
        bits.append(
            f"{c.minimum if c.minimum is not None else ''}..{c.maximum if c.maximum is not None else ''}"
        )
    if c.max_items is not None:
        bits.append(f"at most {c.max_items} items")
    default = schema.default if schema.default is not None else target.default
    if default is not None and repr(default) != "MISSING":
        bits.append(f"default {default!r}")
    return ", ".join(bits)


class _ClientPlanner:
    def __init__(
        self, schemas: Mapping[str, Schema], plan: ModelPlan, config: OperationConfig, types: SignatureTypes
    ) -> None:
        self.schemas = schemas
        self.plan = plan
        self.config = config
        self.types = types

    def args(
        self, props: Sequence[Property], class_name: str, op: Operation, location: str = ""
    ) -> tuple[Arg, ...]:
        result = []
        for prop in props:
            required = prop.required and not self.types.overrides.caller_may_omit(location, prop.name)
            name = field_name(prop.name)  # the request model's field, passed by keyword
            if name in RESERVED_ARGS:
                raise IRError(prop.schema.location, f"argument name {name!r} clashes with the SDK's own")
            note = _note(prop.schema, self.schemas)
            type_ = self.types.argument(prop, class_name)
            result.append(Arg(name, prop.name, type_.text, required, note, prop.schema, type_.imports))
        return tuple(result)

    def method(self, op: Operation) -> MethodPlan:
        name = self.config.methods.get(op.operation_id)
        fallback = name is None
        name = name or snake_case(op.operation_id)
        params = [p for p in op.parameters if p.location in ("path", "query")]
        other = [p for p in op.parameters if p.location not in ("path", "query")]
        if other:
            raise IRError(other[0].pointer, f"{other[0].location} parameters are not supported by the client")
        params_model = params_model_name(op) if params else None
        path_args: tuple[Arg, ...] = ()
        query_args: tuple[Arg, ...] = ()
        # the same schemas the params model validates with (path strings can't be empty)
        validated = params_schema(op)
        if params_model and validated is not None:
            every = self.args(validated.properties, params_model, op)
            path_names = {p.name for p in params if p.location == "path"}
            # positional path arguments follow the URL template, whatever order the spec lists them in
            in_path = sorted(
                (a for a in every if a.wire_name in path_names),
                key=lambda a: op.path.index("{" + a.wire_name + "}"),
            )
            path_args = tuple(in_path)
            query_args = tuple(a for a in every if a.wire_name not in path_names)
        body_model, body_alias, body_args = self.body(op)
        taken = [a.name for a in path_args + query_args + body_args]
        if len(taken) != len(set(taken)):
            raise IRError(
                op.pointer, f"argument names collide: {sorted(n for n in taken if taken.count(n) > 1)}"
            )
        result = self.result(op, "cursor" in {p.name for p in params if p.location == "query"})
        bucket, cost = self.config.billing(op)
        return MethodPlan(
            name=name,
            operation=op,
            constant=snake_case(op.operation_id).upper(),
            path_args=path_args,
            query_args=query_args,
            body_args=body_args,
            params_model=params_model,
            body_model=body_model,
            body_alias=body_alias,
            order_writes=self.config.order_writes.get(op.operation_id),
            array_query=tuple(
                (p.name, p.explode) for p in params if p.location == "query" and p.schema.kind == "array"
            ),
            fallback_name=fallback,
            bucket=bucket,
            cost=cost,
            **result,
        )

    def body(self, op: Operation) -> tuple[str | None, str | None, tuple[Arg, ...]]:
        if op.request_body is None:
            return None, None, ()
        bodies = [b for b in op.request_body.content if b.media_type == "application/json"]
        if len(bodies) != 1 or bodies[0].schema is None:
            raise IRError(
                op.request_body.pointer, "the client supports exactly one application/json body schema"
            )
        schema = bodies[0].schema
        if schema.kind != "ref":
            raise IRError(schema.location, "request bodies must reference a component schema")
        target = self.schemas[schema.ref or ""]
        name = self.plan.request_names[schema.ref or ""]
        if target.kind == "json_object":
            return None, name, ()
        if target.kind != "object":
            raise IRError(schema.location, f"request body of kind {target.kind} is not supported")
        body_args = self.args(in_direction(target.properties, "request"), name, op, target.location)
        return name, None, body_args

    def result(self, op: Operation, has_cursor: bool) -> dict[str, Any]:
        empty: dict[str, Any] = {
            "result_type": "None", "result_imports": frozenset(), "response_model": None, "unwrap": None,
            "page_items": None, "page_cursor": None, "page_item_type": None,
        }  # fmt: skip
        bodies = [
            (r, b)
            for r in op.success_responses
            for b in r.content
            if b.media_type == "application/json" and b.schema
        ]
        if not bodies:
            return empty
        models = {b.schema.ref if b.schema is not None else None for _, b in bodies}
        if len(models) != 1 or None in models:
            raise IRError(bodies[0][0].pointer, "success responses must share one component schema")
        ref = next(iter(models)) or ""
        model = self.plan.response_names[ref]
        whole = {**empty, "result_type": model, "result_imports": self.types.model(model).imports}
        envelope = self.schemas[ref]
        if envelope.kind != "object":
            return {**whole, "response_model": model}
        props = {p.name: p for p in envelope.properties}
        if has_cursor and ("cursor" in props or "next_cursor" in props):
            arrays = [p.name for p in envelope.properties if p.schema.kind == "array"]
            items = self.config.page_items.get(op.operation_id) or (arrays[0] if len(arrays) == 1 else None)
            if items is None or items not in props:
                raise IRError(
                    envelope.location, f"{op.operation_id}: say in page_items which list a page holds"
                )
            item_schema = props[items].schema.items
            assert item_schema is not None
            if item_schema.kind == "ref":
                item_type = self.plan.response_names[item_schema.ref or ""]
            elif item_schema.kind == "object":
                item_type = f"{model}{pascal_case(items)}Item"
            else:
                raise IRError(item_schema.location, "page items must be objects")
            cursor = "cursor" if "cursor" in props else "next_cursor"
            page = self.types.model(item_type).wrap("Page[{}]", ("kalshi_api_core.pagination", "Page"))
            return {
                **empty, "result_type": page.text, "result_imports": page.imports | whole["result_imports"],
                "response_model": model, "page_items": items, "page_cursor": cursor,
                "page_item_type": item_type,
            }  # fmt: skip
        only = envelope.properties[0] if len(envelope.properties) == 1 else None
        if only is not None and only.required and only.schema.kind == "ref" and not only.schema.nullable:
            if self.schemas[only.schema.ref or ""].kind == "object":
                inner: TypeExpr = self.types.model(self.plan.response_names[only.schema.ref or ""])
                return {**empty, "result_type": inner.text, "response_model": model,
                        "result_imports": inner.imports | whole["result_imports"],
                        "unwrap": field_name(only.name)}  # fmt: skip
        return {**whole, "response_model": model}


def plan_client(
    operations: Sequence[Operation],
    schemas: Mapping[str, Schema],
    plan: ModelPlan,
    config: OperationConfig,
    types: SignatureTypes,
) -> ClientPlan:
    planner = _ClientPlanner(schemas, plan, config, types)
    resources: dict[str, ResourcePlan] = {}
    excluded: list[tuple[Operation, str]] = []
    for op in operations:
        reason = config.exclusion(op)
        if reason is not None:
            excluded.append((op, reason))
            continue
        attribute = config.resources.get(op.tag) or snake_case(op.tag)
        resource = resources.setdefault(
            op.tag, ResourcePlan(op.tag, attribute, pascal_case(attribute) + "Resource")
        )
        method = planner.method(op)
        clash = [m for m in resource.methods if m.name in (method.name, method.name + "_all")]
        if clash or (method.page_items and any(m.name == method.name + "_all" for m in resource.methods)):
            raise IRError(op.pointer, f"method name {resource.attribute}.{method.name} is already taken")
        resource.methods.append(method)
    ordered = sorted(resources.values(), key=lambda r: r.attribute)
    fallbacks = [m.operation.operation_id for r in ordered for m in r.methods if m.fallback_name]
    known = {op.operation_id for op in operations}
    unused = sorted(name for name in config.methods if name not in known)
    return ClientPlan(ordered, excluded, fallbacks, unused)
