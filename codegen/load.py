"""Build the IR from a normalized OpenAPI 3.x or AsyncAPI 2.x/3.x document, resolving every ``$ref``.

Quirks of real specs that can be read faithfully are read, each with a note naming its pointer (the
document's ``notes``); what cannot be generated correctly is refused with an ``IRError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from codegen.ir import (
    HTTP_METHODS,
    MISSING,
    AsyncAPIDocument,
    Body,
    Channel,
    ChannelOperation,
    Constraints,
    Discriminator,
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
from codegen.spec import is_asyncapi_2
from codegen.yaml12 import SpecLoader

COMPONENT_SCHEMA_PREFIX = "#/components/schemas/"

# Constraint keywords on one value (a string, number or array) and on an object.
_VALUE_CONSTRAINT_KEYS = frozenset(
    {
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "uniqueItems",
    }
)  # fmt: skip
_OBJECT_CONSTRAINT_KEYS = frozenset({"minProperties", "maxProperties"})
_CONSTRAINT_KEYS = _VALUE_CONSTRAINT_KEYS | _OBJECT_CONSTRAINT_KEYS
# Schema keywords the IR represents. Anything else (not, if/then, patternProperties, ...) is refused:
# silently dropping it would produce a model that accepts or rejects the wrong data.
_SCHEMA_KEYS = _CONSTRAINT_KEYS | frozenset(
    {
        "$ref", "type", "format", "enum", "const", "nullable", "default", "deprecated", "properties",
        "required", "additionalProperties", "items", "allOf", "oneOf", "anyOf", "example", "examples",
        "readOnly", "writeOnly", "discriminator",
    }
)  # fmt: skip
_PROSE_KEYS = frozenset({"description", "summary", "title"})
# Keys that may sit beside a $ref: they modify the use of the referenced schema, not its shape. Constraints
# may too (they narrow it), with a note.
_REF_SIBLINGS = frozenset(
    {"$ref", "nullable", "default", "deprecated", "example", "examples", "readOnly", "writeOnly"}
)

KNOWN_FORMATS: dict[str, frozenset[str]] = {
    "string": frozenset({"date-time", "date", "uuid", "uri", "email", "byte", "binary", "password"}),
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
}

_PRIMITIVE_TYPES = ("string", "integer", "number", "boolean")
_COMBINED_KINDS = frozenset({"all_of", "one_of", "any_of"})
_OBJECT_KINDS = frozenset({"object", "map", "json_object", "all_of"})
_NUMERIC_KINDS = frozenset({"integer", "number"})
# Keywords that mean something only for some kinds: anywhere else they would be silently meaningless.
_KIND_ONLY_KEYS: dict[str, frozenset[str]] = {
    "properties": _OBJECT_KINDS,
    "required": _OBJECT_KINDS - {"map", "json_object"},
    "additionalProperties": _OBJECT_KINDS - {"all_of"},
    "minProperties": _OBJECT_KINDS,
    "maxProperties": _OBJECT_KINDS,
    "discriminator": frozenset({"object", "all_of", "one_of", "any_of"}),
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
_COMBINATOR_KEYS = {"allOf": "all_of", "oneOf": "one_of", "anyOf": "any_of"}

_PARAM_DEFAULT_STYLE = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}


def read_yaml(path: Path) -> dict[str, Any]:
    """A pinned spec file, read with the YAML 1.2 core schema as `make specs` reads upstream ones."""
    with path.open("rb") as fh:
        doc = yaml.load(fh, Loader=SpecLoader)  # a SafeLoader: builds plain data only
    if not isinstance(doc, dict):
        raise IRError(str(path), "not a YAML mapping")
    return doc


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def child(pointer: str, *segments: str | int) -> str:
    return pointer + "".join("/" + _escape(str(s)) for s in segments)


def _ignorable(key: Any) -> bool:
    """Prose and x- extensions: they never change what a schema accepts."""
    return key in _PROSE_KEYS or str(key).startswith("x-")


def _is_null_schema(node: Any) -> bool:
    """`{type: "null"}`, the JSON Schema way to add null to an anyOf/oneOf."""
    return (
        isinstance(node, Mapping)
        and node.get("type") == "null"
        and all(k == "type" or _ignorable(k) for k in node)
    )


def _keys(names: Any) -> str:
    return ", ".join(sorted(map(str, names)))


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
        self._notes: dict[str, None] = {}  # insertion-ordered and de-duplicated

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self._notes)

    def note(self, location: str, text: str) -> None:
        self._notes[f"{location}: {text}"] = None

    def component(self, name: str) -> Schema:
        return self.build(self.components[name], COMPONENT_SCHEMA_PREFIX + _escape(name), name=name)

    def build(self, node: Any, location: str, name: str | None = None) -> Schema:
        if not isinstance(node, Mapping):
            raise IRError(location, f"a schema must be a mapping, found {type(node).__name__}")
        unknown = sorted(k for k in node if k not in _SCHEMA_KEYS and not _ignorable(k))
        if unknown:
            raise IRError(location, f"unsupported schema keyword(s) {', '.join(unknown)}")
        if node.get("readOnly") is True and node.get("writeOnly") is True:
            raise IRError(location, "readOnly and writeOnly together leave the property in no model")
        if "$ref" in node:
            return self._reference(node, location, name)
        member = _single_ref_member(node)
        if member is not None:
            # `allOf: [$ref]` is how OpenAPI 3.0 attaches a default, nullable or constraints to a reference. A
            # member with keywords of its own is left to the all_of path, which checks and keeps them.
            return self._reference({**node, **member}, location, name, base=node)
        union = _null_union(node)
        if union is not None:
            return self._nullable_member(node, location, name, *union)
        type_name = node.get("type")
        if isinstance(type_name, list) and len([t for t in type_name if t != "null"]) > 1:
            return self._type_union(node, location, name)
        return self._shaped(node, location, name)

    # --- references ---

    def _reference(
        self, node: Mapping[str, Any], location: str, name: str | None, base: Mapping[str, Any] | None = None
    ) -> Schema:
        siblings = base or node
        extra = sorted(
            k for k in siblings
            if k not in _REF_SIBLINGS and k not in _CONSTRAINT_KEYS and k != "allOf" and not _ignorable(k)
        )  # fmt: skip
        target = node["$ref"]
        if extra == ["type"] and self._referenced_type(target, location) == node["type"]:
            extra = []  # Kalshi repeats the target's type beside some refs; harmless when it agrees
        if extra:
            raise IRError(location, f"$ref with sibling keyword(s) {', '.join(extra)} is not supported")
        what = "allOf [$ref]" if base is not None else "the $ref"
        if isinstance(target, str) and target.startswith(COMPONENT_SCHEMA_PREFIX):
            ref_name = _unescape(target[len(COMPONENT_SCHEMA_PREFIX) :])
            if "/" in target[len(COMPONENT_SCHEMA_PREFIX) :] or ref_name not in self.components:
                # a pointer into the middle of a component: use the schema it names, inline
                resolved, pointer = self.document.follow(node, location)
                return self._apply_siblings(self.build(resolved, pointer), siblings, location, what)
            reference = Schema(location=location, kind="ref", name=name, ref=ref_name)
            return self._apply_siblings(reference, siblings, location, what)
        resolved, pointer = self.document.follow(node, location)
        return self._apply_siblings(self.build(resolved, pointer, name), siblings, location, what)

    def _referenced_type(self, target: Any, location: str) -> Any:
        resolved, _ = self.document.follow({"$ref": target}, location)
        return resolved.get("type") if isinstance(resolved, Mapping) else None

    def _apply_siblings(
        self, schema: Schema, siblings: Mapping[str, Any], location: str, what: str
    ) -> Schema:
        """Carry the keywords written beside a reference (or a lone anyOf member) onto the schema it names."""
        constrained = sorted(k for k in siblings if k in _CONSTRAINT_KEYS)
        constraints = schema.constraints
        if constrained:
            kind = self._effective_kind(schema)
            misplaced = [k for k in constrained if kind not in _KIND_ONLY_KEYS[k]]
            if misplaced:
                raise IRError(
                    location,
                    f"keyword(s) {', '.join(misplaced)} beside {what} do not apply to a {kind} schema",
                )
            constraints = _merged_constraints(schema.constraints, _constraints(siblings, location), location)
            target = f"the reference to {schema.ref}" if schema.kind == "ref" else "the schema it names"
            self.note(location, f"constraint(s) {', '.join(constrained)} beside {what}: kept on {target}")
        example = _example(siblings)
        return replace(
            schema,
            nullable=schema.nullable or bool(siblings.get("nullable", False)),
            default=siblings.get("default", schema.default),
            deprecated=schema.deprecated or bool(siblings.get("deprecated", False)),
            example=schema.example if example is MISSING else example,
            extensions=tuple(sorted({**dict(schema.extensions), **dict(_extensions(siblings))}.items())),
            read_only=schema.read_only or siblings.get("readOnly") is True,
            write_only=schema.write_only or siblings.get("writeOnly") is True,
            constraints=constraints,
        )

    def _effective_kind(self, schema: Schema) -> str:
        """The kind a schema has once references are followed (constraints are checked against it)."""
        if schema.kind != "ref" or schema.ref is None:
            return schema.kind
        return self._node_kind(self.components[schema.ref], COMPONENT_SCHEMA_PREFIX + _escape(schema.ref))

    def _node_kind(self, node: Any, location: str) -> str:
        """The kind a schema node builds to, following the reference forms without building anything."""
        seen: set[str] = set()
        while isinstance(node, Mapping):
            member = _single_ref_member(node)
            union = _null_union(node)
            if "$ref" in node or member is not None:
                target = node["$ref"] if "$ref" in node else cast(Mapping[str, Any], member)["$ref"]
                if target in seen:
                    raise IRError(location, f"$ref cycle through {target!r}")
                seen.add(target)
                node, location = self.document.follow({"$ref": target}, location)
            elif union is not None:
                key, index = union
                node, location = node[key][index], child(location, key, index)
            elif isinstance(node.get("type"), list) and len([t for t in node["type"] if t != "null"]) > 1:
                return "any_of"
            else:
                return self._kind(node, location)
        raise IRError(location, f"a schema must be a mapping, found {type(node).__name__}")

    # --- unions with null, and unions of types ---

    def _nullable_member(
        self, node: Mapping[str, Any], location: str, name: str | None, key: str, index: int
    ) -> Schema:
        """`anyOf: [X, {type: null}]` (or oneOf) is X, nullable: a union of one member is not a union."""
        siblings = {k: v for k, v in node.items() if k != key}
        unsupported = sorted(
            k for k in siblings if k not in _REF_SIBLINGS and k not in _CONSTRAINT_KEYS and not _ignorable(k)
        )
        if unsupported:
            raise IRError(
                location, f"keyword(s) {', '.join(unsupported)} beside {key} with null are not supported"
            )
        member = self.build(node[key][index], child(location, key, index))
        schema = self._apply_siblings(member, {**siblings, "nullable": True}, location, f"{key} [X, null]")
        return replace(schema, location=location, name=name)

    def _type_union(self, node: Mapping[str, Any], location: str, name: str | None) -> Schema:
        """`type: [string, integer]`: an any_of of one primitive schema per type, each with its keywords."""
        types = node["type"]
        if len(set(map(str, types))) != len(types):
            raise IRError(location, f"type {types!r} repeats a type")
        others = [t for t in types if t != "null" and t not in _PRIMITIVE_TYPES]
        if others:
            raise IRError(location, f"type {types!r}: a union of several types may list only primitive types")
        used: set[str] = set()
        parts = []
        for index, type_name in enumerate(types):
            part = _type_part(node, type_name, used)
            if part is not None:
                parts.append(self._shaped(part, child(location, "type", index), None))
        leftover = sorted(
            k for k in node
            if k not in used and k not in _REF_SIBLINGS and k not in ("type", "enum") and not _ignorable(k)
        )  # fmt: skip
        if leftover:
            raise IRError(location, f"keyword(s) {', '.join(leftover)} apply to none of the types {types!r}")
        if not parts:
            raise IRError(location, f"enum has no value of the types {types!r}")
        enum = node.get("enum")
        union = Schema(
            location=location,
            kind="any_of",
            name=name,
            nullable="null" in types or (isinstance(enum, list) and None in enum),
            parts=tuple(parts),
        )
        modifiers = {k: v for k, v in node.items() if k in _REF_SIBLINGS}  # constraints went to the parts
        return self._apply_siblings(union, modifiers, location, f"type {types!r}")

    # --- shaped schemas ---

    def _shaped(self, node: Mapping[str, Any], location: str, name: str | None) -> Schema:
        nullable = bool(node.get("nullable", False))
        kind = self._kind(node, location)
        misplaced = sorted(
            k for k in node
            if k in _KIND_ONLY_KEYS and kind not in _KIND_ONLY_KEYS[k]
            and not (kind == "all_of" and k in _VALUE_CONSTRAINT_KEYS)  # checked against the parts below
        )  # fmt: skip
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
            if isinstance(extra, Mapping) and not _is_empty_schema(extra):
                additional = self.build(extra, child(location, "additionalProperties"))
        elif kind == "map":
            additional = self.build(node["additionalProperties"], child(location, "additionalProperties"))
        elif kind == "array":
            items = self._items(node, location)
        elif kind in _COMBINED_KINDS:
            parts, nullable = self._parts(node, location, kind, nullable)
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
            read_only=node.get("readOnly") is True,
            write_only=node.get("writeOnly") is True,
            discriminator=self._discriminator(node, location),
            closed=kind == "object" and node.get("additionalProperties") is False,
        )

    def _items(self, node: Mapping[str, Any], location: str) -> Schema:
        """An array's item schema. Without one (OpenAPI 3.0 requires it) the example's item types stand in."""
        pointer = child(location, "items")
        raw = node.get("items")
        if isinstance(raw, Mapping) and not _is_empty_schema(raw):
            return self.build(raw, pointer)
        example = _example(node)
        types = list(dict.fromkeys(_json_type(v) for v in example)) if isinstance(example, list) else []
        if not types or not set(types) <= set(_PRIMITIVE_TYPES):
            raise IRError(location, "array schema without items (and no example of primitive items to go by)")
        self.note(
            location, f"array without items: items read as {' | '.join(types)}, the types of its example"
        )
        parts = tuple(
            Schema(location=child(pointer, "anyOf", i), kind=cast(SchemaKind, t)) for i, t in enumerate(types)
        )
        return (
            replace(parts[0], location=pointer) if len(parts) == 1 else Schema(pointer, "any_of", parts=parts)
        )

    def _parts(
        self, node: Mapping[str, Any], location: str, kind: str, nullable: bool
    ) -> tuple[tuple[Schema, ...], bool]:
        """The members of an all_of/one_of/any_of (null members make it nullable instead), and nullability."""
        key = {v: k for k, v in _COMBINATOR_KEYS.items()}[kind]
        members = node[key]
        if not isinstance(members, list) or not members:
            raise IRError(location, f"{key} must be a non-empty list")
        kept = [(i, m) for i, m in enumerate(members) if not (kind != "all_of" and _is_null_schema(m))]
        if not kept:
            raise IRError(location, f"{key} lists only null")
        parts = tuple(self.build(m, child(location, key, i)) for i, m in kept)
        if "properties" in node or "required" in node:  # beside allOf they act as one more member
            own = {k: node[k] for k in ("properties", "required") if k in node}
            part = self._shaped({"properties": {}, **own, "type": "object"}, location, None)
            if part.properties or "properties" in node:  # a `required` alone may have lost all its names
                parts += (part,)
        if kind == "all_of":
            self._all_of_constraints(node, location, parts)
        return parts, nullable or len(kept) < len(members)

    def _all_of_constraints(self, node: Mapping[str, Any], location: str, parts: tuple[Schema, ...]) -> None:
        """Value constraints beside a merged allOf stay on it, unless a member is of a kind they can't fit."""
        keys = sorted(k for k in node if k in _VALUE_CONSTRAINT_KEYS)
        if not keys:
            return
        for part in parts:
            kind = self._effective_kind(part)
            misplaced = [k for k in keys if kind not in _KIND_ONLY_KEYS[k] | _COMBINED_KINDS]
            if misplaced:
                raise IRError(
                    location,
                    f"keyword(s) {', '.join(misplaced)} beside allOf do not apply to its {kind} member"
                    f" at {part.location}",
                )
        self.note(location, f"constraint(s) {', '.join(keys)} beside allOf: kept on the all_of schema")

    def _discriminator(self, node: Mapping[str, Any], location: str) -> Discriminator | None:
        raw = node.get("discriminator")
        if raw is None:
            return None
        pointer = child(location, "discriminator")
        if isinstance(raw, str) and raw:
            return Discriminator(property_name=raw)  # AsyncAPI's form: the property name itself
        name = raw.get("propertyName") if isinstance(raw, Mapping) else None
        if not isinstance(name, str) or not name:
            raise IRError(pointer, "a discriminator needs a propertyName")
        mapping = raw.get("mapping") or {}
        if not isinstance(mapping, Mapping):
            raise IRError(child(pointer, "mapping"), "a discriminator mapping must map values to schemas")
        return Discriminator(
            property_name=name,
            mapping=tuple(
                (str(value), self._mapping_target(target, child(pointer, "mapping", value)))
                for value, target in mapping.items()
            ),
        )

    def _mapping_target(self, target: Any, pointer: str) -> str:
        """The component a discriminator mapping names, by $ref or (as OpenAPI allows) by bare name."""
        if not isinstance(target, str):
            raise IRError(pointer, "a discriminator mapping value must be a $ref or a schema name")
        rest = target[len(COMPONENT_SCHEMA_PREFIX) :] if target.startswith(COMPONENT_SCHEMA_PREFIX) else None
        if (rest is None and ("/" in target or "#" in target)) or (rest is not None and "/" in rest):
            raise IRError(
                pointer, f"discriminator mapping to {target!r}: only component schemas can be named"
            )
        name = target if rest is None else _unescape(rest)
        if name not in self.components:
            raise IRError(pointer, f"discriminator mapping to {target!r}: no such component schema")
        return name

    def _kind(self, node: Mapping[str, Any], location: str) -> SchemaKind:
        for key, kind in _COMBINATOR_KEYS.items():
            if key in node:
                others = [k for k in _COMBINATOR_KEYS if k in node and k != key]
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
            if isinstance(extra, Mapping) and _is_empty_schema(extra):
                extra = True  # `additionalProperties: {}` allows any value, like `true`
            if "properties" in node or extra is False:
                return "object"
            if isinstance(extra, Mapping):
                return "map"
            if extra is MISSING or extra is True:
                return "json_object"
            raise IRError(location, f"additionalProperties must be a schema or a boolean, found {extra!r}")
        if type_name == "array":
            return "array"
        if type_name in _PRIMITIVE_TYPES:
            return cast(SchemaKind, type_name)
        raise IRError(location, f"unsupported type {type_name!r}")

    def _properties(self, node: Mapping[str, Any], location: str) -> tuple[Property, ...]:
        props = node.get("properties") or {}
        required = node.get("required") or []
        if not isinstance(props, Mapping) or not isinstance(required, list):
            raise IRError(location, "properties must be a mapping and required a list")
        undeclared = [r for r in required if r not in props]
        if undeclared:
            # No schema to generate a field from, and servers evidently don't send it: the name is dropped.
            self.note(
                location, f"required name(s) {', '.join(map(str, undeclared))} have no property: dropped"
            )
        return tuple(
            Property(
                name=str(key),
                schema=self.build(value, child(location, "properties", key)),
                required=key in required,
            )
            for key, value in props.items()
        )


