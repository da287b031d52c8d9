"""Every operation of one API family's pinned spec, called through its sync and async clients over loopback.

``Harness(family)`` reads the family's spec (IR), type overrides and naming table, and finds its generated
clients; ``OperationSuite`` is the test class that runs every check for it. A test module subclasses the
suite once per family with ``harness = Harness(...)`` (tests/test_client_operations.py for the trade
exchange, tests/test_perps_operations.py for perps) and adds its family's own tests.

The server (tests/spec_server.py) plays the family's spec: it routes by the spec's templates, checks RSA-PSS
signatures with the public key and answers with schema-valid samples. Each call is checked against the spec:
method, URL-encoded path, query, JSON body, signing headers and the declared return type. Nothing in the SDK
is mocked.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys
import types
import typing
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, TypeAdapter

from codegen.families import Family
from codegen.ir import MISSING, Parameter, Schema
from codegen.ir import Operation as IROperation
from codegen.naming import snake_case
from codegen.overrides import load_type_overrides
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.errors import AuthRequiredError
from kalshi_api_core.pagination import AsyncPage, Page
from kalshi_api_core.resources import AsyncResource, SyncResource
from kalshi_api_core.transport import Operation
from tests._samples import Sampler, field_override
from tests.spec_server import BASE_PATH, Received, Reply, SpecServer, load_spec

ROOT = Path(__file__).resolve().parent.parent
KEY_ID = "test-key-id"
ACCESS_HEADERS = ("kalshi-access-key", "kalshi-access-timestamp", "kalshi-access-signature")
CURSORS = ["cursor-page-2", "cursor-page-3", ""]
# string parameter samples by format (others are "ABC")
FORMATTED_STRINGS = {"date": "2024-01-02", "date-time": "2024-01-02T03:04:05Z"}


# --- spec-independent helpers -----------------------------------------------------------------------------


def wire(value: Any) -> str:
    """How a scalar argument appears in a URL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_type(target: Any, data: Any) -> Any:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target.model_validate(data)
    return TypeAdapter(target).validate_python(data)


def python_name(wire_name: str, signature: inspect.Signature) -> str:
    """The argument name for a wire name: itself, or with a trailing underscore (keywords, builtins)."""
    candidates = [n for n in (wire_name, wire_name + "_") if n in signature.parameters]
    assert len(candidates) == 1, f"no single argument for {wire_name!r} in {signature}"
    return candidates[0]


def is_uuid4(value: Any) -> bool:
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return parsed.version == 4 and str(parsed) == value


