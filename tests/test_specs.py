"""Tests for codegen/spec.py: pinning prose-free copies of Kalshi's OpenAPI and AsyncAPI specs."""

from __future__ import annotations

import copy
import hashlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.families import FAMILIES, Family
from codegen.spec import (
    DEFAULT_URL_BASE,
    SPEC_FILES,
    SpecError,
    default_source,
    document_kind,
    dump_yaml,
    make_lock,
    normalize,
    parse_document,
    read_lock,
    read_upstream,
    upstream_location,
    write_pinned,
)

SPECS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "specs"
needs_specs = pytest.mark.skipif(
    not SPECS_DIR.is_dir(), reason=f"upstream specs not present at {SPECS_DIR} (shared/ beside the checkout)"
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROSE_KEYS = {"description", "summary", "x-mint"}

# Keys whose dict value maps API-chosen names to spec objects (used only by this test's own walker).
NAME_MAP_KEYS = {
    "properties",
    "patternProperties",
    "paths",
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "headers",
    "examples",
    "links",
    "callbacks",
    "securitySchemes",
    "content",
    "channels",
    "messages",
    "operations",
    "servers",
    "variables",
    "$defs",
    "definitions",
    "bindings",
}
# Keys whose values are data, not spec objects, so their contents may say anything.
LITERAL_KEYS = {"example", "default", "enum", "const", "required", "payload", "value", "security"}


def _load(name: str) -> dict[str, Any]:
    location = str(SPECS_DIR / name)
    return parse_document(read_upstream(location), location)


@pytest.fixture(scope="module")
def upstream() -> dict[str, dict[str, Any]]:
    return {kind: _load(file) for kind, file in SPEC_FILES.items()}


@pytest.fixture(scope="module")
def normalized(upstream: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {kind: normalize(doc) for kind, doc in upstream.items()}


def _prose_keys_at(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of prose keys found where a spec object (not a name map or a literal) has them."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _prose_keys_at(item, (*path, str(index)))
        return
    if not isinstance(node, dict):
        return
    for key in sorted(PROSE_KEYS & node.keys()):
        yield (*path, key)
    for key, value in node.items():
        if key in LITERAL_KEYS:
            continue
        if key in NAME_MAP_KEYS and isinstance(value, dict):
            for name, child in value.items():
                yield from _prose_keys_at(child, (*path, key, name))
        elif key == "examples" and isinstance(value, list):
            # Message example objects are checked; plain JSON Schema example values are data.
            for index, item in enumerate(value):
                if isinstance(item, dict) and {"payload", "headers", "value"} & item.keys():
                    yield from _prose_keys_at(item, (*path, key, str(index)))
        else:
            yield from _prose_keys_at(value, (*path, key))


def _collect(node: Any, wanted: str, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every value under a key named `wanted`, by path (a plain walk: both sides are walked the same way)."""
    found: dict[tuple[str, ...], Any] = {}
    items: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = [(str(index), item) for index, item in enumerate(node)]
    for key, value in items:
        here = (*path, key)
        if key == wanted and isinstance(node, dict):
            found[here] = value
        found.update(_collect(value, wanted, here))
    return found


def _operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (path, method) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS
    ]


def _param_id(param: dict[str, Any]) -> tuple[Any, ...]:
    return (param.get("name"), param.get("in"), param.get("required"), param.get("schema"), param.get("$ref"))


def _assert_keys_sorted(node: Any) -> None:
    if isinstance(node, dict):
        assert list(node) == sorted(node)
        for value in node.values():
            _assert_keys_sorted(value)
    elif isinstance(node, list):
        for item in node:
            _assert_keys_sorted(item)


# --- the real upstream specs -----------------------------------------------------------------------------


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_no_prose_keys_left(normalized: dict[str, dict[str, Any]], kind: str) -> None:
    assert list(_prose_keys_at(normalized[kind])) == []


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_upstream_has_prose_the_walker_would_find(upstream: dict[str, dict[str, Any]], kind: str) -> None:
    # Guards the check above against a walker that finds nothing at all.
    assert len(list(_prose_keys_at(upstream[kind]))) > 50


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_no_upstream_description_text_survives(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]], kind: str
) -> None:
    prose = {
        value
        for path, value in _collect(upstream[kind], "description").items()
        if isinstance(value, str) and len(value) >= 40 and "properties" not in path[-2:-1]
    }
    assert prose
    text = dump_yaml(normalized[kind])
    assert [p for p in prose if p.strip() in text] == []


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_info_keeps_only_title_and_version(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]], kind: str
) -> None:
    info = upstream[kind]["info"]
    assert normalized[kind]["info"] == {"title": info["title"], "version": info["version"]}


@needs_specs
def test_openapi_structure_is_kept(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]]
) -> None:
    up, out = upstream["openapi"], normalized["openapi"]
    assert list(out["paths"]) == list(up["paths"])
    assert _operations(out) == _operations(up) and _operations(up)
    assert list(out["components"]["schemas"]) == list(up["components"]["schemas"])
    for section in ("parameters", "responses", "securitySchemes"):
        assert list(out["components"][section]) == list(up["components"][section])
    for path, method in _operations(up):
        up_op, out_op = up["paths"][path][method], out["paths"][path][method]
        assert out_op["operationId"] == up_op["operationId"]
        assert [_param_id(p) for p in out_op.get("parameters", [])] == [
            _param_id(p) for p in up_op.get("parameters", [])
        ]
        assert list(out_op["responses"]) == list(up_op["responses"])
    assert [tag["name"] for tag in out["tags"]] == [tag["name"] for tag in up["tags"]]
    assert all(set(tag) == {"name"} for tag in out["tags"])
    assert out["servers"] == [{"url": server["url"]} for server in up["servers"]]


@needs_specs
def test_asyncapi_structure_is_kept(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]]
) -> None:
    up, out = upstream["asyncapi"], normalized["asyncapi"]
    assert list(out["channels"]) == list(up["channels"])
    assert len(out["channels"]) == 14
    assert list(out["components"]["messages"]) == list(up["components"]["messages"])
    assert len(out["components"]["messages"]) == 39
    assert list(out["operations"]) == list(up["operations"])
    assert len(out["operations"]) == 39
    assert list(out["components"]["schemas"]) == list(up["components"]["schemas"])
    for name, channel in up["channels"].items():
        assert out["channels"][name]["address"] == channel["address"]
        assert list(out["channels"][name].get("messages", {})) == list(channel.get("messages", {}))
    for name, message in up["components"]["messages"].items():
        kept = out["components"]["messages"][name]
        assert kept["name"] == message["name"]  # the wire type is an identifier, not prose
        assert [e["payload"] for e in kept["examples"]] == [e["payload"] for e in message["examples"]]
        assert [e.get("name") for e in kept["examples"]] == [e.get("name") for e in message["examples"]]
    for name, operation in up["operations"].items():
        assert out["operations"][name]["action"] == operation["action"]
        assert out["operations"][name]["messages"] == operation["messages"]
    codes = out["x-error-codes"]
    assert set(codes) == {"codes"}
    assert codes["codes"] == [{"code": c["code"], "name": c["name"]} for c in up["x-error-codes"]["codes"]]


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_property_names_unchanged(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]], kind: str
) -> None:
    def names(doc: dict[str, Any]) -> dict[tuple[str, ...], Any]:
        return {
            path: sorted(v) if isinstance(v, dict) else v for path, v in _collect(doc, "properties").items()
        }

    before = names(upstream[kind])
    assert len(before) > 30
    assert names(normalized[kind]) == before


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
@pytest.mark.parametrize("key", ["enum", "example", "examples", "default", "required", "const", "format"])
def test_literal_values_unchanged(
    upstream: dict[str, dict[str, Any]], normalized: dict[str, dict[str, Any]], kind: str, key: str
) -> None:
    before = _collect(upstream[kind], key)
    after = _collect(normalized[kind], key)
    if key == "examples":
        # Example *objects* lose their summaries; everything else under `examples` is data and kept.
        def strip(value: Any) -> Any:
            if isinstance(value, list):
                return [
                    {k: v for k, v in item.items() if k not in {"summary", "description", "title"}}
                    if isinstance(item, dict) and "payload" in item
                    else item
                    for item in value
                ]
            return value

        before = {path: strip(value) for path, value in before.items()}
    assert after == before


@needs_specs
def test_market_title_property_survives(normalized: dict[str, dict[str, Any]]) -> None:
    market = normalized["openapi"]["components"]["schemas"]["Market"]
    assert "title" in market["properties"]
    assert "title" not in market


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_normalize_does_not_mutate_input(upstream: dict[str, dict[str, Any]], kind: str) -> None:
    doc = copy.deepcopy(upstream[kind])
    normalize(doc)
    assert doc == upstream[kind]


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_dump_is_byte_stable(upstream: dict[str, dict[str, Any]], kind: str) -> None:
    first = dump_yaml(normalize(upstream[kind]))
    second = dump_yaml(normalize(_load(SPEC_FILES[kind])))
    assert first == second
    reparsed = yaml.safe_load(first)
    assert reparsed == normalize(upstream[kind])
    assert dump_yaml(reparsed) == first
    assert dump_yaml(normalize(reparsed)) == first  # normalizing is idempotent
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert "&id" not in first and "*id" not in first
    _assert_keys_sorted(reparsed)


@needs_specs
@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_write_pinned_writes_spec_and_lock(tmp_path: Path, kind: str) -> None:
    upstream_file = SPECS_DIR / SPEC_FILES[kind]
    raw = upstream_file.read_bytes()
    info = yaml.safe_load(raw)["info"]

    lock = write_pinned(str(SPECS_DIR), kind, tmp_path / "out")

    written = (tmp_path / "out" / SPEC_FILES[kind]).read_bytes()
    assert lock == {
        "kind": kind,
        "title": info["title"],
        "version": info["version"],
        "source": str(upstream_file),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "normalized_sha256": hashlib.sha256(written).hexdigest(),
    }
    assert yaml.safe_load(written) == normalize(parse_document(raw, str(upstream_file)))
    lock_text = (tmp_path / "out" / "spec.lock").read_text(encoding="utf-8")
    assert lock_text == json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert read_lock(tmp_path / "out" / "spec.lock") == lock
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([SPEC_FILES[kind], "spec.lock"])

    # A second run is byte-identical (no timestamps or ordering noise).
    write_pinned(str(upstream_file), kind, tmp_path / "out")
    assert (tmp_path / "out" / SPEC_FILES[kind]).read_bytes() == written
    assert (tmp_path / "out" / "spec.lock").read_text(encoding="utf-8") == lock_text


@needs_specs
def test_versions_match_readme(upstream: dict[str, dict[str, Any]]) -> None:
    assert upstream["openapi"]["openapi"] == "3.0.0"
    assert upstream["openapi"]["info"]["version"] == "3.22.0"
    assert upstream["asyncapi"]["asyncapi"] == "3.0.0"


@needs_specs
def test_wrong_kind_is_rejected_and_nothing_written(tmp_path: Path) -> None:
    openapi_file = str(SPECS_DIR / "openapi.yaml")
    out = tmp_path / "out"
    with pytest.raises(SpecError) as excinfo:
        write_pinned(openapi_file, "asyncapi", out)
    assert openapi_file in str(excinfo.value)
    assert "expected an AsyncAPI 2.x/3.x document, found an OpenAPI 3.x document" in str(excinfo.value)
    assert not out.exists()


OTHER_SPECS = [
    ("history/openapi-3.13.0.yaml", "openapi"),
    ("history/openapi-3.22.0-20260622.yaml", "openapi"),
    ("history/asyncapi-20260428.yaml", "asyncapi"),
    ("perps/openapi.yaml", "openapi"),
    ("perps/asyncapi.yaml", "asyncapi"),
]


@needs_specs
@pytest.mark.parametrize(("name", "kind"), OTHER_SPECS)
def test_other_specs_normalize(tmp_path: Path, name: str, kind: str) -> None:
    doc = _load(name)
    assert document_kind(doc, name) == kind
    out = normalize(doc)
    assert list(_prose_keys_at(out)) == []
    assert {p: sorted(v) for p, v in _collect(out, "properties").items()} == {
        p: sorted(v) for p, v in _collect(doc, "properties").items()
    }
    text = dump_yaml(out)
    assert yaml.safe_load(text) == out
    lock = write_pinned(str(SPECS_DIR / name), kind, tmp_path)
    assert lock["version"] == str(doc["info"]["version"])


# --- rejection ---------------------------------------------------------------------------------------------

BAD_FILES = {
    "swagger.yaml": b'swagger: "2.0"\ninfo: {title: Old, version: "1"}\npaths: {}\n',
    "asyncapi12.yaml": b"asyncapi: 1.2.0\ninfo: {title: Old, version: '1'}\nchannels: {}\n",
    "asyncapi27.yaml": b"asyncapi: 2.7.0\ninfo: {title: Not yet, version: '1'}\nchannels: {}\n",
    "openapi-float.yaml": b"openapi: 3.0\ninfo: {title: T, version: '1'}\npaths: {}\n",
    "list.yaml": b"- openapi: 3.0.0\n- info: {}\n",
    "garbage.yaml": b"\x00\xff\xfe{{{ not: [yaml\n\t:::",
    "unclosed.json": b'{"openapi": "3.0.0", "info": {',
    "scalar.yaml": b"just some words\n",
    "empty.yaml": b"",
    "random.yaml": b"name: not a spec\nitems: [1, 2]\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_documents_are_rejected_naming_the_file(tmp_path: Path, name: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    with pytest.raises(SpecError) as excinfo:
        document_kind(parse_document(read_upstream(str(bad)), str(bad)), str(bad))
    assert str(bad) in str(excinfo.value)

    out = tmp_path / "out"
    with pytest.raises(SpecError) as excinfo:
        write_pinned(str(bad), "openapi", out)
    assert str(bad) in str(excinfo.value)
    assert not out.exists()


def test_rejection_messages_say_what_was_found(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError,
        match=r"not an OpenAPI 3\.x or AsyncAPI 3\.x document, nor AsyncAPI 2\.0-2\.6 "
        r"\(found swagger: '2\.0'\)",
    ):
        document_kind({"swagger": "2.0"}, "x.yaml")
    with pytest.raises(SpecError, match=r"^y\.yaml: .*\(found asyncapi: '1\.2\.0'\)"):
        document_kind({"asyncapi": "1.2.0"}, "y.yaml")
    with pytest.raises(SpecError, match=r"\(found openapi: '2\.0'\)"):
        document_kind({"openapi": "2.0"}, "z.yaml")
    with pytest.raises(SpecError, match="no openapi/asyncapi version field"):
        document_kind({"info": {}}, "w.yaml")
    with pytest.raises(SpecError, match=r"^u\.yaml: declares both openapi and asyncapi"):
        document_kind({"openapi": "3.0.0", "asyncapi": "3.0.0"}, "u.yaml")
    assert document_kind({"openapi": "3.1.0"}, "v.yaml") == "openapi"
    assert document_kind({"asyncapi": "3.0.0"}, "v.yaml") == "asyncapi"
    assert document_kind({"asyncapi": "2.6.0"}, "v.yaml") == "asyncapi"
    assert document_kind({"asyncapi": "2.0.0"}, "v.yaml") == "asyncapi"


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "openapi.yaml"
    with pytest.raises(SpecError) as excinfo:
        read_upstream(str(missing))
    assert str(missing) in str(excinfo.value)
    out = tmp_path / "out"
    with pytest.raises(SpecError) as excinfo:
        write_pinned(str(tmp_path / "nope"), "openapi", out)
    assert str(missing) in str(excinfo.value)
    assert not out.exists()


def test_directory_and_unknown_scheme_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=re.escape(str(tmp_path))):
        read_upstream(str(tmp_path))
    with pytest.raises(SpecError, match=re.escape("ftp://example.invalid/openapi.yaml")):
        read_upstream("ftp://example.invalid/openapi.yaml")


def test_wrong_kind_in_the_other_direction(tmp_path: Path) -> None:
    spec_file = tmp_path / "asyncapi.yaml"
    spec_file.write_text("asyncapi: 3.0.0\ninfo: {title: WS, version: '1'}\n", encoding="utf-8")
    with pytest.raises(
        SpecError, match=r"expected an OpenAPI 3\.x document, found an AsyncAPI 2\.x/3\.x document"
    ):
        write_pinned(str(spec_file), "openapi", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(SpecError, match="src"):
        upstream_location("src", "graphql")


def test_non_string_keys(tmp_path: Path) -> None:
    # Unquoted status codes parse as ints; they are names and come back as strings.
    doc = parse_document(
        b"openapi: 3.0.0\npaths: {/x: {get: {responses: {200: {description: ok}}}}}\n", "a.yaml"
    )
    assert list(doc["paths"]["/x"]["get"]["responses"]) == ["200"]
    with pytest.raises(SpecError, match=r"b\.yaml: non-string key True at /paths"):
        parse_document(b"openapi: 3.0.0\npaths: {true: 1}\n", "b.yaml")
    # YAML 1.2: `yes` is a name like any other (tests/test_spec_quirks.py has the rest).
    assert parse_document(b"openapi: 3.0.0\npaths: {yes: 1}\n", "c.yaml")["paths"] == {"yes": 1}


def test_lock_errors_name_the_file(tmp_path: Path) -> None:
    lock = tmp_path / "spec.lock"
    with pytest.raises(SpecError, match=re.escape(str(lock))):
        read_lock(lock)
    lock.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(str(lock))):
        read_lock(lock)
    lock.write_text('{"kind": "openapi"}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"missing lock fields"):
        read_lock(lock)
    with pytest.raises(SpecError, match=r"c\.yaml: info\.title"):
        make_lock(b"", {"openapi": "3.0.0", "info": {"version": "1"}}, "c.yaml", "")


# --- locations ----------------------------------------------------------------------------------------------


def test_upstream_location_forms() -> None:
    assert upstream_location("https://docs.kalshi.com", "openapi") == "https://docs.kalshi.com/openapi.yaml"
    assert (
        upstream_location("https://docs.kalshi.com/", "asyncapi") == "https://docs.kalshi.com/asyncapi.yaml"
    )
    assert upstream_location("http://h/x/perps_openapi.yaml", "openapi") == "http://h/x/perps_openapi.yaml"
    assert upstream_location("https://h/spec.json?v=2", "openapi") == "https://h/spec.json?v=2"
    assert upstream_location("/some/dir", "openapi") == "/some/dir/openapi.yaml"
    assert upstream_location("specs", "asyncapi") == str(Path("specs") / "asyncapi.yaml")
    assert upstream_location("/a/b/other.YML", "asyncapi") == "/a/b/other.YML"


@pytest.fixture
def local_http(tmp_path: Path) -> Iterator[str]:
    """A loopback-only HTTP server for tmp_path, so URL reading is tested without the internet."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_url_source(tmp_path: Path, local_http: str) -> None:
    (tmp_path / "asyncapi.yaml").write_text(json.dumps(TRICKY_ASYNCAPI), encoding="utf-8")
    lock = write_pinned(local_http + "/", "asyncapi", tmp_path / "out")
    assert lock["source"] == f"{local_http}/asyncapi.yaml"
    assert yaml.safe_load((tmp_path / "out" / "asyncapi.yaml").read_bytes()) == TRICKY_ASYNCAPI_EXPECTED
    missing = f"{local_http}/openapi.yaml"
    with pytest.raises(SpecError, match=re.escape(f"{missing}: HTTP 404")):
        write_pinned(local_http, "openapi", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_default_source(tmp_path: Path) -> None:
    root = tmp_path / "main"
    root.mkdir()
    assert default_source(root) == DEFAULT_URL_BASE
    (tmp_path / "shared" / "specs").mkdir(parents=True)
    assert default_source(root) == "../shared/specs"


# --- hand-written specs covering the tricky contexts -------------------------------------------------------

TRICKY_OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Tricky",
        "version": "1.2.3",
        "description": "prose",
        "contact": {"name": "prose"},
        "license": {"name": "MIT"},
        "termsOfService": "https://example.invalid/tos",
    },
    "servers": [
        {
            "url": "https://api.example.invalid/{env}",
            "description": "prose",
            "variables": {"env": {"default": "prod", "enum": ["prod", "demo"], "description": "prose"}},
        }
    ],
    "tags": [{"name": "markets", "description": "prose", "externalDocs": {"url": "https://example.invalid"}}],
    "paths": {
        "/things/{id}": {
            "summary": "prose",
            "description": "prose",
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "prose",
                    "schema": {"type": "string", "example": "T-1"},
                }
            ],
            "get": {
                "operationId": "GetThing",
                "summary": "prose",
                "description": "prose",
                "tags": ["markets"],
                "x-mint": {"content": "<Note>prose</Note>"},
                "externalDocs": {"url": "https://example.invalid", "description": "prose"},
                "deprecated": True,
                "parameters": [
                    {
                        "name": "description",
                        "in": "query",
                        "description": "prose",
                        "schema": {
                            "type": "string",
                            "enum": ["description", "summary"],
                            "default": "summary",
                        },
                        "examples": {"short": {"summary": "prose", "value": "description"}},
                        "x-go-type-skip-optional-pointer": True,
                    }
                ],
                "responses": {
                    "200": {
                        "description": "prose",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Thing"},
                                "examples": {
                                    "one": {
                                        "summary": "prose",
                                        "description": "prose",
                                        "value": {"title": "data", "description": "data"},
                                    }
                                },
                            }
                        },
                    },
                    "default": {"$ref": "#/components/responses/Error"},
                },
                "security": [{"description": []}],
            },
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "title": "prose",
                "description": "prose",
                "required": ["title", "description"],
                "properties": {
                    "title": {"type": "string", "description": "prose", "example": "Will it rain?"},
                    "description": {"type": "string", "title": "prose", "nullable": True},
                    "summary": {
                        "type": "object",
                        "description": "prose",
                        "properties": {"summary": {"type": "integer", "description": "prose"}},
                        "additionalProperties": {"type": "string", "description": "prose"},
                    },
                    "status": {
                        "type": "string",
                        "enum": ["open", "description"],
                        "default": "open",
                        "x-enum-varnames": ["StatusOpen", "StatusDescription"],
                    },
                    "shape": {
                        "enum": [{"description": "data"}, None],
                        "const": {"title": "data"},
                        "default": {"summary": "data"},
                        "example": {"x-mint": "data"},
                    },
                    "labels": {
                        "type": "array",
                        "items": {"type": "string", "description": "prose"},
                        "examples": [["a", "b"], {"summary": "data", "value": 1}],
                    },
                },
                "allOf": [{"$ref": "#/components/schemas/description", "description": "prose"}],
                "discriminator": {
                    "propertyName": "status",
                    "mapping": {"description": "#/components/schemas/x"},
                },
                "externalDocs": {"url": "https://example.invalid"},
                "x-oapi-codegen-extra-tags": {"validate": "required", "description": "data"},
            },
            "description": {"type": "string", "description": "prose"},
        },
        "parameters": {
            "summary": {
                "name": "summary",
                "in": "query",
                "description": "prose",
                "schema": {"type": "boolean", "default": False},
            }
        },
        "responses": {
            "Error": {
                "description": "prose",
                "headers": {"description": {"description": "prose", "schema": {"type": "integer"}}},
            }
        },
        "examples": {"description": {"summary": "prose", "value": {"summary": "data"}}},
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "KALSHI-ACCESS-KEY", "description": "prose"},
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "https://example.invalid/token",
                        "scopes": {"read": "prose"},
                    }
                },
            },
        },
    },
}

