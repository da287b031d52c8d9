"""Hostile input: random and mutated JSON, huge numbers, deep nesting, wrong types and unicode.

The invariant everywhere: only the SDK's typed errors (``KalshiError`` subclasses) or pydantic's
``ValidationError`` come out, nothing hangs, and nothing decodes to a silently wrong value: every Decimal that
decodes equals ``Decimal(<the wire string>)`` digit for digit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import pkgutil
import re
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Strict, ValidationError

import kalshi_api.resources
from codegen.ir import Schema
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.naming import pascal_case
from codegen.operations import params_model_name, params_schema
from codegen.overrides import load_type_overrides
from codegen.render import Project, asyncapi_plan, openapi_plan
from kalshi_api import models
from kalshi_api.resources.markets import GET_MARKET_ORDERBOOK, GET_MARKETS
from kalshi_api.resources.orders import GET_ORDERS
from kalshi_api.resources.portfolio import GET_BALANCE, GET_FILLS
from kalshi_api.ws import models as ws_models
from kalshi_api.ws.protocol import PROTOCOL
from kalshi_api.ws.session import KalshiWebSocket
from kalshi_api_core import Dollars, RequestModel, ResponseModel
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.errors import APIError, KalshiError, ResponseDecodeError
from kalshi_api_core.transport import Operation, Prepared, RequestCore, RetryPolicy
from tests._samples import Sampler
from tests.reliability.conftest import record

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Project(ROOT)
OPENAPI = load_openapi(read_yaml(PROJECT.openapi))
ASYNCAPI = load_asyncapi(read_yaml(PROJECT.asyncapi))
REST_PLAN = openapi_plan(PROJECT, OPENAPI)
WS_PLAN, _ = asyncapi_plan(PROJECT, ASYNCAPI)
REST_SAMPLER = Sampler(OPENAPI.schemas, load_type_overrides(PROJECT.override_config, "openapi"))
WS_SAMPLER = Sampler(ASYNCAPI.schemas, load_type_overrides(PROJECT.override_config, "asyncapi"))

PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DECIMAL_METADATA = get_args(Dollars)[1:]  # Dollars and Count: the parse and serialize markers

# --- the models and a valid wire sample of each -----------------------------------------------------------


def _model_classes(module: Any) -> list[type[BaseModel]]:
    return [
        obj
        for name in module.__all__
        if isinstance(obj := getattr(module, name), type) and issubclass(obj, BaseModel)
    ]


def _samples() -> dict[type[BaseModel], Any]:
    """A valid wire sample (from the IR, not the generated code) for every generated model class."""
    found: dict[type[BaseModel], Any] = {}

    def add(module: Any, cls: type[BaseModel], schema: Schema, sampler: Sampler) -> None:
        found.setdefault(cls, sampler.value(schema))
        for prop in sampler.properties(schema):
            inner, suffix = prop.schema, pascal_case(prop.name)
            while inner.kind == "array" and inner.items is not None:
                inner, suffix = inner.items, suffix + "Item"
            nested = getattr(module, cls.__name__ + suffix, None)
            if inner.kind == "object" and isinstance(nested, type) and issubclass(nested, BaseModel):
                add(module, nested, inner, sampler)

    for plan, schemas, module, sampler in (
        (REST_PLAN, OPENAPI.schemas, models, REST_SAMPLER),
        (WS_PLAN, ASYNCAPI.schemas, ws_models, WS_SAMPLER),
    ):
        for name, schema in schemas.items():
            if name not in plan.response_names:  # left out by departures.yaml
                continue
            for py_name in (plan.response_names[name], plan.request_names[name]):
                cls = getattr(module, py_name)
                if isinstance(cls, type) and issubclass(cls, BaseModel):
                    add(module, cls, schema, sampler)
    for op in OPENAPI.operations:
        params = params_schema(op)
        if params is not None:
            add(models, getattr(models, params_model_name(op)), params, REST_SAMPLER)
    return found


SAMPLES = _samples()
REQUEST_CLASSES = sorted(
    (c for c in _model_classes(models) + _model_classes(ws_models) if issubclass(c, RequestModel)),
    key=lambda c: (c.__module__, c.__name__),
)
RESPONSE_CLASSES = [
    c for c in _model_classes(models) + _model_classes(ws_models) if issubclass(c, ResponseModel)
]
ALL_CLASSES = REQUEST_CLASSES + RESPONSE_CLASSES


def _operations() -> dict[str, Operation[Any]]:
    """Every generated Operation, by operationId."""
    ops: dict[str, Operation[Any]] = {}
    for info in pkgutil.iter_modules(kalshi_api.resources.__path__):
        module = importlib.import_module(f"kalshi_api.resources.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Operation):
                ops[value.operation_id] = value
    return ops


OPERATIONS = _operations()


def _sent_with(model: BaseModel) -> tuple[Operation[Any], BaseModel | None, BaseModel | None] | None:
    """(operation, params, body) that send a request model: as the params, or as the body (valid params)."""
    name = type(model).__name__
    for op in OPENAPI.operations:
        params_cls = getattr(models, params_model_name(op)) if params_schema(op) is not None else None
        if params_cls is not None and params_cls.__name__ == name:
            return OPERATIONS[op.operation_id], model, None
        for body in op.request_body.content if op.request_body else ():
            if body.schema is not None and body.schema.kind == "ref":
                if REST_PLAN.request_names[body.schema.ref or ""] == name:
                    params = params_cls.model_validate(SAMPLES[params_cls]) if params_cls else None
                    return OPERATIONS[op.operation_id], params, model
    return None


def _rsa_auth() -> KalshiAuth:
    return KalshiAuth("a952bcbe-ec3b-4b5b-b8f9-11dae589608c", rsa.generate_private_key(65537, 2048))


BASE_URL = "http://127.0.0.1/trade-api/v2"
CORE = RequestCore(base_url=BASE_URL, auth=_rsa_auth(), retry=RetryPolicy())
PLAIN_CORE = RequestCore(base_url=BASE_URL, auth=None, retry=RetryPolicy())
STDLIB_JSON_CORE = RequestCore(base_url=BASE_URL, auth=None, retry=RetryPolicy(), json_loads=json.loads)


def test_every_request_model_has_a_valid_sample() -> None:
    assert len(REQUEST_CLASSES) > 100
    assert [c.__name__ for c in REQUEST_CLASSES if c not in SAMPLES] == []
    for cls in REQUEST_CLASSES:
        cls.model_validate(SAMPLES[cls])


# --- field introspection ----------------------------------------------------------------------------------


def _members(annotation: Any) -> list[Any]:
    """The non-None members of an optional / union annotation."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _is_decimal(annotation: Any, metadata: Any = ()) -> bool:
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return _is_decimal(base, (*metadata, *meta))
    return annotation is Decimal and all(m in metadata for m in DECIMAL_METADATA)