def _single_ref_member(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The `{$ref}` of `allOf: [{$ref}]` when only modifiers and constraints sit beside it, else None."""
    all_of = node.get("allOf")
    if not (isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping)):
        return None
    if set(all_of[0]) != {"$ref"}:
        return None
    siblings_ok = all(
        k in _REF_SIBLINGS or k in _CONSTRAINT_KEYS or k == "allOf" or _ignorable(k) for k in node
    )
    return all_of[0] if siblings_ok else None


def _null_union(node: Mapping[str, Any]) -> tuple[str, int] | None:
    """(keyword, index) of the one non-null member of an anyOf/oneOf that also lists `{type: null}`."""
    for key in ("anyOf", "oneOf"):
        members = node.get(key)
        if isinstance(members, list) and any(_is_null_schema(m) for m in members):
            kept = [i for i, m in enumerate(members) if not _is_null_schema(m)]
            others = [k for k in _COMBINATOR_KEYS if k in node and k != key]
            return (key, kept[0]) if len(kept) == 1 and not others else None
    return None


def _type_part(node: Mapping[str, Any], type_name: str, used: set[str]) -> dict[str, Any] | None:
    """One member of a `type: [...]` union: the type with the keywords that apply to it (None for null, or
    for a type none of the enum values has). Adds the keywords it took to `used`."""
    if type_name == "null":
        return None
    part: dict[str, Any] = {"type": type_name}
    for key, value in node.items():
        if key in _KIND_ONLY_KEYS and type_name in _KIND_ONLY_KEYS[key]:
            part[key] = value
            used.add(key)
    fmt = node.get("format")
    if fmt is not None and fmt in KNOWN_FORMATS.get(type_name, frozenset()):
        part["format"] = fmt
        used.add("format")
    enum = node.get("enum")
    if isinstance(enum, list):
        values = [
            v
            for v in enum
            if _json_type(v) == type_name or (type_name, _json_type(v)) == ("number", "integer")
        ]
        if not values:
            return None
        part["enum"] = values
    return part


def _is_empty_schema(node: Mapping[str, Any]) -> bool:
    return all(_ignorable(k) for k in node)


def _merged_constraints(own: Constraints, extra: Constraints, location: str) -> Constraints:
    """A schema's constraints plus those beside its use; one keyword set differently on both is refused."""
    merged: dict[str, Any] = {}
    blank = Constraints()
    for spec_field in fields(Constraints):
        key = spec_field.name
        mine, theirs, unset = getattr(own, key), getattr(extra, key), getattr(blank, key)
        if mine != unset and theirs != unset and mine != theirs:
            raise IRError(location, f"{key} {theirs!r} contradicts {mine!r} on the schema it names")
        merged[key] = mine if theirs == unset else theirs
    return Constraints(**merged)


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
        min_properties=node.get("minProperties"),
        max_properties=node.get("maxProperties"),
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
        notes=builder.notes,
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

# AsyncAPI 2.x names operations from the client's side; the IR (like AsyncAPI 3) from the server's.
_ASYNCAPI2_ACTIONS: dict[str, Literal["send", "receive"]] = {"publish": "receive", "subscribe": "send"}

_MessageFor = Callable[[Any, str, str], Message]


def load_asyncapi(doc: Mapping[str, Any]) -> AsyncAPIDocument:
    version = str(doc.get("asyncapi", ""))
    is_2x = is_asyncapi_2(doc)
    if not version.startswith("3.") and not is_2x:
        raise IRError("#/asyncapi", f"expected an AsyncAPI 2.x or 3.x document, found {version!r}")
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

    notes: tuple[str, ...] = ()
    if is_2x:
        channels, operations = _asyncapi2_channels(document, message_for)
        servers = tuple(
            _asyncapi2_server(document, key, raw) for key, raw in (doc.get("servers") or {}).items()
        )
        notes = (
            f"#/asyncapi: read as AsyncAPI {version}: channel keys are addresses, `publish` operations are"
            " the server's receive and `subscribe` its send",
        )
    else:
        channels, operations = _asyncapi3_channels(document, message_for)
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
        error_codes=_error_codes(doc),
        notes=notes + builder.notes,
    )