def unwrap_optional(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return inner
    return annotation


def only_request(server: SpecServer, op_id: str) -> Received:
    received = server.calls()
    assert [r.operation_id for r in received] == [op_id], f"expected one {op_id} request, got {received}"
    return received[0]


def model_attribute(model: BaseModel, wire_name: str) -> Any:
    """A model's value for a wire field name (its alias, or the field's own name)."""
    fields = type(model).model_fields
    (name,) = [n for n, f in fields.items() if (f.alias or n) == wire_name] or [wire_name]
    return getattr(model, name)


def is_decimal_value(expr: str, value: Any) -> bool:
    """Whether a decoded value has the type an override type expression (``Dollars``, ``PriceLevel``,
    ``list[Count]``) decodes to: exact Decimals throughout."""
    if expr.startswith("list[") and expr.endswith("]"):
        return isinstance(value, list) and all(is_decimal_value(expr[5:-1], v) for v in value)
    if expr == "PriceLevel":
        return isinstance(value, tuple) and all(isinstance(v, Decimal) for v in value)
    return isinstance(value, Decimal)


@dataclass(frozen=True)
class Method:
    resource: str  # client attribute
    name: str
    operation: Operation[Any]


@dataclass
class Call:
    args: list[Any]
    kwargs: dict[str, Any]
    path: str  # expected raw request path (percent-encoded)
    query: dict[str, list[str]]  # expected values of the required query parameters
    body: Any  # expected JSON body; None: no body


# --- one family: its spec and its clients -----------------------------------------------------------------


class Harness:
    """A family's spec, the sampler and naming table of its overrides, and its generated clients.

    ``paged`` names cursor operations whose ``_all`` method the suite follows over three scripted pages:
    operationId -> the item field to vary between items."""

    def __init__(self, family: Family, paged: Mapping[str, str] | None = None) -> None:
        self.family = family
        config = family.config(ROOT)
        self.spec = load_spec(family)
        self.ir_ops: dict[str, IROperation] = {op.operation_id: op for op in self.spec.operations}
        self.overrides = load_type_overrides(config, "openapi")
        self.sampler = Sampler(self.spec.schemas, self.overrides)
        self.naming = yaml.safe_load((config / "operations.yaml").read_text(encoding="utf-8"))
        client_module = importlib.import_module(f"{family.package}.client")
        self.client_class: type[Any] = getattr(client_module, family.client)
        self.async_client_class: type[Any] = getattr(client_module, "Async" + family.client)
        self.resource_names: tuple[str, ...] = client_module.RESOURCES
        self.excluded: dict[str, str] = client_module.EXCLUDED_OPERATIONS
        self.models = importlib.import_module(f"{family.package}.models")
        self.paged = dict(paged or {})
        # the operation lists the suite's tests run over
        self.all_ids = sorted(self.ir_ops)
        self.included_ids = [op_id for op_id in self.all_ids if op_id not in self.excluded]
        self.body_ids = [i for i in self.included_ids if self.ir_ops[i].request_body is not None]
        self.public_ids = [i for i in self.included_ids if not self.ir_ops[i].requires_auth]
        self.auth_ids = [i for i in self.included_ids if self.ir_ops[i].requires_auth]
        self.keyword_body_ids = [i for i in self.body_ids if not self.is_free_form(self.body_schema(i))]
        self.paged_ids = sorted(self.paged)

    def __repr__(self) -> str:
        return f"Harness({self.family.name})"

    # --- the spec side

    def resolve(self, schema: Schema) -> Schema:
        while schema.kind == "ref":
            schema = self.spec.schemas[schema.ref or ""]
        return schema

    def param_value(self, schema: Schema) -> Any:
        """A valid argument for a path or query parameter: enums -> first value, integers within bounds,
        arrays -> one valid item, strings "ABC"."""
        s = self.resolve(schema)
        if s.enum:
            return s.enum[0]
        if s.kind == "array":
            assert s.items is not None
            return [self.param_value(s.items)]
        if s.kind == "integer":
            c = s.constraints
            value = 1_700_000_000 if c.minimum is None else int(c.minimum)
            return value if c.maximum is None else min(value, int(c.maximum))
        if s.kind == "number":
            return 1.5
        if s.kind == "boolean":
            return True
        assert s.kind == "string", f"no parameter sample for {s.location} ({s.kind})"
        return FORMATTED_STRINGS.get(s.format or "", "ABC")

    def path_value(self, param: Parameter) -> Any:
        """A distinct path value per parameter, with characters that must be percent-encoded."""
        schema = self.resolve(param.schema)
        if schema.kind == "string" and not schema.enum:
            return f"{param.name}:A/B é?"
        return self.param_value(param.schema)

    def default_of(self, schema: Schema) -> Any:
        return schema.default if schema.default is not MISSING else self.resolve(schema).default

    def body_schema(self, op_id: str) -> Schema:
        op = self.ir_ops[op_id]
        assert op.request_body is not None
        (body,) = [b for b in op.request_body.content if b.media_type == "application/json"]
        assert body.schema is not None
        return body.schema

    def is_free_form(self, schema: Schema) -> bool:
        return self.resolve(schema).kind == "json_object"

    def body_type(self, schema: Schema) -> Any:
        """The generated type of a request body schema (a model class or a free-form JSON alias)."""
        assert schema.kind == "ref", f"{schema.location}: inline request body"
        return getattr(self.models, schema.ref or "")

    def response_schema(self, op: IROperation) -> Schema | None:
        for response in op.success_responses:
            for body in response.content:
                if body.schema is not None:
                    return body.schema
        return None

    def expected_response(self, op: IROperation) -> Any:
        """The wire JSON the spec server answers with (None: no body)."""
        schema = self.response_schema(op)
        return None if schema is None else self.sampler.value(schema)

    def decimal_fields(self, value: Any, schema: Schema, path: str = "") -> Iterator[tuple[str, str, Any]]:
        """(path, override type, decoded value) of every field of a decoded value that the family's type
        overrides make an exact number: Dollars and Count (fixed-point strings), DecimalNumber (doubles)."""
        if value is None:
            return
        if schema.kind == "ref":
            expr = self.overrides.components.get(schema.ref or "")
            if expr is not None:
                yield path, expr, value
            else:
                yield from self.decimal_fields(value, self.spec.schemas[schema.ref or ""], path)
            return
        format_expr = self.overrides.formats.get(schema.format or "")
        if schema.kind == "number" and format_expr is not None:
            yield path, format_expr, value
        elif schema.kind == "array" and schema.items is not None:
            for index, item in enumerate(value):
                yield from self.decimal_fields(item, schema.items, f"{path}[{index}]")
        elif isinstance(value, BaseModel):
            for prop in self.sampler.properties(schema):
                item = model_attribute(value, prop.name)
                expr = field_override(prop, self.overrides)
                if expr is not None and item is not None:
                    yield f"{path}.{prop.name}", expr, item
                elif expr is None:
                    yield from self.decimal_fields(item, prop.schema, f"{path}.{prop.name}")
        elif isinstance(value, dict) and schema.additional is not None:
            for key, item in value.items():
                yield from self.decimal_fields(item, schema.additional, f"{path}[{key!r}]")

    def result_decimal_fields(self, op_id: str, operation: Operation[Any], result: Any) -> list[Any]:
        """``decimal_fields`` of what a method returned (a Page's response, an unwrapped field, a model)."""
        schema = self.response_schema(self.ir_ops[op_id])
        if schema is None:
            return []
        if isinstance(result, Page | AsyncPage):
            result = result.response
        elif operation.unwrap is not None:
            schema = self.resolve(schema).get_property(operation.unwrap).schema
        return list(self.decimal_fields(result, schema, op_id))

    # --- the client side

    def resources(self, client: Any) -> dict[str, SyncResource | AsyncResource]:
        """Every resource attribute the client lists, built on first access."""
        found = {name: getattr(client, name) for name in self.resource_names}
        assert all(isinstance(resource, SyncResource | AsyncResource) for resource in found.values())
        return found

    def discover(self, client: Any) -> dict[str, Method]:
        """operationId -> method, for every public non-`_all` method of every resource attribute of a client.

        A method is tied to the module-level ``Operation`` constant its body passes to the transport."""
        found: dict[str, Method] = {}
        for attr, resource in self.resources(client).items():
            module = sys.modules[type(resource).__module__]
            for name, fn in inspect.getmembers(type(resource), inspect.isfunction):
                if name.startswith("_") or name.endswith("_all"):
                    continue
                used = [getattr(module, n, None) for n in fn.__code__.co_names]
                ops = [o for o in used if isinstance(o, Operation)]
                assert len(ops) == 1, f"{attr}.{name} uses {len(ops)} Operation constants"
                op_id = ops[0].operation_id
                assert op_id not in found, f"{op_id} reachable as {found[op_id]} and {attr}.{name}"
                found[op_id] = Method(attr, name, ops[0])
        return found

    def module_operations(self, client: Any) -> dict[str, Operation[Any]]:
        """Every Operation constant defined by a resource module of the client."""
        result: dict[str, Operation[Any]] = {}
        for resource in self.resources(client).values():
            module = sys.modules[type(resource).__module__]
            for value in vars(module).values():
                if isinstance(value, Operation):
                    result[value.operation_id] = value
        return result

    def build_call(self, op: IROperation, fn: Callable[..., Any], variant: str = "kwargs") -> Call:
        """Arguments for ``fn`` from the spec. variant: "kwargs" (body fields as keyword arguments),
        "request" (required-only sample as ``request=``) or "full" (every body field, as ``request=``)."""
        signature = inspect.signature(fn)
        positional = [
            p.name
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
        ]
        path_params = [p for p in op.parameters if p.location == "path"]
        values = {python_name(p.name, signature): self.path_value(p) for p in path_params}
        assert sorted(positional) == sorted(values), f"{op.operation_id}: positional {positional} vs path"
        path = op.path
        for p in path_params:
            path = path.replace("{" + p.name + "}", quote(wire(self.path_value(p)), safe=""))
        call = Call([values[name] for name in positional], {}, BASE_PATH + path, {}, None)
        for p in op.parameters:
            if p.location != "query" or not p.required:
                continue
            value = self.param_value(p.schema)
            call.kwargs[python_name(p.name, signature)] = value
            if isinstance(value, list):
                joined = [wire(v) for v in value] if p.explode else [",".join(wire(v) for v in value)]
                call.query[p.name] = joined
            else:
                call.query[p.name] = [wire(value)]
        if op.request_body is None:
            return call
        schema = self.body_schema(op.operation_id)
        sample = self.sampler.value(schema, required_only=variant != "full")
        if variant == "kwargs":
            if self.is_free_form(schema):
                call.body = {}  # no body fields to give: the SDK sends an empty object
            else:
                for name, value in sample.items():
                    call.kwargs[python_name(name, signature)] = value
                call.body = sample
        else:
            call.kwargs["request"] = as_type(self.body_type(schema), sample)
            call.body = sample
        return call

    def request_and_keyword(self, op_id: str, fn: Callable[..., Any]) -> tuple[Call, dict[str, Any]]:
        """A ``request=`` call, and one body field as a keyword argument to add to it."""
        call = self.build_call(self.ir_ops[op_id], fn, "request")
        full = self.sampler.value(self.body_schema(op_id))
        name, value = next(iter(full.items()))
        return call, {python_name(name, inspect.signature(fn)): value}

    # --- checks

    def check_request(
        self, rec: Received, op: IROperation, operation: Operation[Any], call: Call, *, signed: bool
    ) -> None:
        assert rec.method == op.method.upper()
        assert rec.path == call.path
        query: dict[str, list[str]] = {}
        for name, value in rec.query:
            query.setdefault(name, []).append(value)
        for name, values in call.query.items():
            assert query.pop(name, None) == values, f"query {name!r}: sent {rec.query}, expected {values}"
        # Anything else on the query string must be a parameter of the operation, sent at its spec default.
        declared = {p.name: p for p in op.parameters if p.location == "query"}
        for name, values in query.items():
            assert name in declared, f"undeclared query parameter {name!r} sent"
            default = self.default_of(declared[name].schema)
            assert default is not MISSING, f"query parameter {name!r} sent although not given and no default"
            assert values == [wire(default)], f"query {name!r}={values} is not the spec default {default!r}"
        if call.body is None:
            assert rec.body == b""
            assert "content-type" not in rec.headers
        else:
            assert rec.headers.get("content-type") == "application/json"
            data = json.loads(rec.body)
            if operation.order_writes == "single" and "client_order_id" not in call.body:
                assert is_uuid4(data.pop("client_order_id", None)), rec.body
            if operation.order_writes == "batch":
                for sent, given in zip(data["orders"], call.body["orders"], strict=True):
                    if "client_order_id" not in given:
                        assert is_uuid4(sent.pop("client_order_id", None)), rec.body
            assert data == call.body
        present = [h for h in rec.headers if h.startswith("kalshi-access-")]
        if op.requires_auth:
            assert rec.signature_ok is True
            assert sorted(present) == sorted(ACCESS_HEADERS)
            assert rec.headers["kalshi-access-key"] == KEY_ID
        else:
            assert rec.signature_ok is None
            if not signed:
                assert present == []

    def check_result(self, result: Any, op: IROperation, operation: Operation[Any]) -> None:
        target = operation.response_type
        sample = self.expected_response(op)
        if target is None:
            assert sample is None, f"{op.operation_id}: spec declares a response body, the client ignores it"
            assert result is None
            return
        model = as_type(target, sample)
        if operation.page_items is not None:
            assert isinstance(result, Page | AsyncPage)
            assert isinstance(result.response, target)
            assert result.response == model
            annotation = unwrap_optional(target.model_fields[operation.page_items].annotation)
            item_type = typing.get_args(annotation)[0]
            assert result.items == list(getattr(model, operation.page_items))
            assert result.items and all(isinstance(item, item_type) for item in result.items)
            assert result.cursor == (getattr(model, operation.page_cursor or "cursor") or None)
        elif operation.unwrap is not None:
            field_type = unwrap_optional(target.model_fields[operation.unwrap].annotation)
            expected = getattr(model, operation.unwrap)
            assert result == expected
            if isinstance(field_type, type):
                assert isinstance(result, field_type)
        elif isinstance(target, type) and issubclass(target, BaseModel):
            assert isinstance(result, target)
            assert result == model
        else:  # a free-form JSON alias
            assert isinstance(result, dict)
            assert result == sample

    def scripted_pages(self, op_id: str, operation: Operation[Any]) -> tuple[list[Any], list[str]]:
        """Three response bodies, two distinct items each, chained by CURSORS; and the item keys in order."""
        base = self.expected_response(self.ir_ops[op_id])
        assert operation.page_items is not None, f"{op_id} is not a cursor operation"
        (template,) = base[operation.page_items][:1]
        pages, keys = [], []
        for number, cursor in enumerate(CURSORS, start=1):
            items = []
            for index in (1, 2):
                key = f"{op_id}-p{number}-i{index}"
                items.append({**template, self.paged[op_id]: key})
                keys.append(key)
            pages.append({**base, operation.page_items: items, operation.page_cursor or "cursor": cursor})
        return pages, keys

    def check_paging(self, server: SpecServer, op_id: str, items: list[Any], keys: list[str]) -> None:
        assert [getattr(item, self.paged[op_id]) for item in items] == keys
        received = server.calls()
        assert [r.operation_id for r in received] == [op_id] * 3
        sent = [[v for k, v in r.query if k == "cursor"] for r in received]
        assert sent == [[], CURSORS[:1], CURSORS[1:2]]
        expected = True if self.ir_ops[op_id].requires_auth else None
        assert [r.signature_ok for r in received] == [expected] * 3


# --- the suite --------------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def over(ids: str) -> Callable[[F], F]:
    """Run a suite test once per operationId (``op_id``) in the harness's list ``ids`` ("body_ids", ...)."""

    def mark(fn: F) -> F:
        fn.op_ids = ids  # type: ignore[attr-defined]
        return fn

    return mark


def bound(client: Any, methods: dict[str, Method], op_id: str) -> Callable[..., Any]:
    assert op_id in methods, f"{op_id} is not reachable through {type(client).__name__}"
    method = methods[op_id]
    fn: Callable[..., Any] = getattr(getattr(client, method.resource), method.name)
    return fn


class OperationSuite:
    """Every check of every operation of ``harness``'s family; subclass it with ``harness = Harness(...)``."""

    harness: ClassVar[Harness]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        ids = getattr(metafunc.function, "op_ids", None)
        if ids is not None:
            metafunc.parametrize("op_id", getattr(self.harness, ids))

    # --- fixtures: one server and one set of clients per family

    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, key: rsa.RSAPrivateKey) -> Iterator[SpecServer]:
        h = cls.harness
        with SpecServer(key.public_key(), spec=h.spec, family=h.family) as srv:
            yield srv

    @pytest.fixture(autouse=True)
    def _fresh(self, server: SpecServer) -> None:
        server.reset()

    @pytest.fixture(scope="class")
    @classmethod
    def loop(cls) -> Iterator[asyncio.AbstractEventLoop]:
        event_loop = asyncio.new_event_loop()
        yield event_loop
        event_loop.close()

    @staticmethod
    def options(server: SpecServer) -> dict[str, Any]:
        return {"base_url": server.base_url, "max_retries": 0, "timeout": 10.0}

    @pytest.fixture(scope="class")
    @classmethod
    def sync_client(cls, server: SpecServer, key: rsa.RSAPrivateKey) -> Iterator[Any]:
        with cls.harness.client_class(auth=KalshiAuth(KEY_ID, key), **cls.options(server)) as client:
            yield client

    @pytest.fixture(scope="class")
    @classmethod
    def anon_client(cls, server: SpecServer) -> Iterator[Any]:
        with cls.harness.client_class(**cls.options(server)) as client:
            yield client

    @pytest.fixture(scope="class")
    @classmethod
    def async_client(
        cls, server: SpecServer, key: rsa.RSAPrivateKey, loop: asyncio.AbstractEventLoop
    ) -> Iterator[Any]:
        client = cls.harness.async_client_class(auth=KalshiAuth(KEY_ID, key), **cls.options(server))
        yield client
        loop.run_until_complete(client.close())

    @pytest.fixture(scope="class")
    @classmethod
    def anon_async_client(cls, server: SpecServer, loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
        client = cls.harness.async_client_class(**cls.options(server))
        yield client
        loop.run_until_complete(client.close())

    @pytest.fixture(scope="class")
    @classmethod
    def sync_methods(cls, sync_client: Any) -> dict[str, Method]:
        return cls.harness.discover(sync_client)

    @pytest.fixture(scope="class")
    @classmethod
    def async_methods(cls, async_client: Any) -> dict[str, Method]:
        return cls.harness.discover(async_client)

    # --- calling

    def call(
        self,
        op_id: str,
        server: SpecServer,
        client: Any,
        methods: dict[str, Method],
        variant: str = "kwargs",
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Any:
        """Call an operation's method (an async client's on ``loop``) with arguments from the spec, check
        the one request the server received and the decoded result; return the result."""
        h = self.harness
        op, operation = h.ir_ops[op_id], methods[op_id].operation
        fn = bound(client, methods, op_id)
        call = h.build_call(op, fn, variant)
        result = fn(*call.args, **call.kwargs)
        if loop is not None:
            result = loop.run_until_complete(result)
        h.check_request(only_request(server, op_id), op, operation, call, signed=client.auth is not None)
        h.check_result(result, op, operation)
        return result

    # --- 1. discovery

    def test_every_spec_operation_is_reachable(
        self,
        sync_client: Any,
        async_client: Any,
        sync_methods: dict[str, Method],
        async_methods: dict[str, Method],
    ) -> None:
        h = self.harness
        assert h.ir_ops and h.excluded == {}
        expected = set(h.ir_ops) - set(h.excluded)
        assert set(sync_methods) == expected
        assert set(async_methods) == expected
        # The Operation constants of the resource modules are exactly the reachable operations.
        assert set(h.module_operations(sync_client)) == expected
        assert set(h.module_operations(async_client)) == expected
        for op_id, method in sync_methods.items():
            twin = async_methods[op_id]
            assert (twin.resource, twin.name) == (method.resource, method.name)
            assert twin.operation is method.operation
            sync_fn = getattr(getattr(sync_client, method.resource), method.name)
            async_fn = getattr(getattr(async_client, method.resource), method.name)
            assert not inspect.iscoroutinefunction(sync_fn)
            assert inspect.iscoroutinefunction(async_fn)
            sync_params, async_params = (inspect.signature(fn).parameters for fn in (sync_fn, async_fn))
            assert sync_params.keys() == async_params.keys()
            # The naming table decides the method name (snake_case of the operationId when it is silent).
            assert method.name == h.naming["methods"].get(op_id, snake_case(op_id)), op_id

    @over("included_ids")
    def test_operation_constant_matches_spec(
        self, op_id: str, sync_client: Any, sync_methods: dict[str, Method], async_client: Any
    ) -> None:
        h = self.harness
        op = h.ir_ops[op_id]
        method = sync_methods[op_id]
        operation = method.operation
        assert operation.method == op.method.upper()
        assert operation.path == op.path
        assert operation.requires_auth == op.requires_auth
        assert sorted(operation.path_params) == sorted(p.name for p in op.parameters if p.location == "path")
        for name, explode in operation.array_query.items():
            (param,) = [p for p in op.parameters if p.location == "query" and p.name == name]
            assert h.resolve(param.schema).kind == "array" and explode == param.explode
        assert operation.order_writes == h.naming["order_writes"].get(op_id)
        # Cursor operations, and only they, have an `_all` twin on both clients.
        for client in (sync_client, async_client):
            resource = getattr(client, method.resource)
            assert hasattr(resource, method.name + "_all") == (operation.page_items is not None), op_id

    # --- 2. every operation, sync and async

    @over("included_ids")
    def test_sync_call(
        self, op_id: str, server: SpecServer, sync_client: Any, sync_methods: dict[str, Method]
    ) -> None:
        self.call(op_id, server, sync_client, sync_methods)

    @over("included_ids")
    def test_async_call(
        self,
        op_id: str,
        server: SpecServer,
        async_client: Any,
        async_methods: dict[str, Method],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.call(op_id, server, async_client, async_methods, loop=loop)

    @pytest.mark.parametrize("variant", ["request", "full"])
    @over("body_ids")
    def test_sync_call_request_model(
        self,
        op_id: str,
        variant: str,
        server: SpecServer,
        sync_client: Any,
        sync_methods: dict[str, Method],
    ) -> None:
        self.call(op_id, server, sync_client, sync_methods, variant)

    @pytest.mark.parametrize("variant", ["request", "full"])
    @over("body_ids")
    def test_async_call_request_model(
        self,
        op_id: str,
        variant: str,
        server: SpecServer,
        async_client: Any,
        async_methods: dict[str, Method],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.call(op_id, server, async_client, async_methods, variant, loop)

    @over("public_ids")
    def test_sync_public_call_anonymous(
        self, op_id: str, server: SpecServer, anon_client: Any, sync_methods: dict[str, Method]
    ) -> None:
        self.call(op_id, server, anon_client, sync_methods)

    @over("public_ids")
    def test_async_public_call_anonymous(
        self,
        op_id: str,
        server: SpecServer,
        anon_async_client: Any,
        async_methods: dict[str, Method],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.call(op_id, server, anon_async_client, async_methods, loop=loop)

    def decoded_decimal_fields(
        self, server: SpecServer, client: Any, methods: dict[str, Method]
    ) -> list[tuple[str, str, Any]]:
        """``Harness.decimal_fields`` of the decoded result of every operation, each called once."""
        h, found = self.harness, []
        for op_id in h.included_ids:
            server.reset()
            result = self.call(op_id, server, client, methods)
            found += h.result_decimal_fields(op_id, methods[op_id].operation, result)
        return found

    def test_decoded_numbers_are_decimals(
        self, server: SpecServer, sync_client: Any, sync_methods: dict[str, Method]
    ) -> None:
        """Every money, size and rate field (by the family's type overrides) of every decoded response is an
        exact Decimal, never a float or a string."""
        fields = self.decoded_decimal_fields(server, sync_client, sync_methods)
        assert fields
        wrong = [(path, expr, value) for path, expr, value in fields if not is_decimal_value(expr, value)]
        assert wrong == [], f"not decoded as Decimals: {wrong}"

    # --- 3. auth required

    @over("auth_ids")
    def test_auth_required_without_credentials(
        self, op_id: str, server: SpecServer, anon_client: Any, sync_methods: dict[str, Method]
    ) -> None:
        op = self.harness.ir_ops[op_id]
        fn = bound(anon_client, sync_methods, op_id)
        call = self.harness.build_call(op, fn)
        with pytest.raises(AuthRequiredError) as info:
            fn(*call.args, **call.kwargs)
        refused = (info.value.operation, info.value.method, info.value.path)
        assert refused == (op_id, op.method.upper(), op.path)
        assert server.calls() == []

    # --- 4. argument errors

    @over("keyword_body_ids")
    def test_request_and_body_keyword_is_a_type_error(
        self,
        op_id: str,
        server: SpecServer,
        sync_client: Any,
        sync_methods: dict[str, Method],
        async_client: Any,
        async_methods: dict[str, Method],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        fn = bound(sync_client, sync_methods, op_id)
        call, extra = self.harness.request_and_keyword(op_id, fn)
        with pytest.raises(TypeError, match="not both"):
            fn(*call.args, **call.kwargs, **extra)
        afn = bound(async_client, async_methods, op_id)
        with pytest.raises(TypeError, match="not both"):
            loop.run_until_complete(afn(*call.args, **call.kwargs, **extra))
        assert server.calls() == []

    @over("included_ids")
    def test_unknown_keyword_is_a_type_error(
        self,
        op_id: str,
        server: SpecServer,
        sync_client: Any,
        sync_methods: dict[str, Method],
        async_client: Any,
        async_methods: dict[str, Method],
    ) -> None:
        fn = bound(sync_client, sync_methods, op_id)
        call = self.harness.build_call(self.harness.ir_ops[op_id], fn)
        with pytest.raises(TypeError, match="no_such_argument"):
            fn(*call.args, **call.kwargs, no_such_argument=1)
        afn = bound(async_client, async_methods, op_id)
        with pytest.raises(TypeError, match="no_such_argument"):
            afn(*call.args, **call.kwargs, no_such_argument=1)  # fails binding: no coroutine is created
        assert server.calls() == []

    # --- 5. auto-paging

    @over("paged_ids")
    def test_sync_all_follows_cursors(
        self, op_id: str, server: SpecServer, sync_client: Any, sync_methods: dict[str, Method]
    ) -> None:
        method = sync_methods[op_id]
        pages, keys = self.harness.scripted_pages(op_id, method.operation)
        server.script(op_id, *(Reply(200, page) for page in pages))
        fn = getattr(getattr(sync_client, method.resource), method.name + "_all")
        call = self.harness.build_call(self.harness.ir_ops[op_id], fn)
        items = list(fn(*call.args, **call.kwargs, max_pages=3))
        self.harness.check_paging(server, op_id, items, keys)

    @over("paged_ids")
    def test_async_all_follows_cursors(
        self,
        op_id: str,
        server: SpecServer,
        async_client: Any,
        async_methods: dict[str, Method],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        method = async_methods[op_id]
        pages, keys = self.harness.scripted_pages(op_id, method.operation)
        server.script(op_id, *(Reply(200, page) for page in pages))

        fn = getattr(getattr(async_client, method.resource), method.name + "_all")
        call = self.harness.build_call(self.harness.ir_ops[op_id], fn)

        async def collect() -> list[Any]:
            return [item async for item in fn(*call.args, **call.kwargs, max_pages=3)]

        self.harness.check_paging(server, op_id, loop.run_until_complete(collect()), keys)
