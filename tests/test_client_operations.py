"""Every operation of the pinned spec, called through KalshiClient and AsyncKalshiClient over loopback HTTP.

The arguments come from the spec (IR), the server (tests/spec_server.py) routes by the spec's templates,
checks RSA-PSS signatures with the public key and answers with schema-valid samples, and each call is checked
against the spec: method, URL-encoded path, query, JSON body, signing headers and the declared return type.
Nothing in the SDK is mocked.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, TypeAdapter

import kalshi_api.models as models
from codegen.ir import MISSING, Parameter, Schema
from codegen.ir import Operation as IROperation
from codegen.load import load_openapi, read_yaml
from codegen.naming import snake_case
from codegen.overrides import load_type_overrides
from codegen.render import Project
from kalshi_api.client import EXCLUDED_OPERATIONS, RESOURCES, AsyncKalshiClient, KalshiClient
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.errors import AuthRequiredError
from kalshi_api_core.pagination import AsyncPage, Page
from kalshi_api_core.resources import AsyncResource, SyncResource
from kalshi_api_core.transport import Operation
from tests._samples import Sampler
from tests.spec_server import BASE_PATH, Received, Reply, SpecServer

ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(ROOT)
SPEC = load_openapi(read_yaml(PROJECT.openapi))
IR_OPS: dict[str, IROperation] = {op.operation_id: op for op in SPEC.operations}
SAMPLER = Sampler(SPEC.schemas, load_type_overrides(PROJECT.override_config, "openapi"))
NAMING = yaml.safe_load((PROJECT.override_config / "operations.yaml").read_text(encoding="utf-8"))
KEY_ID = "test-key-id"
ACCESS_HEADERS = ("kalshi-access-key", "kalshi-access-timestamp", "kalshi-access-signature")

ALL_IDS = sorted(IR_OPS)
INCLUDED_IDS = [op_id for op_id in ALL_IDS if op_id not in EXCLUDED_OPERATIONS]
BODY_IDS = [op_id for op_id in INCLUDED_IDS if IR_OPS[op_id].request_body is not None]
PUBLIC_IDS = [op_id for op_id in INCLUDED_IDS if not IR_OPS[op_id].requires_auth]
AUTH_IDS = [op_id for op_id in INCLUDED_IDS if IR_OPS[op_id].requires_auth]


# --- the spec side ----------------------------------------------------------------------------------------


def resolve(schema: Schema) -> Schema:
    while schema.kind == "ref":
        schema = SPEC.schemas[schema.ref or ""]
    return schema


def param_value(schema: Schema) -> Any:
    """A valid argument for a path or query parameter: enums -> first value, integers within bounds,
    arrays -> one valid item, strings "ABC"."""
    s = resolve(schema)
    if s.enum:
        return s.enum[0]
    if s.kind == "array":
        assert s.items is not None
        return [param_value(s.items)]
    if s.kind == "integer":
        c = s.constraints
        value = 1_700_000_000 if c.minimum is None else int(c.minimum)
        return value if c.maximum is None else min(value, int(c.maximum))
    if s.kind == "number":
        return 1.5
    if s.kind == "boolean":
        return True
    assert s.kind == "string", f"no parameter sample for {s.location} ({s.kind})"
    return "ABC"


def path_value(param: Parameter) -> Any:
    """A distinct path value per parameter, with characters that must be percent-encoded."""
    if resolve(param.schema).kind == "string" and not resolve(param.schema).enum:
        return f"{param.name}:A/B é?"
    return param_value(param.schema)


def wire(value: Any) -> str:
    """How a scalar argument appears in a URL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def default_of(schema: Schema) -> Any:
    return schema.default if schema.default is not MISSING else resolve(schema).default


def body_schema(op: IROperation) -> Schema:
    assert op.request_body is not None
    (body,) = [b for b in op.request_body.content if b.media_type == "application/json"]
    assert body.schema is not None
    return body.schema


def is_free_form(schema: Schema) -> bool:
    return resolve(schema).kind == "json_object"


def body_type(schema: Schema) -> Any:
    """The generated type of a request body schema (a model class or a free-form JSON alias)."""
    assert schema.kind == "ref", f"{schema.location}: inline request body"
    return getattr(models, schema.ref or "")


def as_type(target: Any, data: Any) -> Any:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target.model_validate(data)
    return TypeAdapter(target).validate_python(data)