def _is_strict_int(annotation: Any, metadata: Any = ()) -> bool:
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return _is_strict_int(base, (*metadata, *meta))
    return annotation is int and any(isinstance(m, Strict) and m.strict for m in metadata)


def _fields(cls: type[BaseModel], test: Callable[..., bool]) -> list[tuple[str, str, bool]]:
    """(python name, wire name, required) of the fields whose every non-None member passes ``test``."""
    result = []
    for name, info in cls.model_fields.items():
        members = _members(info.annotation)
        direct = len(members) == 1 and test(members[0], tuple(info.metadata))
        if direct or all(test(m) for m in members):
            result.append((name, info.alias or name, info.is_required()))
    return result


DECIMAL_FIELDS = [(cls, *f) for cls in ALL_CLASSES for f in _fields(cls, _is_decimal)]
INT_FIELDS = [(cls, *f) for cls in ALL_CLASSES for f in _fields(cls, _is_strict_int)]
SAMPLED_DECIMAL_FIELDS = [f for f in DECIMAL_FIELDS if f[0] in SAMPLES]


def test_introspection_finds_the_fixed_point_and_integer_fields() -> None:
    assert {f[2] for f in DECIMAL_FIELDS if f[0] is models.CreateOrderV2Request} == {"price", "count"}
    assert {"yes_bid_dollars", "no_ask_dollars"} <= {f[2] for f in DECIMAL_FIELDS if f[0] is models.Market}
    assert len(DECIMAL_FIELDS) > 150 and len(INT_FIELDS) > 100
    assert any(issubclass(f[0], RequestModel) for f in DECIMAL_FIELDS)
    assert any(issubclass(f[0], RequestModel) for f in INT_FIELDS)
    assert len(SAMPLED_DECIMAL_FIELDS) == len(DECIMAL_FIELDS)


# --- raw JSON text: values json.dumps can't write (10**5000, NaN, 2,000 levels of nesting, \ud800) -------


@dataclasses.dataclass(frozen=True)
class Raw:
    """A JSON fragment written verbatim."""

    text: str

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r}{'...' if len(self.text) > 40 else ''} {len(self.text)} chars)"


@dataclasses.dataclass
class Obj:
    """A JSON object as a list of pairs, so a key can appear twice."""

    pairs: list[list[Any]]


def to_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return Obj([[k, to_tree(v)] for k, v in value.items()])
    if isinstance(value, list | tuple):
        return [to_tree(v) for v in value]
    return value


def encode(node: Any, ascii_only: bool = True) -> str:
    if isinstance(node, Raw):
        return node.text
    if isinstance(node, Obj):
        return "{" + ",".join(f"{encode(k, ascii_only)}:{encode(v, ascii_only)}" for k, v in node.pairs) + "}"
    if isinstance(node, list):
        return "[" + ",".join(encode(v, ascii_only) for v in node) + "]"
    if isinstance(node, float):
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(repr(node), repr(node))
    if isinstance(node, int) and not isinstance(node, bool):
        return int.__repr__(node) if node.bit_length() < 10_000 else "1" + "0" * 5000
    return json.dumps(node, ensure_ascii=ascii_only)


def nested(depth: int, kind: str) -> Raw:
    if kind == "list":
        return Raw("[" * depth + "]" * depth)
    if kind == "object":
        return Raw('{"a":' * depth + "0" + "}" * depth)
    return Raw("[" * depth)  # never closed


decimal_strings = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
    st.from_regex(r"[+-]?(?:[0-9]{1,40}(?:\.[0-9]{0,40})?|\.[0-9]{1,40})", fullmatch=True),
    st.integers(1, 3_000).map(lambda n: "0." + "1" * n),
    st.integers(1, 3_000).map(lambda n: "9" * n + ".5"),
    st.just("0." + "1" * 500),
    st.sampled_from(["-0", "+0", "0.000", "-0.00", "5.", ".5", "+.5", "007.10"]),
)


