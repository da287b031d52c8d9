"""The `make specs` step: fetch Kalshi's OpenAPI/AsyncAPI documents, strip their prose, pin them.

Kalshi's descriptions are their text, so only a prose-free copy of each spec is committed, together with a
lock file that records which upstream bytes it was made from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from codegen.yaml12 import CORE_RESOLVERS, read_yaml_text

SPEC_FILES = {"openapi": "openapi.yaml", "asyncapi": "asyncapi.yaml"}
DEFAULT_URL_BASE = "https://docs.kalshi.com"
LOCK_FILE = "spec.lock"

_KIND_LABELS = {"openapi": "OpenAPI 3.x", "asyncapi": "AsyncAPI 2.x/3.x"}
# AsyncAPI 2.0 to 2.6 are read as well as 3.x (2.x has no later minor versions).
_ASYNCAPI_2 = re.compile(r"^2\.[0-6](\.\d+)?$")
_DIRECT_SUFFIXES = (".yaml", ".yml", ".json")
_FETCH_TIMEOUT_S = 30
_LOCK_KEYS = ("kind", "title", "version", "source", "sha256", "normalized_sha256")


class SpecError(Exception):
    """A spec could not be read, parsed or accepted; the message names the file or URL."""


# --- locating and reading -------------------------------------------------------------------------------


def default_source(project_root: Path) -> str:
    """The shared pinned copies beside the checkout if present, else Kalshi's docs site."""
    local = project_root / ".." / "shared" / "specs"
    if local.is_dir():
        # Relative to the project root (the CLI runs from there), so spec.lock is the same on every machine.
        return "../shared/specs"
    return DEFAULT_URL_BASE


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def upstream_location(source: str, kind: str) -> str:
    """Where the `kind` spec lives: a direct file/URL as is; a directory or URL base gets the file name."""
    if kind not in SPEC_FILES:
        raise SpecError(f"{source}: unknown spec kind {kind!r} (expected one of {sorted(SPEC_FILES)})")
    # Query strings and fragments are not part of the file name, so look at the path only.
    path_part = source.split("?", 1)[0].split("#", 1)[0]
    if path_part.lower().endswith(_DIRECT_SUFFIXES):
        return source
    if _is_url(source):
        return f"{source.rstrip('/')}/{SPEC_FILES[kind]}"
    return str(Path(source) / SPEC_FILES[kind])