TRICKY_OPENAPI_EXPECTED: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Tricky", "version": "1.2.3"},
    "servers": [
        {
            "url": "https://api.example.invalid/{env}",
            "variables": {"env": {"default": "prod", "enum": ["prod", "demo"]}},
        }
    ],
    "tags": [{"name": "markets"}],
    "paths": {
        "/things/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "example": "T-1"}}
            ],
            "get": {
                "operationId": "GetThing",
                "tags": ["markets"],
                "deprecated": True,
                "parameters": [
                    {
                        "name": "description",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["description", "summary"],
                            "default": "summary",
                        },
                        "examples": {"short": {"value": "description"}},
                        "x-go-type-skip-optional-pointer": True,
                    }
                ],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Thing"},
                                "examples": {"one": {"value": {"title": "data", "description": "data"}}},
                            }
                        }
                    },
                    "default": {"$ref": "#/components/responses/Error"},
                },
                "security": [{"description": []}],
            },
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["title", "description"],
                "properties": {
                    "title": {"type": "string", "example": "Will it rain?"},
                    "description": {"type": "string", "nullable": True},
                    "summary": {
                        "type": "object",
                        "properties": {"summary": {"type": "integer"}},
                        "additionalProperties": {"type": "string"},
                    },
                    "status": {
                        "type": "string",
                        "enum": ["open", "description"],
                        "default": "open",
                        "x-enum-varnames": ["StatusOpen", "StatusDescription"],
                    },
                    "shape": {
                        "enum": [{"description": "data"}, None],
                        "const": {"title": "data"},
                        "default": {"summary": "data"},
                        "example": {"x-mint": "data"},
                    },
                    "labels": {
                        "type": "array",
                        "items": {"type": "string"},
                        "examples": [["a", "b"], {"summary": "data", "value": 1}],
                    },
                },
                "allOf": [{"$ref": "#/components/schemas/description"}],
                "discriminator": {
                    "propertyName": "status",
                    "mapping": {"description": "#/components/schemas/x"},
                },
                "x-oapi-codegen-extra-tags": {"validate": "required", "description": "data"},
            },
            "description": {"type": "string"},
        },
        "parameters": {
            "summary": {"name": "summary", "in": "query", "schema": {"type": "boolean", "default": False}}
        },
        "responses": {"Error": {"headers": {"description": {"schema": {"type": "integer"}}}}},
        "examples": {"description": {"value": {"summary": "data"}}},
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "KALSHI-ACCESS-KEY"},
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": "https://example.invalid/token", "scopes": {"read": ""}}
                },
            },
        },
    },
}

