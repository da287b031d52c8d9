"""Transport behaviour over real loopback HTTP: errors, retries, timeouts, paging, and refusals before I/O."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from codegen.render import Project, write_package
from codegen.spec import write_pinned
from kalshi_api import AsyncKalshiClient, KalshiClient, models
from kalshi_api.client import SERVERS
from kalshi_api_core import errors
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.config import DEMO, PRODUCTION
from kalshi_api_core.transport import RetryPolicy, parse_retry_after
from tests.spec_server import Reply, SpecServer

ROOT = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.005, retry_after_max=5.0)
ORDER = {
    "ticker": "KXTEST-26",
    "side": "bid",
    "count": "2",
    "price": "0.55",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
}


@pytest.fixture
def client(server: SpecServer, key: rsa.RSAPrivateKey) -> Iterator[KalshiClient]:
    server.reset()
    with KalshiClient(auth=KalshiAuth("key-id", key), base_url=server.base_url, retry=FAST) as c:
        yield c
    server.reset()


# --- error mapping -------------------------------------------------------------------------------------

ERRORS = [
    (400, errors.BadRequestError),
    (422, errors.BadRequestError),
    (401, errors.AuthenticationError),
    (403, errors.PermissionDeniedError),
    (404, errors.NotFoundError),
    (409, errors.ConflictError),
    (429, errors.RateLimitError),
    (500, errors.ServerError),
    (502, errors.ServerError),
    (503, errors.ServerError),
    (504, errors.ServerError),
]


@pytest.mark.parametrize(("status", "cls"), ERRORS)
def test_status_maps_to_typed_error_with_kalshi_fields(
    server: SpecServer, key: rsa.RSAPrivateKey, status: int, cls: type[errors.APIError]
) -> None:
    server.reset()
    body = {"error": {"code": f"code_{status}", "message": "nope", "details": "more"}}
    server.script("GetBalance", Reply(status, body, {"Retry-After": "7", "x-request-id": "req-1"}))
    with KalshiClient(auth=KalshiAuth("key-id", key), base_url=server.base_url, max_retries=0) as c:
        with pytest.raises(cls) as err:
            c.portfolio.balance()
    e = err.value
    assert type(e) is cls and isinstance(e, errors.KalshiError)
    assert (e.status, e.code, e.message, e.details) == (status, f"code_{status}", "nope", "more")
    assert (e.method, e.path, e.request_id) == ("GET", "/trade-api/v2/portfolio/balance", "req-1")
    signature = server.calls("GetBalance")[0].headers["kalshi-access-signature"]
    assert signature not in str(e) and signature not in repr(e)
    assert e.retry_after == 7.0  # Retry-After is read for every status (429, 503, ...)


def test_error_without_json_body_keeps_a_short_message(server: SpecServer, client: KalshiClient) -> None:
    server.script(
        "GetExchangeStatus", Reply(400, b"<html>bad gateway page</html>", {"Content-Type": "text/html"})
    )
    with pytest.raises(errors.BadRequestError) as err:
        client.exchange.status()
    assert err.value.code is None and err.value.message == "bad gateway page"  # its text, not its markup


def test_bare_error_response_body_is_read_too(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetMarket", Reply(404, {"code": "market_not_found", "message": "no such market"}))
    with pytest.raises(errors.NotFoundError) as err:
        client.markets.get("NOPE")
    assert (err.value.code, err.value.message) == ("market_not_found", "no such market")
    assert err.value.path == "/trade-api/v2/markets/NOPE"


@pytest.mark.parametrize("body", [b"not json", b'{"market": {"ticker": 5}}', b"[]"])
def test_success_body_that_breaks_the_schema_is_a_decode_error(
    server: SpecServer, client: KalshiClient, body: bytes
) -> None:
    server.script("GetMarket", Reply(200, body))
    with pytest.raises(errors.ResponseDecodeError) as err:
        client.markets.get("ABC")
    assert err.value.status == 200 and "GetMarketResponse" in str(err.value)


def test_pluggable_json_loader_is_used(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    seen: list[bytes] = []

    def loads(data: bytes) -> Any:
        seen.append(data)
        return json.loads(data)

    with KalshiClient(base_url=server.base_url, json_loads=loads) as c:
        status = c.exchange.status()
    assert isinstance(status, models.ExchangeStatus) and len(seen) == 1


# --- retries -------------------------------------------------------------------------------------------


def test_get_retries_5xx_and_429_then_succeeds(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetExchangeStatus", Reply(503), Reply(429), Reply(500))
    assert isinstance(client.exchange.status(), models.ExchangeStatus)
    assert len(server.calls("GetExchangeStatus")) == 4


def test_get_gives_up_after_max_retries(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetExchangeStatus", *[Reply(502, {"error": {"code": "down"}})] * 5)
    with pytest.raises(errors.ServerError) as err:
        client.exchange.status()
    assert err.value.status == 502 and len(server.calls("GetExchangeStatus")) == 4  # 1 + max_retries


def test_retry_after_seconds_is_honoured(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetExchangeStatus", Reply(429, headers={"Retry-After": "0.3"}))
    started = time.monotonic()
    client.exchange.status()
    assert time.monotonic() - started >= 0.3
    assert len(server.calls("GetExchangeStatus")) == 2


def test_retry_after_in_the_past_or_negative_means_now(server: SpecServer, client: KalshiClient) -> None:
    past = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1), usegmt=True)
    server.script(
        "GetExchangeStatus",
        Reply(503, headers={"Retry-After": past}),
        Reply(503, headers={"Retry-After": "-5"}),
    )
    client.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 3


def test_get_retries_never_wait_past_total_timeout(server: SpecServer) -> None:
    server.script("GetExchangeStatus", Reply(503, headers={"Retry-After": "1"}))
    budget = RetryPolicy(max_retries=3, retry_after_max=5.0, total_timeout=0.5)
    with KalshiClient(base_url=server.base_url, retry=budget) as c:
        with pytest.raises(errors.ServerError) as err:
            c.exchange.status()
    assert err.value.retry_after == 1.0 and len(server.calls("GetExchangeStatus")) == 1
    server.reset()  # a budget that holds the wait: the same answer is waited out and retried
    server.script("GetExchangeStatus", Reply(503, headers={"Retry-After": "1"}))
    roomy = RetryPolicy(max_retries=3, retry_after_max=5.0, total_timeout=5.0)
    with KalshiClient(base_url=server.base_url, retry=roomy) as c:
        assert isinstance(c.exchange.status(), models.ExchangeStatus)
    first, second = server.calls("GetExchangeStatus")
    assert second.at - first.at >= 1.0


def test_total_timeout_also_cuts_each_attempts_timeout(server: SpecServer) -> None:
    server.script("GetExchangeStatus", Reply(200, delay=0.8))  # the client's own timeout is 10 s
    with KalshiClient(base_url=server.base_url, retry=RetryPolicy(total_timeout=0.3)) as c:
        with pytest.raises(errors.RequestTimeoutError):
            c.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 1


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_total_timeout_must_be_a_positive_number_of_seconds(bad: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="total_timeout"):
        RetryPolicy(total_timeout=bad)


def test_parse_retry_after() -> None:
    now = 1_800_000_000.0
    future = format_datetime(datetime.fromtimestamp(now + 12, timezone.utc), usegmt=True)
    assert parse_retry_after(future, cap=60, now=now) == pytest.approx(12)
    assert parse_retry_after(future, cap=5, now=now) == 5  # capped
    assert parse_retry_after("3", cap=60) == 3
    assert parse_retry_after("2.5", cap=60) == 2.5
    assert parse_retry_after("-1", cap=60) == 0
    assert parse_retry_after("1000", cap=60) == 60
    assert parse_retry_after("soon", cap=60) is None
    assert parse_retry_after("NaN", cap=60) is None
    assert parse_retry_after(None, cap=60) is None


def test_get_read_timeout_is_retried(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetExchangeStatus", Reply(200, delay=0.6))
    assert isinstance(client.exchange.status(timeout=0.2), models.ExchangeStatus)
    assert len(server.calls("GetExchangeStatus")) == 2


def test_get_dropped_connection_is_retried(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetExchangeStatus", Reply(drop=True))
    client.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 2


def test_post_is_not_retried_after_a_read_timeout_and_names_the_order(
    server: SpecServer, client: KalshiClient
) -> None:
    server.script("CreateOrderV2", Reply(201, delay=0.8))
    with pytest.raises(errors.RequestTimeoutError) as err:
        client.orders.create_v2(**ORDER, timeout=0.2)
    calls = server.calls("CreateOrderV2")
    assert len(calls) == 1  # never sent twice: the first may have been placed
    sent_id = json.loads(calls[0].body)["client_order_id"]
    assert uuid.UUID(sent_id).version == 4
    assert err.value.client_order_id == sent_id and err.value.client_order_ids == (sent_id,)
    assert sent_id in str(err.value) and "reconcile" in str(err.value)


def test_post_is_not_retried_after_a_dropped_connection(server: SpecServer, client: KalshiClient) -> None:
    server.script("CreateOrderV2", Reply(drop=True))
    with pytest.raises(errors.NetworkError) as err:
        client.orders.create_v2(**ORDER, client_order_id="mine-1")
    assert len(server.calls("CreateOrderV2")) == 1
    assert err.value.client_order_id == "mine-1"


def test_post_is_not_retried_on_5xx(server: SpecServer, client: KalshiClient) -> None:
    server.script("CreateOrderV2", Reply(503))
    with pytest.raises(errors.ServerError) as err:
        client.orders.create_v2(**ORDER)
    assert len(server.calls("CreateOrderV2")) == 1 and err.value.client_order_id is not None


def test_batch_order_errors_carry_every_client_order_id(server: SpecServer, client: KalshiClient) -> None:
    server.script("BatchCreateOrdersV2", Reply(201, delay=0.8))
    orders = [dict(ORDER, client_order_id="given-1"), dict(ORDER)]
    with pytest.raises(errors.RequestTimeoutError) as err:
        client.orders.batch_create_v2(orders=orders, timeout=0.2)
    sent = [o["client_order_id"] for o in json.loads(server.calls("BatchCreateOrdersV2")[0].body)["orders"]]
    assert sent[0] == "given-1" and uuid.UUID(sent[1]).version == 4
    assert err.value.client_order_ids == tuple(sent) and err.value.client_order_id is None


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/trade-api/v2"


def test_post_is_retried_when_it_never_left(key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kalshi_api")
    with KalshiClient(auth=KalshiAuth("key-id", key), base_url=_closed_port_url(), retry=FAST) as c:
        with pytest.raises(errors.NetworkError) as err:
            c.orders.create_v2(**ORDER)
    attempts = [r for r in caplog.records if "ConnectError" in r.getMessage()]
    assert len(attempts) == 4  # connection refused: the order never left, so retrying is safe
    assert err.value.client_order_id is not None


def test_retry_decisions_by_method_and_failure() -> None:
    with KalshiClient(base_url="http://127.0.0.1:1/trade-api/v2", retry=FAST) as c:
        core = c._core
        get = core.prepare(_op("GET"), None, None, None, None)
        post = core.prepare(_op("POST"), None, None, None, None)
    request = httpx.Request("GET", "http://127.0.0.1")
    left = [httpx.ReadTimeout("t", request=request), httpx.RemoteProtocolError("r", request=request)]
    never_left = [httpx.ConnectError("c", request=request), httpx.PoolTimeout("p", request=request)]
    for exc in left + never_left:
        assert core.delay_after_exception(get, exc, 0) is not None
    for exc in left:
        assert core.delay_after_exception(post, exc, 0) is None
    for exc in never_left:
        assert core.delay_after_exception(post, exc, 0) is not None
        assert core.delay_after_exception(post, exc, FAST.max_retries) is None
    pool = core.transport_error(post, httpx.PoolTimeout("p", request=request))
    assert isinstance(pool, errors.PoolTimeoutError)


def _op(method: str) -> Any:
    from kalshi_api_core.transport import Operation

    return Operation("Op", method, "/x", False)


def test_path_parameters_are_encoded_and_signed_as_sent(server: SpecServer, client: KalshiClient) -> None:
    client.orders.get("id with space/and slash?x=1")
    (call,) = server.calls("GetOrder")
    assert call.path == "/trade-api/v2/portfolio/orders/id%20with%20space%2Fand%20slash%3Fx%3D1"
    assert call.signature_ok is True and call.query == []


# --- pagination ----------------------------------------------------------------------------------------


def _fills_page(cursor: str, *trade_ids: str) -> dict[str, Any]:
    return {"cursor": cursor, "fills": [dict(FILL, trade_id=t) for t in trade_ids]}


FILL: dict[str, Any] = {}  # a spec-valid Fill, filled in once the server has loaded the spec


@pytest.fixture(scope="module", autouse=True)
def _fill_sample(shared_server: SpecServer) -> None:
    FILL.update(shared_server.sampler.value(shared_server.spec.schemas["Fill"]))


def test_pages_are_iterable_and_know_their_cursor(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetFills", Reply(200, _fills_page("next-1", "a", "b")))
    page = client.portfolio.fills(limit=2)
    assert [f.trade_id for f in page] == ["a", "b"] and len(page) == 2
    assert page.cursor == "next-1" and page.has_next and isinstance(page.response, models.GetFillsResponse)
    assert ("limit", "2") in server.calls("GetFills")[0].query


def test_auto_paging_follows_cursors_to_the_end(server: SpecServer, client: KalshiClient) -> None:
    server.script(
        "GetFills",
        Reply(200, _fills_page("c1", "a")),
        Reply(200, _fills_page("c2", "b")),
        Reply(200, _fills_page("", "c")),
    )
    assert [f.trade_id for f in client.portfolio.fills_all(ticker="T")] == ["a", "b", "c"]
    queries = [dict(c.query) for c in server.calls("GetFills")]
    assert [q.get("cursor") for q in queries] == [None, "c1", "c2"]
    assert all(q["ticker"] == "T" for q in queries)


def test_max_pages_stops_early(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetFills", *[Reply(200, _fills_page(f"c{i}", str(i))) for i in range(5)])
    assert [f.trade_id for f in client.portfolio.fills_all(max_pages=2)] == ["0", "1"]
    assert len(server.calls("GetFills")) == 2


def test_a_repeated_cursor_stops_paging_with_an_error(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetFills", Reply(200, _fills_page("same", "a")), Reply(200, _fills_page("same", "b")))
    seen = []
    with pytest.raises(errors.PaginationError, match="same"):
        for fill in client.portfolio.fills_all():
            seen.append(fill.trade_id)
    assert seen == ["a", "b"] and len(server.calls("GetFills")) == 2


def test_async_auto_paging(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.reset()
    server.script("GetFills", Reply(200, _fills_page("c1", "a")), Reply(200, _fills_page("", "b")))

    async def collect() -> list[str]:
        async with AsyncKalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url, retry=FAST) as c:
            return [f.trade_id async for f in c.portfolio.fills_all()]

    assert asyncio.run(collect()) == ["a", "b"]


# --- refusals before any I/O ---------------------------------------------------------------------------


def test_auth_required_before_any_request(server: SpecServer) -> None:
    server.reset()
    with KalshiClient(base_url=server.base_url) as anonymous:
        with pytest.raises(errors.AuthRequiredError) as err:
            anonymous.portfolio.balance()
        with pytest.raises(errors.AuthRequiredError):
            list(anonymous.portfolio.fills_all())
        assert isinstance(anonymous.exchange.status(), models.ExchangeStatus)  # public still works
    assert "GetBalance" in str(err.value) and server.calls("GetBalance") == []


@pytest.mark.parametrize(
    "name",
    [
        "KALSHI-ACCESS-KEY",
        "kalshi-access-signature",
        "Kalshi-Access-Timestamp",
        "kAlShI-aCcEsS-x",
        " KALSHI-ACCESS-KEY",
    ],
)
def test_access_headers_can_never_be_supplied(server: SpecServer, client: KalshiClient, name: str) -> None:
    with pytest.raises(errors.HeaderNotAllowedError):
        client.exchange.status(extra_headers={name: "forged"})
    with pytest.raises(errors.HeaderNotAllowedError):
        KalshiClient(base_url=server.base_url, headers={name: "forged"})
    assert server.calls() == []


def test_custom_headers_pass_through(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    server.reset()
    with KalshiClient(base_url=server.base_url, headers={"X-Team": "desk-1"}) as c:
        c.exchange.status(extra_headers={"X-Trace": "t-9"})
    headers = server.calls("GetExchangeStatus")[0].headers
    assert headers["x-team"] == "desk-1" and headers["x-trace"] == "t-9"
    assert not any(h.startswith("kalshi-access-") for h in headers)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/trade-api/v2",
        "https://kalshi.com.evil.example/trade-api/v2",
        "https://10.0.0.5/trade-api/v2",
    ],
)
def test_unknown_hosts_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(errors.HostNotAllowedError):
        KalshiClient(base_url=url)
    host = httpx.URL(url).host
    KalshiClient(base_url=url, allowed_hosts=[host]).close()


def test_every_spec_server_and_loopback_is_allowed() -> None:
    for url in SERVERS:
        if url.startswith("https://"):  # with its own environment: a demo REST URL needs demo's WebSocket
            KalshiClient(base_url=url, environment="demo" if ".kalshi.co/" in url else "production").close()
    for url in ("http://127.0.0.1:9/trade-api/v2", "http://localhost:9/x", "http://[::1]:9/x"):
        KalshiClient(base_url=url).close()


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(errors.ConfigurationError, match="https"):
        KalshiClient(base_url="http://external-api.kalshi.com/trade-api/v2")
    with pytest.raises(errors.ConfigurationError):
        KalshiClient(ws_url="ws://external-api-ws.kalshi.com/trade-api/ws/v2")


def test_environments_switch_rest_and_ws_together(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    with KalshiClient(environment="demo") as demo, KalshiClient() as prod:
        assert (demo.base_url, demo.ws_url) == (DEMO.rest_url, DEMO.ws_url)
        assert (prod.base_url, prod.ws_url) == (PRODUCTION.rest_url, PRODUCTION.ws_url)
    for env in (PRODUCTION, DEMO):
        assert env.rest_url in SERVERS
    with pytest.raises(errors.ConfigurationError, match="staging"):
        KalshiClient(environment="staging")


def test_from_env(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / "key.pem"
    path.write_bytes(pem)
    environ = {"KALSHI_KEY_ID": "env-key", "KALSHI_PRIVATE_KEY_PATH": str(path), "KALSHI_ENV": "demo"}
    with KalshiClient.from_env(environ) as c:
        assert c.auth is not None and c.auth.key_id == "env-key" and c.base_url == DEMO.rest_url
        assert "BEGIN" not in repr(c)
    with KalshiClient.from_env({}) as anonymous:
        assert anonymous.auth is None and anonymous.environment is PRODUCTION


def test_from_env_urls_replace_both_of_the_environments() -> None:
    rest, ws = "http://127.0.0.1:8080/trade-api/v2", "ws://127.0.0.1:8081/trade-api/ws/v2"
    environ = {"KALSHI_BASE_URL": f" {rest}\n", "KALSHI_WS_URL": ws, "KALSHI_ENV": "demo"}
    with KalshiClient.from_env(environ) as c:
        assert (c.base_url, c.ws_url, c.websocket().url) == (rest, ws, ws)
    with KalshiClient.from_env(environ, base_url=DEMO.rest_url, ws_url=DEMO.ws_url) as c:
        assert (c.base_url, c.ws_url) == (DEMO.rest_url, DEMO.ws_url)  # keyword options win
    for given, missing in (("KALSHI_BASE_URL", "KALSHI_WS_URL"), ("KALSHI_WS_URL", "KALSHI_BASE_URL")):
        with pytest.raises(errors.ConfigurationError, match=f"{given} is set but {missing} is not"):
            KalshiClient.from_env({given: rest, missing: " "})
    with pytest.raises(errors.HostNotAllowedError, match=r"evil\.example"):
        KalshiClient.from_env(
            {"KALSHI_BASE_URL": "https://evil.example/v", "KALSHI_WS_URL": "wss://evil.example/"}
        )


@pytest.mark.parametrize(
    ("field", "bad"),
    [("price", 0.55), ("price", True), ("price", Decimal("NaN")), ("price", "NaN"), ("count", float("inf")),
     ("count", False), ("expiration_time", True), ("side", "buy")],
)  # fmt: skip
def test_bad_body_values_are_refused_before_sending(
    server: SpecServer, client: KalshiClient, field: str, bad: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        client.orders.create_v2(**{**ORDER, field: bad})
    assert field in str(err.value)
    assert server.calls() == []


@pytest.mark.parametrize(
    ("name", "bad"), [("limit", True), ("limit", 5.0), ("limit", 5000), ("status", "live")]
)
def test_bad_query_values_are_refused_before_sending(
    server: SpecServer, client: KalshiClient, name: str, bad: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        client.markets.list(**{name: bad})
    assert name in str(err.value) and server.calls() == []


def test_request_and_keywords_together_is_a_type_error(server: SpecServer, client: KalshiClient) -> None:
    request = models.CreateOrderV2Request.model_validate(ORDER)
    with pytest.raises(TypeError, match="not both"):
        client.orders.create_v2(request=request, ticker="OTHER")
    with pytest.raises(TypeError):
        client.orders.create_v2(**ORDER, prise="0.5")  # type: ignore[call-arg]
    assert server.calls() == []


# --- the V1 order writes ----------------------------------------------------------------------------------


def test_june_spec_regenerates_without_v1_order_writes(tmp_path: Path) -> None:
    june = ROOT.parent / "shared" / "specs" / "history" / "openapi-3.22.0-20260622.yaml"
    if not june.is_file():
        pytest.skip("../shared/specs/history is not beside this checkout")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("templates", "overrides", "asyncapi"):
        (project / name).symlink_to(ROOT / name)
    (project / "pyproject.toml").symlink_to(ROOT / "pyproject.toml")
    write_pinned(str(june), "openapi", project / "openapi")
    rendered = write_package(Project(project), tmp_path / "out")
    package = tmp_path / "out" / "kalshi_api"
    generated_ops = set()
    for module in (package / "resources").glob("*.py"):
        generated_ops |= set(re.findall(r'operation_id="(\w+)"', module.read_text()))
    june_spec = yaml.safe_load(june.read_text())
    v1_writes = {
        op["operationId"]
        for path, item in june_spec["paths"].items()
        if path.startswith("/portfolio/orders")
        for method, op in item.items()
        if method in ("post", "put", "delete", "patch")
    }
    assert v1_writes == {"CancelOrder", "BatchCancelOrders", "DecreaseOrder"}
    assert not generated_ops & v1_writes
    assert {"GetOrders", "GetOrder", "GetOrderQueuePositions", "CreateOrderV2"} <= generated_ops
    client_module = (package / "client.py").read_text()
    for op in v1_writes:
        assert f'"{op}": ' in client_module  # listed in EXCLUDED_OPERATIONS, with the reason
        assert any(note.startswith(f"left out {op} ") for note in rendered.notes)  # and regen says so


def test_only_arguments_the_caller_gave_are_sent(server: SpecServer, client: KalshiClient) -> None:
    """The spec's defaults are the server's to apply: the SDK never sends a value nobody chose."""
    client.markets.list()
    client.events.list(with_nested_markets=True)
    assert server.calls("GetMarkets")[0].query == []
    assert server.calls("GetEvents")[0].query == [("with_nested_markets", "true")]