def _asyncapi3_channels(
    document: _Document, message_for: _MessageFor
) -> tuple[list[Channel], list[ChannelOperation]]:
    """AsyncAPI 3: channels with their messages by id, operations at the top level referring to them."""
    doc = document.doc
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
                tags=_tag_names(node),
            )
        )
    return channels, operations


def _asyncapi2_channels(
    document: _Document, message_for: _MessageFor
) -> tuple[list[Channel], list[ChannelOperation]]:
    """AsyncAPI 2.x: each channel (keyed by its address) holds its publish/subscribe operations, and those
    hold the messages; a channel's messages are its operations' messages, in the order they appear."""
    channels: list[Channel] = []
    operations: list[ChannelOperation] = []
    seen_ids: dict[str, str] = {}
    for address, raw in (document.doc.get("channels") or {}).items():
        pointer = child("#/channels", address)
        node, pointer = document.follow(raw, pointer)
        by_key: dict[str, Message] = {}
        for verb in (k for k in node if k in _ASYNCAPI2_ACTIONS):
            op_pointer = child(pointer, verb)
            op = node[verb]
            if not isinstance(op, Mapping):
                raise IRError(op_pointer, f"a {verb} operation must be a mapping")
            keys = []
            for raw_message, msg_pointer, local in _asyncapi2_messages(op, op_pointer, verb):
                message = message_for(raw_message, msg_pointer, f"{address}.{local}")
                by_key.setdefault(message.key, message)
                keys.append(message.key)
            key = str(op.get("operationId") or f"{address}.{verb}")
            if key in seen_ids:
                raise IRError(op_pointer, f"operationId {key!r} already used at {seen_ids[key]}")
            seen_ids[key] = op_pointer
            operations.append(
                ChannelOperation(
                    key=key,
                    action=_ASYNCAPI2_ACTIONS[verb],
                    channel=str(address),
                    messages=tuple(keys),
                    pointer=op_pointer,
                    tags=_tag_names(op),
                )
            )
        channels.append(
            Channel(key=str(address), address=str(address), messages=tuple(by_key.values()), pointer=pointer)
        )
    return channels, operations