HUGE_NUMBERS = [
    "1" + "0" * 5000,
    "-" + "9" * 4301,
    "1" + "0" * 4000,
    str(2**63),
    str(-(2**63) - 1),
    str(2**64),
    "1e308",
    "1e309",
    "-1E400",
    "-0.0",
    "5e-324",
    "1.0",
    "0.5",
    "1e-7",
    "NaN",
    "Infinity",
    "-Infinity",
    "0" + "0" * 20 + "1",
]
NASTY_STRINGS = [
    "",
    "\x00",
    "0.56\x00",
    "\u202e0.56",
    "\u200f",
    "\ufeff0.5",
    "\u0661",  # ARABIC-INDIC DIGIT ONE: Decimal() takes it, the wire format does not
    "\u0660.\u0665\u0666",
    "NaN",
    "Infinity",
    "1e5",
    "0x10",
    " 1",
    "1 ",
    "+.5",
    "-0",
    "5.",
    "0." + "1" * 500,
    "\U0001f600",
    "\u0085",
    "2026-02-30T25:61:61Z",
    "9999-12-31T23:59:59.999999+23:59",
    "0001-01-01T00:00:00-23:59",
]
RAW_STRINGS = ['"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"a\x01b"', '"\t"', '"\\u0000"', '"\\uZZZZ"']

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.sampled_from(HUGE_NUMBERS).map(Raw),
    st.text(max_size=20),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(RAW_STRINGS).map(Raw),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
)
hostile_json = st.one_of(
    json_scalars,
    st.builds(nested, st.integers(1_000, 3_000), st.sampled_from(["list", "object", "open"])),
    st.recursive(
        json_scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3).map(to_tree)
        ),
        max_leaves=6,
    ),
)


