"""Record real exchanges over loopback HTTP (signed with a real RSA key), then replay them, the server gone.

The server is tests/spec_server.py: it checks every signature and answers with spec samples or scripted
replies. Replay must give the same decoded results, never reach the network, and the file must never hold the
signing headers.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, AsyncPage, KalshiClient, Page
from kalshi_api.record_replay import RecordingTransport, ReplayTransport
from kalshi_api_core import errors
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.transport import RetryPolicy
from tests.spec_server import Received, Reply, SpecServer

KEY_ID = "rec-key-5f1c9a"  # distinctive, so its absence from a file means something
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002, retry_after_max=1.0)
ORDER = {
    "ticker": "KXTEST-26",
    "side": "bid",
    "count": "2",
    "price": "0.55",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
    "client_order_id": "rec-order-1",
}


def client(key: rsa.RSAPrivateKey, base_url: str, **options: Any) -> KalshiClient:
    return KalshiClient(auth=KalshiAuth(KEY_ID, key), base_url=base_url, retry=FAST, **options)


def async_client(key: rsa.RSAPrivateKey, base_url: str, **options: Any) -> AsyncKalshiClient:
    return AsyncKalshiClient(auth=KalshiAuth(KEY_ID, key), base_url=base_url, retry=FAST, **options)


def fills_page(server: SpecServer, cursor: str, *trade_ids: str) -> dict[str, Any]:
    fill = server.sampler.value(server.spec.schemas["Fill"])
    return {"cursor": cursor, "fills": [dict(fill, trade_id=t) for t in trade_ids]}


def script_fills(server: SpecServer) -> None:
    server.script(
        "GetFills",
        Reply(200, fills_page(server, "c1", "a", "b")),
        Reply(200, fills_page(server, "c2", "c")),
        Reply(200, fills_page(server, "", "d")),
    )


def assert_no_secrets(path: Path, received: list[Received]) -> None:
    """Neither the signing header names nor any value the server saw in them is in the file."""
    text = path.read_text(encoding="utf-8")
    assert "kalshi-access" not in text.lower() and KEY_ID not in text
    signed = [r for r in received if "kalshi-access-signature" in r.headers]
    assert signed, "the scenario must include signed requests"
    for request in signed:
        for name in ("kalshi-access-signature", "kalshi-access-timestamp", "kalshi-access-key"):
            assert request.headers[name] not in text, name


def scenario(c: KalshiClient) -> list[Any]:
    return [
        c.portfolio.balance(),
        c.markets.get("KX/HIGH NY"),  # a path parameter that needs percent-encoding
        c.markets.list(limit=2, status="open"),
        [f.trade_id for f in c.portfolio.fills_all(ticker="T")],
        c.orders.create_v2(**ORDER),
        c.exchange.status(),
    ]


async def async_scenario(c: AsyncKalshiClient) -> list[Any]:
    return [
        await c.portfolio.balance(),
        await c.markets.get("KX/HIGH NY"),
        await c.markets.list(limit=2, status="open"),
        [f.trade_id async for f in c.portfolio.fills_all(ticker="T")],
        await c.orders.create_v2(**ORDER),
        await c.exchange.status(),
    ]


# --- record, then replay with the server stopped ----------------------------------------------------------


def test_replay_gives_the_recorded_results_without_the_server(key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    with SpecServer(key.public_key()) as server:
        script_fills(server)
        with client(key, server.base_url, record_to=path) as recorder:
            recorded = scenario(recorder)
        received = server.calls()
        base_url = server.base_url
    assert all(r.signature_ok is not False for r in received)  # the recorder sent real, valid signatures
    assert recorded[3] == ["a", "b", "c", "d"]
    assert_no_secrets(path, received)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with client(key, base_url, replay_from=path) as replayer:
        assert scenario(replayer) == recorded  # the server is gone: every answer comes from the file


def test_async_replay_gives_the_recorded_results_without_the_server(
    key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "session.jsonl"

    async def run(base_url: str, **options: Any) -> list[Any]:
        async with async_client(key, base_url, **options) as c:
            return await async_scenario(c)

    with SpecServer(key.public_key()) as server:
        script_fills(server)
        recorded = asyncio.run(run(server.base_url, record_to=path))
        received = server.calls()
        base_url = server.base_url
    assert recorded[3] == ["a", "b", "c", "d"]
    assert_no_secrets(path, received)
    assert asyncio.run(run(base_url, replay_from=path)) == recorded


def test_a_sync_recording_replays_in_the_async_client(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "session.jsonl"
    script_fills(server)
    with client(key, server.base_url, record_to=path) as recorder:
        recorded = scenario(recorder)
    server.reset()

    async def replay() -> list[Any]:
        async with async_client(key, server.base_url, replay_from=path) as c:
            return await async_scenario(c)

    assert as_data(asyncio.run(replay())) == as_data(recorded)
    assert server.calls() == []


def as_data(results: list[Any]) -> list[Any]:
    """The results with each page (a ``Page`` from a sync client, an ``AsyncPage`` from an async one) as its
    items, cursor and whole response, which the two kinds share."""
    return [(list(r), r.cursor, r.response) if isinstance(r, Page | AsyncPage) else r for r in results]


# --- matching ---------------------------------------------------------------------------------------------


def test_paged_listing_and_repeated_calls_replay_in_recorded_order(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "pages.jsonl"
    balance = server.sampler.value(server.spec.schemas["GetBalanceResponse"])
    server.script("GetBalance", *(Reply(200, dict(balance, balance=n)) for n in (10, 20, 30)))
    script_fills(server)
    with client(key, server.base_url, record_to=path) as recorder:
        balances = [recorder.portfolio.balance().balance for _ in range(3)]
        pages = [recorder.portfolio.fills(limit=5, cursor=cursor) for cursor in (None, "c1", "c2")]
    assert balances == [10, 20, 30] and [p.cursor for p in pages] == ["c1", "c2", None]
    server.reset()
    with client(key, server.base_url, replay_from=path) as replayer:
        assert [replayer.portfolio.balance().balance for _ in range(3)] == [10, 20, 30]
        # every page's request differs by its cursor: each gets its own page back
        assert [f.trade_id for f in replayer.portfolio.fills_all(limit=5)] == ["a", "b", "c", "d"]
        with pytest.raises(errors.UnrecordedRequestError, match="recorded 1 time"):
            replayer.portfolio.fills(limit=5, cursor="c2")  # its one recorded answer went to fills_all
        with pytest.raises(errors.UnrecordedRequestError, match="recorded 3 time"):
            replayer.portfolio.balance()  # the three recorded answers are used up
    assert server.calls() == []


def test_retried_exchanges_replay_as_they_happened(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "retry.jsonl"
    server.script("GetExchangeStatus", Reply(503, {"error": {"code": "busy"}}, headers={"Retry-After": "0"}))
    with client(key, server.base_url, record_to=path) as recorder:
        status = recorder.exchange.status()
    assert len(server.calls("GetExchangeStatus")) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["response"]["status"] for line in lines[1:]] == [503, 200]
    with client(key, server.base_url, replay_from=path) as replayer:
        assert replayer.exchange.status() == status  # the 503, its retry, then the 200, from the file
    assert len(server.calls("GetExchangeStatus")) == 2


def test_an_unrecorded_request_is_a_typed_error_and_never_reaches_the_network(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    with client(key, server.base_url, record_to=path) as recorder:
        recorder.markets.list(limit=2, status="open")
    server.reset()
    with client(key, server.base_url, replay_from=path) as replayer:  # the server is up, and must stay unused
        with pytest.raises(errors.UnrecordedRequestError) as caught:
            replayer.markets.list(limit=3, status="open")
        with pytest.raises(errors.UnrecordedRequestError):
            replayer.orders.create_v2(**ORDER)
    err = caught.value
    assert isinstance(err, errors.KalshiError)
    assert (err.method, err.path, err.query) == (
        "GET",
        "/trade-api/v2/markets",
        (("limit", "3"), ("status", "open")),
    )
    assert "GET /trade-api/v2/markets?limit=3&status=open" in str(err) and "never recorded" in str(err)
    assert str(path) in str(err)
    assert server.calls() == []


def test_query_parameters_match_in_any_order(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "query.jsonl"
    with client(key, server.base_url, record_to=path) as recorder:
        page = recorder.markets.list(limit=2, status="open", event_ticker="EV")
    recorded = json.loads(path.read_text(encoding="utf-8").splitlines()[1])["request"]["query"]
    assert recorded == [["limit", "2"], ["event_ticker", "EV"], ["status", "open"]]
    url = server.base_url + "/markets"
    with httpx.Client(transport=ReplayTransport(path)) as http:
        reordered = http.get(url, params=[("status", "open"), ("event_ticker", "EV"), ("limit", "2")])
        assert reordered.status_code == 200
        assert reordered.json()["cursor"] == page.cursor
        assert [m["ticker"] for m in reordered.json()["markets"]] == [m.ticker for m in page]
        with pytest.raises(errors.UnrecordedRequestError):  # same names, another value
            http.get(url, params=[("status", "open"), ("event_ticker", "EV"), ("limit", "20")])


# --- the file ---------------------------------------------------------------------------------------------


def test_the_file_is_versioned_json_lines_with_readable_bodies(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "bodies.jsonl"
    status_body = {"exchange_active": True, "trading_active": False}
    server.script(
        "GetExchangeStatus",
        Reply(200, gzip.compress(json.dumps(status_body).encode()), headers={"Content-Encoding": "gzip"}),
    )
    server.script("GetMarket", Reply(404, b"\xff\xfe not utf-8", content_type="application/octet-stream"))
    with client(key, server.base_url, record_to=path) as recorder:
        status = recorder.exchange.status()
        with pytest.raises(errors.NotFoundError) as recorded_error:
            recorder.markets.get("GONE")
        recorder.orders.create_v2(**ORDER)
    header, *records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert header == {"format": "kalshi-api-recording", "version": 1}
    gzipped, binary, order = records
    # stored decoded: text, without the encoding that no longer applies
    assert json.loads(gzipped["response"]["body"]["text"]) == status_body
    assert "content-encoding" not in dict(gzipped["response"]["headers"])
    assert binary["response"]["body"] == {"base64": base64.b64encode(b"\xff\xfe not utf-8").decode()}
    assert json.loads(order["request"]["body"]["text"])["client_order_id"] == "rec-order-1"
    with client(key, server.base_url, replay_from=path) as replayer:
        assert replayer.exchange.status() == status
        with pytest.raises(errors.NotFoundError) as replayed_error:
            replayer.markets.get("GONE")
    assert str(replayed_error.value) == str(recorded_error.value)


def test_a_line_cut_short_by_a_crash_leaves_the_earlier_records_usable(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "crash.jsonl"
    with client(key, server.base_url, record_to=path) as recorder:
        status = recorder.exchange.status()
    with path.open("ab") as file:
        file.write(b'{"request": {"method": "GET", "pa')  # a write interrupted mid-line
    with client(key, server.base_url, replay_from=path) as replayer:
        assert replayer.exchange.status() == status


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no recording at"),
        (b"", "is empty"),
        (b'{"format": "something-else", "version": 1}\n', "not a kalshi-api-recording file"),
        (b'{"format": "kalshi-api-recording", "version": 99}\n', "version 99"),
        (b'{"format": "kalshi-api-recording", "version": 1}\nnot json\n', ":2: not JSON"),
        (
            b'{"format": "kalshi-api-recording", "version": 1}\n{"request": {}}\n',
            ":2: not a recorded exchange",
        ),
    ],
)
def test_a_missing_or_unreadable_recording_is_a_clear_error(
    key: rsa.RSAPrivateKey, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(errors.RecordingError, match=message) as caught:
        client(key, "http://127.0.0.1:1/trade-api/v2", replay_from=path)
    assert str(path) in str(caught.value)
    with pytest.raises(errors.RecordingError, match=message):
        async_client(key, "http://127.0.0.1:1/trade-api/v2", replay_from=path)


# --- the client's safeguards stay on ----------------------------------------------------------------------


def test_recording_refuses_to_combine_with_replay_or_a_callers_client(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    with pytest.raises(errors.ConfigurationError, match="record_to and replay_from"):
        KalshiClient(record_to=path, replay_from=path)
    with httpx.Client() as http, pytest.raises(errors.ConfigurationError, match="http_client and record_to"):
        KalshiClient(http_client=http, record_to=path)


def test_host_policy_applies_when_recording_or_replaying(tmp_path: Path) -> None:
    for option in ("record_to", "replay_from"):
        with pytest.raises(errors.HostNotAllowedError):
            KalshiClient(base_url="https://evil.example.com/trade-api/v2", **{option: tmp_path / "x.jsonl"})
    assert not (tmp_path / "x.jsonl").exists()


def test_a_recorder_around_an_unverified_transport_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tls.jsonl"
    inner = httpx.HTTPTransport(verify=False)
    with httpx.Client(transport=RecordingTransport(path, inner=inner)) as http:
        with pytest.raises(errors.ConfigurationError, match="does not verify TLS"):
            KalshiClient(http_client=http)


def test_redirects_are_not_followed_while_recording(
    server: SpecServer, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "redirect.jsonl"
    elsewhere = server.base_url + "/exchange/status"
    server.script("GetBalance", Reply(302, b"", headers={"Location": elsewhere}))
    with client(key, server.base_url, record_to=path) as recorder, pytest.raises(errors.APIError) as caught:
        recorder.portfolio.balance()
    assert caught.value.status == 302
    assert [r.operation_id for r in server.calls()] == ["GetBalance"]