def _asyncapi2_messages(op: Mapping[str, Any], pointer: str, verb: str) -> list[tuple[Any, str, str]]:
    """(message, pointer, local name) for an operation's `message`: one message or `{oneOf: [...]}`."""
    message = op.get("message")
    if message is None:
        return []
    pointer = child(pointer, "message")
    if isinstance(message, Mapping) and "oneOf" in message and "$ref" not in message:
        members = message["oneOf"]
        if not isinstance(members, list) or not members:
            raise IRError(pointer, "message oneOf must be a non-empty list")
        return [
            (member, child(pointer, "oneOf", index), _local_message_name(member, f"{verb}{index}"))
            for index, member in enumerate(members)
        ]
    return [(message, pointer, _local_message_name(message, verb))]


def _local_message_name(message: Any, fallback: str) -> str:
    """The name of an inline 2.x message within its channel: messageId, else name, else where it sits."""
    if isinstance(message, Mapping):
        for key in ("messageId", "name"):
            if isinstance(message.get(key), str) and message[key]:
                return str(message[key])
    return fallback


def _asyncapi2_server(document: _Document, key: str, raw: Any) -> WsServer:
    """A 2.x server's `url` (scheme optional, `protocol` beside it) as the 3.x host, pathname and protocol."""
    node, _ = document.follow(raw, child("#/servers", key))
    url = str(node.get("url", ""))
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    host, slash, path = rest.partition("/")
    return WsServer(key=key, host=host, pathname=slash + path, protocol=str(node.get("protocol") or scheme))


def _tag_names(node: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(t.get("name")) for t in node.get("tags") or [] if isinstance(t, Mapping))


def _error_codes(doc: Mapping[str, Any]) -> tuple[ErrorCode, ...]:
    codes = []
    for index, entry in enumerate((doc.get("x-error-codes") or {}).get("codes") or []):
        code = entry.get("code") if isinstance(entry, Mapping) else None
        if isinstance(code, bool) or not isinstance(code, int) or not isinstance(entry.get("name"), str):
            raise IRError(
                child("#/x-error-codes/codes", index), "an error code needs an integer code and a name"
            )
        codes.append(ErrorCode(code=entry["code"], name=entry["name"]))
    return tuple(codes)


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