def _paths(node: Any, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    yield path, node
    if isinstance(node, Obj):
        for i, (_, value) in enumerate(node.pairs):
            yield from _paths(value, (*path, i))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _set(root: Any, path: tuple[int, ...], value: Any) -> Any:
    if not path:
        return value
    parent = root
    for i in path[:-1]:
        parent = parent.pairs[i][1] if isinstance(parent, Obj) else parent[i]
    if isinstance(parent, Obj):
        parent.pairs[path[-1]][1] = value
    else:
        parent[path[-1]] = value
    return root


def similar(value: Any) -> st.SearchStrategy[Any]:
    """Hostile values of the same JSON kind as ``value``: a field of that type may well accept them."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return (
            st.integers()
            | st.sampled_from([2**63 - 1, -(2**63), 0])
            | st.sampled_from(HUGE_NUMBERS[:6]).map(Raw)
        )
    if isinstance(value, float):
        return st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
            ["-0.0", "5e-324", "1e308"]
        ).map(Raw)
    if isinstance(value, str) and PLAIN_DECIMAL.fullmatch(value):
        return decimal_strings
    if isinstance(value, str):
        return st.text() | st.sampled_from(NASTY_STRINGS) | st.sampled_from(RAW_STRINGS[2:]).map(Raw)
    return hostile_json


def mutate(draw: Any, sample: Any) -> bytes:
    """A wire sample after 1-3 hypothesis-chosen tree mutations and maybe some byte-level damage."""
    tree = to_tree(sample)
    for _ in range(draw(st.integers(1, 3))):
        nodes = list(_paths(tree))
        objects = [(path, node) for path, node in nodes if isinstance(node, Obj)]
        leaves = [(path, node) for path, node in nodes if not isinstance(node, Obj | list)]
        op = draw(st.sampled_from(["similar"] * 4 + ["replace", "delete", "duplicate", "rename", "add"]))
        if op in ("similar", "replace") or not objects:
            pool = leaves if op == "similar" and leaves else nodes
            path, node = pool[draw(st.integers(0, len(pool) - 1))]
            tree = _set(tree, path, draw(similar(node) if op == "similar" else hostile_json))
            continue
        _, obj = objects[draw(st.integers(0, len(objects) - 1))]
        if op == "add" or not obj.pairs:  # a field the spec does not list (responses keep it)
            obj.pairs.append([draw(st.text(max_size=8)), draw(hostile_json)])
            continue
        index = draw(st.integers(0, len(obj.pairs) - 1))
        key, value = obj.pairs[index]
        if op == "delete":
            del obj.pairs[index]
        elif op == "duplicate":  # the same key again, later, with another (or the same) value
            obj.pairs.append([key, draw(st.one_of(st.just(value), hostile_json))])
        else:
            new_key = draw(st.text(max_size=8) | st.sampled_from(["type_", "__class__", "\U0001d565"]))
            obj.pairs[index] = [new_key, value]
    text = encode(tree, ascii_only=draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none"] * 6 + ["truncate", "flip", "bad_utf8", "bom"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif damage == "flip":
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    elif damage == "bad_utf8":
        at = draw(st.integers(0, len(raw)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]))
        raw = raw[:at] + bad + raw[at:]
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    return raw


# --- checking what decoded --------------------------------------------------------------------------------


def reference(raw: bytes) -> Any:
    """The JSON that decoded, read independently (ints and floats kept as exact Decimals)."""
    return json.loads(raw, strict=False, parse_int=Decimal, parse_float=Decimal)


def assert_exact(value: Any, wire: Any, where: str = "$") -> int:
    """Every Decimal, str and int in ``value`` is exactly what the wire said; returns how many Decimals."""
    checked = 0
    if isinstance(value, BaseModel):
        assert isinstance(wire, dict), where
        for name, info in type(value).model_fields.items():
            keys = [k for k in dict.fromkeys((info.alias or name, name)) if k in wire]
            if len(keys) == 1:
                checked += assert_exact(getattr(value, name), wire[keys[0]], f"{where}.{keys[0]}")
    elif isinstance(value, Decimal):
        assert isinstance(wire, str | Decimal), f"{where}: {wire!r} decoded to {value!r}"
        expected = Decimal(wire)
        assert value == expected and value.as_tuple() == expected.as_tuple(), (
            f"{where}: {wire!r} -> {value!r}"
        )
        checked += 1
    elif isinstance(value, list | tuple):
        assert isinstance(wire, list) and len(wire) == len(value), where
        checked += sum(
            assert_exact(v, w, f"{where}[{i}]") for i, (v, w) in enumerate(zip(value, wire, strict=True))
        )
    elif isinstance(value, dict):
        assert isinstance(wire, dict), where
        checked += sum(assert_exact(v, wire[k], f"{where}.{k}") for k, v in value.items())
    elif isinstance(value, bool) or value is None:
        assert wire is value, f"{where}: {wire!r} decoded to {value!r}"
    elif isinstance(value, int):
        assert isinstance(wire, Decimal) and wire == value, f"{where}: {wire!r} decoded to {value!r}"
    elif isinstance(value, str):
        assert wire == value, f"{where}: {wire!r} decoded to {value!r}"
    return checked


def check_wire_decimals(model: BaseModel) -> None:
    """Re-serialized, every Decimal is a plain decimal string of the same digits."""
    assert_exact(model, reference(model.model_dump_json(by_alias=True).encode()))
    for text in re.findall(r'"([^"\\]*)"', model.model_dump_json()):
        if text[:1].isdigit() and PLAIN_DECIMAL.fullmatch(text):
            assert "e" not in text.lower()


# --- 1. response decoding through the real path -----------------------------------------------------------

RESPONSE_OPERATIONS: list[tuple[Operation[Any], type[BaseModel], Any]] = [
    (GET_MARKETS, models.GetMarketsResponse, None),
    (GET_ORDERS, models.GetOrdersResponse, None),
    (GET_FILLS, models.GetFillsResponse, None),
    (GET_BALANCE, models.GetBalanceResponse, None),
    (GET_MARKET_ORDERBOOK, models.GetMarketOrderbookResponse, models.GetMarketOrderbookParams(ticker="KX-1")),
]


def _ws_frames() -> list[tuple[str, Any]]:
    """A valid sample of every data frame the decoder takes (the spec's messages whose type it knows)."""
    frames = []
    for key, message in ASYNCAPI.messages.items():
        sample = WS_SAMPLER.value(message.payload)
        try:
            PROTOCOL.data_frames.validate_python(sample)
        except ValidationError:
            continue  # a command or a command response: not a data frame
        frames.append((key, sample))
    return frames


WS_FRAMES = _ws_frames()


def _prepared(op: Operation[Any], params: BaseModel | None) -> Prepared:
    return CORE.prepare(op, params, None, None, None)


def _finish(core: RequestCore, prepared: Prepared, status: int, content: bytes) -> Any:
    response = httpx.Response(status, content=content, request=httpx.Request(prepared.method, prepared.url))
    return core.finish(prepared, response, content)


OUTCOMES: Counter[str] = Counter()


def decode_everywhere(op: Operation[Any], model: type[BaseModel], params: Any, raw: bytes) -> None:
    """Decode ``raw`` as the model, via Operation.validate and via RequestCore.finish; check the invariant."""
    try:
        direct = op.validate(raw, None)
    except ValidationError:
        direct = None
    assert direct is None or isinstance(direct, model)
    prepared = _prepared(op, params)
    try:
        result = _finish(PLAIN_CORE, prepared, 200, raw)
    except ResponseDecodeError as exc:
        assert direct is None, "finish refused what Operation.validate decoded"
        assert exc.status == 200 and exc.path == prepared.sign_path
        assert len(str(exc)) < 100_000, "a decode error's message is not bounded"
        OUTCOMES["ResponseDecodeError"] += 1
        return
    assert direct is not None, "finish decoded what Operation.validate refused"
    assert type(result) is type(op.decode(direct))
    OUTCOMES["decoded"] += 1
    OUTCOMES["decimals checked"] += assert_exact(direct, reference(raw))
    check_wire_decimals(direct)


@pytest.mark.parametrize(
    ("op", "model", "params"), RESPONSE_OPERATIONS, ids=[o[1].__name__ for o in RESPONSE_OPERATIONS]
)
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_mutated_responses_decode_exactly_or_raise_response_decode_error(
    op: Operation[Any], model: type[BaseModel], params: Any, data: st.DataObject
) -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas[model.__name__])
    raw = mutate(data.draw, sample)
    decode_everywhere(op, model, params, raw)


@pytest.mark.parametrize(
    ("op", "model", "params"), RESPONSE_OPERATIONS, ids=[o[1].__name__ for o in RESPONSE_OPERATIONS]
)
def test_valid_and_fixed_hostile_responses(op: Operation[Any], model: type[BaseModel], params: Any) -> None:
    sample = REST_SAMPLER.value(OPENAPI.schemas[model.__name__])
    decode_everywhere(op, model, params, json.dumps(sample).encode())
    fixed = [
        b"",
        b"null",
        b"[]",
        b"{}",
        b"\xff\xfe{}",
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000,
        b'{"x": 1' + b"0" * 5000 + b"}",
        json.dumps(sample).encode()[:-1],
        json.dumps(sample).encode() + b"garbage",
        json.dumps(sample).encode() + json.dumps(sample).encode(),
    ]
    for raw in fixed:
        decode_everywhere(op, model, params, raw)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_ws_frames_decode_exactly_or_raise_validation_error(data: st.DataObject) -> None:
    _, sample = data.draw(st.sampled_from(WS_FRAMES), label="frame")
    raw = mutate(data.draw, sample)
    try:
        frame = PROTOCOL.data_frames.validate_json(raw)
    except ValidationError:
        OUTCOMES["ws refused"] += 1
        return
    assert isinstance(frame, ResponseModel)
    OUTCOMES["ws decoded"] += 1
    OUTCOMES["decimals checked"] += assert_exact(frame, reference(raw))
    check_wire_decimals(frame)


def test_every_data_frame_has_a_sample() -> None:
    assert len(WS_FRAMES) >= 15
    for _, sample in WS_FRAMES:
        frame = PROTOCOL.data_frames.validate_json(json.dumps(sample))
        assert_exact(frame, reference(json.dumps(sample).encode()))


ERROR_BODIES = {
    "empty": b"",
    "not utf-8": b"\xff\xfe",
    "5000-digit code": b'{"error": {"code": ' + b"1" * 5000 + b"}}",
    "wrong types": b'{"error": {"code": [], "message": {"a": 1}, "details": null}}',
    "error is text": b'{"error": "text"}',
    "lone surrogate": b'{"code": "x", "message": "\\ud800"}',
    "5,000 levels": b'{"error": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    "100,000 levels": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", list(ERROR_BODIES.values()), ids=list(ERROR_BODIES))
def test_error_responses_with_hostile_bodies_raise_api_errors(body: bytes) -> None:
    prepared = _prepared(GET_MARKETS, None)
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 503):
        with pytest.raises(APIError) as err:
            _finish(PLAIN_CORE, prepared, status, body)
        assert err.value.status == status


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_custom_json_loads_still_only_raises_response_decode_error(data: st.DataObject) -> None:
    """``json_loads=json.loads`` is a supported client option: its failures must be typed too."""
    op, model, params = data.draw(st.sampled_from(RESPONSE_OPERATIONS), label="operation")
    raw = mutate(data.draw, REST_SAMPLER.value(OPENAPI.schemas[model.__name__]))
    prepared = _prepared(op, params)
    try:
        _finish(STDLIB_JSON_CORE, prepared, 200, raw)
    except ResponseDecodeError:
        pass


def test_a_custom_json_loads_and_deep_nesting() -> None:
    prepared = _prepared(GET_MARKETS, None)
    with pytest.raises(ResponseDecodeError):
        _finish(STDLIB_JSON_CORE, prepared, 200, b'{"markets": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


# --- the WebSocket session's own handling of a frame that is not a clean data frame ------------------------


def _session() -> Any:
    socket = KalshiWebSocket(url="ws://127.0.0.1:9/trade-api/ws/v2")
    return socket.session_class(socket)


HOSTILE_FRAMES = {
    "valid ticker frame, sid with no subscription": json.dumps(dict(WS_FRAMES)["ticker"]),
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "type is a list": '{"type": [], "sid": 1, "msg": {}}',
    "type is an object": '{"type": {"a": 1}, "sid": 1}',
    "invalid utf-8": b'{"type": "ticker", "sid": 1, "msg": "\xff"}',
    "huge int": '{"type": "ticker", "sid": 1' + "0" * 5000 + "}",
    "error with a huge code": '{"type": "error", "id": 1, "msg": {"code": 1' + "0" * 4000 + ', "msg": []}}',
    "not json": "\x00\x01",
}


@pytest.mark.parametrize("raw", list(HOSTILE_FRAMES.values()), ids=list(HOSTILE_FRAMES))
def test_the_ws_session_drops_hostile_frames_without_raising(raw: str | bytes) -> None:
    """A frame that is not a clean data frame is classified and dropped, never raised out of ``_on_frame``
    (the reader's catch-all only keeps the stream alive, logging a traceback as for a failing handler)."""
    asyncio.run(_session()._on_frame(raw))


# --- 2. decimal exactness and strict types ---------------------------------------------------------------


def _with(cls: type[BaseModel], alias: str, value: Any) -> dict[str, Any]:
    return {**SAMPLES[cls], alias: value}


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(SAMPLED_DECIMAL_FIELDS), text=decimal_strings)
def test_any_decimal_string_decodes_exactly_in_every_fixed_point_field(
    field: tuple[type[BaseModel], str, str, bool], text: str
) -> None:
    cls, name, alias, _ = field
    expected = Decimal(text)
    payload = _with(cls, alias, text)
    for model in (cls.model_validate_json(json.dumps(payload)), cls.model_validate(payload)):
        value = getattr(model, name)
        assert value == expected and value.as_tuple() == expected.as_tuple(), (text, value)
        wire = json.loads(model.model_dump_json(by_alias=True))[alias]
        assert PLAIN_DECIMAL.fullmatch(wire) and Decimal(wire).as_tuple() == expected.as_tuple(), (text, wire)


BAD_DECIMALS_PY: list[Any] = [
    0.5,
    1e-7,
    1.0,
    -0.0,
    float("nan"),
    float("inf"),
    True,
    False,
    "NaN",
    "Infinity",
    "1e5",
    "0x10",
    " 1",
    "1 ",
    "\u0661",
    "\u0660.\u0665",
    "",
    "0.5\x00",
    "\u202e1",
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("-Infinity"),
    Decimal("1E+999999999999999999"),
    Decimal("1E-999999999999999999"),
    10**5000,
    [],
    {},
    b"1",
]
BAD_DECIMALS_JSON = ["0.5", "1e-7", "1.0", "-0.0", "1e308", "NaN", "Infinity", "true", "false", "[]", "{}"]
BAD_DECIMALS_JSON += [json.dumps(v) for v in BAD_DECIMALS_PY if isinstance(v, str)]
BAD_DECIMALS_JSON += ["1" + "0" * 5000, '"\\ud800"', "[" * 1000 + "]" * 1000]


def _errors_at(exc: ValidationError, alias: str) -> list[Any]:
    return [e for e in exc.errors() if e["loc"][:1] == (alias,)]


FLOAT_TARGETS: list[tuple[type[BaseModel], str]] = [
    (models.CreateOrderV2Request, "price"),
    (models.CreateOrderV2Request, "count"),
    (models.Market, "yes_bid_dollars"),
    (models.Fill, "count_fp"),
    (ws_models.TickerPayloadMsg, "price_dollars"),
]


@settings(max_examples=150, deadline=None)
@given(value=st.floats() | st.booleans())
def test_every_float_and_bool_is_refused_by_money_and_count_fields(value: Any) -> None:
    for cls, alias in FLOAT_TARGETS:
        payload = {**SAMPLES[cls], alias: value}
        with pytest.raises(ValidationError) as err:
            cls.model_validate(payload)
        assert [e["loc"] for e in err.value.errors()] == [(alias,)], err.value
        with pytest.raises(ValidationError) as err:
            cls.model_validate_json(encode(to_tree(payload)))  # NaN and Infinity as JSON extensions
        assert [e["loc"] for e in err.value.errors()] == [(alias,)], err.value


@pytest.mark.parametrize(
    "field", SAMPLED_DECIMAL_FIELDS, ids=[f"{f[0].__name__}.{f[2]}" for f in SAMPLED_DECIMAL_FIELDS]
)
def test_every_fixed_point_field_refuses_inexact_input_naming_the_field(
    field: tuple[type[BaseModel], str, str, bool],
) -> None:
    cls, _, alias, _ = field
    for bad in BAD_DECIMALS_PY:
        with pytest.raises(ValidationError) as err:
            cls.model_validate(_with(cls, alias, bad))
        assert [e["loc"] for e in err.value.errors()] == [(alias,)], (bad, err.value)
        assert alias in str(err.value)
    for bad_json in BAD_DECIMALS_JSON:
        raw = encode(
            Obj([[k, Raw(bad_json) if k == alias else to_tree(v)] for k, v in _with(cls, alias, 0).items()])
        )
        with pytest.raises(ValidationError) as err:
            cls.model_validate_json(raw)
        locs = [e["loc"] for e in err.value.errors()]
        assert locs in ([(alias,)], [()]), (bad_json, err.value)  # () : the JSON itself is refused


BAD_INTS_PY: list[Any] = [
    True,
    False,
    1.0,
    2.5,
    float("nan"),
    "1",
    "0",
    " 1",
    Decimal(1),
    2**63,
    -(2**63) - 1,
]
BAD_INTS_JSON = ["true", "false", "1.0", "2.5", "1e3", "NaN", '"1"', '"0"', str(2**63), str(-(2**63) - 1)]


INT_CLASSES: list[type[BaseModel]] = sorted(
    {f[0] for f in INT_FIELDS}, key=lambda c: (c.__module__, c.__name__)
)


@pytest.mark.parametrize("cls", INT_CLASSES, ids=[c.__name__ for c in INT_CLASSES])
def test_every_integer_field_refuses_bools_floats_strings_and_overflow(cls: type[BaseModel]) -> None:
    for _, name, alias, _ in (f for f in INT_FIELDS if f[0] is cls):
        base = SAMPLES.get(cls, {})
        for bad in BAD_INTS_PY:
            with pytest.raises(ValidationError) as err:
                cls.model_validate({**base, alias: bad})
            assert _errors_at(err.value, alias), (name, bad)
        for bad_json in BAD_INTS_JSON:
            raw = encode(
                Obj([[k, to_tree(v)] for k, v in base.items() if k != alias] + [[alias, Raw(bad_json)]])
            )
            with pytest.raises(ValidationError) as err:
                cls.model_validate_json(raw)
            assert _errors_at(err.value, alias), (name, bad_json)
        if cls in SAMPLES:
            for good in (0, 2**63 - 1, -(2**63)):
                try:
                    cls.model_validate({**base, alias: good})
                except ValidationError as exc:  # a narrower limit of the spec (e.g. ge=0) may refuse it
                    assert all(e["type"] != "int_type" for e in _errors_at(exc, alias))


# --- 3. request models: random keyword dicts ------------------------------------------------------------


def _nested_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


python_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    # (hypothesis prints what it drew, and repr() of an int of over 4300 digits raises: those are below)
    st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 10**100, 10**4299, -(10**4299), -1, 0]),
    st.floats(),
    st.decimals(),
    st.sampled_from([Decimal("1E+999999999999999999"), Decimal("-0"), Decimal("1E-1000"), Decimal("0.5600")]),
    st.text(max_size=12),
    st.text(st.characters(exclude_categories=()), max_size=6),  # lone surrogates, controls, unassigned
    st.sampled_from(NASTY_STRINGS),
    st.datetimes(),
    st.datetimes(
        timezones=st.builds(
            timezone,
            st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23)),
        )
    ),
    st.binary(max_size=6),
)
python_values = st.one_of(
    python_scalars,
    st.integers(200, 3_000).map(_nested_list),
    st.recursive(
        python_scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=5,
    ),
)