def expected_response(op: IROperation) -> Any:
    """The wire JSON the spec server answers with (None: no body)."""
    for response in op.success_responses:
        for body in response.content:
            if body.schema is not None:
                return SAMPLER.value(body.schema)
    return None


# --- the client side --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    resource: str  # client attribute
    name: str
    operation: Operation[Any]


def resources(client: KalshiClient | AsyncKalshiClient) -> dict[str, SyncResource | AsyncResource]:
    """Every resource attribute the client lists, built on first access."""
    found = {name: getattr(client, name) for name in RESOURCES}
    assert all(isinstance(resource, SyncResource | AsyncResource) for resource in found.values())
    return found


def discover(client: KalshiClient | AsyncKalshiClient) -> dict[str, Method]:
    """operationId -> method, for every public non-`_all` method of every resource attribute of a client.

    A method is tied to the module-level ``Operation`` constant its body passes to the transport."""
    found: dict[str, Method] = {}
    for attr, resource in resources(client).items():
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


def module_operations(client: KalshiClient | AsyncKalshiClient) -> dict[str, Operation[Any]]:
    """Every Operation constant defined by a resource module of the client."""
    result: dict[str, Operation[Any]] = {}
    for resource in resources(client).values():
        if isinstance(resource, SyncResource | AsyncResource):
            module = sys.modules[type(resource).__module__]
            for value in vars(module).values():
                if isinstance(value, Operation):
                    result[value.operation_id] = value
    return result


def python_name(wire_name: str, signature: inspect.Signature) -> str:
    """The argument name for a wire name: itself, or with a trailing underscore (keywords, builtins)."""
    candidates = [n for n in (wire_name, wire_name + "_") if n in signature.parameters]
    assert len(candidates) == 1, f"no single argument for {wire_name!r} in {signature}"
    return candidates[0]


@dataclass
class Call:
    args: list[Any]
    kwargs: dict[str, Any]
    path: str  # expected raw request path (percent-encoded)
    query: dict[str, list[str]]  # expected values of the required query parameters
    body: Any  # expected JSON body; None: no body


def build_call(op: IROperation, fn: Callable[..., Any], variant: str = "kwargs") -> Call:
    """Arguments for ``fn`` from the spec. variant: "kwargs" (body fields as keyword arguments), "request"
    (required-only sample as ``request=``) or "full" (every body field, as ``request=``)."""
    signature = inspect.signature(fn)
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    path_params = [p for p in op.parameters if p.location == "path"]
    values = {python_name(p.name, signature): path_value(p) for p in path_params}
    assert sorted(positional) == sorted(values), f"{op.operation_id}: positional {positional} vs path params"
    path = op.path
    for p in path_params:
        path = path.replace("{" + p.name + "}", quote(wire(path_value(p)), safe=""))
    call = Call([values[name] for name in positional], {}, BASE_PATH + path, {}, None)
    for p in op.parameters:
        if p.location != "query" or not p.required:
            continue
        value = param_value(p.schema)
        call.kwargs[python_name(p.name, signature)] = value
        if isinstance(value, list):
            call.query[p.name] = [wire(v) for v in value] if p.explode else [",".join(wire(v) for v in value)]
        else:
            call.query[p.name] = [wire(value)]
    if op.request_body is None:
        return call
    schema = body_schema(op)
    sample = SAMPLER.value(schema, required_only=variant != "full")
    if variant == "kwargs":
        if is_free_form(schema):
            call.body = {}  # no body fields to give: the SDK sends an empty object
        else:
            for name, value in sample.items():
                call.kwargs[python_name(name, signature)] = value
            call.body = sample
    else:
        call.kwargs["request"] = as_type(body_type(schema), sample)
        call.body = sample
    return call


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def server(private_key: rsa.RSAPrivateKey) -> Iterator[SpecServer]:
    with SpecServer(private_key.public_key(), spec=SPEC) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server: SpecServer) -> None:
    server.reset()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


def _options(server: SpecServer) -> dict[str, Any]:
    return {"base_url": server.base_url, "max_retries": 0, "timeout": 10.0}


@pytest.fixture(scope="module")
def sync_client(server: SpecServer, private_key: rsa.RSAPrivateKey) -> Iterator[KalshiClient]:
    with KalshiClient(auth=KalshiAuth(KEY_ID, private_key), **_options(server)) as client:
        yield client


@pytest.fixture(scope="module")
def anon_client(server: SpecServer) -> Iterator[KalshiClient]:
    with KalshiClient(**_options(server)) as client:
        yield client