def read_upstream(location: str) -> bytes:
    """The raw bytes of a local file or an http(s) URL."""
    if _is_url(location):
        request = urllib.request.Request(location, headers={"User-Agent": "kalshi-api-codegen"})
        try:
            with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_S) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            raise SpecError(f"{location}: HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise SpecError(f"{location}: cannot fetch: {exc.reason}") from exc
        except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
            raise SpecError(f"{location}: cannot fetch: {exc}") from exc
    if "://" in location:
        # Anything else with a scheme would silently be looked up as a relative path.
        raise SpecError(f"{location}: unsupported URL scheme (use http, https or a local path)")
    try:
        return Path(location).read_bytes()
    except OSError as exc:
        raise SpecError(f"{location}: cannot read: {exc.strerror or exc}") from exc


# --- parsing and recognising ----------------------------------------------------------------------------
def _string_keys(node: Any, location: str, path: str) -> Any:
    """Copy of a parsed tree whose mapping keys are all strings, as in JSON.

    YAML reads an unquoted `200:` as an int; that is a status code, so it becomes "200". Other non-string
    keys (`true:`, `1.5:`, null) have no faithful string form and are rejected.
    """
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise SpecError(f"{location}: non-string key {key!r} at {path or '/'}")
            name = str(key)
            out[name] = _string_keys(value, location, f"{path}/{name}")
        return out
    if isinstance(node, list):
        return [_string_keys(item, location, f"{path}/{index}") for index, item in enumerate(node)]
    return node


def parse_document_with_notes(raw: bytes, location: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Parse YAML 1.2 or JSON into a dict with string keys; also the notes on what YAML 1.1 would misread."""
    try:
        doc, notes = read_yaml_text(raw, _PROSE)
        if not isinstance(doc, dict):
            raise SpecError(f"{location}: expected a mapping at the top level, found {type(doc).__name__}")
        result: dict[str, Any] = _string_keys(doc, location, "")
    except yaml.YAMLError as exc:
        raise SpecError(f"{location}: not valid YAML/JSON: {exc}") from exc
    except RecursionError as exc:
        raise SpecError(f"{location}: document nested too deeply to parse") from exc
    return result, notes


def parse_document(raw: bytes, location: str) -> dict[str, Any]:
    """Parse YAML 1.2 or JSON (JSON is YAML) into a dict with string keys."""
    return parse_document_with_notes(raw, location)[0]


def is_asyncapi_2(doc: Mapping[str, Any]) -> bool:
    """An AsyncAPI 2.0-2.6 document (channels keyed by address, publish/subscribe operations)."""
    version = doc.get("asyncapi")
    return isinstance(version, str) and bool(_ASYNCAPI_2.match(version))


def document_kind(doc: Mapping[str, Any], location: str) -> str:
    """'openapi' or 'asyncapi' for an OpenAPI 3.x, AsyncAPI 3.x or AsyncAPI 2.0-2.6 document, else refused."""
    found = {key: doc[key] for key in ("openapi", "asyncapi") if key in doc}
    versions = {
        key: value for key, value in found.items() if isinstance(value, str) and value.startswith("3.")
    }
    if is_asyncapi_2(doc):
        versions["asyncapi"] = doc["asyncapi"]
    if len(versions) == 1:
        return next(iter(versions))
    if len(versions) > 1:
        raise SpecError(f"{location}: declares both openapi and asyncapi versions; cannot tell which it is")
    if not found and "swagger" in doc:
        found = {"swagger": doc["swagger"]}
    what = (
        ", ".join(f"{key}: {value!r}" for key, value in found.items()) or "no openapi/asyncapi version field"
    )
    raise SpecError(
        f"{location}: not an OpenAPI 3.x or AsyncAPI 3.x document, nor AsyncAPI 2.0-2.6 (found {what})"
    )


# --- normalization --------------------------------------------------------------------------------------
#
# A small grammar of the two spec formats: each node type maps the fields whose value needs special
# treatment to a "spec" string. A spec is "literal" (copied verbatim), "map:<spec>" (a map whose keys are
# names chosen by the API, each value handled by <spec>), or a node type name. Lists are transparent: each
# item is handled by the same spec. Fields not listed fall back to _UNIVERSAL, then to "literal" for x-
# extensions and "object" (a generic spec object) for everything else.

# Free text in every spec object. x-mint holds Mintlify doc snippets, which are prose too.
_PROSE = frozenset({"description", "summary", "title", "externalDocs", "x-mint"})

_UNIVERSAL: dict[str, str] = {
    "$ref": "literal",
    "example": "literal",
    "default": "literal",
    "enum": "literal",
    "const": "literal",
    "required": "literal",
    "properties": "map:schema",
    "patternProperties": "map:schema",
    "$defs": "map:schema",
    "definitions": "map:schema",
    "dependentSchemas": "map:schema",
    "examples": "examples",
    "tags": "tag",
    # The one x- extension that is a spec object: error code names are API surface, their texts are prose.
    "x-error-codes": "object",
}

_SCHEMA_SUBSCHEMAS = (
    "items",
    "additionalItems",
    "prefixItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "contentSchema",
    # AsyncAPI multi-format schema object: {schemaFormat, schema}.
    "schema",
)

_FIELDS: dict[str, dict[str, str]] = {
    "object": {},
    "schema": {
        **dict.fromkeys(_SCHEMA_SUBSCHEMAS, "schema"),
        # draft-07 dependencies: name -> schema or list of names.
        "dependencies": "map:schema",
        # JSON Schema examples are plain values, never example objects.
        "examples": "literal",
        "discriminator": "discriminator",
    },
    "discriminator": {"mapping": "literal"},
    "example": {"value": "literal", "externalValue": "literal", "payload": "literal", "headers": "literal"},
    "server_variable": {},
    "security_scheme": {"flows": "map:oauth_flow"},
    "oauth_flow": {"scopes": "scopes", "availableScopes": "scopes"},
    # OpenAPI 3.x
    "openapi_root": {
        "info": "info",
        "servers": "openapi_server",
        "paths": "map:path_item",
        "webhooks": "map:path_item",
        "components": "openapi_components",
        # Security requirements: scheme name -> scopes.
        "security": "literal",
    },
    "openapi_server": {"variables": "map:server_variable"},
    "path_item": {
        **dict.fromkeys(("get", "put", "post", "delete", "options", "head", "patch", "trace"), "operation"),
        "parameters": "parameter",
        "servers": "openapi_server",
    },
    "operation": {
        "parameters": "parameter",
        "requestBody": "request_body",
        "responses": "map:response",
        "callbacks": "map:map:path_item",
        "security": "literal",
        "servers": "openapi_server",
    },
    "parameter": {"schema": "schema", "content": "map:media_type", "examples": "map:example"},
    "request_body": {"content": "map:media_type"},
    "media_type": {"schema": "schema", "examples": "map:example", "encoding": "map:encoding"},
    "encoding": {"headers": "map:parameter"},
    "response": {"headers": "map:parameter", "content": "map:media_type", "links": "map:link"},
    # Link parameters/requestBody are runtime expressions, not spec objects.
    "link": {"parameters": "literal", "requestBody": "literal", "server": "openapi_server"},
    "openapi_components": {
        "schemas": "map:schema",
        "responses": "map:response",
        "parameters": "map:parameter",
        "examples": "map:example",
        "requestBodies": "map:request_body",
        "headers": "map:parameter",
        "securitySchemes": "map:security_scheme",
        "links": "map:link",
        "callbacks": "map:map:path_item",
        "pathItems": "map:path_item",
    },
    # AsyncAPI 3.x
    "asyncapi_root": {
        "info": "info",
        "servers": "map:asyncapi_server",
        "channels": "map:channel",
        "operations": "map:asyncapi_operation",
        "components": "asyncapi_components",
    },
    "asyncapi_server": {
        "variables": "map:server_variable",
        "security": "security_scheme",
        "bindings": "map:object",
    },
    "channel": {
        "messages": "map:message",
        "parameters": "map:asyncapi_parameter",
        "bindings": "map:object",
    },
    # Channel parameter examples are plain strings.
    "asyncapi_parameter": {"examples": "literal"},
    "asyncapi_operation": {
        "security": "security_scheme",
        "bindings": "map:object",
        "traits": "asyncapi_operation",
    },
    "message": {
        "headers": "schema",
        "payload": "schema",
        "examples": "example",
        "bindings": "map:object",
        "traits": "message",
    },
    "asyncapi_components": {
        "schemas": "map:schema",
        "servers": "map:asyncapi_server",
        "channels": "map:channel",
        "operations": "map:asyncapi_operation",
        "messages": "map:message",
        "securitySchemes": "map:security_scheme",
        "serverVariables": "map:server_variable",
        "parameters": "map:asyncapi_parameter",
        "correlationIds": "map:object",
        "replies": "map:object",
        "replyAddresses": "map:object",
        "tags": "map:tag",
        "operationTraits": "map:asyncapi_operation",
        "messageTraits": "map:message",
        "serverBindings": "map:map:object",
        "channelBindings": "map:map:object",
        "operationBindings": "map:map:object",
        "messageBindings": "map:map:object",
    },
}
# AsyncAPI 2.x: channels are keyed by address and hold publish/subscribe operations, each with a message (or
# {oneOf: [messages]}); server security is a list of requirements, parameters carry a schema.
_FIELDS["asyncapi2_root"] = {
    "info": "info",
    "servers": "map:asyncapi2_server",
    "channels": "map:asyncapi2_channel",
    "components": "asyncapi2_components",
}
_FIELDS["asyncapi2_server"] = {
    "variables": "map:server_variable",
    "security": "literal",
    "bindings": "map:object",
}
_FIELDS["asyncapi2_channel"] = {
    "publish": "asyncapi2_operation",
    "subscribe": "asyncapi2_operation",
    "parameters": "map:asyncapi2_parameter",
    "bindings": "map:object",
    "servers": "literal",
}
_FIELDS["asyncapi2_parameter"] = {"schema": "schema"}
_FIELDS["asyncapi2_operation"] = {
    "message": "asyncapi2_message",
    "security": "literal",
    "bindings": "map:object",
    "traits": "asyncapi2_operation",
}
_FIELDS["asyncapi2_message"] = {
    **_FIELDS["message"],
    "oneOf": "asyncapi2_message",
    "traits": "asyncapi2_message",
}
_FIELDS["asyncapi2_components"] = {
    **_FIELDS["asyncapi_components"],
    "servers": "map:asyncapi2_server",
    "channels": "map:asyncapi2_channel",
    "messages": "map:asyncapi2_message",
    "parameters": "map:asyncapi2_parameter",
    "operationTraits": "map:asyncapi2_operation",
    "messageTraits": "map:asyncapi2_message",
}

# Keys that mark a dict inside a generic `examples` list as an example object rather than an example value.
_EXAMPLE_VALUE_KEYS = frozenset({"payload", "headers", "value", "externalValue"})
_EXAMPLE_KEYS = _EXAMPLE_VALUE_KEYS | {"name", "summary", "description", "title", "$ref"}


def _plain(value: Any) -> Any:
    """Deep copy into plain dicts/lists, so the result shares nothing with the input."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _looks_like_example_object(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value.keys() & _EXAMPLE_VALUE_KEYS)
        and value.keys() <= _EXAMPLE_KEYS
    )


def _convert(value: Any, spec: str) -> Any:
    if spec == "literal":
        return _plain(value)
    if spec == "examples" and isinstance(value, (list, tuple)):
        return _convert_examples_list(value)
    if isinstance(value, (list, tuple)):
        return [_convert(item, spec) for item in value]
    if not isinstance(value, Mapping):
        return value  # scalars are immutable
    if spec.startswith("map:"):
        inner = spec[len("map:") :]
        return {name: _convert(item, inner) for name, item in value.items()}
    if spec == "info":
        return {key: _plain(value[key]) for key in ("title", "version") if key in value}
    if spec == "tag":
        return {key: _plain(value[key]) for key in ("name", "$ref") if key in value}
    if spec == "scopes":
        # OAuth scope names are API surface; their values are descriptions.
        return dict.fromkeys(value, "")
    if spec == "examples":
        # Context did not say which kind of `examples` this is; JSON Schema `examples` is always a list,
        # so a map is OpenAPI's name -> example object.
        return {name: _convert(item, "example") for name, item in value.items()}
    return _object(value, _FIELDS[spec])


def _convert_examples_list(items: list[Any] | tuple[Any, ...]) -> list[Any]:
    # Only reached where the context does not say whether these are example objects or example values.
    return [_convert(item, "example" if _looks_like_example_object(item) else "literal") for item in items]


def _object(node: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _PROSE:
            continue
        spec = fields.get(key) or _UNIVERSAL.get(key)
        if spec is None:
            spec = "literal" if isinstance(key, str) and key.startswith("x-") else "object"
        out[key] = _convert(value, spec)
    return out


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A prose-free copy of an OpenAPI or AsyncAPI document: structure, names and values, no free text."""
    if is_asyncapi_2(doc):
        return _object(doc, _FIELDS["asyncapi2_root"])
    root = "asyncapi_root" if "asyncapi" in doc else "openapi_root"
    return _object(doc, _FIELDS[root])


# --- output ---------------------------------------------------------------------------------------------


class _StableDumper(yaml.SafeDumper):
    """SafeDumper that never emits anchors/aliases: shared subtrees are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# A surviving `description`/`summary` key is a name the API chose (a property called "description"); quoting
# it keeps the pinned file visibly prose-free to a plain `grep '^ *description:'`.
_PROSE_NAMES = frozenset({"description", "summary"})


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if value in _PROSE_NAMES else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_StableDumper.add_representer(str, _represent_str)
# The dumper knows YAML 1.1's implicit types; adding 1.2 core's too makes it quote every string either version
# would read as something else (`yes`, and `1e5` or `0o17`), so the pinned copy reads the same in both.
for _tag, _pattern, _first in CORE_RESOLVERS:
    _StableDumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


# Larger than any line the specs produce, so the emitter never folds a long string.
_YAML_WIDTH = 1 << 30


def dump_yaml(doc: Mapping[str, Any]) -> str:
    """Deterministic YAML text: sorted keys, block style, unicode as is, no wrapping, trailing newline."""
    text: str = yaml.dump(
        _plain(doc),
        Dumper=_StableDumper,
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        width=_YAML_WIDTH,
        line_break="\n",
    )
    return text if text.endswith("\n") else text + "\n"


def _info_field(doc: Mapping[str, Any], field: str, location: str) -> str:
    info = doc.get("info")
    value = info.get(field) if isinstance(info, Mapping) else None
    if value is None or isinstance(value, (Mapping, list)):
        raise SpecError(f"{location}: info.{field} is missing or not a scalar")
    return str(value)


def make_lock(raw: bytes, doc: Mapping[str, Any], location: str, normalized_text: str) -> dict[str, str]:
    """What a pinned spec was made from: upstream identity and hashes of both the raw and pinned text."""
    return {
        "kind": document_kind(doc, location),
        "title": _info_field(doc, "title", location),
        "version": _info_field(doc, "version", location),
        "source": location,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "normalized_sha256": hashlib.sha256(normalized_text.encode("utf-8")).hexdigest(),
    }


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory, so readers never see a half-written file."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the pinned files are ordinary project files
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Pinned:
    """What `make specs` wrote for one spec: its lock, and notes on what needed special reading."""

    lock: dict[str, str]
    notes: tuple[str, ...] = ()


def _version_notes(doc: Mapping[str, Any]) -> tuple[str, ...]:
    if is_asyncapi_2(doc):
        return (f"#/asyncapi: an AsyncAPI {doc['asyncapi']} document, normalized as AsyncAPI 2.x",)
    return ()


def pin(source: str, kind: str, out_dir: Path) -> Pinned:
    """Fetch, check, normalize and write out_dir/<spec file> plus out_dir/spec.lock; the lock and notes."""
    location = upstream_location(source, kind)
    raw = read_upstream(location)
    doc, notes = parse_document_with_notes(raw, location)
    found = document_kind(doc, location)
    if found != kind:
        raise SpecError(
            f"{location}: expected an {_KIND_LABELS[kind]} document, found an {_KIND_LABELS[found]} document"
        )
    text = dump_yaml(normalize(doc))
    lock = make_lock(raw, doc, location, text)
    # Everything is validated before the first write, so a failure leaves out_dir untouched.
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / SPEC_FILES[kind], text.encode("utf-8"))
    lock_text = json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    _write_atomic(out_dir / LOCK_FILE, lock_text.encode("utf-8"))
    return Pinned(lock=lock, notes=_version_notes(doc) + notes)


def write_pinned(source: str, kind: str, out_dir: Path) -> dict[str, str]:
    """`pin`, for callers that only need the lock."""
    return pin(source, kind, out_dir).lock


def read_lock(path: Path) -> dict[str, str]:
    """Load a spec.lock written by write_pinned; a missing or malformed lock is a SpecError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(value, str) for value in data.values()):
        raise SpecError(f"{path}: expected a JSON object of strings")
    missing = [key for key in _LOCK_KEYS if key not in data]
    if missing:
        raise SpecError(f"{path}: missing lock fields {missing}")
    return {str(key): value for key, value in data.items()}