def _known_names(cls: type[BaseModel]) -> set[str]:
    return {n for name, info in cls.model_fields.items() for n in (name, info.alias) if n}


def _build(cls: type[BaseModel], data: st.DataObject) -> tuple[dict[Any, Any], bool]:
    sample = SAMPLES[cls]
    names = sorted(_known_names(cls))
    keys = (
        st.sampled_from(names) | st.text(max_size=10) | st.sampled_from(["__class__", "model_config", "_x"])
    )
    values = python_values | (st.sampled_from(list(sample.values())) if sample else python_values)
    extra = data.draw(st.dictionaries(keys, values, max_size=4), label="keywords")
    mode = data.draw(st.sampled_from(["overlay", "overlay", "alone", "kwargs"]), label="mode")
    kwargs = {**sample, **extra} if mode != "alone" else extra
    return kwargs, mode == "kwargs"


@pytest.mark.parametrize("cls", REQUEST_CLASSES, ids=[c.__name__ for c in REQUEST_CLASSES])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_keywords_into_request_models(cls: type[BaseModel], data: st.DataObject) -> None:
    kwargs, as_keywords = _build(cls, data)
    unknown = [k for k in kwargs if k not in _known_names(cls)]
    try:
        model = cls(**kwargs) if as_keywords else cls.model_validate(kwargs)
    except ValidationError as exc:
        extras = {e["loc"][0] for e in exc.errors() if e["type"] == "extra_forbidden"}
        assert set(unknown) <= extras, f"unknown names {unknown} not all refused: {extras}"
        OUTCOMES["request refused"] += 1
        return
    assert not unknown, f"unknown names accepted: {unknown}"
    OUTCOMES["request accepted"] += 1
    wire = model.model_dump_json(by_alias=True, exclude_unset=True)
    again = cls.model_validate_json(wire)
    assert again == model, wire
    sent = _sent_with(model)
    if sent is not None:  # and the transport can turn it into a request
        prepared = CORE.prepare(*sent, None, None)
        with httpx.Client() as client:
            client.build_request(**CORE.request_args(prepared, {}))