@pytest.fixture(scope="module")
def async_client(
    server: SpecServer, private_key: rsa.RSAPrivateKey, loop: asyncio.AbstractEventLoop
) -> Iterator[AsyncKalshiClient]:
    client = AsyncKalshiClient(auth=KalshiAuth(KEY_ID, private_key), **_options(server))
    yield client
    loop.run_until_complete(client.close())


@pytest.fixture(scope="module")
def anon_async_client(server: SpecServer, loop: asyncio.AbstractEventLoop) -> Iterator[AsyncKalshiClient]:
    client = AsyncKalshiClient(**_options(server))
    yield client
    loop.run_until_complete(client.close())


@pytest.fixture(scope="module")
def sync_methods(sync_client: KalshiClient) -> dict[str, Method]:
    return discover(sync_client)


@pytest.fixture(scope="module")
def async_methods(async_client: AsyncKalshiClient) -> dict[str, Method]:
    return discover(async_client)


def bound(client: Any, methods: dict[str, Method], op_id: str) -> Callable[..., Any]:
    assert op_id in methods, f"{op_id} is not reachable through {type(client).__name__}"
    method = methods[op_id]
    fn: Callable[..., Any] = getattr(getattr(client, method.resource), method.name)
    return fn


# --- checks -----------------------------------------------------------------------------------------------


def only_request(server: SpecServer, op_id: str) -> Received:
    received = server.calls()
    assert [r.operation_id for r in received] == [op_id], f"expected one {op_id} request, got {received}"
    return received[0]


def is_uuid4(value: Any) -> bool:
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return parsed.version == 4 and str(parsed) == value


