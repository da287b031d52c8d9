"""The Markdown API reference (``generated/docs``), rendered from the same plans as the package.

Python builds the facts of each page (links, type expressions, argument limits) as Markdown fragments; the
``reference_*.md.j2`` templates lay the pages out. Nothing is imported from the generated package.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codegen.channels import SUBSCRIBE_COMMAND, UpdatePlan, WsPlan
from codegen.families import TRADE, Family
from codegen.ir import MISSING, AsyncAPIDocument, Schema
from codegen.models import ClassDef, ModelPlan
from codegen.operations import Arg, ClientPlan, MethodPlan

if TYPE_CHECKING:
    from codegen.render import Renderer, SpecInfo

DOCS = "docs"
INDEX = f"{DOCS}/README.md"
REST_MODELS = f"{DOCS}/models.md"
WEBSOCKET = f"{DOCS}/websocket.md"
WS_MODELS = f"{DOCS}/ws_models.md"

# Commands the hand-written session (kalshi_api_core.ws.engine) sends from a method named like the `cmd`.
SESSION_COMMANDS = frozenset({"unsubscribe", "list_subscriptions"})


def resource_page(attribute: str) -> str:
    return f"{DOCS}/resources/{attribute}.md"


@dataclass(frozen=True)
class ReferenceSources:
    """Everything the reference describes: the plans the package is rendered from, and the spec facts
    (schemas, exclusion rules) the plans don't carry."""

    client: ClientPlan
    rest_models: ModelPlan
    rest_schemas: Mapping[str, Schema]
    exclusion_rules: Sequence[Mapping[str, Any]]
    ws: WsPlan
    ws_models: ModelPlan
    ws_spec: AsyncAPIDocument
    registry: Sequence[tuple[str, str]]  # message key -> payload model
    rest_info: SpecInfo
    ws_info: SpecInfo
    family: Family = TRADE
    sections: Sequence[Family] = ()  # the trade index links the other families' references


# --- Markdown fragments ---------------------------------------------------------------------------------


def code(value: str) -> str:
    """``value`` as a code span (a longer fence when it holds a backtick); nothing for no value."""
    if not value:
        return ""
    return f"`` {value} ``" if "`" in value else f"`{value}`"


_SPECIAL = re.compile(r"([\\`*_\[\]<>])")  # pipes are escaped by the table macro


def text(value: str) -> str:
    """Plain text with Markdown's special characters escaped (names and reasons, not Markdown)."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _code_run(run: str) -> str:
    # Edge spaces go outside the span: Markdown trims a span's own, so `X | None` would lose them.
    core = run.strip()
    if not core:
        return run
    return run[: len(run) - len(run.lstrip())] + code(core) + run[len(run.rstrip()) :]


@dataclass(frozen=True)
class Target:
    page: str  # relative to the output directory, e.g. docs/models.md
    anchor: str  # "" for the top of the page


def href(target: Target, page: str) -> str:
    """A link to ``target`` from ``page``: the bare anchor on the same page, else a relative path."""
    fragment = f"#{target.anchor}" if target.anchor else ""
    if target.page == page:
        return fragment
    return posixpath.relpath(target.page, posixpath.dirname(page)) + fragment


def link(label: str, target: Target, page: str) -> str:
    return f"[{label}]({href(target, page)})"


def _channel(name: str) -> Target:
    return Target(WEBSOCKET, "channel-" + name)


def _update(method: str) -> Target:
    return Target(WEBSOCKET, "update-" + method)


_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[A-Za-z_]\w*|.", re.DOTALL)


def type_md(expr: str, models: Mapping[str, Target], page: str) -> str:
    """A type expression in code spans, each model name in it a link to the model."""
    parts: list[str] = []
    run = ""
    for token in _TOKEN.findall(expr.replace("builtins.", "")):
        if token in models:
            parts += [_code_run(run), link(code(token), models[token], page)]
            run = ""
        else:
            run += token
    return "".join([*parts, _code_run(run)])


def _resolved(schema: Schema, schemas: Mapping[str, Schema]) -> Schema:
    return schemas.get(schema.ref or "", schema) if schema.kind == "ref" else schema


def allowed_values(schema: Schema, schemas: Mapping[str, Schema]) -> str:
    """The spec's enum (or const) of an argument, or of each item of an array argument."""
    target = _resolved(schema, schemas)
    if target.kind == "array" and target.items is not None:
        inner = allowed_values(target.items, schemas)
        return f"each {inner}" if inner else ""
    if target.const is not MISSING:
        return code(repr(target.const))
    return ", ".join(code(repr(v)) for v in target.enum or ())