@pytest.mark.parametrize("value", ["", b""], ids=["empty str", "empty bytes"])
def test_an_empty_path_parameter_is_a_typed_error(value: Any) -> None:
    """The params model takes ``ticker=""``; the transport must not answer with a bare ValueError."""
    try:
        params = models.GetMarketParams.model_validate({"ticker": value})
        CORE.prepare(OPERATIONS["GetMarket"], params, None, None, None)
    except (KalshiError, ValidationError):
        pass
    else:
        raise AssertionError("an empty path parameter was sent")


@pytest.mark.parametrize(
    "offset", [timedelta(microseconds=1), timedelta(seconds=30), -timedelta(hours=3, seconds=1)]
)
def test_a_datetime_keeps_its_instant_whatever_its_offset(offset: timedelta) -> None:
    """JSON keeps whole minutes of a UTC offset: a seconds offset must not move the instant sent."""
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(offset))
    request = models.ProposeBlockTradeRequest.model_validate(
        {**SAMPLES[models.ProposeBlockTradeRequest], "expiration_ts": when}
    )
    prepared = CORE.prepare(OPERATIONS["ProposeBlockTrade"], None, request, None, None)
    assert prepared.content is not None
    sent = datetime.fromisoformat(json.loads(prepared.content)["expiration_ts"].replace("Z", "+00:00"))
    assert sent == when
    params = models.GetMilestonesParams.model_validate(
        {**SAMPLES[models.GetMilestonesParams], "minimum_start_date": when}
    )
    query = dict(CORE.prepare(OPERATIONS["GetMilestones"], params, None, None, None).query)
    assert datetime.fromisoformat(str(query["minimum_start_date"])) == when
    with pytest.raises(ValidationError):  # no UTC form at all: refused, not an OverflowError
        models.GetMilestonesParams.model_validate(
            {"limit": 1, "minimum_start_date": datetime(1, 1, 1, tzinfo=timezone(timedelta(seconds=30)))}
        )


