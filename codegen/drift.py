"""Spec drift: what changed between two versions of Kalshi's specs, and which changes break SDK callers.

``python -m codegen.drift [--new SOURCE] [--json] [--out FILE]`` compares the pinned specs with SOURCE
(default: the upstream copies ``make specs`` reads) and exits 1 when a change is breaking.

Both sides are compared as IR, so ``$ref`` chains, prose and key order never show up as drift. Things are
matched by name: operations by operationId (a renamed operationId is reported as removed + added, with a
hint when the method and path stayed), parameters by (location, name), fields by property name, component
schemas, channels, messages and error codes by key. Whether a change breaks depends on who sends the data:
every verdict comes from one rule of ``RULES`` and the report names it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from codegen import spec
from codegen.directions import Direction, asyncapi_directions, openapi_directions, sent_messages
from codegen.families import FAMILIES, TRADE, Family, pinned_families
from codegen.ir import (
    MISSING,
    AsyncAPIDocument,
    Body,
    Channel,
    Constraints,
    IRError,
    OpenAPIDocument,
    Operation,
    Parameter,
    Property,
    RequestBody,
    Response,
    Schema,
)
from codegen.load import load_asyncapi, load_openapi
from codegen.response_fields import relaxation

ROOT = Path(__file__).resolve().parent.parent
PINNED = {kind: TRADE.pinned(ROOT, kind) for kind in spec.SPEC_FILES}
# A report key is a spec kind, prefixed with the family for families other than trade ("perps/openapi").
_SPEC_LABELS = {"openapi": "OpenAPI", "asyncapi": "AsyncAPI"}
_SPEC_LABELS |= {
    f"{f.subdir}/{k}": f"{f.name} {v}" for f in FAMILIES[1:] for k, v in list(_SPEC_LABELS.items())
}

Side = Literal["request", "response", "both"]

# --- the rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    breaking: bool


# Every verdict in a report comes from this table. "Request" data is what callers send (parameters, request
# bodies, WebSocket commands); "response" data is what they receive (responses, WebSocket messages).
_RULE_TABLE = (
    # servers
    Rule("server-removed", "a server URL is gone: clients configured with it fail", True),
    Rule("server-added", "a new server URL", False),
    # operations
    Rule("operation-removed", "an operation is gone: its SDK method and calls to it fail", True),
    Rule("operation-added", "a new operation", False),
    Rule("operation-moved", "same operationId, different method or path: old calls miss", True),
    Rule("operation-tag-changed", "first tag changed: the SDK method moves to another resource", True),
    Rule("operation-auth-added", "a public operation now requires authentication", True),
    Rule("operation-auth-removed", "an operation no longer requires authentication", False),
    Rule("deprecated", "deprecation flag set or cleared: a notice, nothing stops working yet", False),
    # parameters
    Rule("parameter-removed", "a parameter is gone: callers passing it break", True),
    Rule("parameter-added-optional", "a new optional parameter", False),
    Rule("parameter-added-required", "a new required parameter: existing calls lack it", True),
    Rule("parameter-now-required", "an optional parameter became required", True),
    Rule("parameter-now-optional", "a required parameter became optional", False),
    Rule("parameter-style-changed", "serialization style/explode changed: the wire format differs", True),
    # request bodies and request fields (also WebSocket command payloads)
    Rule("request-body-removed", "the operation no longer takes a body: callers sending one break", True),
    Rule("request-body-added-optional", "a new optional request body", False),
    Rule("request-body-added-required", "a new required request body: existing calls lack it", True),
    Rule("request-body-now-required", "the request body became required", True),
    Rule("request-body-now-optional", "the request body became optional", False),
    Rule("request-field-removed", "a request field is gone: callers sending it break", True),
    Rule("request-field-added-optional", "a new optional request field", False),
    Rule("request-field-added-required", "a new required request field: existing payloads lack it", True),
    Rule("request-field-now-required", "an optional request field became required", True),
    Rule("request-field-now-optional", "a required request field became optional", False),
    Rule("request-type-changed", "the type of sent data changed: old values no longer fit", True),
    Rule(
        "request-enum-narrowed", "a sent enum lost a value (or became an enum): callers using it break", True
    ),
    Rule("request-enum-widened", "a sent enum gained a value (or stopped being an enum)", False),
    Rule("request-nullable-removed", "sent data may no longer be null", True),
    Rule("request-nullable-added", "sent data may now be null", False),
    Rule("request-constraint-tightened", "a sent value's limit got stricter: values once valid fail", True),
    Rule("request-constraint-loosened", "a sent value's limit got looser", False),
    # responses and response fields (also WebSocket message payloads)
    Rule("success-response-removed", "a success status is gone: callers handling it break", True),
    Rule("success-response-added", "a new success status", False),
    Rule("success-response-type-changed", "the success response body has a different type", True),
    Rule(
        "error-response-removed", "an error status is no longer listed: errors are raised either way", False
    ),
    Rule("error-response-added", "a new error status: errors are raised either way", False),
    Rule("response-field-removed", "a received field is gone: callers reading it break", True),
    Rule("response-field-added", "a new received field", False),
    Rule("response-field-now-optional", "a received field may be absent: callers relying on it break", True),
    Rule("response-field-now-required", "a received field is now always present", False),
    Rule(
        "response-field-relaxed",
        "a required received field became deprecated, nullable or omitempty: the SDK decodes it as optional",
        True,
    ),
    Rule("response-type-changed", "the type of received data changed", True),
    Rule("response-nullable-added", "received data may now be null: callers relying on a value break", True),
    Rule("response-nullable-removed", "received data is no longer null", False),
    Rule(
        "response-enum-widened",
        "a received enum gained a value: additive, SDK response enums are open",
        False,
    ),
    Rule("response-enum-narrowed", "a received enum lost a value: callers simply never see it", False),
    Rule("response-constraint-changed", "a received value's limit changed: not enforced on responses", False),
    # either direction
    Rule("type-named", "an inline type became a named schema of the same type, or the reverse", False),
    Rule("default-changed", "the documented default changed: a behaviour note, no signature changes", False),
    # component schemas
    Rule("schema-removed", "a component schema is gone: its SDK model disappears", True),
    Rule("schema-added", "a new component schema", False),
    # AsyncAPI
    Rule("channel-removed", "a channel is gone: subscriptions to it fail", True),
    Rule("channel-added", "a new channel", False),
    Rule("channel-address-changed", "a channel's address changed", True),
    Rule("channel-message-removed", "a channel no longer carries a message: handlers for it go silent", True),
    Rule("channel-message-added", "a channel carries a new message", False),
    Rule("message-removed", "a message is gone: its SDK model and handlers disappear", True),
    Rule("message-added", "a new message", False),
    Rule("message-name-changed", "a message's name (the wire type) changed: dispatch on it misses", True),
    Rule("error-code-removed", "an error code is no longer listed: errors are raised either way", False),
    Rule("error-code-added", "a new error code: errors are raised either way", False),
    Rule("error-code-renamed", "an error code's name changed", False),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULE_TABLE}


def _rule_for(side: Side, request_rule: str, response_rule: str) -> str:
    """The rule that decides for data sent in ``side``; data used both ways gets the stricter verdict."""
    if side == "request":
        return request_rule
    if side == "response":
        return response_rule
    if RULES[response_rule].breaking and not RULES[request_rule].breaking:
        return response_rule
    return request_rule


# --- the report -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    area: str  # "operation", "parameter", "request field", "response field", "schema field", "enum", ...
    kind: str  # "added" | "removed" | "changed"
    subject: str  # what changed: "GetMarkets query `status`", "Market.status", "channel pyth_value"
    detail: str  # how: "enum adds 'paused'", "type string -> integer", "now required"
    breaking: bool
    rule: str  # the id in RULES that decided `breaking`
    spec: str = "openapi"  # which spec the change is in: "openapi" | "asyncapi"

    def sort_key(self) -> tuple[str, ...]:
        return (self.area, self.subject, self.detail, self.kind, self.rule, self.spec)


@dataclass(frozen=True)
class DriftReport:
    old: dict[str, dict[str, str]]  # spec kind -> {"title", "version", "source"} of the old side
    new: dict[str, dict[str, str]]  # the same for the new side
    changes: tuple[Change, ...]  # sorted by (area, subject, detail)

    @property
    def breaking(self) -> bool:
        return any(change.breaking for change in self.changes)

    def counts(self, kind: str | None = None) -> tuple[int, int]:
        """(breaking, additive) changes, of one spec kind or of all."""
        picked = [c for c in self.changes if kind is None or c.spec == kind]
        breaking = sum(1 for c in picked if c.breaking)
        return breaking, len(picked) - breaking

    def markdown(self) -> str:
        return _markdown(self)

    def as_json(self) -> dict[str, Any]:
        breaking, additive = self.counts()
        by_spec = {kind: _count_dict(*self.counts(kind)) for kind in self.old}
        return {
            "old": self.old,
            "new": self.new,
            "breaking": self.breaking,
            "summary": {**_count_dict(breaking, additive), "by_spec": by_spec},
            "changes": [asdict(change) for change in self.changes],
            "rules": {rule_id: asdict(RULES[rule_id]) for rule_id in _cited_rules(self.changes)},
        }


def _count_dict(breaking: int, additive: int) -> dict[str, int]:
    return {"breaking": breaking, "additive": additive}


def _cited_rules(changes: Iterable[Change]) -> list[str]:
    return sorted({change.rule for change in changes})


@dataclass
class _Context:
    """One comparison: the component schemas of both sides, and the changes found so far."""

    spec: str
    old_schemas: Mapping[str, Schema]
    new_schemas: Mapping[str, Schema]
    changes: list[Change] = field(default_factory=list)

    def add(self, area: str, kind: str, subject: str, detail: str, rule: str) -> None:
        # The rule table alone decides whether a change breaks.
        self.changes.append(Change(area, kind, subject, detail, RULES[rule].breaking, rule, self.spec))


# --- describing schemas ---------------------------------------------------------------------------------

_COMBINATORS = {"all_of": ("allOf", " & "), "one_of": ("oneOf", " | "), "any_of": ("anyOf", " | ")}


def _shape(schema: Schema | None) -> str:
    """The type of a schema without its own enum values and nullability (those are compared on their own)."""
    if schema is None:
        return "no body"
    if schema.kind == "ref":
        return f"$ref {schema.ref}"
    if schema.kind == "array":
        return f"array<{_inner(schema.items)}>"
    if schema.kind == "map":
        return f"map<{_inner(schema.additional)}>"
    if schema.kind == "object":
        return "object" if schema.additional is None else f"object & map<{_inner(schema.additional)}>"
    if schema.kind == "json_object":
        return "json object"
    if schema.kind in _COMBINATORS:
        name, joiner = _COMBINATORS[schema.kind]
        return f"{name}<{joiner.join(_inner(part) for part in schema.parts)}>"
    text = schema.kind if schema.format is None else f"{schema.kind}({schema.format})"
    return text if schema.const is MISSING else f"{text} const {schema.const!r}"


def _top(schema: Schema) -> str:
    """The outermost type constructor: what must match before nested schemas are compared one by one."""
    if schema.kind in ("array", "map"):
        return schema.kind
    if schema.kind == "object":
        return "object" if schema.additional is None else "object & map"
    if schema.kind in _COMBINATORS:
        return f"{_COMBINATORS[schema.kind][0]} of {len(schema.parts)}"
    return _shape(schema)


def _inner(schema: Schema | None) -> str:
    # Inside a container a reference reads as its name: array<Market>.
    if schema is not None and schema.kind == "ref":
        return str(schema.ref)
    return _describe(schema)


def _describe(schema: Schema | None) -> str:
    """The full compact type: enum string {a,b}, integer(int64), array<Market>, nullable."""
    text = _shape(schema)
    if schema is None:
        return text
    if schema.enum is not None:
        text = f"enum {text} {{{','.join(str(value) for value in schema.enum)}}}"
    return f"{text}, nullable" if schema.nullable else text


def _values(values: Iterable[Any]) -> str:
    return ", ".join(repr(value) for value in values)


def _presence(required: bool) -> str:
    return "required" if required else "optional"


# --- comparing schemas ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """Where a schema sits: the subject its changes are reported under, and who sends it."""

    root: str  # subject of the schema itself: "Market", "GetMarkets query `status`"
    side: Side
    root_area: str  # area of changes to the schema itself: "schema", "parameter", "response", ...
    field_area: str  # area of changes inside it: "request field", "response field", ...
    root_type_rule: str | None = None  # the rule for a different type of the schema itself, if special

    def subject(self, path: str) -> str:
        return self.root + path

    def area(self, path: str) -> str:
        return self.field_area if path else self.root_area

    def type_rule(self, path: str) -> str:
        if not path and self.root_type_rule is not None:
            return self.root_type_rule
        return _rule_for(self.side, "request-type-changed", "response-type-changed")


_FIELD_AREAS: dict[Side, str] = {
    "request": "request field",
    "response": "response field",
    "both": "schema field",
}


def _diff_schema(ctx: _Context, where: _Where, path: str, old: Schema, new: Schema) -> None:
    if _top(old) != _top(new):
        if not _diff_naming(ctx, where, path, old, new):
            detail = f"type {_describe(old)} -> {_describe(new)}"
            ctx.add(where.area(path), "changed", where.subject(path), detail, where.type_rule(path))
        return  # below a changed type, field-by-field differences are noise
    _diff_enum(ctx, where, path, old.enum, new.enum)
    _diff_nullable(ctx, where, path, old.nullable, new.nullable)
    _diff_constraints(ctx, where, path, old.constraints, new.constraints)
    _diff_default(ctx, where.area(path), where.subject(path), old.default, new.default)
    _diff_deprecated(ctx, where.area(path), where.subject(path), old.deprecated, new.deprecated)
    _diff_properties(ctx, where, path, old, new)
    for suffix, old_child, new_child in _children(old, new):
        _diff_schema(ctx, where, path + suffix, old_child, new_child)


def _diff_naming(ctx: _Context, where: _Where, path: str, old: Schema, new: Schema) -> bool:
    """An inline type that became a named component of the same shape, or the reverse, is no type change:
    say so and compare the contents. False when that is not what happened."""
    if (old.kind == "ref") == (new.kind == "ref"):
        return False  # two different names are two SDK types
    old_target, new_target = _unwrap(old, ctx.old_schemas), _unwrap(new, ctx.new_schemas)
    if "ref" in (old_target.kind, new_target.kind) or _top(old_target) != _top(new_target):
        return False  # an alias of an alias is left as a type change, which also rules out ref cycles
    if new.kind == "ref":
        detail = f"now $ref {new.ref} ({_shape(new_target)})"
    else:
        detail = f"$ref {old.ref} inlined ({_shape(old_target)})"
    ctx.add(where.area(path), "changed", where.subject(path), detail, "type-named")
    _diff_schema(ctx, where, path, old_target, new_target)
    return True


def _unwrap(schema: Schema, components: Mapping[str, Schema]) -> Schema:
    """The component a reference names, with the modifiers written beside the reference."""
    target = components.get(schema.ref or "") if schema.kind == "ref" else None
    if target is None:
        return schema
    return replace(
        target,
        nullable=target.nullable or schema.nullable,
        deprecated=target.deprecated or schema.deprecated,
        default=target.default if schema.default is MISSING else schema.default,
    )


def _children(old: Schema, new: Schema) -> Iterator[tuple[str, Schema, Schema]]:
    """Nested schemas of two same-shaped schemas, with the path suffix each is reported under."""
    if old.items is not None and new.items is not None:
        yield "[]", old.items, new.items
    if old.additional is not None and new.additional is not None:
        yield "{}", old.additional, new.additional
    for index, (old_part, new_part) in enumerate(zip(old.parts, new.parts, strict=True)):
        # allOf members are all the same object, so their fields are reported as the parent's.
        yield ("" if old.kind == "all_of" else f"<{index}>"), old_part, new_part


def _diff_enum(
    ctx: _Context, where: _Where, path: str, old: tuple[Any, ...] | None, new: tuple[Any, ...] | None
) -> None:
    subject = where.subject(path)
    narrowed = _rule_for(where.side, "request-enum-narrowed", "response-enum-narrowed")
    widened = _rule_for(where.side, "request-enum-widened", "response-enum-widened")
    if old is None and new is not None:
        ctx.add("enum", "changed", subject, f"now restricted to enum {{{_values(new)}}}", narrowed)
    elif old is not None and new is None:
        ctx.add("enum", "changed", subject, "no longer restricted to an enum", widened)
    elif old is not None and new is not None:
        added = [value for value in new if value not in old]
        removed = [value for value in old if value not in new]
        if added:
            ctx.add("enum", "added", subject, f"enum adds {_values(added)}", widened)
        if removed:
            ctx.add("enum", "removed", subject, f"enum drops {_values(removed)}", narrowed)


def _diff_nullable(ctx: _Context, where: _Where, path: str, old: bool, new: bool) -> None:
    if old == new:
        return
    if new:
        rule = _rule_for(where.side, "request-nullable-added", "response-nullable-added")
    else:
        rule = _rule_for(where.side, "request-nullable-removed", "response-nullable-removed")
    detail = "now nullable" if new else "no longer nullable"
    ctx.add(where.area(path), "changed", where.subject(path), detail, rule)


# Constraint fields by spec keyword; a lower bound tightens when it rises, an upper bound when it falls.
_LOWER_BOUNDS = {"minimum": "minimum", "exclusive_minimum": "exclusiveMinimum", "min_length": "minLength",
                 "min_items": "minItems"}  # fmt: skip
_UPPER_BOUNDS = {"maximum": "maximum", "exclusive_maximum": "exclusiveMaximum", "max_length": "maxLength",
                 "max_items": "maxItems"}  # fmt: skip
_OTHER_LIMITS = {"multiple_of": "multipleOf", "pattern": "pattern", "unique_items": "uniqueItems"}
_KEYWORDS = {**_LOWER_BOUNDS, **_UPPER_BOUNDS, **_OTHER_LIMITS}


def _limit(constraints: Constraints, name: str) -> Any:
    value = getattr(constraints, name)
    return None if value is False else value  # uniqueItems: false is the same as absent


def _tightened(name: str, old: Any, new: Any) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if name in _LOWER_BOUNDS:
        return bool(new > old)
    if name in _UPPER_BOUNDS:
        return bool(new < old)
    return True  # a different pattern or multipleOf can reject values the old one accepted


def _diff_constraints(ctx: _Context, where: _Where, path: str, old: Constraints, new: Constraints) -> None:
    for name, keyword in _KEYWORDS.items():
        before, after = _limit(old, name), _limit(new, name)
        if before == after:
            continue
        if _tightened(name, before, after):
            rule = _rule_for(where.side, "request-constraint-tightened", "response-constraint-changed")
        else:
            rule = _rule_for(where.side, "request-constraint-loosened", "response-constraint-changed")
        detail = f"{keyword} {_limit_text(before)} -> {_limit_text(after)}"
        ctx.add(where.area(path), "changed", where.subject(path), detail, rule)


def _limit_text(value: Any) -> str:
    return "none" if value is None else repr(value)


def _diff_default(ctx: _Context, area: str, subject: str, old: Any, new: Any) -> None:
    if old is MISSING and new is MISSING:
        return
    if old is MISSING or new is MISSING or old != new or type(old) is not type(new):
        detail = f"default {_default_text(old)} -> {_default_text(new)}"
        ctx.add(area, "changed", subject, detail, "default-changed")


def _default_text(value: Any) -> str:
    return "none" if value is MISSING else repr(value)


def _diff_deprecated(ctx: _Context, area: str, subject: str, old: bool, new: bool) -> None:
    if old != new:
        ctx.add(area, "changed", subject, "now deprecated" if new else "no longer deprecated", "deprecated")


def _diff_properties(ctx: _Context, where: _Where, path: str, old: Schema, new: Schema) -> None:
    old_props = {prop.name: prop for prop in old.properties}
    new_props = {prop.name: prop for prop in new.properties}
    area = where.field_area
    for name, prop in old_props.items():
        if name not in new_props:
            rule = _rule_for(where.side, "request-field-removed", "response-field-removed")
            detail = f"was {_describe(prop.schema)}, {_presence(prop.required)}"
            ctx.add(area, "removed", where.subject(f"{path}.{name}"), detail, rule)
    for name, prop in new_props.items():
        if name not in old_props:
            request_rule = "request-field-added-required" if prop.required else "request-field-added-optional"
            rule = _rule_for(where.side, request_rule, "response-field-added")
            detail = f"{_describe(prop.schema)}, {_presence(prop.required)}"
            ctx.add(area, "added", where.subject(f"{path}.{name}"), detail, rule)
    for name, prop in old_props.items():
        if name in new_props:
            _diff_required(ctx, where, f"{path}.{name}", prop.required, new_props[name].required)
            _diff_relaxed(ctx, where, f"{path}.{name}", prop, new_props[name])
            _diff_schema(ctx, where, f"{path}.{name}", prop.schema, new_props[name].schema)


def _diff_relaxed(ctx: _Context, where: _Where, path: str, old: Property, new: Property) -> None:
    """A field required in both specs whose response models change between required and optional, by the
    spec-driven rules of ``response_fields`` (departures are the project's, not the spec's)."""
    if where.side == "request" or not (old.required and new.required):
        return
    before = relaxation(old, "", {}, ctx.old_schemas)
    after = relaxation(new, "", {}, ctx.new_schemas)
    if (before is None) == (after is None):
        return
    if after is not None:
        detail = f"decoded as optional when received: now {after}"
        ctx.add(where.field_area, "changed", where.subject(path), detail, "response-field-relaxed")
    else:
        detail = f"required when received again: no longer {before}"
        ctx.add(where.field_area, "changed", where.subject(path), detail, "response-field-now-required")


def _diff_required(ctx: _Context, where: _Where, path: str, old: bool, new: bool) -> None:
    if old == new:
        return
    if new:
        rule = _rule_for(where.side, "request-field-now-required", "response-field-now-required")
    else:
        rule = _rule_for(where.side, "request-field-now-optional", "response-field-now-optional")
    ctx.add(where.field_area, "changed", where.subject(path), f"now {_presence(new)}", rule)


def _diff_components(
    ctx: _Context, old: Mapping[str, Schema], new: Mapping[str, Schema], sides: Mapping[str, Side]
) -> None:
    for name, schema in old.items():
        if name not in new:
            ctx.add("schema", "removed", name, f"was {_summary(schema)}", "schema-removed")
    for name, schema in new.items():
        if name not in old:
            ctx.add("schema", "added", name, _summary(schema), "schema-added")
    for name, schema in old.items():
        if name in new:
            side = sides[name]
            where = _Where(name, side, "schema", _FIELD_AREAS[side])
            _diff_schema(ctx, where, "", schema, new[name])


def _summary(schema: Schema) -> str:
    count = len(schema.properties)
    return f"{_describe(schema)} with {count} field{'s' * (count != 1)}" if count else _describe(schema)


def _sides(*directions: Mapping[str, frozenset[Direction]]) -> dict[str, Side]:
    """Who sends each component schema, in either version, by the rule of ``codegen.directions``."""
    found: dict[str, set[Direction]] = {}
    for table in directions:
        for name, ways in table.items():
            found.setdefault(name, set()).update(ways)
    return {name: "both" if len(ways) == 2 else next(iter(ways)) for name, ways in found.items()}


# --- OpenAPI --------------------------------------------------------------------------------------------


def diff_openapi(old: OpenAPIDocument, new: OpenAPIDocument) -> list[Change]:
    ctx = _Context("openapi", old.schemas, new.schemas)
    _diff_servers(ctx, old.servers, new.servers)
    _diff_operations(ctx, old.operations, new.operations)
    _diff_components(ctx, old.schemas, new.schemas, _sides(openapi_directions(old), openapi_directions(new)))
    return sorted(ctx.changes, key=Change.sort_key)


def _diff_servers(ctx: _Context, old: Sequence[str], new: Sequence[str]) -> None:
    for url in old:
        if url not in new:
            ctx.add("server", "removed", url, "no longer listed", "server-removed")
    for url in new:
        if url not in old:
            ctx.add("server", "added", url, "newly listed", "server-added")


def _op_label(op: Operation) -> str:
    return f"{op.method.upper()} {op.path} ({op.operation_id})"


def _diff_operations(ctx: _Context, old: Sequence[Operation], new: Sequence[Operation]) -> None:
    old_ops = {op.operation_id: op for op in old}
    new_ops = {op.operation_id: op for op in new}
    old_routes = {(op.method, op.path): op.operation_id for op in old}
    new_routes = {(op.method, op.path): op.operation_id for op in new}
    for op_id, op in old_ops.items():
        if op_id not in new_ops:
            successor = new_routes.get((op.method, op.path))
            detail = f"same route now has operationId {successor}" if successor else "no longer in the spec"
            ctx.add("operation", "removed", _op_label(op), detail, "operation-removed")
    for op_id, op in new_ops.items():
        if op_id not in old_ops:
            predecessor = old_routes.get((op.method, op.path))
            detail = f"same route had operationId {predecessor}" if predecessor else f"new in tag {op.tag}"
            ctx.add("operation", "added", _op_label(op), detail, "operation-added")
    for op_id, op in old_ops.items():
        if op_id in new_ops:
            _diff_operation(ctx, op, new_ops[op_id])


def _diff_operation(ctx: _Context, old: Operation, new: Operation) -> None:
    label = _op_label(new)
    if (old.method, old.path) != (new.method, new.path):
        detail = f"was {old.method.upper()} {old.path}"
        ctx.add("operation", "changed", label, detail, "operation-moved")
    if old.tag != new.tag:
        ctx.add("operation", "changed", label, f"tag {old.tag} -> {new.tag}", "operation-tag-changed")
    if old.requires_auth != new.requires_auth:
        rule = "operation-auth-added" if new.requires_auth else "operation-auth-removed"
        detail = "now requires authentication" if new.requires_auth else "now public"
        ctx.add("operation", "changed", label, detail, rule)
    _diff_deprecated(ctx, "operation", label, old.deprecated, new.deprecated)
    _diff_parameters(ctx, new.operation_id, old.parameters, new.parameters)
    _diff_request_body(ctx, new.operation_id, old.request_body, new.request_body)
    _diff_responses(ctx, new.operation_id, old.responses, new.responses)


def _param_label(op_id: str, param: Parameter) -> str:
    return f"{op_id} {param.location} `{param.name}`"


def _diff_parameters(ctx: _Context, op_id: str, old: Sequence[Parameter], new: Sequence[Parameter]) -> None:
    old_params = {(p.location, p.name): p for p in old}
    new_params = {(p.location, p.name): p for p in new}
    for key, param in old_params.items():
        if key not in new_params:
            detail = f"was {_describe(param.schema)}, {_presence(param.required)}"
            ctx.add("parameter", "removed", _param_label(op_id, param), detail, "parameter-removed")
    for key, param in new_params.items():
        if key not in old_params:
            rule = "parameter-added-required" if param.required else "parameter-added-optional"
            detail = f"{_describe(param.schema)}, {_presence(param.required)}"
            ctx.add("parameter", "added", _param_label(op_id, param), detail, rule)
    for key, param in old_params.items():
        if key in new_params:
            _diff_parameter(ctx, _param_label(op_id, param), param, new_params[key])


def _diff_parameter(ctx: _Context, label: str, old: Parameter, new: Parameter) -> None:
    if old.required != new.required:
        rule = "parameter-now-required" if new.required else "parameter-now-optional"
        ctx.add("parameter", "changed", label, f"now {_presence(new.required)}", rule)
    if (old.style, old.explode) != (new.style, new.explode):
        detail = f"style {old.style}/explode {old.explode} -> {new.style}/explode {new.explode}"
        ctx.add("parameter", "changed", label, detail, "parameter-style-changed")
    _diff_deprecated(ctx, "parameter", label, old.deprecated, new.deprecated)
    _diff_schema(ctx, _Where(label, "request", "parameter", "parameter"), "", old.schema, new.schema)


def _primary(content: Sequence[Body]) -> Body | None:
    """The body the SDK sends or decodes: JSON when offered, else the first media type."""
    for body in content:
        if body.media_type == "application/json":
            return body
    return content[0] if content else None


def _body_text(body: Body | None) -> str:
    if body is None:
        return "no body"
    return _describe(body.schema) if body.media_type == "application/json" else f"{body.media_type} body"


def _diff_request_body(ctx: _Context, op_id: str, old: RequestBody | None, new: RequestBody | None) -> None:
    label = f"{op_id} request body"
    if old is None and new is None:
        return
    if old is None and new is not None:
        rule = "request-body-added-required" if new.required else "request-body-added-optional"
        detail = f"{_body_text(_primary(new.content))}, {_presence(new.required)}"
        ctx.add("request body", "added", label, detail, rule)
    elif new is None and old is not None:
        detail = f"was {_body_text(_primary(old.content))}"
        ctx.add("request body", "removed", label, detail, "request-body-removed")
    elif old is not None and new is not None:
        if old.required != new.required:
            rule = "request-body-now-required" if new.required else "request-body-now-optional"
            ctx.add("request body", "changed", label, f"now {_presence(new.required)}", rule)
        where = _Where(label, "request", "request body", "request field")
        _diff_body(ctx, where, _primary(old.content), _primary(new.content))


def _diff_body(ctx: _Context, where: _Where, old: Body | None, new: Body | None) -> None:
    old_schema, new_schema = (old.schema if old else None), (new.schema if new else None)
    if old_schema is not None and new_schema is not None and old and new and old.media_type == new.media_type:
        _diff_schema(ctx, where, "", old_schema, new_schema)
    elif _body_text(old) != _body_text(new):
        detail = f"type {_body_text(old)} -> {_body_text(new)}"
        ctx.add(where.root_area, "changed", where.root, detail, where.type_rule(""))


def _diff_responses(ctx: _Context, op_id: str, old: Sequence[Response], new: Sequence[Response]) -> None:
    old_by_status = {response.status: response for response in old}
    new_by_status = {response.status: response for response in new}
    for status, response in old_by_status.items():
        if status not in new_by_status:
            rule = "success-response-removed" if response.is_success else "error-response-removed"
            detail = f"was {_body_text(_primary(response.content))}"
            ctx.add("response", "removed", f"{op_id} response {status}", detail, rule)
    for status, response in new_by_status.items():
        if status not in old_by_status:
            rule = "success-response-added" if response.is_success else "error-response-added"
            detail = _body_text(_primary(response.content))
            ctx.add("response", "added", f"{op_id} response {status}", detail, rule)
    for status, response in old_by_status.items():
        if status in new_by_status:
            _diff_response(ctx, op_id, response, new_by_status[status])


def _diff_response(ctx: _Context, op_id: str, old: Response, new: Response) -> None:
    type_rule = "success-response-type-changed" if old.is_success else None
    where = _Where(f"{op_id} response {old.status}", "response", "response", "response field", type_rule)
    _diff_body(ctx, where, _primary(old.content), _primary(new.content))


# --- AsyncAPI -------------------------------------------------------------------------------------------


def diff_asyncapi(old: AsyncAPIDocument, new: AsyncAPIDocument) -> list[Change]:
    ctx = _Context("asyncapi", old.schemas, new.schemas)
    _diff_servers(ctx, _ws_urls(old), _ws_urls(new))
    _diff_channels(ctx, old, new)
    senders = sent_messages(old) | sent_messages(new)
    _diff_messages(ctx, old, new, senders)
    _diff_components(
        ctx, old.schemas, new.schemas, _sides(asyncapi_directions(old), asyncapi_directions(new))
    )
    _diff_error_codes(ctx, old, new)
    return sorted(ctx.changes, key=Change.sort_key)


def _ws_urls(doc: AsyncAPIDocument) -> list[str]:
    return [f"{server.protocol}://{server.host}{server.pathname}" for server in doc.servers]


def _diff_channels(ctx: _Context, old: AsyncAPIDocument, new: AsyncAPIDocument) -> None:
    old_channels = {channel.key: channel for channel in old.channels}
    new_channels = {channel.key: channel for channel in new.channels}
    for key, channel in old_channels.items():
        if key not in new_channels:
            detail = f"carried {', '.join(m.key for m in channel.messages)}"
            ctx.add("channel", "removed", f"channel {key}", detail, "channel-removed")
    for key, channel in new_channels.items():
        if key not in old_channels:
            detail = f"carries {', '.join(m.key for m in channel.messages)}"
            ctx.add("channel", "added", f"channel {key}", detail, "channel-added")
    for key, channel in old_channels.items():
        if key in new_channels:
            _diff_channel(ctx, f"channel {key}", channel, new_channels[key])


def _diff_channel(ctx: _Context, label: str, before: Channel, after: Channel) -> None:
    if before.address != after.address:
        detail = f"address {before.address} -> {after.address}"
        ctx.add("channel", "changed", label, detail, "channel-address-changed")
    old = [message.key for message in before.messages]
    new = [message.key for message in after.messages]
    for key in old:
        if key not in new:
            ctx.add("channel", "removed", label, f"no longer carries {key}", "channel-message-removed")
    for key in new:
        if key not in old:
            ctx.add("channel", "added", label, f"now carries {key}", "channel-message-added")


def _channels_of(doc: AsyncAPIDocument, message_key: str) -> str:
    return ", ".join(c.key for c in doc.channels if any(m.key == message_key for m in c.messages)) or "none"


def _diff_messages(ctx: _Context, old: AsyncAPIDocument, new: AsyncAPIDocument, senders: set[str]) -> None:
    for key, message in old.messages.items():
        if key not in new.messages:
            detail = f"was {message.name}: {_describe(message.payload)}"
            ctx.add("message", "removed", f"message {key}", detail, "message-removed")
    for key, message in new.messages.items():
        if key not in old.messages:
            detail = f"{message.name}: {_describe(message.payload)}, on channel {_channels_of(new, key)}"
            ctx.add("message", "added", f"message {key}", detail, "message-added")
    for key, message in old.messages.items():
        if key in new.messages:
            after = new.messages[key]
            if message.name != after.name:
                detail = f"name {message.name} -> {after.name}"
                ctx.add("message", "changed", f"message {key}", detail, "message-name-changed")
            side: Side = "request" if key in senders else "response"
            where = _Where(f"message {key} payload", side, "message", _FIELD_AREAS[side])
            _diff_schema(ctx, where, "", message.payload, after.payload)


def _diff_error_codes(ctx: _Context, old: AsyncAPIDocument, new: AsyncAPIDocument) -> None:
    old_codes = {code.code: code.name for code in old.error_codes}
    new_codes = {code.code: code.name for code in new.error_codes}
    for code, name in old_codes.items():
        if code not in new_codes:
            ctx.add("error code", "removed", f"error code {code}", f"was {name!r}", "error-code-removed")
        elif new_codes[code] != name:
            detail = f"name {name!r} -> {new_codes[code]!r}"
            ctx.add("error code", "changed", f"error code {code}", detail, "error-code-renamed")
    for code, name in new_codes.items():
        if code not in old_codes:
            ctx.add("error code", "added", f"error code {code}", repr(name), "error-code-added")


# --- loading --------------------------------------------------------------------------------------------


def _display(location: str) -> str:
    """A location as the report shows it: URLs as they are, files relative to the project root."""
    if "://" in location:
        return location
    return Path(os.path.relpath(os.path.abspath(location), ROOT)).as_posix()  # symlinks kept as written


def _read(location: str) -> dict[str, Any]:
    return spec.parse_document(spec.read_upstream(location), location)


def _side_from(doc: Mapping[str, Any], location: str, kind: str) -> tuple[dict[str, str], Any]:
    found = spec.document_kind(doc, location)
    if found != kind:
        raise spec.SpecError(
            f"{location}: expected an {_SPEC_LABELS[kind]} document, found {_SPEC_LABELS[found]}"
        )
    normalized = spec.normalize(doc)  # the pinned copies are normalized; upstream ones must match them
    ir = load_openapi(normalized) if kind == "openapi" else load_asyncapi(normalized)
    meta = {"title": ir.title, "version": ir.version, "source": _display(location)}
    return meta, ir


def load_side(location: str, kind: str) -> tuple[dict[str, str], Any]:
    """Read a spec file or URL, check it is a `kind` spec, normalize it and build its IR."""
    return _side_from(_read(location), location, kind)


def drift(
    old_openapi: str | None, new_openapi: str | None, old_asyncapi: str | None, new_asyncapi: str | None
) -> DriftReport:
    """Compare the spec pairs given; a kind whose locations are both None is skipped."""
    pairs = {"openapi": (old_openapi, new_openapi), "asyncapi": (old_asyncapi, new_asyncapi)}
    old_meta: dict[str, dict[str, str]] = {}
    new_meta: dict[str, dict[str, str]] = {}
    changes: list[Change] = []
    for kind, (old_location, new_location) in pairs.items():
        if old_location is None and new_location is None:
            continue
        if old_location is None or new_location is None:
            raise ValueError(f"{kind}: give both the old and the new location, or neither")
        old_meta[kind], old_ir = load_side(old_location, kind)
        new_meta[kind], new_ir = load_side(new_location, kind)
        changes += diff_openapi(old_ir, new_ir) if kind == "openapi" else diff_asyncapi(old_ir, new_ir)
    return DriftReport(old_meta, new_meta, tuple(sorted(changes, key=Change.sort_key)))


# --- Markdown -------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _title(report: DriftReport) -> str:
    parts = []
    for kind, old in report.old.items():
        new = report.new[kind]
        same_title = old["title"] == new["title"]
        new_text = new["version"] if same_title else f"{new['title']} {new['version']}"
        parts.append(f"{old['title']} {old['version']} -> {new_text}")
    return f"# Spec drift: {'; '.join(parts) or 'nothing compared'}"


def _summary_line(report: DriftReport) -> str:
    breaking, additive = report.counts()
    per_spec = "; ".join(_counts_text(_SPEC_LABELS[kind], *report.counts(kind)) for kind in report.old)
    return f"Summary: {breaking} breaking, {additive} additive changes ({per_spec})."


def _counts_text(label: str, breaking: int, additive: int) -> str:
    return f"{label}: {breaking} breaking, {additive} additive"


def _table(changes: Sequence[Change]) -> list[str]:
    lines = ["| area | change | subject | detail | rule |", "|---|---|---|---|---|"]
    lines += [
        f"| {_cell(c.area)} | {_cell(c.kind)} | {_cell(c.subject)} | {_cell(c.detail)} | {_cell(c.rule)} |"
        for c in changes
    ]
    return lines


def _section(heading: str, changes: Sequence[Change], kinds: Iterable[str]) -> list[str]:
    if not changes:
        return []
    lines = ["", f"## {heading}"]
    for kind in kinds:
        picked = [c for c in changes if c.spec == kind]
        if picked:
            lines += ["", f"### {_SPEC_LABELS[kind]}", "", *_table(picked)]
    return lines


def _rules_legend(changes: Sequence[Change]) -> list[str]:
    lines = ["", "## Rules cited", "", "| rule | breaking | meaning |", "|---|---|---|"]
    for rule_id in _cited_rules(changes):
        rule = RULES[rule_id]
        lines.append(f"| {rule.id} | {'yes' if rule.breaking else 'no'} | {_cell(rule.description)} |")
    return lines


def _markdown(report: DriftReport) -> str:
    lines = [_title(report), ""]
    lines += [
        f"- {_SPEC_LABELS[k]}: {report.old[k]['source']} -> {report.new[k]['source']}" for k in report.old
    ]
    lines += ["", _summary_line(report)]
    if not report.changes:
        return "\n".join([*lines, "", "No changes.", ""])
    breaking = [c for c in report.changes if c.breaking]
    additive = [c for c in report.changes if not c.breaking]
    lines += _section("BREAKING", breaking, report.old)
    lines += _section("Additive", additive, report.old)
    lines += _rules_legend(report.changes)
    return "\n".join([*lines, ""])


# --- command line ---------------------------------------------------------------------------------------


def _is_file_source(source: str) -> bool:
    # upstream_location hands a direct file/URL back unchanged and extends a directory or URL base.
    return spec.upstream_location(source, "openapi") == source


def _from_root(source: str) -> str:
    # default_source answers relative to the project root, which need not be the working directory.
    return source if "://" in source else str(ROOT / source)


def new_locations(source: str, family: Family = TRADE) -> dict[str, str]:
    """Where the new specs of ``family`` are: both kinds for a directory/URL base, one kind for a single file
    (which only the trade family takes); none when a local source has no part for the family."""
    if _is_file_source(source):
        if family is not TRADE:
            return {}
        kind = spec.document_kind(_read(source), source)  # read again by drift(); specs are small
        return {kind: source}
    where = family.source(source)
    if family is not TRADE and "://" not in where and not Path(where).is_dir():
        return {}
    return {kind: spec.upstream_location(where, kind) for kind in PINNED}


def report_for(new: Mapping[str, str], family: Family = TRADE) -> DriftReport:
    """``family``'s pinned specs against the new locations given (by kind)."""
    pinned = {kind: str(family.pinned(ROOT, kind)) for kind in PINNED}
    return drift(
        pinned["openapi"] if "openapi" in new else None,
        new.get("openapi"),
        pinned["asyncapi"] if "asyncapi" in new else None,
        new.get("asyncapi"),
    )


