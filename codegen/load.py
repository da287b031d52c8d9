"""Build the IR from a normalized OpenAPI 3.x or AsyncAPI 3.x document, resolving every ``$ref``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import yaml

from codegen.ir import (
    HTTP_METHODS,
    MISSING,
    AsyncAPIDocument,
    Body,
    Channel,
    ChannelOperation,
    Constraints,
    ErrorCode,
    IRError,
    Message,
    OpenAPIDocument,
    Operation,
    Parameter,
    Property,
    RequestBody,
    Response,
    Schema,
    SchemaKind,
    SecurityScheme,
    WsServer,
)

COMPONENT_SCHEMA_PREFIX = "#/components/schemas/"

# Schema keywords the IR represents. Anything else (not, if/then, discriminator, readOnly, ...) is refused:
# silently dropping it would produce a model that accepts or rejects the wrong data.
_SCHEMA_KEYS = frozenset(
    {
        "$ref", "type", "format", "enum", "const", "nullable", "default", "deprecated", "properties",
        "required", "additionalProperties", "items", "allOf", "oneOf", "anyOf", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern",
        "minItems", "maxItems", "uniqueItems", "example", "examples",
    }
)  # fmt: skip
# Keys that may sit beside a $ref: they modify the use of the referenced schema, not its shape.
_REF_SIBLINGS = frozenset({"$ref", "nullable", "default", "deprecated", "example", "examples"})

KNOWN_FORMATS: dict[str, frozenset[str]] = {
    "string": frozenset({"date-time", "date", "uuid", "uri", "email", "byte", "binary", "password"}),
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
}

_OBJECT_KINDS = frozenset({"object", "map", "json_object", "all_of"})
_NUMERIC_KINDS = frozenset({"integer", "number"})
# Keywords that mean something only for some kinds: anywhere else they would be silently meaningless.
_KIND_ONLY_KEYS: dict[str, frozenset[str]] = {
    "properties": _OBJECT_KINDS,
    "required": _OBJECT_KINDS - {"map", "json_object"},
    "additionalProperties": _OBJECT_KINDS - {"all_of"},
    "items": frozenset({"array"}),
    "minItems": frozenset({"array"}),
    "maxItems": frozenset({"array"}),
    "uniqueItems": frozenset({"array"}),
    "minLength": frozenset({"string"}),
    "maxLength": frozenset({"string"}),
    "pattern": frozenset({"string"}),
    "minimum": _NUMERIC_KINDS,
    "maximum": _NUMERIC_KINDS,
    "exclusiveMinimum": _NUMERIC_KINDS,
    "exclusiveMaximum": _NUMERIC_KINDS,
    "multipleOf": _NUMERIC_KINDS,
}

_PARAM_DEFAULT_STYLE = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}


def read_yaml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict):
        raise IRError(str(path), "not a YAML mapping")
    return doc


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def child(pointer: str, *segments: str | int) -> str:
    return pointer + "".join("/" + _escape(str(s)) for s in segments)


class _Document:
    """A parsed document with JSON-pointer lookup and ``$ref`` following for non-schema objects."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc

    def lookup(self, pointer: str, referrer: str) -> Any:
        if not pointer.startswith("#"):
            raise IRError(
                referrer, f"external $ref {pointer!r} is not supported: refs must point into this file"
            )
        node: Any = self.doc
        for raw in pointer[1:].split("/")[1:]:
            segment = _unescape(raw)
            if isinstance(node, Mapping) and segment in node:
                node = node[segment]
            elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                node = node[int(segment)]
            else:
                raise IRError(referrer, f"$ref {pointer!r} does not resolve")
        return node

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow a chain of ``$ref`` objects to the object they name; returns it and its pointer."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            target = node["$ref"]
            if not isinstance(target, str):
                raise IRError(pointer, "$ref must be a string")
            if target in seen:
                raise IRError(pointer, f"$ref cycle through {target!r}")
            seen.add(target)
            node, pointer = self.lookup(target, pointer), target
        return node, pointer