def test_lone_surrogates_are_refused_before_they_reach_the_wire() -> None:
    sample = SAMPLES[models.CreateOrderV2Request]
    with pytest.raises(ValidationError) as err:
        models.CreateOrderV2Request.model_validate({**sample, "ticker": "KX\ud800"})
    assert _errors_at(err.value, "ticker")
    with pytest.raises(ValidationError):
        models.BatchCreateOrdersV2Request.model_validate(
            {"orders": [{**sample, "client_order_id": "\udfff"}]}
        )
    ok = models.CreateOrderV2Request.model_validate({**sample, "ticker": "KX-\U0001f600-\u202e"})
    assert models.CreateOrderV2Request.model_validate_json(ok.model_dump_json()) == ok


# --- 4. huge inputs stay bounded ---------------------------------------------------------------------------


def _timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return action()
    finally:
        record("hostile_input_seconds", **{label: round(time.perf_counter() - started, 3)})


def test_a_50_mb_string_value() -> None:
    market = REST_SAMPLER.value(OPENAPI.schemas["Market"])
    big = "\u00e9" * 25_000_000  # 50 MB of UTF-8
    raw = json.dumps({"markets": [{**market, "title": big}], "cursor": ""}, ensure_ascii=False).encode()
    page = _timed("50MB title", lambda: _finish(PLAIN_CORE, _prepared(GET_MARKETS, None), 200, raw))
    assert page.items[0].title == big
    digits = "7" * 50_000_000
    raw = json.dumps({"markets": [{**market, "yes_bid_dollars": digits}], "cursor": ""}).encode()
    decoded = _timed("50MB decimal", lambda: models.GetMarketsResponse.model_validate_json(raw))
    assert decoded.markets[0].yes_bid_dollars == Decimal(digits)
    raw = json.dumps({"markets": [{**market, "yes_bid_dollars": digits + "x"}], "cursor": ""}).encode()
    with pytest.raises(ResponseDecodeError) as err:
        _timed("50MB bad decimal", lambda: _finish(PLAIN_CORE, _prepared(GET_MARKETS, None), 200, raw))
    assert len(str(err.value)) < 10_000
    order = SAMPLES[models.CreateOrderV2Request]
    request = models.CreateOrderV2Request.model_validate({**order, "ticker": big})
    prepared = _timed(
        "50MB request", lambda: CORE.prepare(OPERATIONS["CreateOrderV2"], None, request, None, None)
    )
    assert prepared.content is not None and len(prepared.content) > 50_000_000
    frame = {**dict(WS_FRAMES)["ticker"]}
    frame["msg"] = {**frame["msg"], "market_ticker": big}
    assert (
        _timed("50MB frame", lambda: PROTOCOL.data_frames.validate_json(json.dumps(frame))).msg.market_ticker
        == big
    )


