"""Private messages delivered once by their identity (not their content, not within a few thousand), the
identities the channel table declares and the regen checks, and ``client.websocket()``'s typed options."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from codegen.channels import WsPlan, plan_ws
from codegen.ir import IRError
from codegen.load import load_asyncapi, read_yaml
from codegen.render import Project, asyncapi_plan, signature_types
from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient
from kalshi_api.ws import (
    CHANNELS,
    KalshiWebSocket,
    KalshiWsSession,
    ReconnectPolicy,
    ResubscribePolicy,
    Resync,
)
from kalshi_api_core.ws.engine import KalshiWebSocketBase
from tests.ws_server import KalshiWsServer

ROOT = Path(__file__).resolve().parent.parent
FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
Scenario = Callable[[KalshiWsServer, KalshiWsSession], Awaitable[None]]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run(key: rsa.RSAPrivateKey, scenario: Scenario, **options: Any) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            ws = KalshiWebSocket(KalshiAuth("dedup", key), url=server.url, reconnect=FAST, **options)
            async with ws.connect() as session:
                await asyncio.wait_for(scenario(server, session), 30)
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(main())


async def until(sub: Any, last: Callable[[Any], bool]) -> list[Any]:
    """Every message up to and including the first for which ``last`` holds (Resync markers left out)."""
    got: list[Any] = []
    while True:
        item = await asyncio.wait_for(sub.__anext__(), 5)
        if isinstance(item, Resync):
            continue
        got.append(item)
        if last(item):
            return got


# --- C. de-duplication by identity ---------------------------------------------------------------------


def test_a_fill_resent_with_another_ts_ms_is_delivered_once(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        fill = dict(server.sample_msg("fill"), trade_id="t-1", ts_ms=1_700_000_000_000)
        await server.publish("fill", fill)
        await server.publish("fill", dict(fill, ts_ms=1_700_000_000_250))  # the server's resend
        await server.publish("fill", dict(fill, trade_id="t-2"))
        got = await until(fills, lambda m: m.msg.trade_id == "t-2")
        assert [m.msg.trade_id for m in got] == ["t-1", "t-2"]
        assert got[0].msg.ts_ms == 1_700_000_000_000

    run(key, scenario)


def test_a_fill_resent_after_4100_others_is_delivered_once(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        sample = server.sample_msg("fill")
        await server.publish("fill", dict(sample, trade_id="first"))
        for i in range(4100):
            await server.publish("fill", dict(sample, trade_id=f"other-{i}"))
        await server.publish("fill", dict(sample, trade_id="first"))  # resent much later
        await server.publish("fill", dict(sample, trade_id="last"))
        got = [m.msg.trade_id for m in await until(fills, lambda m: m.msg.trade_id == "last")]
        assert len(got) == 4102 and got.count("first") == 1

    run(key, scenario)


def test_the_dedup_window_is_bounded_and_configurable(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        sample = server.sample_msg("fill")
        for trade_id in ["a", "b", "a", "c", "d", "a", "end"]:
            await server.publish("fill", dict(sample, trade_id=trade_id))
        got = [m.msg.trade_id for m in await until(fills, lambda m: m.msg.trade_id == "end")]
        assert got == ["a", "b", "c", "d", "a", "end"]  # "a" was forgotten after two newer identities

    run(key, scenario, dedup_window=2)


def test_one_fill_per_order_of_a_trade_is_delivered(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        fills = await session.subscribe_fill()
        fill = dict(server.sample_msg("fill"), trade_id="self-cross", order_id="buyer", is_taker=True)
        await server.publish("fill", fill)
        await server.publish("fill", dict(fill, order_id="seller", is_taker=False))
        got = await until(fills, lambda m: m.msg.order_id == "seller")
        assert [m.msg.order_id for m in got] == ["buyer", "seller"]

    run(key, scenario)


def test_updates_of_one_order_are_all_delivered_and_a_resend_once(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        orders = await session.subscribe_user_orders()
        first = dict(
            server.sample_msg("userOrder"),
            order_id="o-1",
            status="resting",
            fill_count_fp="0.00",
            remaining_count_fp="10.00",
            last_updated_ts_ms=1_700_000_000_000,
        )
        second = dict(
            first, fill_count_fp="4.00", remaining_count_fp="6.00", last_updated_ts_ms=1_700_000_000_900
        )
        await server.publish("user_orders", first)
        await server.publish("user_orders", second)
        await server.publish("user_orders", second)  # resent: identical identity
        await server.publish("user_orders", dict(first, order_id="o-2"))
        got = await until(orders, lambda m: m.msg.order_id == "o-2")
        assert [(m.msg.order_id, str(m.msg.fill_count_fp)) for m in got] == [
            ("o-1", "0.00"),
            ("o-1", "4.00"),
            ("o-2", "0.00"),
        ]

    run(key, scenario)


def test_an_order_update_without_its_update_time_is_never_dropped(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        orders = await session.subscribe_user_orders()
        msg = {k: v for k, v in server.sample_msg("userOrder").items() if k != "last_updated_ts_ms"}
        at_56, at_60 = dict(msg, yes_price_dollars="0.5600"), dict(msg, yes_price_dollars="0.6000")
        for update in (at_56, at_60, at_56):  # amended up, then back: three real updates
            await server.publish("user_orders", update)
        await server.publish("user_orders", dict(msg, order_id="end", yes_price_dollars="0.9900"))
        got = await until(orders, lambda m: m.msg.order_id == "end")
        assert [str(m.msg.yes_price_dollars) for m in got] == ["0.5600", "0.6000", "0.5600", "0.9900"]

    run(key, scenario)


def test_market_positions_going_back_to_an_earlier_state_are_all_delivered(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        positions = await session.subscribe_market_positions()
        a = dict(server.sample_msg("marketPosition"), position_fp="10.00")
        b = dict(a, position_fp="15.00")
        for msg in (a, b, a):
            await server.publish("market_positions", msg)
        await server.publish("market_positions", dict(a, market_ticker="END", position_fp="99.00"))
        got = await until(positions, lambda m: m.msg.market_ticker == "END")
        assert [str(m.msg.position_fp) for m in got] == ["10.00", "15.00", "10.00", "99.00"]

    run(key, scenario)


def test_communications_messages_are_told_apart_by_type_and_id(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: KalshiWsSession) -> None:
        comms = await session.subscribe_communications()
        created = dict(server.sample_msg("rfqCreated"), id="rfq-1")
        deleted = dict(server.sample_msg("rfqDeleted"), id="rfq-1")
        await server.publish("communications", created, type_="rfq_created")
        await server.publish("communications", created, type_="rfq_created")  # resent
        await server.publish("communications", deleted, type_="rfq_deleted")  # same id, another event
        got = await until(comms, lambda m: m.type_ == "rfq_deleted")
        assert [m.type_ for m in got] == ["rfq_created", "rfq_deleted"]

    run(key, scenario)


def test_the_channel_table_carries_the_identities() -> None:
    assert CHANNELS["fill"].identity == {"fill": ("trade_id", "order_id")}
    assert CHANNELS["user_orders"].identity["user_order"][0] == "order_id"
    assert CHANNELS["communications"].identity["rfq_created"] == ("id_",)  # the Python attribute of "id"
    assert CHANNELS["market_positions"].identity == {}


def _plan_with(tmp_path: Path, channel: str, identity: Any) -> WsPlan:
    project = Project(ROOT)
    config = yaml.safe_load((project.override_config / "channels.yaml").read_text(encoding="utf-8"))
    config["channels"][channel]["identity"] = identity
    path = tmp_path / "channels.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    spec = load_asyncapi(read_yaml(project.asyncapi))
    plan, _ = asyncapi_plan(project, spec)
    return plan_ws(spec, plan, path, signature_types(project, spec, plan))


@pytest.mark.parametrize(
    ("channel", "identity", "wire", "named"),
    [
        ("fill", ["trade_id", "trade_uuid"], "fill", "fill identity field 'trade_uuid' is not in"),
        ("communications", {"rfq_created": ["quote_id"]}, "rfq_created", "identity field 'quote_id'"),
        ("communications", {"rfq_updated": ["id"]}, "rfq_updated", "names message type 'rfq_updated'"),
    ],
)
def test_an_identity_this_spec_lacks_is_a_note_and_no_dedup_for_that_message(
    tmp_path: Path, channel: str, identity: Any, wire: str, named: str
) -> None:
    # An older or newer spec (history/ has order_group_updates without ts_ms) must still regenerate; a
    # partial identity could drop real messages, so that message type is not de-duplicated at all.
    ws = _plan_with(tmp_path, channel, identity)
    assert any(named in note for note in ws.notes), ws.notes
    planned = next(c for c in ws.channels if c.name == channel)
    assert wire not in dict(planned.identity)


@pytest.mark.parametrize(
    ("identity", "named"),
    [([], "user_order needs a non-empty list"), ("order_id", "must be a list of msg fields or a mapping")],
)
def test_regen_refuses_a_malformed_identity(tmp_path: Path, identity: Any, named: str) -> None:
    with pytest.raises(IRError, match=named):
        _plan_with(tmp_path, "user_orders", identity)


# --- client.websocket() options ------------------------------------------------------------------------


@pytest.mark.parametrize("client_class", [KalshiClient, AsyncKalshiClient])
def test_websocket_takes_the_sockets_own_options(client_class: type[Any]) -> None:
    socket = inspect.signature(KalshiWebSocketBase.__init__).parameters
    mirrored = {
        name: (p.kind, p.default, p.annotation)
        for name, p in socket.items()
        if name not in ("self", "auth", "environment", "url", "allowed_hosts")
    }
    method = inspect.signature(client_class.websocket).parameters
    assert {
        name: (p.kind, p.default, p.annotation) for name, p in method.items() if name != "self"
    } == mirrored


def test_websocket_options_reach_the_socket(key: rsa.RSAPrivateKey) -> None:
    reconnect = ReconnectPolicy(max_attempts=3)
    resubscribe = ResubscribePolicy(max_attempts=2, max_undecodable=4)
    with KalshiClient(environment="demo", auth=KalshiAuth("k", key)) as client:
        ws = client.websocket(
            reconnect=reconnect,
            resubscribe=resubscribe,
            max_queue=7,
            command_timeout=3.0,
            open_timeout=4.0,
            ping_interval=None,
            max_frame_bytes=1234,
            dedup_window=9,
        )
    assert (ws.reconnect, ws.resubscribe, ws.max_queue) == (reconnect, resubscribe, 7)
    assert (ws.command_timeout, ws.open_timeout, ws.ping_interval) == (3.0, 4.0, None)
    assert (ws.max_frame_bytes, ws.dedup_window) == (1234, 9)
    assert ws.url == client.ws_url


def test_a_wrong_websocket_option_fails_type_checking(tmp_path: Path) -> None:
    snippet = tmp_path / "use_websocket.py"
    snippet.write_text(
        "from kalshi_api import AsyncKalshiClient, KalshiClient\n"
        "KalshiClient().websocket(max_queu=5)\n"
        "AsyncKalshiClient().websocket(dedup_window='many')\n"
        "KalshiClient().websocket(max_queue=5, dedup_window=10)\n",
        encoding="utf-8",
    )
    # run from the project root: its mypy settings (strict) and cache (warm after `make types`)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, result.stdout + result.stderr
    assert ':2: error: Unexpected keyword argument "max_queu"' in errors[0]
    assert ':3: error: Argument "dedup_window"' in errors[1]