class _SchemaBuilder:
    def __init__(self, document: _Document) -> None:
        self.document = document
        self.components: Mapping[str, Any] = document.doc.get("components", {}).get("schemas", {}) or {}

    def component(self, name: str) -> Schema:
        return self.build(self.components[name], COMPONENT_SCHEMA_PREFIX + _escape(name), name=name)

    def build(self, node: Any, location: str, name: str | None = None) -> Schema:
        if not isinstance(node, Mapping):
            raise IRError(location, f"a schema must be a mapping, found {type(node).__name__}")
        unknown = sorted(k for k in node if k not in _SCHEMA_KEYS and not str(k).startswith("x-"))
        unknown = [k for k in unknown if k not in ("description", "summary", "title")]
        if unknown:
            raise IRError(location, f"unsupported schema keyword(s) {', '.join(unknown)}")
        if "$ref" in node:
            return self._reference(node, location, name)
        all_of = node.get("allOf")
        if (
            isinstance(all_of, list)
            and len(all_of) == 1
            and isinstance(all_of[0], Mapping)
            and set(all_of[0]) == {"$ref"}
            and _is_modifier_only(node)
        ):
            # `allOf: [$ref]` is how OpenAPI 3.0 attaches a default or nullable to a reference. A member with
            # keywords of its own is left to the all_of path, which checks and keeps them.
            return self._reference({**node, **all_of[0]}, location, name, base=node)
        return self._shaped(node, location, name)

    def _reference(
        self, node: Mapping[str, Any], location: str, name: str | None, base: Mapping[str, Any] | None = None
    ) -> Schema:
        extra = sorted(k for k in (base or node) if k not in _REF_SIBLINGS and k != "allOf")
        extra = [k for k in extra if not k.startswith("x-") and k not in ("description", "summary", "title")]
        target = node["$ref"]
        if extra == ["type"] and self._referenced_type(target, location) == node["type"]:
            extra = []  # Kalshi repeats the target's type beside some refs; harmless when it agrees
        if extra:
            raise IRError(location, f"$ref with sibling keyword(s) {', '.join(extra)} is not supported")
        modifiers = base or node
        if isinstance(target, str) and target.startswith(COMPONENT_SCHEMA_PREFIX):
            ref_name = _unescape(target[len(COMPONENT_SCHEMA_PREFIX) :])
            if "/" in target[len(COMPONENT_SCHEMA_PREFIX) :] or ref_name not in self.components:
                # a pointer into the middle of a component: use the schema it names, inline
                resolved, pointer = self.document.follow(node, location)
                return _with_modifiers(self.build(resolved, pointer), modifiers)
            return Schema(
                location=location,
                kind="ref",
                name=name,
                ref=ref_name,
                nullable=bool(modifiers.get("nullable", False)),
                default=modifiers.get("default", MISSING),
                deprecated=bool(modifiers.get("deprecated", False)),
                example=_example(modifiers),
                extensions=_extensions(modifiers),
            )
        resolved, pointer = self.document.follow(node, location)
        return _with_modifiers(self.build(resolved, pointer, name), modifiers)

    def _referenced_type(self, target: Any, location: str) -> Any:
        resolved, _ = self.document.follow({"$ref": target}, location)
        return resolved.get("type") if isinstance(resolved, Mapping) else None

    def _shaped(self, node: Mapping[str, Any], location: str, name: str | None) -> Schema:
        nullable = bool(node.get("nullable", False))
        kind = self._kind(node, location)
        misplaced = sorted(k for k in node if k in _KIND_ONLY_KEYS and kind not in _KIND_ONLY_KEYS[k])
        if misplaced:
            raise IRError(location, f"keyword(s) {', '.join(misplaced)} do not apply to a {kind} schema")
        type_name = node.get("type")
        if isinstance(type_name, list):
            nullable = True  # _kind accepted only [T, "null"]
        enum = node.get("enum")
        if enum is not None:
            if not isinstance(enum, list) or not enum:
                raise IRError(location, "enum must be a non-empty list")
            if None in enum:
                nullable = True
                enum = [v for v in enum if v is not None]
                if not enum:
                    raise IRError(location, "enum lists only null")
            _check_enum_values(enum, kind, location)
        fmt = node.get("format")
        if fmt is not None and (kind not in KNOWN_FORMATS or fmt not in KNOWN_FORMATS[kind]):
            raise IRError(location, f"unsupported format {fmt!r} for a {kind} schema")
        properties: tuple[Property, ...] = ()
        additional: Schema | None = None
        items: Schema | None = None
        parts: tuple[Schema, ...] = ()
        if kind == "object":
            properties = self._properties(node, location)
            extra = node.get("additionalProperties")
            if isinstance(extra, Mapping):
                additional = self.build(extra, child(location, "additionalProperties"))
        elif kind == "map":
            additional = self.build(node["additionalProperties"], child(location, "additionalProperties"))
        elif kind == "array":
            items = self.build(node["items"], child(location, "items"))
        elif kind in ("all_of", "one_of", "any_of"):
            key = {"all_of": "allOf", "one_of": "oneOf", "any_of": "anyOf"}[kind]
            members = node[key]
            if not isinstance(members, list) or not members:
                raise IRError(location, f"{key} must be a non-empty list")
            parts = tuple(self.build(m, child(location, key, i)) for i, m in enumerate(members))
            if "properties" in node or "required" in node:  # beside allOf they act as one more member
                parts += (self._shaped({"properties": {}} | {k: node[k] for k in ("properties", "required")
                                       if k in node} | {"type": "object"}, location, None),)  # fmt: skip
        return Schema(
            location=location,
            kind=kind,
            name=name,
            format=fmt,
            enum=tuple(enum) if enum is not None else None,
            const=node.get("const", MISSING),
            nullable=nullable,
            default=node.get("default", MISSING),
            deprecated=bool(node.get("deprecated", False)),
            properties=properties,
            additional=additional,
            items=items,
            parts=parts,
            constraints=_constraints(node, location),
            example=_example(node),
            extensions=_extensions(node),
        )

    def _kind(self, node: Mapping[str, Any], location: str) -> SchemaKind:
        for key, kind in (("allOf", "all_of"), ("oneOf", "one_of"), ("anyOf", "any_of")):
            if key in node:
                others = [k for k in ("allOf", "oneOf", "anyOf") if k in node and k != key]
                if others:
                    raise IRError(location, f"{key} combined with {others[0]} is not supported")
                return cast(SchemaKind, kind)
        type_name = node.get("type")
        if isinstance(type_name, list):
            non_null = [t for t in type_name if t != "null"]
            if len(non_null) != 1 or len(type_name) != 2:
                raise IRError(
                    location, f"type {type_name!r}: only a single type, optionally with null, is supported"
                )
            type_name = non_null[0]
        if type_name is None:
            type_name = _infer_type(node, location)
        if type_name == "object":
            extra = node.get("additionalProperties", MISSING)
            if "properties" in node or extra is False:
                return "object"
            if isinstance(extra, Mapping):
                return "map"
            if extra is MISSING or extra is True:
                return "json_object"
            raise IRError(location, f"additionalProperties must be a schema or a boolean, found {extra!r}")
        if type_name == "array":
            if "items" not in node:
                raise IRError(location, "array schema without items")
            return "array"
        if type_name in ("string", "integer", "number", "boolean"):
            return cast(SchemaKind, type_name)
        raise IRError(location, f"unsupported type {type_name!r}")

    def _properties(self, node: Mapping[str, Any], location: str) -> tuple[Property, ...]:
        props = node.get("properties") or {}
        required = node.get("required") or []
        if not isinstance(props, Mapping) or not isinstance(required, list):
            raise IRError(location, "properties must be a mapping and required a list")
        undeclared = [r for r in required if r not in props]
        if undeclared:
            raise IRError(
                location, f"required names undeclared propert(y/ies) {', '.join(map(str, undeclared))}"
            )
        return tuple(
            Property(
                name=str(key),
                schema=self.build(value, child(location, "properties", key)),
                required=key in required,
            )
            for key, value in props.items()
        )


