"""Plan the WebSocket surface from the AsyncAPI IR: the channel table, typed subscribe and update methods, and
one error class per spec error code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from codegen.ir import AsyncAPIDocument, IRError, Schema
from codegen.model_schema import in_direction
from codegen.models import ModelPlan
from codegen.naming import field_name, pascal_case, snake_case
from codegen.operations import Arg, _note
from codegen.signatures import SignatureTypes

SUBSCRIBE_COMMAND = "subscribeCommand"
RESERVED = frozenset({"self", "max_queue", "overflow", "subscription"})


@dataclass(frozen=True)
class ChannelPlan:
    name: str
    method: str  # subscribe_<name>
    messages: tuple[tuple[str, str], ...]  # (wire type, payload model)
    params: tuple[Arg, ...]
    private: bool
    sequenced: bool
    overflow: str
    update_command: str | None
    # (wire type, msg attributes) per message type whose repeats are dropped; wire field names for the docs
    identity: tuple[tuple[str, tuple[str, ...]], ...] = ()
    identity_wire: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def item_type(self) -> str:
        return " | ".join(model for _, model in self.messages)


@dataclass(frozen=True)
class UpdatePlan:
    command: str  # message key of the update command
    method: str
    params: tuple[Arg, ...]  # without sid/sids: the subscription supplies them
    channels: tuple[str, ...]
    params_model: str


@dataclass(frozen=True)
class ErrorPlan:
    code: int
    class_name: str
    name: str


@dataclass
class WsPlan:
    channels: list[ChannelPlan]
    updates: list[UpdatePlan]
    errors: list[ErrorPlan]
    data_models: list[str]  # every data payload model (the frame decoder's union)
    subscribe_params: str  # the generated model that validates subscribe parameters
    notes: list[str]  # channel-table entries this spec lacks or doesn't need


def _payload(spec: AsyncAPIDocument, key: str) -> Schema:
    payload = spec.messages[key].payload
    if payload.kind != "ref":
        raise IRError(payload.location, "channel messages must reference a payload schema")
    return spec.schemas[payload.ref or ""]


def _params_schema(spec: AsyncAPIDocument, command: str, plan: ModelPlan) -> tuple[Schema, str]:
    """A command's params schema and the generated (request) class for it."""
    payload = spec.messages[command].payload
    target = spec.schemas[payload.ref or ""]
    params = target.get_property("params").schema
    return params, plan.request_names[payload.ref or ""] + "Params"


def _type_literal(schema: Schema, schemas: Mapping[str, Schema]) -> str:
    props = {p.name: p for p in _properties(schema, schemas)}
    if "type" not in props or not isinstance(props["type"].schema.const, str):
        raise IRError(schema.location, "data messages need a constant `type`")
    return str(props["type"].schema.const)


def _properties(schema: Schema, schemas: Mapping[str, Schema]) -> list[Any]:
    if schema.kind == "ref":
        return _properties(schemas[schema.ref or ""], schemas)
    if schema.kind == "all_of":
        merged: dict[str, Any] = {}
        for part in schema.parts:
            merged.update((p.name, p) for p in _properties(part, schemas))
        return list(merged.values())
    return list(schema.properties)


def _args(schema: Schema, class_name: str, types: SignatureTypes, skip: frozenset[str]) -> dict[str, Arg]:
    args: dict[str, Arg] = {}
    for prop in in_direction(schema.properties, "request"):
        if prop.name in skip:
            continue
        name = field_name(prop.name)
        if name in RESERVED:
            raise IRError(prop.schema.location, f"argument name {name!r} clashes with the SDK's own")
        type_ = types.argument(prop, class_name)
        args[prop.name] = Arg(
            name, prop.name, type_.text, prop.required, _note(prop.schema, {}), prop.schema, type_.imports
        )
    return args