def test_a_million_small_items() -> None:
    levels = [[f"0.{i % 100:02d}", str(i)] for i in range(1_000_000)]
    raw = json.dumps({"orderbook_fp": {"yes_dollars": levels, "no_dollars": []}}).encode()
    prepared = _prepared(GET_MARKET_ORDERBOOK, models.GetMarketOrderbookParams(ticker="KX"))
    book = _timed("1e6 book levels", lambda: _finish(PLAIN_CORE, prepared, 200, raw))
    assert len(book.yes_dollars) == 1_000_000
    assert book.yes_dollars[-1] == (Decimal("0.99"), Decimal(999_999))
    raw = json.dumps({**SAMPLES[models.GetMarketsResponse], "unknown": list(range(1_000_000))}).encode()
    assert (
        len(_timed("1e6 extra ints", lambda: models.GetMarketsResponse.model_validate_json(raw)).unknown) > 0
    )
    tickers = [f"KX-{i}" for i in range(1_000_000)]
    request = _timed(
        "1e6 tickers request", lambda: models.GetMarketsParams.model_validate({"tickers": ",".join(tickers)})
    )
    assert len(request.model_dump_json()) > 8_000_000


def test_decimals_of_a_hundred_thousand_digits() -> None:
    cases = [
        "1" * 100_000,
        "0." + "1" * 100_000,
        "9" * 50_000 + "." + "9" * 50_000,
        "-0." + "0" * 99_999 + "1",
    ]
    market = REST_SAMPLER.value(OPENAPI.schemas["Market"])
    order = SAMPLES[models.CreateOrderV2Request]
    for text in cases:
        raw = json.dumps({"markets": [{**market, "yes_bid_dollars": text}], "cursor": ""}).encode()
        try:
            decoded = _timed("1e5-digit decimal", partial(models.GetMarketsResponse.model_validate_json, raw))
        except ValidationError:
            continue
        value = decoded.markets[0].yes_bid_dollars
        assert value.as_tuple() == Decimal(text).as_tuple()
        try:
            request = models.CreateOrderV2Request.model_validate({**order, "price": text})
        except ValidationError:
            continue
        assert Decimal(json.loads(request.model_dump_json())["price"]).as_tuple() == Decimal(text).as_tuple()
    # The same size as a JSON number or a Python int: refused quickly, never converted in quadratic time.
    with pytest.raises(ValidationError):
        models.GetMarketsResponse.model_validate_json(
            encode(to_tree({"markets": [{**market, "yes_bid_dollars": Raw("1" * 100_000)}]}))
        )
    with pytest.raises(ValidationError):
        _timed(
            "1e6-digit int",
            lambda: models.CreateOrderV2Request.model_validate({**order, "price": 10**1_000_000}),
        )
    with pytest.raises(ValidationError):
        models.CreateOrderV2Request.model_validate({**order, "price": Decimal("1E+999999999")})


def test_record_outcomes() -> None:
    record("hostile_input_outcomes", outcomes=Counter(OUTCOMES))