def _with_modifiers(schema: Schema, modifiers: Mapping[str, Any]) -> Schema:
    """Carry the modifiers written beside a ``$ref`` onto the schema it was resolved to inline."""
    example = _example(modifiers)
    return replace(
        schema,
        nullable=schema.nullable or bool(modifiers.get("nullable", False)),
        default=modifiers.get("default", schema.default),
        deprecated=schema.deprecated or bool(modifiers.get("deprecated", False)),
        example=schema.example if example is MISSING else example,
        extensions=tuple(sorted({**dict(schema.extensions), **dict(_extensions(modifiers))}.items())),
    )


def _is_modifier_only(node: Mapping[str, Any]) -> bool:
    return all(k in _REF_SIBLINGS or k == "allOf" or k.startswith("x-") for k in node)


def _infer_type(node: Mapping[str, Any], location: str) -> str:
    if "properties" in node:
        return "object"
    values = list(node.get("enum") or [])
    if "const" in node:
        values.append(node["const"])
    kinds = {_json_type(v) for v in values if v is not None}
    if len(kinds) == 1:
        return kinds.pop()
    raise IRError(location, "schema has no type (and none can be inferred from enum/const/properties)")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _check_enum_values(values: list[Any], kind: str, location: str) -> None:
    allowed = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    if kind not in allowed:
        raise IRError(location, f"enum on a {kind} schema is not supported")
    for value in values:
        actual = _json_type(value)
        if actual != kind and not (kind == "number" and actual == "integer"):
            raise IRError(location, f"enum value {value!r} is not a {kind}")