TRICKY_ASYNCAPI: dict[str, Any] = {
    "asyncapi": "3.0.0",
    "info": {
        "title": "WS",
        "version": "2.0.0",
        "description": "prose",
        "tags": [{"name": "market-data", "description": "prose"}],
        "license": {"name": "prose"},
    },
    "defaultContentType": "application/json",
    "servers": {
        "production": {
            "host": "ws.example.invalid",
            "protocol": "wss",
            "pathname": "/ws",
            "title": "prose",
            "summary": "prose",
            "description": "prose",
            "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
            "bindings": {"ws": {"bindingVersion": "0.1.0"}},
        }
    },
    "channels": {
        "description": {
            "address": "description",
            "title": "prose",
            "description": "prose",
            "bindings": {
                "ws": {
                    "method": "GET",
                    "query": {
                        "type": "object",
                        "description": "prose",
                        "properties": {"summary": {"type": "string"}},
                    },
                }
            },
            "messages": {"summary": {"$ref": "#/components/messages/summary"}},
            "parameters": {"id": {"description": "prose", "examples": ["a b c"], "enum": ["a b c", "x"]}},
        }
    },
    "operations": {
        "receiveSummary": {
            "action": "receive",
            "title": "prose",
            "summary": "prose",
            "description": "prose",
            "channel": {"$ref": "#/channels/description"},
            "messages": [{"$ref": "#/channels/description/messages/summary"}],
            "tags": [{"name": "market-data", "description": "prose"}],
        }
    },
    "components": {
        "messages": {
            "summary": {
                "name": "summary",
                "title": "prose",
                "summary": "prose",
                "description": "prose",
                "contentType": "application/json",
                "payload": {"$ref": "#/components/schemas/summaryPayload"},
                "headers": {
                    "type": "object",
                    "properties": {"description": {"type": "string", "description": "prose"}},
                },
                "examples": [
                    {
                        "name": "one",
                        "summary": "prose",
                        "payload": {"type": "summary", "msg": {"description": "data", "title": "data"}},
                    },
                    {"name": "two", "headers": {"description": "data"}, "payload": ""},
                ],
            }
        },
        "schemas": {
            "summaryPayload": {
                "type": "object",
                "title": "prose",
                "description": "prose",
                "required": ["description"],
                "properties": {
                    "description": {"type": "string", "description": "prose", "examples": ["data"]},
                    "type": {"const": "summary", "description": "prose"},
                },
            }
        },
        "securitySchemes": {"apiKey": {"type": "apiKey", "in": "user", "description": "prose"}},
    },
    "x-error-codes": {
        "title": "prose",
        "description": "prose",
        "codes": [
            {"code": 1, "name": "Unable to process message", "description": "prose"},
            {"code": 27, "name": "Too many requests"},
        ],
    },
}