def limits(schema: Schema, schemas: Mapping[str, Schema]) -> str:
    """The spec's format and constraints of an argument, as the params or body model enforces them."""
    target = _resolved(schema, schemas)
    c = target.constraints
    bits = [f"format {code(target.format)}"] if target.format else []
    bounds = (
        (c.minimum, ">="), (c.exclusive_minimum, ">"), (c.maximum, "<="), (c.exclusive_maximum, "<"),
        (c.min_length, "length >="), (c.max_length, "length <="),
        (c.min_items, "items >="), (c.max_items, "items <="),
    )  # fmt: skip
    bits += [f"{what} {value}" for value, what in bounds if value is not None]
    if c.multiple_of is not None:
        bits.append(f"multiple of {c.multiple_of}")
    if c.pattern is not None:
        bits.append(f"pattern {code(c.pattern)}")
    if c.unique_items:
        bits.append("unique items")
    return ", ".join(bits)


def default_value(schema: Schema, schemas: Mapping[str, Schema]) -> str:
    value = schema.default
    if value is MISSING or value is None:
        value = _resolved(schema, schemas).default
    return "" if value is MISSING or value is None else code(repr(value))


# The "required" column of a response field the spec requires but the model does not (response_fields.py).
_RELAXED = {
    "deprecated": "no (deprecated)",
    "nullable": "no (nullable)",
    "omitempty": "no (omitted when empty)",
    "departure": "no (servers omit it)",
}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _model_targets(plan: ModelPlan, page: str) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for definition in plan.definitions:
        anchor = "model-" + definition.name.lower()
        clash = [n for n, t in targets.items() if t.anchor == anchor]
        if clash:
            raise ValueError(f"models {clash[0]} and {definition.name} would share the anchor #{anchor}")
        targets[definition.name] = Target(page, anchor)
    return targets


def _grouped(uses: Iterable[tuple[str | None, str, str]]) -> dict[str, list[str]]:
    """(model, role, link) triples -> per model, one "role link, link" phrase per role, first seen first."""
    by_model: dict[str, dict[str, list[str]]] = {}
    for model, role, where in uses:
        if model:
            links = by_model.setdefault(model, {}).setdefault(role, [])
            if where not in links:
                links.append(where)
    return {
        model: [f"{role} {', '.join(links)}" for role, links in roles.items()]
        for model, roles in by_model.items()
    }


def _names_in(expr: str, models: Mapping[str, Target]) -> list[str]:
    return [token for token in _TOKEN.findall(expr) if token in models]


# --- views ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodView:
    plan: MethodPlan
    target: Target
    arguments: str  # the call's argument list as shown: positional path arguments, then "..."
    returns: str
    pages: str  # the item type the `_all` iterator yields (linked), or "" for a single-page method
    response: str  # the response model (linked), or "" when the response has no body
    params: str  # the model validating path and query arguments (linked), or ""
    args: list[list[str]]
    body: str  # the body model or free-form body type (linked), or ""


@dataclass(frozen=True)
class ModelView:
    name: str
    target: Target
    kind: str
    location: str
    alias_of: str  # the aliased type of a type alias, else ""
    fields: list[list[str]]
    used_by: list[str]


def _arg_row(arg: Arg, passed_as: str, schemas: Mapping[str, Schema], linked: str) -> list[str]:
    # a Literal type already lists the values
    values = "" if "Literal[" in arg.type_expr else allowed_values(arg.schema, schemas)
    return [
        code(arg.name),
        passed_as,
        linked,
        _yes(arg.required),
        default_value(arg.schema, schemas),
        values,
        limits(arg.schema, schemas),
    ]