def _constraints(node: Mapping[str, Any], location: str) -> Constraints:
    minimum, maximum = node.get("minimum"), node.get("maximum")
    ex_min, ex_max = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    # OpenAPI 3.0 spells exclusivity as a boolean beside minimum/maximum; JSON Schema as a number.
    if ex_min is True:
        minimum, ex_min = None, minimum
    elif ex_min is False:
        ex_min = None
    if ex_max is True:
        maximum, ex_max = None, maximum
    elif ex_max is False:
        ex_max = None
    for key in ("minimum", "maximum", "multipleOf"):
        if key in node and (isinstance(node[key], bool) or not isinstance(node[key], int | float)):
            raise IRError(location, f"{key} must be a number")
    return Constraints(
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=ex_min,
        exclusive_maximum=ex_max,
        multiple_of=node.get("multipleOf"),
        min_length=node.get("minLength"),
        max_length=node.get("maxLength"),
        pattern=node.get("pattern"),
        min_items=node.get("minItems"),
        max_items=node.get("maxItems"),
        unique_items=bool(node.get("uniqueItems", False)),
    )


def _example(node: Mapping[str, Any]) -> Any:
    if "example" in node:
        return node["example"]
    examples = node.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return MISSING


def _extensions(node: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in node.items() if str(k).startswith("x-")))


# --- OpenAPI -------------------------------------------------------------------------------------------