TRICKY_ASYNCAPI_EXPECTED: dict[str, Any] = {
    "asyncapi": "3.0.0",
    "info": {"title": "WS", "version": "2.0.0"},
    "defaultContentType": "application/json",
    "servers": {
        "production": {
            "host": "ws.example.invalid",
            "protocol": "wss",
            "pathname": "/ws",
            "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
            "bindings": {"ws": {"bindingVersion": "0.1.0"}},
        }
    },
    "channels": {
        "description": {
            "address": "description",
            "bindings": {
                "ws": {
                    "method": "GET",
                    "query": {"type": "object", "properties": {"summary": {"type": "string"}}},
                }
            },
            "messages": {"summary": {"$ref": "#/components/messages/summary"}},
            "parameters": {"id": {"examples": ["a b c"], "enum": ["a b c", "x"]}},
        }
    },
    "operations": {
        "receiveSummary": {
            "action": "receive",
            "channel": {"$ref": "#/channels/description"},
            "messages": [{"$ref": "#/channels/description/messages/summary"}],
            "tags": [{"name": "market-data"}],
        }
    },
    "components": {
        "messages": {
            "summary": {
                "name": "summary",
                "contentType": "application/json",
                "payload": {"$ref": "#/components/schemas/summaryPayload"},
                "headers": {"type": "object", "properties": {"description": {"type": "string"}}},
                "examples": [
                    {
                        "name": "one",
                        "payload": {"type": "summary", "msg": {"description": "data", "title": "data"}},
                    },
                    {"name": "two", "headers": {"description": "data"}, "payload": ""},
                ],
            }
        },
        "schemas": {
            "summaryPayload": {
                "type": "object",
                "required": ["description"],
                "properties": {
                    "description": {"type": "string", "examples": ["data"]},
                    "type": {"const": "summary"},
                },
            }
        },
        "securitySchemes": {"apiKey": {"type": "apiKey", "in": "user"}},
    },
    "x-error-codes": {
        "codes": [
            {"code": 1, "name": "Unable to process message"},
            {"code": 27, "name": "Too many requests"},
        ]
    },
}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [(TRICKY_OPENAPI, TRICKY_OPENAPI_EXPECTED), (TRICKY_ASYNCAPI, TRICKY_ASYNCAPI_EXPECTED)],
    ids=["openapi", "asyncapi"],
)
def test_tricky_contexts(doc: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    out = normalize(doc)
    assert out == expected
    assert doc == before  # pure: the input is untouched
    text = dump_yaml(out)
    assert "prose" not in text
    assert yaml.safe_load(text) == expected
    assert dump_yaml(yaml.safe_load(text)) == text


def test_tricky_spec_through_write_pinned(tmp_path: Path) -> None:
    src = tmp_path / "upstream.json"
    raw = json.dumps(TRICKY_ASYNCAPI).encode("utf-8")
    src.write_bytes(raw)
    lock = write_pinned(str(src), "asyncapi", tmp_path / "asyncapi")
    assert lock["kind"] == "asyncapi"
    assert lock["title"] == "WS"
    assert lock["source"] == str(src)
    assert lock["sha256"] == hashlib.sha256(raw).hexdigest()
    assert yaml.safe_load((tmp_path / "asyncapi" / "asyncapi.yaml").read_bytes()) == TRICKY_ASYNCAPI_EXPECTED


def test_dump_yaml_is_plain_and_sorted() -> None:
    shared = {"b": 1, "a": "Â¢ é"}
    text = dump_yaml({"z": shared, "y": shared, "long": "word " * 100})
    assert "&" not in text and "*" not in text  # no anchors/aliases for the shared dict
    assert text.splitlines()[0].startswith("long: ")
    assert len(text.splitlines()) == 7  # the 500-character string stays on one line
    assert "Â¢ é" in text
    assert text.endswith("\n")


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
@pytest.mark.parametrize("kind", ["openapi", "asyncapi"])
def test_committed_pinned_spec_is_the_normalized_upstream(kind: str, family: Family) -> None:
    """What the generator reads is exactly `make specs` of the upstream the lock names, with no prose left:
    each family's pins (the perps ones under openapi/perps/ and asyncapi/perps/) with their own lock."""
    if not SPECS_DIR.is_dir():
        pytest.skip("../shared/specs is not beside this checkout")
    project = Path(__file__).resolve().parents[1]
    pinned = family.pinned(project, kind)
    lock = read_lock(family.pinned_dir(project, kind) / "spec.lock")
    upstream_path = Path(family.source(str(SPECS_DIR))) / SPEC_FILES[kind]
    upstream = upstream_path.read_bytes()
    assert lock["sha256"] == hashlib.sha256(upstream).hexdigest()
    assert lock["source"] == family.source("../shared/specs") + f"/{SPEC_FILES[kind]}"
    text = pinned.read_text(encoding="utf-8")
    assert lock["normalized_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert text == dump_yaml(normalize(parse_document(upstream, str(pinned))))
    assert not re.search(r"^\s*(description|summary):", text, flags=re.MULTILINE)