def plan_ws(spec: AsyncAPIDocument, plan: ModelPlan, config_path: Path, types: SignatureTypes) -> WsPlan:
    config = (yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}).get("channels") or {}
    private = {op.channel for op in spec.operations if "private" in op.tags}
    sub_params, sub_class = _params_schema(spec, SUBSCRIBE_COMMAND, plan)
    subscribe_args = _args(sub_params, sub_class, types, frozenset({"channels"}))
    channel_enum = sub_params.get_property("channels").schema.items
    data_channels = list(channel_enum.enum or ()) if channel_enum is not None else []
    by_key = {c.key: c for c in spec.channels}
    channels: list[ChannelPlan] = []
    data_models: list[str] = []
    notes: list[str] = []
    for name in data_channels:
        if name not in by_key:
            raise IRError(
                config_path.as_posix(), f"subscribe lists channel {name!r}, which the spec doesn't define"
            )
        entry = config.get(name)
        if entry is None:
            # A channel new in this spec: generated at once, conservatively, and the regen says so.
            notes.append(
                f"channels.yaml has no entry for channel {name}: no subscribe parameters, overflow raise"
            )
            entry = {}
        for param in [p for p in entry.get("params") or [] if p not in subscribe_args]:
            notes.append(f"channels.yaml: {name} lists `{param}`, not a subscribe parameter of this spec")
        entry = {**entry, "params": [p for p in entry.get("params") or [] if p in subscribe_args]}
        messages = []
        sequenced = False
        for message in by_key[name].messages:
            payload = _payload(spec, message.key)
            model = plan.response_names[message.payload.ref or ""]
            messages.append((_type_literal(payload, spec.schemas), model))
            sequenced = sequenced or any(p.name == "seq" for p in _properties(payload, spec.schemas))
            if model not in data_models:
                data_models.append(model)
        identity = _identity(name, entry.get("identity"), dict(messages), plan, config_path, notes)
        channels.append(
            ChannelPlan(
                name=name,
                method="subscribe_" + snake_case(name),
                messages=tuple(sorted(messages)),
                params=tuple(subscribe_args[p] for p in entry.get("params") or []),
                private=name in private,
                sequenced=sequenced,
                overflow=str(entry.get("overflow", "raise")),
                update_command=entry.get("update"),
                identity=tuple((wire, tuple(py for _, py in fields)) for wire, fields in identity),
                identity_wire=tuple((wire, tuple(w for w, _ in fields)) for wire, fields in identity),
            )
        )
    for stale in sorted(set(config) - set(data_channels)):
        notes.append(f"channels.yaml has an entry for channel {stale}, which this spec does not have")
    updates = []
    for command in sorted({c.update_command for c in channels if c.update_command}):
        if command not in spec.messages:
            notes.append(f"channels.yaml names update command {command}, which this spec does not have")
            channels = [
                replace(c, update_command=None) if c.update_command == command else c for c in channels
            ]
            continue
        params, class_name = _params_schema(spec, command, plan)
        args = _args(params, class_name, types, frozenset({"sid", "sids"}))
        stem = command.removesuffix("Command").removesuffix("UpdateSubscription")
        method = (
            "update_subscription"
            if command == "updateSubscriptionCommand"
            else f"update_{snake_case(stem)}_subscription"
        )
        users = tuple(c.name for c in channels if c.update_command == command)
        updates.append(UpdatePlan(command, method, tuple(args.values()), users, class_name))
    errors = [ErrorPlan(e.code, _error_class(e.name), e.name) for e in spec.error_codes]
    if len({e.class_name for e in errors}) != len(errors):
        raise IRError("#/x-error-codes", "two error codes map to the same class name")
    return WsPlan(channels, updates, errors, data_models, sub_class, notes)


def _identity(
    channel: str,
    raw: Any,
    messages: Mapping[str, str],
    plan: ModelPlan,
    config_path: Path,
    notes: list[str],
) -> list[tuple[str, list[tuple[str, str]]]]:
    """channels.yaml's identity of a channel checked against its payload models: per message type, the msg
    fields as (wire name, Python attribute). A message type or field this spec lacks (an older or newer spec)
    is a note, and that message type is then not de-duplicated: a partial identity could drop real messages.
    """

    def fail(problem: str) -> IRError:
        return IRError(config_path.as_posix(), f"channels.yaml: {channel} identity: {problem}")

    if raw is None:
        return []
    if isinstance(raw, list):
        per_type = {wire: raw for wire in messages}
    elif isinstance(raw, dict):
        per_type = dict(raw)
    else:
        raise fail("must be a list of msg fields or a mapping message type -> list")
    result = []
    for wire, names in sorted(per_type.items()):
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise fail(f"{wire} needs a non-empty list of msg field names")
        if wire not in messages:
            notes.append(
                f"channels.yaml: {channel} identity names message type {wire!r}, which this spec's {channel} "
                "channel does not carry"
            )
            continue
        msg = plan.fields_of(messages[wire]).get("msg")
        fields = plan.fields_of(msg.type_expr) if msg is not None else {}
        missing = [n for n in names if n not in fields]
        if missing:
            notes.append(
                f"channels.yaml: {channel} identity field {missing[0]!r} is not in this spec's {wire} "
                f"message ({messages[wire]}.msg): its repeats are not de-duplicated"
            )
            continue
        result.append((wire, [(n, fields[n].name) for n in names]))
    return result


def _error_class(name: str) -> str:
    words = pascal_case(
        name.replace(">=", "at least").replace("<=", "at most").replace(">", "above").replace("<", "below")
    )
    return words if words.endswith("Error") else words + "Error"