def load_openapi(doc: Mapping[str, Any]) -> OpenAPIDocument:
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise IRError("#/openapi", f"expected an OpenAPI 3.x document, found {version!r}")
    document = _Document(doc)
    builder = _SchemaBuilder(document)
    schemas = {name: builder.component(name) for name in builder.components}
    schemes = tuple(
        SecurityScheme(key=key, type=str(s.get("type")), location=s.get("in"), parameter_name=s.get("name"))
        for key, s in (doc.get("components", {}).get("securitySchemes") or {}).items()
    )
    scheme_keys = {s.key for s in schemes}
    default_security = doc.get("security")
    operations: list[Operation] = []
    for path, item in (doc.get("paths") or {}).items():
        item_pointer = child("#/paths", path)
        item, item_pointer = document.follow(item, item_pointer)
        shared = (child(item_pointer, "parameters"), item.get("parameters") or [])
        for method in HTTP_METHODS:
            if method in item:
                op_pointer = child(item_pointer, method)
                operations.append(
                    _operation(document, builder, path, method, item[method], shared, op_pointer,
                               default_security, scheme_keys)
                )  # fmt: skip
    seen: dict[str, str] = {}
    for op in operations:
        if op.operation_id in seen:
            raise IRError(
                op.pointer, f"operationId {op.operation_id!r} already used at {seen[op.operation_id]}"
            )
        seen[op.operation_id] = op.pointer
    return OpenAPIDocument(
        title=str(doc.get("info", {}).get("title", "")),
        version=str(doc.get("info", {}).get("version", "")),
        servers=tuple(_server_url(s, i) for i, s in enumerate(doc.get("servers") or [])),
        operations=tuple(operations),
        schemas=schemas,
        security_schemes=schemes,
    )


def _server_url(server: Mapping[str, Any], index: int) -> str:
    url = str(server.get("url", ""))
    for name, variable in (server.get("variables") or {}).items():
        if "default" not in variable:
            raise IRError(child("#/servers", index, "variables", name), "server variable without a default")
        url = url.replace("{" + name + "}", str(variable["default"]))
    return url