class _Reference:
    def __init__(self, sources: ReferenceSources) -> None:
        self.s = sources
        self.rest_targets = _model_targets(sources.rest_models, REST_MODELS)
        self.ws_targets = _model_targets(sources.ws_models, WS_MODELS)
        self.ws_definitions = {d.name: d for d in sources.ws_models.definitions}
        self.methods = {
            resource.attribute: [self.method_view(resource.attribute, m) for m in resource.methods]
            for resource in sources.client.resources
        }

    def rest_type(self, expr: str, page: str) -> str:
        return type_md(expr, self.rest_targets, page)

    def ws_type(self, expr: str, page: str) -> str:
        return type_md(expr, self.ws_targets, page)

    def method_view(self, attribute: str, m: MethodPlan) -> MethodView:
        page = resource_page(attribute)
        schemas = self.s.rest_schemas
        args = [
            _arg_row(a, "positional (path)", schemas, self.rest_type(a.type_expr, page)) for a in m.path_args
        ]
        args += [
            _arg_row(a, "keyword (query)", schemas, self.rest_type(a.type_expr, page)) for a in m.query_args
        ]
        args += [
            _arg_row(a, "keyword (body)", schemas, self.rest_type(a.type_expr, page)) for a in m.body_args
        ]
        item = m.page_item_type
        return MethodView(
            plan=m,
            target=Target(page, "op-" + m.operation.operation_id.lower()),
            arguments=", ".join(
                [a.name for a in m.path_args] + (["..."] if len(args) > len(m.path_args) else [])
            ),
            returns=self.rest_type(m.result_type, page),
            pages=self.rest_type(item, page) if item else "",
            response=self.rest_type(m.response_model or "", page),
            params=self.rest_type(m.params_model or "", page),
            args=args,
            body=self.rest_type(m.body_model or m.body_alias or "", page),
        )

    # --- REST models --------------------------------------------------------------------------------

    def rest_uses(self) -> dict[str, list[str]]:
        """Model name -> how methods use it: what they return, their response envelopes, bodies and the
        models validating their arguments."""
        uses: list[tuple[str | None, str, str]] = []
        for attribute, views in self.methods.items():
            for v in views:
                m = v.plan
                call = link(code(f"{attribute}.{m.name}"), v.target, REST_MODELS)
                returned = _names_in(m.result_type, self.rest_targets)
                uses += [(name, "returned by", call) for name in returned]
                if m.response_model not in returned:
                    uses.append((m.response_model, "response envelope of", call))
                uses += [
                    (m.body_model or m.body_alias, "body of", call),
                    (m.params_model, "arguments of", call),
                ]
        return _grouped(uses)

    def ws_uses(self) -> dict[str, list[str]]:
        """Model name -> the channels whose data it is and the other messages whose payload it is."""
        uses: list[tuple[str | None, str, str]] = []
        data = set()
        for c in self.s.ws.channels:
            channel = link(code(c.name), _channel(c.name), WS_MODELS)
            uses += [(model, "data of channel", channel) for _, model in c.messages]
            data |= {model for _, model in c.messages}
        for key, model in self.s.registry:
            if model not in data:
                target = Target(WEBSOCKET, self.section(model))
                uses.append((model, "payload of message", link(code(key), target, WS_MODELS)))
        return _grouped(uses)

    def model_views(
        self,
        plan: ModelPlan,
        schemas: Mapping[str, Schema],
        targets: Mapping[str, Target],
        page: str,
        uses: Mapping[str, list[str]],
    ) -> list[ModelView]:
        views = []
        for d in sorted(plan.definitions, key=lambda d: d.name):
            if isinstance(d, ClassDef):
                kind = "request model" if d.base == "RequestModel" else "response model"
                rows = [
                    [
                        code(f.name),
                        code(f.wire_name) if f.wire_name != f.name else "",
                        type_md(f.type_expr, targets, page),
                        _RELAXED[f.relaxed] if f.relaxed else _yes(f.default_expr is None),
                        code(f.default_expr) if f.default_expr is not None else "",
                        # responses are decoded as sent: only what is sent is held to the spec's limits
                        limits(f.schema, schemas)
                        if f.schema is not None and d.base == "RequestModel"
                        else "",
                    ]
                    for f in d.fields
                ]
                views.append(
                    ModelView(d.name, targets[d.name], kind, d.location, "", rows, uses.get(d.name, []))
                )
            else:
                aliased = type_md(d.type_expr, targets, page)
                views.append(
                    ModelView(
                        d.name, targets[d.name], "type alias", d.location, aliased, [], uses.get(d.name, [])
                    )
                )
        return views

    # --- WebSocket ----------------------------------------------------------------------------------

    def section(self, model: str) -> str:
        """The websocket.md table listing a non-data message with this payload model."""
        definition = self.ws_definitions[model]
        if not isinstance(definition, ClassDef):
            return "other-messages"  # plain-text frames (ping, pong)
        return "commands" if definition.base == "RequestModel" else "server-messages"

    def wire_const(self, key: str, prop: str) -> str:
        """The constant ``cmd`` (or ``type``) a message's payload carries, or ""."""
        payload = self.s.ws_spec.messages[key].payload
        target = _resolved(payload, self.s.ws_spec.schemas)
        for p in target.properties:
            if p.name == prop and p.schema.const is not MISSING:
                return str(p.schema.const)
        return ""

    def messages(self) -> dict[str, list[list[str]]]:
        """The messages no channel delivers as data, by section: commands, server messages, the rest."""
        update_by_model = {dict(self.s.registry)[u.command]: u for u in self.s.ws.updates}
        data = {m for c in self.s.ws.channels for _, m in c.messages}
        tables: dict[str, list[list[str]]] = {"commands": [], "server-messages": [], "other-messages": []}
        for key, model in self.s.registry:
            if model in data:
                continue
            payload = link(code(model), self.ws_targets[model], WEBSOCKET)
            section = self.section(model)
            if section == "commands":
                cmd = self.wire_const(key, "cmd")
                tables[section].append(
                    [code(key), code(cmd), payload, self.command_method(key, cmd, model, update_by_model)]
                )
            elif section == "server-messages":
                tables[section].append([code(key), code(self.wire_const(key, "type")), payload])
            else:
                tables[section].append([code(key), code(self.s.ws_spec.messages[key].name), payload])
        return tables

    def command_method(self, key: str, cmd: str, model: str, updates: Mapping[str, UpdatePlan]) -> str:
        """The session method that sends a command."""
        if key == SUBSCRIBE_COMMAND:
            return "`subscribe_<channel>()`, one per " + link(
                "channel", Target(WEBSOCKET, "channels"), WEBSOCKET
            )
        if model in updates:
            method = updates[model].method
            return link(code(f"{method}()"), _update(method), WEBSOCKET)
        if cmd in SESSION_COMMANDS:
            return code(f"{cmd}()")
        return "not sent by the session"

    def ws_arg_rows(self, args: Iterable[Arg]) -> list[list[str]]:
        return [
            _arg_row(a, "keyword", self.s.ws_spec.schemas, self.ws_type(a.type_expr, WEBSOCKET)) for a in args
        ]


