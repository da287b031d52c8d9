"""Quirks of real Kalshi specs that loading survives, loudly: each is read faithfully with a regen note naming
its pointer, or refused when it cannot be generated correctly (issue 13, part 3).

Synthetic documents only, except the last section, which reads every real spec in ../shared/specs (skipped
when absent) and the project's own prose-free pinned AsyncAPI copy.
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.ir import (
    AsyncAPIDocument,
    ChannelOperation,
    Constraints,
    Discriminator,
    IRError,
    OpenAPIDocument,
    Schema,
    WsServer,
)
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.spec import (
    SPEC_FILES,
    document_kind,
    dump_yaml,
    normalize,
    parse_document,
    parse_document_with_notes,
    pin,
)
from codegen.yaml12 import SpecLoader

ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = ROOT.parent / "shared" / "specs"
S = "#/components/schemas/S"


def oas(**schemas: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


def load(**schemas: Any) -> OpenAPIDocument:
    return load_openapi(oas(**schemas))


def refused(location: str, problem: str, **schemas: Any) -> None:
    with pytest.raises(IRError) as info:
        load(**schemas)
    assert info.value.location == location
    assert problem in info.value.problem, info.value.problem


# --- YAML 1.2 -----------------------------------------------------------------------------------------


def test_yaml_11_booleans_are_strings_and_only_true_false_are_booleans() -> None:
    doc = parse_document(
        b"openapi: 3.0.0\n"
        b"names: {yes: 1, no: 2, on: 3, off: 4, y: 5, n: 6, Yes: 7, NO: 8, ON: 9}\n"
        b"values: [yes, No, on, OFF, y, N, true, True, TRUE, false, False, FALSE]\n",
        "x.yaml",
    )
    assert list(doc["names"]) == ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "ON"]
    assert doc["values"] == ["yes", "No", "on", "OFF", "y", "N", True, True, True, False, False, False]


def test_yaml_12_core_numbers_nulls_and_no_dates() -> None:
    doc = parse_document(
        b"openapi: 3.0.0\n"
        b"sexagesimal: 1:20\nleading_zero: 010\noctal: 0o17\nhex: 0x1F\nunderscore: 1_000\n"
        b"exponent: 1e5\nsigned_exponent: 1.5e-3\nnegative: -12\n"
        b"date: 2026-03-06\ntime: 2026-03-06T10:00:00Z\n"
        b"inf: -.inf\ntilde: ~\nempty:\nequals: =\n",
        "x.yaml",
    )
    assert doc["sexagesimal"] == "1:20"
    assert (doc["leading_zero"], doc["octal"], doc["hex"], doc["negative"]) == (10, 15, 31, -12)
    assert doc["underscore"] == "1_000"
    assert (doc["exponent"], doc["signed_exponent"]) == (100000.0, 0.0015)
    assert (doc["date"], doc["time"]) == ("2026-03-06", "2026-03-06T10:00:00Z")
    assert doc["inf"] == float("-inf")
    assert (doc["tilde"], doc["empty"], doc["equals"]) == (None, None, "=")


def test_a_note_only_where_yaml_11_would_have_read_it_differently() -> None:
    raw = (
        b"openapi: 3.0.0\n"
        b"components:\n  schemas:\n    Orderbook:\n      properties:\n"
        b"        yes: {type: array}\n        'no': {type: array}\n        y: {type: string}\n"
        b"        flag: {type: boolean, default: true, example: on}\n"
        b"        description: {type: string, description: yes}\n"
        b"        count: {type: integer, minimum: 010}\n"
    )
    _, notes = parse_document_with_notes(raw, "x.yaml")
    assert notes == (
        "#/components/schemas/Orderbook/properties: key 'yes' read as a string"
        " (YAML 1.2; YAML 1.1 would read the boolean True)",
        "#/components/schemas/Orderbook/properties/flag/example: 'on' read as a string"
        " (YAML 1.2; YAML 1.1 would read the boolean True)",
        "#/components/schemas/Orderbook/properties/count/minimum: '010' read as the integer 10"
        " (YAML 1.2; YAML 1.1 would read the integer 8)",
    )  # quoted 'no', `y`, `true` and the prose text "yes" read the same either way


def test_read_yaml_reads_pinned_files_as_yaml_12(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.0.0\ncomponents: {schemas: {Book: {properties: {yes: {type: string}}}}}\n")
    assert list(read_yaml(path)["components"]["schemas"]["Book"]["properties"]) == ["yes"]


def test_pinned_text_quotes_what_either_yaml_version_would_misread() -> None:
    values = {"a": "yes", "b": "1e5", "c": "0o17", "d": "010", "e": "2026-03-06", "f": "1:20", "g": "true"}
    text = dump_yaml(values)
    assert yaml.load(text, Loader=SpecLoader) == values
    assert yaml.safe_load(text) == values  # a YAML 1.1 reader of the pinned copy sees the same data


def test_yes_no_properties_through_make_specs_and_load(tmp_path: Path) -> None:
    src = tmp_path / "upstream.yaml"
    src.write_bytes(
        b"openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {}\n"
        b"components:\n  schemas:\n    Orderbook:\n      type: object\n      properties:\n"
        b"        yes: {type: array, items: {type: integer}}\n"
        b"        no: {type: array, items: {type: integer}}\n"
    )
    pinned = pin(str(src), "openapi", tmp_path / "openapi")
    assert pinned.notes == tuple(
        f"#/components/schemas/Orderbook/properties: key {key!r} read as a string"
        f" (YAML 1.2; YAML 1.1 would read the boolean {value})"
        for key, value in (("yes", True), ("no", False))
    )
    text = (tmp_path / "openapi" / "openapi.yaml").read_text()
    assert "'yes':" in text and "'no':" in text
    book = load_openapi(read_yaml(tmp_path / "openapi" / "openapi.yaml")).schemas["Orderbook"]
    assert [p.name for p in book.properties] == ["no", "yes"]  # the pinned copy sorts keys


# --- AsyncAPI 2.x -------------------------------------------------------------------------------------


def _slice_3x(doc: dict[str, Any], channel_keys: list[str]) -> dict[str, Any]:
    """The pinned 3.x document cut down to some channels and their operations."""
    refs = {f"#/channels/{key}" for key in channel_keys}
    out = {k: v for k, v in doc.items() if k not in ("channels", "operations")}
    out["channels"] = {key: doc["channels"][key] for key in channel_keys}
    out["operations"] = {k: op for k, op in doc["operations"].items() if op["channel"]["$ref"] in refs}
    return copy.deepcopy(out)


def _as_asyncapi_2(doc: dict[str, Any]) -> dict[str, Any]:
    """The same API written as AsyncAPI 2.6: channels keyed by address, each operation inside its channel."""
    channels: dict[str, Any] = {}
    for key, channel in doc["channels"].items():
        item: dict[str, Any] = {}
        for op_key, op in doc["operations"].items():
            if op["channel"]["$ref"] == f"#/channels/{key}":
                verb = "subscribe" if op["action"] == "send" else "publish"
                messages = [channel["messages"][m["$ref"].rsplit("/", 1)[1]] for m in op["messages"]]
                message = messages[0] if len(messages) == 1 else {"oneOf": messages}
                item[verb] = {"operationId": op_key, "message": message, "tags": op.get("tags", [])}
        channels[channel["address"]] = item
    servers = {
        key: {"url": f"{s['protocol']}://{s['host']}{s['pathname']}", "protocol": s["protocol"]}
        for key, s in doc["servers"].items()
    }
    rest = {k: v for k, v in doc.items() if k not in ("asyncapi", "channels", "operations", "servers")}
    return {"asyncapi": "2.6.0", **copy.deepcopy(rest), "servers": servers, "channels": channels}


def test_asyncapi_2_slice_loads_to_the_same_ir_as_its_3x_original(tmp_path: Path) -> None:
    pinned = read_yaml(ROOT / "asyncapi" / SPEC_FILES["asyncapi"])
    three = _slice_3x(pinned, ["fill", "ticker"])  # the operations' order, so both list them alike
    two = _as_asyncapi_2(three)
    ir3, ir2 = load_asyncapi(three), load_asyncapi(two)
    assert (ir2.title, ir2.version, ir2.error_codes) == (ir3.title, ir3.version, ir3.error_codes)
    assert ir2.servers == ir3.servers
    assert ir2.schemas == ir3.schemas
    assert ir2.messages == ir3.messages
    assert ir2.channels == ir3.channels
    # Only where the operations sit differs: inside their channel in 2.x.
    assert [op.pointer for op in ir2.operations] == [
        "#/channels/fill/subscribe",
        "#/channels/ticker/subscribe",
    ]
    assert [replace(op, pointer="") for op in ir2.operations] == [
        replace(op, pointer="") for op in ir3.operations
    ]
    assert ir3.notes == ()
    assert ir2.notes == (
        "#/asyncapi: read as AsyncAPI 2.6.0: channel keys are addresses, `publish` operations are the"
        " server's receive and `subscribe` its send",
    )
    # make specs keeps everything the IR is made of
    src = tmp_path / "upstream.json"
    src.write_text(json.dumps(two))
    notes = pin(str(src), "asyncapi", tmp_path / "asyncapi").notes
    assert notes == ("#/asyncapi: an AsyncAPI 2.6.0 document, normalized as AsyncAPI 2.x",)
    assert load_asyncapi(read_yaml(tmp_path / "asyncapi" / "asyncapi.yaml")) == ir2


def ws2(**channels: Any) -> dict[str, Any]:
    return {
        "asyncapi": "2.3.0",
        "info": {"title": "WS", "version": "1"},
        "servers": {
            "production": {"url": "wss://ws.example.invalid/trade-api/ws/v2", "protocol": "wss"},
            "bare": {"url": "ws.example.invalid", "protocol": "ws"},
        },
        "channels": channels,
        "components": {
            "messages": {
                "ticker": {
                    "name": "ticker",
                    "payload": {"type": "object", "properties": {"p": {"type": "integer"}}},
                },
                "trade": {"name": "trade", "payload": {"type": "object"}},
            }
        },
    }


def test_asyncapi_2_publish_subscribe_one_of_and_inline_messages() -> None:
    doc = load_asyncapi(
        ws2(
            **{
                "/": {
                    "publish": {
                        "operationId": "sendCommand",
                        "message": {
                            "oneOf": [
                                {"messageId": "subscribeCmd", "payload": {"type": "object"}},
                                {"name": "unsubscribe", "payload": {"type": "object"}},
                                {"payload": {"type": "object"}},
                            ]
                        },
                    },
                    "subscribe": {
                        "operationId": "receiveData",
                        "tags": [{"name": "market-data"}],
                        "message": {
                            "oneOf": [
                                {"$ref": "#/components/messages/ticker"},
                                {"$ref": "#/components/messages/trade"},
                            ]
                        },
                    },
                },
                "market_ticker": {"subscribe": {"message": {"$ref": "#/components/messages/ticker"}}},
            }
        )
    )
    assert isinstance(doc, AsyncAPIDocument)
    assert doc.servers == (
        WsServer(key="production", host="ws.example.invalid", pathname="/trade-api/ws/v2", protocol="wss"),
        WsServer(key="bare", host="ws.example.invalid", pathname="", protocol="ws"),
    )
    root, ticker = doc.channels
    assert (root.key, root.address, root.pointer) == ("/", "/", "#/channels/~1")
    assert [m.key for m in root.messages] == [
        "/.subscribeCmd",
        "/.unsubscribe",
        "/.publish2",
        "ticker",
        "trade",
    ]
    assert root.messages[0].pointer == "#/channels/~1/publish/message/oneOf/0"
    assert ticker.messages == (doc.messages["ticker"],)
    assert doc.operations == (
        ChannelOperation(
            key="sendCommand",
            action="receive",  # the client publishes: the server receives
            channel="/",
            messages=("/.subscribeCmd", "/.unsubscribe", "/.publish2"),
            pointer="#/channels/~1/publish",
        ),
        ChannelOperation(
            key="receiveData",
            action="send",
            channel="/",
            messages=("ticker", "trade"),
            pointer="#/channels/~1/subscribe",
            tags=("market-data",),
        ),
        ChannelOperation(  # no operationId: named after where it sits
            key="market_ticker.subscribe",
            action="send",
            channel="market_ticker",
            messages=("ticker",),
            pointer="#/channels/market_ticker/subscribe",
        ),
    )
    assert doc.notes[0].startswith("#/asyncapi: read as AsyncAPI 2.3.0")


def test_asyncapi_2_repeated_operation_id_is_refused() -> None:
    op = {"operationId": "same", "message": {"$ref": "#/components/messages/ticker"}}
    with pytest.raises(IRError) as info:
        load_asyncapi(ws2(a={"subscribe": op}, b={"subscribe": op}))
    assert info.value.location == "#/channels/b/subscribe"
    assert "operationId 'same' already used at #/channels/a/subscribe" in info.value.problem


def test_asyncapi_2_normalization_drops_prose_and_keeps_structure() -> None:
    prose = {"description": "prose", "summary": "prose", "title": "prose"}
    upstream = {
        "asyncapi": "2.6.0",
        "info": {"title": "WS", "version": "1", **{"description": "prose"}},
        "servers": {"p": {"url": "wss://x", "protocol": "wss", "security": [{"description": []}], **prose}},
        "channels": {
            "ticker": {
                **prose,
                "parameters": {"id": {"schema": {"type": "string", **prose}, **prose}},
                "subscribe": {
                    **prose,
                    "operationId": "recv",
                    "message": {
                        "oneOf": [
                            {"$ref": "#/components/messages/ticker"},
                            {"messageId": "x", "payload": {"type": "object", **prose}, **prose},
                        ]
                    },
                },
            }
        },
        "components": {
            "messages": {"ticker": {"payload": {"properties": {"title": {"type": "string", **prose}}}}}
        },
    }
    assert document_kind(upstream, "x") == "asyncapi"
    assert normalize(upstream) == {
        "asyncapi": "2.6.0",
        "info": {"title": "WS", "version": "1"},
        "servers": {"p": {"url": "wss://x", "protocol": "wss", "security": [{"description": []}]}},
        "channels": {
            "ticker": {
                "parameters": {"id": {"schema": {"type": "string"}}},
                "subscribe": {
                    "operationId": "recv",
                    "message": {
                        "oneOf": [
                            {"$ref": "#/components/messages/ticker"},
                            {"messageId": "x", "payload": {"type": "object"}},
                        ]
                    },
                },
            }
        },
        "components": {"messages": {"ticker": {"payload": {"properties": {"title": {"type": "string"}}}}}},
    }


# --- constraints beside allOf / $ref --------------------------------------------------------------------

DOLLARS = {"type": "string"}


def test_constraints_beside_all_of_single_ref_stay_on_the_reference() -> None:
    doc = load(
        S={
            "type": "object",
            "properties": {
                "cap": {
                    "allOf": [{"$ref": "#/components/schemas/Dollars"}],
                    "pattern": "^[0-9]+$",
                    "maxLength": 20,
                    "example": "100",
                }
            },
        },
        Dollars=DOLLARS,
    )
    cap = doc.schemas["S"].get_property("cap").schema
    assert (cap.kind, cap.ref, cap.example) == ("ref", "Dollars", "100")
    assert cap.constraints == Constraints(pattern="^[0-9]+$", max_length=20)
    assert doc.notes == (
        f"{S}/properties/cap: constraint(s) maxLength, pattern beside allOf [$ref]: kept on the reference"
        " to Dollars",
    )


def test_constraints_beside_a_ref_stay_on_the_reference() -> None:
    doc = load(S={"$ref": "#/components/schemas/N", "minimum": 1, "maximum": 9}, N={"type": "integer"})
    schema = doc.schemas["S"]
    assert (schema.kind, schema.ref, schema.name) == ("ref", "N", "S")
    assert schema.constraints == Constraints(minimum=1, maximum=9)
    assert doc.notes == (f"{S}: constraint(s) maximum, minimum beside the $ref: kept on the reference to N",)


def test_constraints_that_cannot_apply_to_the_reference_are_refused() -> None:
    refused(
        S,
        "maxLength beside the $ref do not apply to a integer schema",
        S={"$ref": "#/components/schemas/N", "maxLength": 3},
        N={"type": "integer"},
    )
    refused(
        S,
        "minimum beside allOf [$ref] do not apply to a string schema",
        S={"allOf": [{"$ref": "#/components/schemas/D"}], "minimum": 0},
        D={"$ref": "#/components/schemas/E"},  # followed through an alias
        E=DOLLARS,
    )
    refused(
        S,
        "$ref with sibling keyword(s) type",
        S={"$ref": "#/components/schemas/D", "type": "integer"},
        D=DOLLARS,
    )


def test_constraints_beside_a_ref_into_a_component_merge_unless_they_contradict() -> None:
    inner = {"type": "object", "properties": {"code": {"type": "string", "maxLength": 5}}}
    doc = load(S={"$ref": "#/components/schemas/E/properties/code", "pattern": "^[A-Z]+$"}, E=inner)
    assert doc.schemas["S"].kind == "string"
    assert doc.schemas["S"].constraints == Constraints(max_length=5, pattern="^[A-Z]+$")
    assert doc.notes == (f"{S}: constraint(s) pattern beside the $ref: kept on the schema it names",)
    refused(
        S,
        "max_length 9 contradicts 5",
        S={"$ref": "#/components/schemas/E/properties/code", "maxLength": 9},
        E=inner,
    )


def test_object_constraints_beside_several_all_of_parts_apply_to_the_merged_object() -> None:
    a = {"type": "object", "properties": {"a": {"type": "string"}}}
    doc = load(
        S={
            "allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/A"}],
            "minProperties": 1,
        },
        A=a,
    )
    assert doc.schemas["S"].kind == "all_of"
    assert doc.schemas["S"].constraints == Constraints(min_properties=1)
    assert doc.notes == ()


def test_value_constraints_beside_several_all_of_parts_stay_on_it_with_a_note() -> None:
    doc = load(
        S={"allOf": [{"$ref": "#/components/schemas/D"}, {"type": "string", "minLength": 1}], "maxLength": 8},
        D=DOLLARS,
    )
    assert doc.schemas["S"].kind == "all_of"
    assert doc.schemas["S"].constraints == Constraints(max_length=8)
    assert doc.notes == (f"{S}: constraint(s) maxLength beside allOf: kept on the all_of schema",)
    refused(
        S,
        f"keyword(s) pattern beside allOf do not apply to its object member at {S}/allOf/1",
        S={
            "allOf": [{"$ref": "#/components/schemas/D"}, {"type": "object", "properties": {}}],
            "pattern": "x",
        },
        D=DOLLARS,
    )


def test_prose_beside_all_of_ref_leaves_it_a_reference() -> None:
    # So an upstream file loads to the IR of its prose-free pinned copy.
    node = {
        "allOf": [{"$ref": "#/components/schemas/D"}],
        "default": "0",
        "description": "prose",
        "title": "x",
    }
    schema = load(S=node, D=DOLLARS).schemas["S"]
    assert (schema.kind, schema.ref, schema.default) == ("ref", "D", "0")
    assert schema == load(S=normalize(oas(S=node))["components"]["schemas"]["S"], D=DOLLARS).schemas["S"]


# --- required names without a property ------------------------------------------------------------------


def test_required_name_without_property_is_dropped_with_a_note() -> None:
    doc = load(
        EventPosition={
            "type": "object",
            "required": ["event_ticker", "resting_orders_count"],
            "properties": {"event_ticker": {"type": "string"}},
        }
    )
    (prop,) = doc.schemas["EventPosition"].properties
    assert (prop.name, prop.required) == ("event_ticker", True)
    assert doc.notes == (
        "#/components/schemas/EventPosition: required name(s) resting_orders_count have no property: dropped",
    )


# --- readOnly / writeOnly ------------------------------------------------------------------------------


def test_read_only_and_write_only_are_recorded() -> None:
    doc = load(
        S={
            "type": "object",
            "properties": {
                "id": {"type": "string", "readOnly": True},
                "secret": {"type": "string", "writeOnly": True},
                "created": {"$ref": "#/components/schemas/T", "readOnly": True},
                "wrapped": {
                    "allOf": [{"$ref": "#/components/schemas/T"}],
                    "writeOnly": True,
                    "nullable": True,
                },
                "plain": {"type": "string"},
            },
        },
        T={"type": "string", "format": "date-time"},
    )
    props = {p.name: p for p in doc.schemas["S"].properties}
    assert {n: (p.read_only, p.write_only) for n, p in props.items()} == {
        "id": (True, False),
        "secret": (False, True),
        "created": (True, False),
        "wrapped": (False, True),
        "plain": (False, False),
    }
    assert (props["created"].schema.kind, props["created"].schema.ref) == ("ref", "T")
    assert props["wrapped"].schema.nullable
    assert doc.notes == ()
    refused(S, "readOnly and writeOnly together", S={"type": "string", "readOnly": True, "writeOnly": True})


# --- discriminator -------------------------------------------------------------------------------------


def test_discriminator_with_mapping_by_ref_and_by_name() -> None:
    cat = {"type": "object", "properties": {"kind": {"type": "string"}}}
    doc = load(
        Pet={
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"cat": "#/components/schemas/Cat", "dog": "Dog"},
            },
        },
        Cat=cat,
        Dog=cat,
    )
    assert doc.schemas["Pet"].discriminator == Discriminator("kind", (("cat", "Cat"), ("dog", "Dog")))
    plain = load(
        Pet={"anyOf": [{"$ref": "#/components/schemas/Cat"}], "discriminator": {"propertyName": "kind"}},
        Cat=cat,
    )
    assert plain.schemas["Pet"].discriminator == Discriminator("kind")
    assert load(Cat=cat).schemas["Cat"].discriminator is None


@pytest.mark.parametrize(
    ("discriminator", "location", "problem"),
    [
        (
            {"propertyName": "kind", "mapping": {"cow": "#/components/schemas/Cow"}},
            "/discriminator/mapping/cow",
            "no such component schema",
        ),
        (
            {"propertyName": "kind", "mapping": {"cow": "Cow"}},
            "/discriminator/mapping/cow",
            "no such component schema",
        ),
        (
            {"propertyName": "kind", "mapping": {"x": "#/components/schemas/Cat/properties/kind"}},
            "/discriminator/mapping/x",
            "only component schemas",
        ),
        ({"mapping": {}}, "/discriminator", "needs a propertyName"),
    ],
)
def test_bad_discriminator_is_refused_naming_the_pointer(
    discriminator: Any, location: str, problem: str
) -> None:
    cat = {"type": "object", "properties": {"kind": {"type": "string"}}}
    refused(
        S + location,
        problem,
        S={"oneOf": [{"$ref": "#/components/schemas/Cat"}], "discriminator": discriminator},
        Cat=cat,
    )


def test_discriminator_on_a_string_is_refused() -> None:
    refused(
        S,
        "keyword(s) discriminator do not apply to a string schema",
        S={"type": "string", "discriminator": {"propertyName": "k"}},
    )


def test_asyncapi_discriminator_is_the_property_name() -> None:
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "WS", "version": "1"},
        "components": {
            "schemas": {
                "Frame": {
                    "type": "object",
                    "discriminator": "type",
                    "properties": {"type": {"type": "string"}},
                }
            }
        },
    }
    assert load_asyncapi(doc).schemas["Frame"].discriminator == Discriminator("type")


# --- additionalProperties ------------------------------------------------------------------------------


def test_typed_additional_properties_beside_properties() -> None:
    schema = load(
        S={"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}}
    ).schemas["S"]
    assert (schema.kind, [p.name for p in schema.properties], schema.closed) == ("object", ["a"], False)
    assert schema.additional is not None and schema.additional.kind == "integer"


def test_additional_properties_false_closes_the_object() -> None:
    schema = load(
        S={"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    ).schemas["S"]
    assert (schema.kind, schema.closed, schema.additional) == ("object", True, None)


@pytest.mark.parametrize("extra", [True, {}, {"description": "anything"}])
def test_additional_properties_true_or_empty_is_open_and_untyped(extra: Any) -> None:
    with_props = load(
        S={"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": extra}
    ).schemas["S"]
    assert (with_props.kind, with_props.closed, with_props.additional) == ("object", False, None)
    alone = load(S={"type": "object", "additionalProperties": extra}).schemas["S"]
    assert (alone.kind, alone.closed, alone.additional) == ("json_object", False, None)


# --- nullable, both styles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node",
    [
        {"type": "string", "nullable": True},  # OpenAPI 3.0
        {"type": ["string", "null"]},  # 3.1
        {"type": ["null", "string"]},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"oneOf": [{"type": "null"}, {"type": "string"}]},
        {"type": "string", "enum": ["a", None]},
    ],
)
def test_nullable_string_in_every_style(node: dict[str, Any]) -> None:
    doc = load(S=node)
    schema = doc.schemas["S"]
    assert (schema.kind, schema.nullable, schema.location, schema.name) == ("string", True, S, "S")
    assert doc.notes == ()


def test_any_of_ref_and_null_is_the_nullable_ref() -> None:
    doc = load(
        S={
            "type": "object",
            "properties": {
                "e": {"anyOf": [{"$ref": "#/components/schemas/E"}, {"type": "null"}], "default": None}
            },
        },
        E={"type": "object", "properties": {"code": {"type": "string"}}},
    )
    e = doc.schemas["S"].get_property("e").schema
    assert (e.kind, e.ref, e.nullable, e.default, e.location) == ("ref", "E", True, None, f"{S}/properties/e")
    alias = load(
        S={"oneOf": [{"$ref": "#/components/schemas/E"}, {"type": "null"}]}, E={"type": "integer"}
    ).schemas["S"]
    assert (alias.kind, alias.ref, alias.name, alias.nullable) == ("ref", "E", "S", True)


def test_any_of_several_members_and_null_is_a_nullable_any_of() -> None:
    schema = load(S={"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer"}]}).schemas["S"]
    assert (schema.kind, schema.nullable) == ("any_of", True)
    assert [(p.kind, p.location) for p in schema.parts] == [
        ("string", f"{S}/anyOf/0"),
        ("integer", f"{S}/anyOf/2"),
    ]


def test_any_of_only_null_is_refused() -> None:
    refused(S, "anyOf lists only null", S={"anyOf": [{"type": "null"}]})


def test_type_list_of_two_primitives_is_a_union() -> None:
    schema = load(
        S={
            "type": ["string", "integer", "null"],
            "maxLength": 4,
            "minimum": 0,
            "format": "int64",
            "default": "a",
        }
    ).schemas["S"]
    assert (schema.kind, schema.nullable, schema.default) == ("any_of", True, "a")
    string, integer = schema.parts
    assert (string.kind, string.constraints, string.format, string.location) == (
        "string",
        Constraints(max_length=4),
        None,
        f"{S}/type/0",
    )
    assert (integer.kind, integer.constraints, integer.format, integer.location) == (
        "integer",
        Constraints(minimum=0),
        "int64",
        f"{S}/type/1",
    )


def test_type_list_union_splits_its_enum_by_type() -> None:
    schema = load(S={"type": ["string", "integer"], "enum": ["a", 1, "b"]}).schemas["S"]
    assert [(p.kind, p.enum) for p in schema.parts] == [("string", ("a", "b")), ("integer", (1,))]
    assert schema.nullable is False


def test_type_list_union_keyword_fitting_no_type_is_refused() -> None:
    refused(
        S,
        "keyword(s) items apply to none of the types",
        S={"type": ["string", "integer"], "items": {"type": "string"}},
    )


# --- arrays without items ------------------------------------------------------------------------------


def test_array_without_items_reads_the_item_types_from_its_example() -> None:
    doc = load(PriceLevel={"type": "array", "minItems": 2, "maxItems": 2, "example": ["0.1500", 100]})
    items = doc.schemas["PriceLevel"].items
    assert items is not None
    assert (items.kind, [p.kind for p in items.parts]) == ("any_of", ["string", "integer"])
    assert doc.notes == (
        "#/components/schemas/PriceLevel: array without items: items read as string | integer, the types"
        " of its example",
    )
    single = load(S={"type": "array", "example": ["a", "b"]}).schemas["S"].items
    assert single is not None and (single.kind, single.location) == ("string", f"{S}/items")
    refused(S, "array schema without items", S={"type": "array", "example": [{"a": 1}]})


# --- notes ---------------------------------------------------------------------------------------------


def test_a_document_without_quirks_has_no_notes() -> None:
    assert load(S={"type": "object", "properties": {"a": {"type": "string"}}}).notes == ()


def test_the_same_quirk_is_noted_once() -> None:
    ref = {"allOf": [{"$ref": "#/components/schemas/D"}], "maxLength": 3}
    doc = load(
        S={"type": "object", "properties": {"a": ref, "b": {"$ref": "#/components/schemas/S/properties/a"}}},
        D=DOLLARS,
    )
    assert doc.notes == (
        f"{S}/properties/a: constraint(s) maxLength beside allOf [$ref]: kept on the reference to D",
    )


# --- every real spec -----------------------------------------------------------------------------------

REAL_SPECS = (
    sorted(
        p.relative_to(SPECS_DIR).as_posix() for p in [*SPECS_DIR.glob("*.yaml"), *SPECS_DIR.glob("*/*.yaml")]
    )
    if SPECS_DIR.is_dir()
    else []
)
EVENT_POSITION = "#/components/schemas/EventPosition: required name(s)"
YES_NO = "key '{}' read as a string (YAML 1.2; YAML 1.1 would read the boolean {})"
# The quirk notes each real spec must give (make specs notes, then load notes); the other notes it gives.
EXPECTED_NOTES: dict[str, tuple[list[str], list[str]]] = {
    "history/openapi-3.8.0.yaml": (
        [
            f"#/components/schemas/Orderbook/properties: {YES_NO.format(k, v)}"
            for k, v in (("yes", True), ("no", False))
        ],
        [
            f"{EVENT_POSITION} resting_orders_count have no property: dropped",
            "#/components/schemas/PriceLevelDollars: array without items: items read as string | integer, the"
            " types of its example",
        ],
    ),
    "history/asyncapi-20260306.yaml": (
        [
            f"#/components/{where}: {YES_NO.format(k, v)}"
            for where in (
                "messages/orderbookSnapshot/examples/0/payload/msg",
                "schemas/orderbookSnapshotPayload/properties/msg/properties",
            )
            for k, v in (("yes", True), ("no", False))
        ],
        [],
    ),
    "history/openapi-3.9.0.yaml": (
        [],
        [
            f"{EVENT_POSITION} resting_orders_count have no property: dropped",
            "#/components/schemas/Trade: required name(s) price have no property: dropped",
        ],
    ),
    "perps/openapi.yaml": (
        [],
        [
            "#/components/schemas/UpdateFCMSubtraderRiskControlsRequest/properties/im_cap: constraint(s)"
            " maxLength, pattern beside allOf [$ref]: kept on the reference to FixedPointDollars"
        ],
    ),
}


@pytest.mark.skipif(not REAL_SPECS, reason=f"upstream specs not present at {SPECS_DIR}")
@pytest.mark.parametrize("name", REAL_SPECS)
def test_every_real_spec_pins_and_loads_with_the_notes_of_its_quirks(name: str) -> None:
    kind = "asyncapi" if Path(name).name.startswith("asyncapi") else "openapi"
    with tempfile.TemporaryDirectory() as tmp:
        pinned = pin(str(SPECS_DIR / name), kind, Path(tmp))
        doc = read_yaml(Path(tmp) / SPEC_FILES[kind])
    ir = load_openapi(doc) if kind == "openapi" else load_asyncapi(doc)
    spec_notes, load_notes = EXPECTED_NOTES.get(name, ([], []))
    assert list(pinned.notes) == spec_notes
    assert list(ir.notes) == load_notes
    assert isinstance(ir.schemas, dict) and all(isinstance(s, Schema) for s in ir.schemas.values())