def merged(reports: Mapping[Family, DriftReport]) -> DriftReport:
    """One report of several families' (keys and changes of families other than trade prefixed with the
    family: "perps/openapi")."""
    old: dict[str, dict[str, str]] = {}
    new: dict[str, dict[str, str]] = {}
    changes: list[Change] = []
    for family, report in reports.items():
        prefix = f"{family.subdir}/" if family.subdir else ""
        old |= {prefix + k: v for k, v in report.old.items()}
        new |= {prefix + k: v for k, v in report.new.items()}
        changes += [replace(c, spec=prefix + c.spec) for c in report.changes]
    return DriftReport(old, new, tuple(sorted(changes, key=Change.sort_key)))


def family_reports(source: str) -> DriftReport:
    """Every pinned family against its part of ``source``, as one report."""
    found = {family: new_locations(source, family) for family in pinned_families(ROOT)}
    return merged({family: report_for(new, family) for family, new in found.items() if new})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen.drift", description="Compare the pinned specs with newer ones."
    )
    parser.add_argument(
        "--new", metavar="SOURCE", help="directory, URL base or single spec file (default: as `make specs`)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--out", metavar="FILE", help="also write the report to this file")
    args = parser.parse_args(argv)
    source = args.new or _from_root(spec.default_source(ROOT))
    try:
        report = family_reports(source)
        text = json.dumps(report.as_json(), indent=2) + "\n" if args.json else report.markdown()
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
    except (spec.SpecError, IRError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {args.out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 1 if report.breaking else 0


if __name__ == "__main__":
    sys.exit(main())