def reference_files(renderer: Renderer, sources: ReferenceSources) -> dict[str, str]:
    """Every page of the reference, by path relative to the output directory."""
    ref = _Reference(sources)
    files: dict[str, str] = {}
    for resource in sources.client.resources:
        page = resource_page(resource.attribute)
        views = ref.methods[resource.attribute]
        files[page] = renderer.render(
            "reference_resource.md.j2",
            specs=[sources.rest_info],
            resource=resource,
            methods=views,
            summary=[
                [
                    link(code(v.plan.name), v.target, page),
                    _http(v.plan),
                    v.returns,
                    _yes(v.plan.operation.requires_auth),
                ]
                for v in views
            ],
            index=href(Target(INDEX, ""), page),
        )
    files[INDEX] = _index(renderer, sources, ref)
    for plan, schemas, targets, page, info, title, module, uses in (
        (sources.rest_models, sources.rest_schemas, ref.rest_targets, REST_MODELS, sources.rest_info,
         "REST models", f"{sources.family.package}.models", ref.rest_uses()),
        (sources.ws_models, sources.ws_spec.schemas, ref.ws_targets, WS_MODELS, sources.ws_info,
         "WebSocket payload models", f"{sources.family.package}.ws.models", ref.ws_uses()),
    ):  # fmt: skip
        files[page] = renderer.render(
            "reference_models.md.j2",
            specs=[info],
            title=title,
            module=module,
            models=ref.model_views(plan, schemas, targets, page, uses),
            index=href(Target(INDEX, ""), page),
        )
    files[WEBSOCKET] = _websocket(renderer, sources, ref)
    # Another family's reference is the same set of pages under docs/<family>/: every link is relative.
    folder = f"{DOCS}/{sources.family.subdir}/" if sources.family.subdir else f"{DOCS}/"
    return {folder + path[len(DOCS) + 1 :]: _tidy(page) for path, page in files.items()}