def _operation(
    document: _Document,
    builder: _SchemaBuilder,
    path: str,
    method: str,
    node: Mapping[str, Any],
    shared_params: tuple[str, list[Any]],
    pointer: str,
    default_security: Any,
    scheme_keys: set[str],
) -> Operation:
    operation_id = node.get("operationId")
    if not operation_id:
        raise IRError(pointer, "operation without operationId")
    params: dict[tuple[str, str], Parameter] = {}
    for origin, raw_params in (shared_params, (child(pointer, "parameters"), node.get("parameters") or [])):
        for index, raw in enumerate(raw_params):
            param = _parameter(document, builder, raw, child(origin, index))
            params[(param.location, param.name)] = param  # operation level overrides path level
    path_names = {seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")}
    declared = {name for (loc, name) in params if loc == "path"}
    if path_names != declared:
        raise IRError(
            pointer, f"path template names {sorted(path_names)} but path parameters are {sorted(declared)}"
        )
    security_node = node.get("security", default_security) or []
    security: list[tuple[str, ...]] = []
    for requirement in security_node:
        names = tuple(sorted(requirement))
        missing = [n for n in names if n not in scheme_keys]
        if missing:
            raise IRError(child(pointer, "security"), f"unknown security scheme(s) {', '.join(missing)}")
        security.append(names)
    return Operation(
        operation_id=str(operation_id),
        method=method,
        path=path,
        tags=tuple(str(t) for t in node.get("tags") or ()),
        parameters=tuple(params.values()),
        request_body=_request_body(document, builder, node.get("requestBody"), child(pointer, "requestBody")),
        responses=tuple(
            _response(document, builder, str(status), raw, child(pointer, "responses", status))
            for status, raw in (node.get("responses") or {}).items()
        ),
        security=tuple(security),
        deprecated=bool(node.get("deprecated", False)),
        pointer=pointer,
    )


def _parameter(document: _Document, builder: _SchemaBuilder, raw: Any, pointer: str) -> Parameter:
    node, pointer = document.follow(raw, pointer)
    location = node.get("in")
    if location not in _PARAM_DEFAULT_STYLE:
        raise IRError(pointer, f"parameter location {location!r} is not supported")
    if "schema" not in node:
        raise IRError(pointer, "parameter without a schema (content-encoded parameters are not supported)")
    style = str(node.get("style", _PARAM_DEFAULT_STYLE[location]))
    if style not in ("form", "simple"):
        raise IRError(pointer, f"parameter style {style!r} is not supported")
    required = bool(node.get("required", False))
    if location == "path" and not required:
        raise IRError(pointer, "path parameters must be required")
    return Parameter(
        name=_parameter_name(node, pointer),
        location=location,
        required=required,
        schema=builder.build(node["schema"], child(pointer, "schema")),
        style=style,
        explode=bool(node.get("explode", style == "form")),
        deprecated=bool(node.get("deprecated", False)),
        pointer=pointer,
    )


def _parameter_name(node: Mapping[str, Any], pointer: str) -> str:
    name = node.get("name")
    if not isinstance(name, str) or not name:
        raise IRError(pointer, "parameter without a name")
    return name


def _content(builder: _SchemaBuilder, node: Mapping[str, Any], pointer: str) -> tuple[Body, ...]:
    bodies = []
    for media_type, media in (node.get("content") or {}).items():
        schema_node = (media or {}).get("schema")
        schema = (
            builder.build(schema_node, child(pointer, "content", media_type, "schema"))
            if schema_node is not None
            else None
        )
        bodies.append(Body(media_type=str(media_type), schema=schema))
    return tuple(bodies)


def _request_body(document: _Document, builder: _SchemaBuilder, raw: Any, pointer: str) -> RequestBody | None:
    if raw is None:
        return None
    node, pointer = document.follow(raw, pointer)
    return RequestBody(
        required=bool(node.get("required", False)), content=_content(builder, node, pointer), pointer=pointer
    )


def _response(document: _Document, builder: _SchemaBuilder, status: str, raw: Any, pointer: str) -> Response:
    node, resolved = document.follow(raw, pointer)
    return Response(status=status, content=_content(builder, node, resolved), pointer=resolved)


# --- AsyncAPI ------------------------------------------------------------------------------------------


def load_asyncapi(doc: Mapping[str, Any]) -> AsyncAPIDocument:
    version = str(doc.get("asyncapi", ""))
    if not version.startswith("3."):
        raise IRError("#/asyncapi", f"expected an AsyncAPI 3.x document, found {version!r}")
    document = _Document(doc)
    builder = _SchemaBuilder(document)
    schemas = {name: builder.component(name) for name in builder.components}
    default_content_type = str(doc.get("defaultContentType", "application/json"))
    messages: dict[str, Message] = {}
    for key, raw in (doc.get("components", {}).get("messages") or {}).items():
        messages[key] = _message(
            document, builder, key, raw, child("#/components/messages", key), default_content_type
        )

    def message_for(raw: Any, pointer: str, fallback_key: str) -> Message:
        # A channel's message is normally a $ref (possibly via another ref) to components/messages: reuse
        # that Message so the same message is one model everywhere. Inline messages get a channel-scoped key.
        seen: set[str] = set()
        while isinstance(raw, Mapping) and isinstance(raw.get("$ref"), str):
            target = raw["$ref"]
            if target in seen:
                raise IRError(pointer, f"$ref cycle through {target!r}")
            seen.add(target)
            prefix = "#/components/messages/"
            if target.startswith(prefix) and _unescape(target[len(prefix) :]) in messages:
                return messages[_unescape(target[len(prefix) :])]
            raw, pointer = document.lookup(target, pointer), target
        return _message(document, builder, fallback_key, raw, pointer, default_content_type)

    channels: list[Channel] = []
    channel_messages: dict[str, dict[str, Message]] = {}
    for key, raw in (doc.get("channels") or {}).items():
        pointer = child("#/channels", key)
        node, pointer = document.follow(raw, pointer)
        by_key = {
            msg_key: message_for(msg_raw, child(pointer, "messages", msg_key), f"{key}.{msg_key}")
            for msg_key, msg_raw in (node.get("messages") or {}).items()
        }
        channel_messages[key] = by_key
        address = node.get("address")
        channels.append(
            Channel(
                key=key,
                address=None if address is None else str(address),
                messages=tuple(by_key.values()),
                pointer=pointer,
            )
        )

    operations: list[ChannelOperation] = []
    for key, node in (doc.get("operations") or {}).items():
        pointer = child("#/operations", key)
        action = node.get("action")
        if action not in ("send", "receive"):
            raise IRError(pointer, f"operation action must be send or receive, found {action!r}")
        channel_key = _channel_key(node.get("channel"), child(pointer, "channel"), channel_messages)
        message_keys = []
        for index, ref in enumerate(node.get("messages") or []):
            message_keys.append(
                _operation_message(ref, child(pointer, "messages", index), channel_key, channel_messages)
            )
        operations.append(
            ChannelOperation(
                key=key,
                action=action,
                channel=channel_key,
                messages=tuple(message_keys),
                pointer=pointer,
                tags=tuple(str(t.get("name")) for t in node.get("tags") or [] if isinstance(t, Mapping)),
            )
        )

    codes = []
    for index, entry in enumerate((doc.get("x-error-codes") or {}).get("codes") or []):
        code = entry.get("code") if isinstance(entry, Mapping) else None
        if isinstance(code, bool) or not isinstance(code, int) or not isinstance(entry.get("name"), str):
            raise IRError(
                child("#/x-error-codes/codes", index), "an error code needs an integer code and a name"
            )
        codes.append(ErrorCode(code=entry["code"], name=entry["name"]))
    servers = tuple(
        WsServer(
            key=key,
            host=str(s.get("host", "")),
            pathname=str(s.get("pathname", "")),
            protocol=str(s.get("protocol", "")),
        )
        for key, s in (doc.get("servers") or {}).items()
    )
    return AsyncAPIDocument(
        title=str(doc.get("info", {}).get("title", "")),
        version=str(doc.get("info", {}).get("version", "")),
        servers=servers,
        channels=tuple(channels),
        messages=messages,
        operations=tuple(operations),
        schemas=schemas,
        error_codes=tuple(codes),
    )


def _message(
    document: _Document, builder: _SchemaBuilder, key: str, raw: Any, pointer: str, default_content_type: str
) -> Message:
    node, pointer = document.follow(raw, pointer)
    if "payload" not in node:
        raise IRError(pointer, "message without a payload")
    examples = tuple(
        e["payload"] for e in node.get("examples") or [] if isinstance(e, Mapping) and "payload" in e
    )
    return Message(
        key=key,
        name=str(node.get("name", key)),
        content_type=str(node.get("contentType", default_content_type)),
        payload=builder.build(node["payload"], child(pointer, "payload")),
        examples=examples,
        pointer=pointer,
    )


def _channel_key(raw: Any, pointer: str, channels: Mapping[str, Any]) -> str:
    target = raw.get("$ref") if isinstance(raw, Mapping) else None
    if not isinstance(target, str) or not target.startswith("#/channels/"):
        raise IRError(pointer, "an operation's channel must be a $ref to #/channels/<name>")
    key = _unescape(target[len("#/channels/") :])
    if key not in channels:
        raise IRError(pointer, f"$ref {target!r} does not resolve")
    return key


def _operation_message(
    raw: Any, pointer: str, channel_key: str, channels: Mapping[str, Mapping[str, Message]]
) -> str:
    target = raw.get("$ref") if isinstance(raw, Mapping) else None
    prefix = f"#/channels/{_escape(channel_key)}/messages/"
    if not isinstance(target, str) or not target.startswith(prefix):
        raise IRError(pointer, f"an operation's messages must be $refs into its channel ({prefix}...)")
    name = _unescape(target[len(prefix) :])
    if name not in channels[channel_key]:
        raise IRError(pointer, f"$ref {target!r} does not resolve")
    return channels[channel_key][name].key