def check_request(
    rec: Received, op: IROperation, operation: Operation[Any], call: Call, *, signed: bool
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
        default = default_of(declared[name].schema)
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


def unwrap_optional(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return inner
    return annotation


def check_result(result: Any, op: IROperation, operation: Operation[Any]) -> None:
    target = operation.response_type
    sample = expected_response(op)
    if target is None:
        assert sample is None, f"{op.operation_id}: spec declares a response body, the client ignores it"
        assert result is None
        return
    model = as_type(target, sample)
    if operation.page_items is not None:
        assert isinstance(result, Page | AsyncPage)
        assert isinstance(result.response, target)
        assert result.response == model
        item_type = typing.get_args(unwrap_optional(target.model_fields[operation.page_items].annotation))[0]
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


# --- 1. discovery -----------------------------------------------------------------------------------------


def test_every_spec_operation_is_reachable(
    sync_client: KalshiClient,
    async_client: AsyncKalshiClient,
    sync_methods: dict[str, Method],
    async_methods: dict[str, Method],
) -> None:
    assert IR_OPS and EXCLUDED_OPERATIONS == {}
    expected = set(IR_OPS) - set(EXCLUDED_OPERATIONS)
    assert set(sync_methods) == expected
    assert set(async_methods) == expected
    # The Operation constants of the resource modules are exactly the reachable operations.
    assert set(module_operations(sync_client)) == expected
    assert set(module_operations(async_client)) == expected
    for op_id, method in sync_methods.items():
        twin = async_methods[op_id]
        assert (twin.resource, twin.name) == (method.resource, method.name)
        assert twin.operation is method.operation
        sync_fn = getattr(getattr(sync_client, method.resource), method.name)
        async_fn = getattr(getattr(async_client, method.resource), method.name)
        assert not inspect.iscoroutinefunction(sync_fn)
        assert inspect.iscoroutinefunction(async_fn)
        assert inspect.signature(sync_fn).parameters.keys() == inspect.signature(async_fn).parameters.keys()
        # The naming table decides the method name (snake_case of the operationId when it is silent).
        assert method.name == NAMING["methods"].get(op_id, snake_case(op_id)), op_id


@pytest.mark.parametrize("op_id", INCLUDED_IDS)
def test_operation_constant_matches_spec(
    op_id: str, sync_client: KalshiClient, sync_methods: dict[str, Method], async_client: AsyncKalshiClient
) -> None:
    op = IR_OPS[op_id]
    method = sync_methods[op_id]
    operation = method.operation
    assert operation.method == op.method.upper()
    assert operation.path == op.path
    assert operation.requires_auth == op.requires_auth
    assert sorted(operation.path_params) == sorted(p.name for p in op.parameters if p.location == "path")
    for name, explode in operation.array_query.items():
        (param,) = [p for p in op.parameters if p.location == "query" and p.name == name]
        assert resolve(param.schema).kind == "array" and explode == param.explode
    assert operation.order_writes == NAMING["order_writes"].get(op_id)
    # Cursor operations, and only they, have an `_all` twin on both clients.
    for client in (sync_client, async_client):
        resource = getattr(client, method.resource)
        assert hasattr(resource, method.name + "_all") == (operation.page_items is not None), op_id


# --- 2. every operation, sync and async -------------------------------------------------------------------


def _sync(
    op_id: str, server: SpecServer, client: KalshiClient, methods: dict[str, Method], variant: str
) -> None:
    op, operation = IR_OPS[op_id], methods[op_id].operation
    fn = bound(client, methods, op_id)
    call = build_call(op, fn, variant)
    result = fn(*call.args, **call.kwargs)
    check_request(only_request(server, op_id), op, operation, call, signed=client.auth is not None)
    check_result(result, op, operation)


def _async(
    op_id: str,
    server: SpecServer,
    client: AsyncKalshiClient,
    methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
    variant: str,
) -> None:
    op, operation = IR_OPS[op_id], methods[op_id].operation
    fn = bound(client, methods, op_id)
    call = build_call(op, fn, variant)
    result = loop.run_until_complete(fn(*call.args, **call.kwargs))
    check_request(only_request(server, op_id), op, operation, call, signed=client.auth is not None)
    check_result(result, op, operation)


@pytest.mark.parametrize("op_id", INCLUDED_IDS)
def test_sync_call(
    op_id: str, server: SpecServer, sync_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    _sync(op_id, server, sync_client, sync_methods, "kwargs")


@pytest.mark.parametrize("op_id", INCLUDED_IDS)
def test_async_call(
    op_id: str,
    server: SpecServer,
    async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
) -> None:
    _async(op_id, server, async_client, async_methods, loop, "kwargs")


@pytest.mark.parametrize("variant", ["request", "full"])
@pytest.mark.parametrize("op_id", BODY_IDS)
def test_sync_call_request_model(
    op_id: str, variant: str, server: SpecServer, sync_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    _sync(op_id, server, sync_client, sync_methods, variant)


@pytest.mark.parametrize("variant", ["request", "full"])
@pytest.mark.parametrize("op_id", BODY_IDS)
def test_async_call_request_model(
    op_id: str,
    variant: str,
    server: SpecServer,
    async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
) -> None:
    _async(op_id, server, async_client, async_methods, loop, variant)


@pytest.mark.parametrize("op_id", PUBLIC_IDS)
def test_sync_public_call_anonymous(
    op_id: str, server: SpecServer, anon_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    _sync(op_id, server, anon_client, sync_methods, "kwargs")


@pytest.mark.parametrize("op_id", PUBLIC_IDS)
def test_async_public_call_anonymous(
    op_id: str,
    server: SpecServer,
    anon_async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
) -> None:
    _async(op_id, server, anon_async_client, async_methods, loop, "kwargs")


# --- 3. auth required -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op_id", AUTH_IDS)
def test_auth_required_without_credentials(
    op_id: str, server: SpecServer, anon_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    op = IR_OPS[op_id]
    fn = bound(anon_client, sync_methods, op_id)
    call = build_call(op, fn)
    with pytest.raises(AuthRequiredError) as info:
        fn(*call.args, **call.kwargs)
    assert (info.value.operation, info.value.method, info.value.path) == (op_id, op.method.upper(), op.path)
    assert server.calls() == []


# --- 4. argument errors -----------------------------------------------------------------------------------

KEYWORD_BODY_IDS = [op_id for op_id in BODY_IDS if not is_free_form(body_schema(IR_OPS[op_id]))]


def _request_and_keyword(op_id: str, fn: Callable[..., Any]) -> tuple[Call, dict[str, Any]]:
    op = IR_OPS[op_id]
    call = build_call(op, fn, "request")
    full = SAMPLER.value(body_schema(op))
    name, value = next(iter(full.items()))
    return call, {python_name(name, inspect.signature(fn)): value}


@pytest.mark.parametrize("op_id", KEYWORD_BODY_IDS)
def test_request_and_body_keyword_is_a_type_error(
    op_id: str,
    server: SpecServer,
    sync_client: KalshiClient,
    sync_methods: dict[str, Method],
    async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
) -> None:
    fn = bound(sync_client, sync_methods, op_id)
    call, extra = _request_and_keyword(op_id, fn)
    with pytest.raises(TypeError, match="not both"):
        fn(*call.args, **call.kwargs, **extra)
    afn = bound(async_client, async_methods, op_id)
    with pytest.raises(TypeError, match="not both"):
        loop.run_until_complete(afn(*call.args, **call.kwargs, **extra))
    assert server.calls() == []


@pytest.mark.parametrize("op_id", INCLUDED_IDS)
def test_unknown_keyword_is_a_type_error(
    op_id: str,
    server: SpecServer,
    sync_client: KalshiClient,
    sync_methods: dict[str, Method],
    async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
) -> None:
    fn = bound(sync_client, sync_methods, op_id)
    call = build_call(IR_OPS[op_id], fn)
    with pytest.raises(TypeError, match="no_such_argument"):
        fn(*call.args, **call.kwargs, no_such_argument=1)
    afn = bound(async_client, async_methods, op_id)
    with pytest.raises(TypeError, match="no_such_argument"):
        afn(*call.args, **call.kwargs, no_such_argument=1)  # fails binding: no coroutine is created
    assert server.calls() == []


# --- 5. auto-paging ---------------------------------------------------------------------------------------

PAGED = {"GetMarkets": "ticker", "GetFills": "fill_id", "GetPositions": "ticker"}  # op -> item key to vary
CURSORS = ["cursor-page-2", "cursor-page-3", ""]


def scripted_pages(op_id: str, operation: Operation[Any]) -> tuple[list[Any], list[str]]:
    """Three response bodies, two distinct items each, chained by CURSORS; and the item keys in order."""
    base = expected_response(IR_OPS[op_id])
    (template,) = base[operation.page_items][:1]
    pages, keys = [], []
    for number, cursor in enumerate(CURSORS, start=1):
        items = []
        for index in (1, 2):
            key = f"{op_id}-p{number}-i{index}"
            items.append({**template, PAGED[op_id]: key})
            keys.append(key)
        pages.append({**base, operation.page_items: items, operation.page_cursor or "cursor": cursor})
    return pages, keys


def check_paging(server: SpecServer, op_id: str, items: list[Any], keys: list[str]) -> None:
    assert [getattr(item, PAGED[op_id]) for item in items] == keys
    received = server.calls()
    assert [r.operation_id for r in received] == [op_id] * 3
    sent = [[v for k, v in r.query if k == "cursor"] for r in received]
    assert sent == [[], CURSORS[:1], CURSORS[1:2]]
    expected = True if IR_OPS[op_id].requires_auth else None
    assert [r.signature_ok for r in received] == [expected] * 3


@pytest.mark.parametrize("op_id", sorted(PAGED))
def test_sync_all_follows_cursors(
    op_id: str, server: SpecServer, sync_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    method = sync_methods[op_id]
    pages, keys = scripted_pages(op_id, method.operation)
    server.script(op_id, *(Reply(200, page) for page in pages))
    items = list(getattr(getattr(sync_client, method.resource), method.name + "_all")(max_pages=3))
    check_paging(server, op_id, items, keys)


@pytest.mark.parametrize("op_id", sorted(PAGED))
def test_async_all_follows_cursors(
    op_id: str,
    server: SpecServer,
    async_client: AsyncKalshiClient,
    async_methods: dict[str, Method],
    loop: asyncio.AbstractEventLoop,
) -> None:
    method = async_methods[op_id]
    pages, keys = scripted_pages(op_id, method.operation)
    server.script(op_id, *(Reply(200, page) for page in pages))

    async def collect() -> list[Any]:
        iterator = getattr(getattr(async_client, method.resource), method.name + "_all")(max_pages=3)
        return [item async for item in iterator]

    check_paging(server, op_id, loop.run_until_complete(collect()), keys)


def test_all_stops_at_max_pages(
    server: SpecServer, sync_client: KalshiClient, sync_methods: dict[str, Method]
) -> None:
    pages, keys = scripted_pages("GetMarkets", sync_methods["GetMarkets"].operation)
    assert pages[1]["cursor"]  # the second page still points to a third: max_pages stops the loop
    server.script("GetMarkets", *(Reply(200, page) for page in pages))
    items = list(sync_client.markets.list_all(max_pages=2))
    assert [item.ticker for item in items] == keys[:4]
    assert len(server.calls("GetMarkets")) == 2