def _tidy(page: str) -> str:
    # Templates leave blank lines where optional parts are absent: keep one, and end with one newline.
    return re.sub(r"\n{3,}", "\n\n", page).rstrip("\n") + "\n"


def _http(m: MethodPlan) -> str:
    return code(f"{m.operation.method.upper()} {m.operation.path}")


def _index(renderer: Renderer, sources: ReferenceSources, ref: _Reference) -> str:
    return renderer.render(
        "reference_index.md.j2",
        specs=[sources.rest_info, sources.ws_info],
        family=sources.family,
        sections=[(f"{f.exchange} API", f"{f.subdir}/README.md", f.package) for f in sources.sections],
        resources=sources.client.resources,
        resources_rows=[
            [
                link(code(f"client.{r.attribute}"), Target(resource_page(r.attribute), ""), INDEX),
                f"{code(r.class_name)}, {code(r.async_class_name)}",
                code(r.tag),
                str(len(r.methods)),
            ]
            for r in sources.client.resources
        ],
        operations=[
            [
                code(v.plan.operation.operation_id),
                _http(v.plan),
                link(code(f"client.{attribute}.{v.plan.name}"), v.target, INDEX),
                ref.rest_type(v.plan.result_type, INDEX),
                _yes(v.plan.operation.requires_auth),
            ]
            for attribute, views in ref.methods.items()
            for v in views
        ],
        excluded=[
            [code(op.operation_id), code(f"{op.method.upper()} {op.path}"), text(reason)]
            for op, reason in sources.client.excluded
        ],
        rules=[
            [
                ", ".join(code(m.upper()) for m in rule["methods"]),
                code(rule["path"]),
                text(str(rule["reason"])),
            ]
            for rule in sources.exclusion_rules
        ],
        counts={
            "models": len(sources.rest_models.definitions),
            "ws_models": len(sources.ws_models.definitions),
            "channels": len(sources.ws.channels),
        },
    )


def _websocket(renderer: Renderer, sources: ReferenceSources, ref: _Reference) -> str:
    def channel(name: str) -> str:
        return link(code(name), _channel(name), WEBSOCKET)

    updates = {u.command: u.method for u in sources.ws.updates}
    return renderer.render(
        "reference_websocket.md.j2",
        specs=[sources.ws_info],
        family=sources.family,
        summary=[
            [
                channel(c.name),
                code(f"{c.method}()"),
                ", ".join(ref.ws_type(model, WEBSOCKET) for _, model in c.messages),
                _yes(c.private),
                _yes(c.sequenced),
                code(c.overflow),
            ]
            for c in sources.ws.channels
        ],
        channels=[
            {
                "plan": c,
                "anchor": _channel(c.name).anchor,
                "item": ref.ws_type(f"Subscription[{c.item_type}]", WEBSOCKET),
                "update_method": (
                    link(
                        code(f"{updates[c.update_command]}()"), _update(updates[c.update_command]), WEBSOCKET
                    )
                    if c.update_command in updates
                    else ""
                ),
                "messages": [[code(wire), ref.ws_type(model, WEBSOCKET)] for wire, model in c.messages],
                "args": ref.ws_arg_rows(c.params),
            }
            for c in sources.ws.channels
        ],
        updates=[
            {
                "plan": u,
                "anchor": _update(u.method).anchor,
                "channels": [channel(name) for name in u.channels],
                "params": ref.ws_type(u.params_model, WEBSOCKET),
                "args": ref.ws_arg_rows(u.params),
            }
            for u in sources.ws.updates
        ],
        messages=ref.messages(),
        errors=[[str(e.code), text(e.name), code(e.class_name)] for e in sources.ws.errors],
    )
