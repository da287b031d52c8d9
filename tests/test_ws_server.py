"""Tests of the loopback Kalshi WebSocket server (tests/ws_server.py), driven by a raw websockets client."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from codegen.families import PERPS
from kalshi_api.perps.ws import CHANNELS as PERPS_CHANNELS
from kalshi_api.perps.ws import models as perps
from kalshi_api.ws import MESSAGE_PAYLOADS, models
from tests.ws_server import KalshiWsServer, protocol

WS_PATH = "/trade-api/ws/v2"
TICKER = "FED-23DEC-T3.00"  # the market of the spec's samples
DATA_CHANNELS = [
    "orderbook_delta",
    "ticker",
    "trade",
    "fill",
    "market_positions",
    "market_lifecycle_v2",
    "multivariate_market_lifecycle",
    "communications",
    "order_group_updates",
    "user_orders",
    "cfbenchmarks_value",
    "pyth_value",
]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run(coro: Coroutine[Any, Any, None]) -> None:
    async def guarded() -> None:
        await asyncio.wait_for(coro, 8)
        # the server left nothing running behind
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(guarded())


def signed(
    key: rsa.RSAPrivateKey,
    *,
    key_id: str = "key-1",
    stamp: int | None = None,
    method: str = "GET",
    path: str = WS_PATH,
) -> dict[str, str]:
    ts = str(int(time.time() * 1000) if stamp is None else stamp)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = key.sign(f"{ts}{method}{path}".encode(), pss, hashes.SHA256())
    return {
        "KALSHI-ACCESS-KEY": key_id,
        "KALSHI-ACCESS-TIMESTAMP": ts,
        "KALSHI-ACCESS-SIGNATURE": base64.b64encode(signature).decode(),
    }


def dial(server: KalshiWsServer, key: rsa.RSAPrivateKey | None) -> connect:
    headers = signed(key) if key is not None else None
    return connect(server.url, additional_headers=headers, open_timeout=2, close_timeout=1)


async def send(ws: ClientConnection, id: int, cmd: str, **params: Any) -> None:
    await ws.send(json.dumps({"id": id, "cmd": cmd, **({"params": params} if params else {})}))


async def recv(ws: ClientConnection, timeout: float = 2.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def silent(ws: ClientConnection, wait: float = 0.05) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.recv(), wait)


def book_of(snapshot: models.OrderbookSnapshotPayload) -> dict[str, dict[Decimal, Decimal]]:
    msg = snapshot.msg
    return {
        "yes": {p: c for p, c in msg.yes_dollars_fp or ()},
        "no": {p: c for p, c in msg.no_dollars_fp or ()},
    }


def truth(server: KalshiWsServer, ticker: str) -> dict[str, dict[Decimal, Decimal]]:
    book = server.books.get(ticker, {})
    return {side: dict(book.get(side, {})) for side in ("yes", "no")}


def test_url_and_the_channels_come_from_the_spec() -> None:
    async def main() -> None:
        async with KalshiWsServer(None) as server:
            assert server.url == f"ws://127.0.0.1:{server.port}{WS_PATH}"
            assert sorted(server.protocol.channels) == sorted(DATA_CHANNELS)

    run(main())


def test_upgrade_requires_a_valid_signature(key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time() * 1000)
    refused = {
        "no headers": {},
        "no signature": {k: v for k, v in signed(key).items() if k != "KALSHI-ACCESS-SIGNATURE"},
        "another key": signed(other),
        "stale": signed(key, stamp=now - 31_000),
        "from the future": signed(key, stamp=now + 31_000),
        "REST path signed": signed(key, path="/trade-api/v2/portfolio/balance"),
        "POST signed": signed(key, method="POST"),
        "not base64": {**signed(key), "KALSHI-ACCESS-SIGNATURE": "@@not-base64@@"},
        "seconds timestamp": signed(key, stamp=now // 1000),
        "another key id": signed(key, key_id="key-2"),
    }

    async def main() -> None:
        async with KalshiWsServer(key.public_key(), key_id="key-1") as server:
            for name, headers in refused.items():
                with pytest.raises(InvalidStatus) as err:
                    async with connect(server.url, additional_headers=headers, open_timeout=2):
                        pass
                assert err.value.response.status_code == 401, name
            assert server.connections == server.auth_failures == len(refused)
            assert server.clients == []
            # within the window, signed over the WebSocket path: accepted
            async with connect(server.url, additional_headers=signed(key, stamp=now - 20_000)) as ws:
                await send(ws, 1, "list_subscriptions")
                assert await recv(ws) == {"id": 1, "type": "ok", "msg": []}
            assert (server.connections, server.auth_failures) == (len(refused) + 1, len(refused))
            assert server.handshakes[-1].status == 101 and server.clients[0].key_id == "key-1"
            assert [h.status for h in server.handshakes[:-1]] == [401] * len(refused)
            with pytest.raises(InvalidStatus) as err:
                async with connect(server.url.replace("/v2", "/v1"), additional_headers=signed(key)):
                    pass
            assert err.value.response.status_code == 404
        async with KalshiWsServer(None) as open_server, dial(open_server, None) as ws:
            await send(ws, 1, "list_subscriptions")
            assert (await recv(ws))["type"] == "ok" and open_server.auth_failures == 0

    run(main())


def test_every_channel_subscribes_and_carries_each_of_its_messages(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await send(ws, 1, "subscribe", channels=DATA_CHANNELS, market_ticker=TICKER)
            frames = [await recv(ws) for _ in range(len(DATA_CHANNELS) + 1)]
            # subscribed per channel in request order; the orderbook snapshot right after its subscribed
            assert [f["type"] for f in frames[:3]] == ["subscribed", "orderbook_snapshot", "subscribed"]
            subscribed = [f for f in frames if f["type"] == "subscribed"]
            for frame in subscribed:
                models.SubscribedResponsePayload.model_validate(frame)
                assert frame["id"] == 1
            sids = {f["msg"]["channel"]: f["msg"]["sid"] for f in subscribed}
            assert list(sids) == DATA_CHANNELS
            assert list(sids.values()) == list(range(1, len(DATA_CHANNELS) + 1))
            assert frames[1]["seq"] == 1 and frames[1]["sid"] == sids["orderbook_delta"]
            checked = 0
            for channel in DATA_CHANNELS:
                for message in server.protocol.channels[channel]:
                    for example in (None, 0):
                        msg = server.sample_msg(message.key, example=example)
                        sent = await server.publish(channel, msg, type_=message.name, market_ticker=TICKER)
                        frame = await recv(ws)
                        assert sent == [frame]
                        assert (frame["type"], frame["sid"], frame["msg"]) == (
                            message.name,
                            sids[channel],
                            msg,
                        )
                        assert ("seq" in frame) == (message.name in server.protocol.seq_types)
                        payload = MESSAGE_PAYLOADS[message.key]
                        assert isinstance(payload, type)
                        payload.model_validate(frame)  # type: ignore[attr-defined]
                        checked += 1
            assert checked == 2 * sum(len(server.protocol.channels[c]) for c in DATA_CHANNELS) == 44
            # the channel's own message type is the default
            frame = (await server.publish("user_orders", server.sample_msg("userOrder")))[0]
            assert frame["type"] == "user_order" and await recv(ws) == frame
            with pytest.raises(ValueError, match="several message types"):
                await server.publish("communications", server.sample_msg("rfqCreated"))

    run(main())


def test_orderbook_snapshots_and_deltas_follow_the_ground_truth(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            server.set_book("A-1", yes=[("0.45", 100), (Decimal("0.46"), "5")], no=[("0.5", "7.5")])
            await send(ws, 1, "subscribe", channels=["orderbook_delta"], market_tickers=["A-1", "B-2"])
            assert await recv(ws) == {
                "id": 1,
                "type": "subscribed",
                "msg": {"channel": "orderbook_delta", "sid": 1},
            }
            raw_a, raw_b = await recv(ws), await recv(ws)
            assert raw_a["msg"] == {
                "market_ticker": "A-1",
                "market_id": server.market_id("A-1"),
                "yes_dollars_fp": [["0.4500", "100.00"], ["0.4600", "5.00"]],
                "no_dollars_fp": [["0.5000", "7.50"]],
            }
            assert raw_b["msg"] == {"market_ticker": "B-2", "market_id": server.market_id("B-2")}
            snaps = [models.OrderbookSnapshotPayload.model_validate(f) for f in (raw_a, raw_b)]
            assert [s.seq for s in snaps] == [1, 2] and {s.sid for s in snaps} == {1}
            local = {s.msg.market_ticker: book_of(s) for s in snaps}
            deltas = [
                ("A-1", "yes", "0.45", "-100"),
                ("A-1", "no", "0.51", "3"),
                ("B-2", "yes", "0.01", "2.5"),
                ("A-1", "yes", "0.47", "1"),
                ("B-2", "yes", "0.01", "-2.5"),
                ("B-2", "no", Decimal("0.99"), 4),
                ("A-1", "no", "0.5", "-0.5"),
            ]
            seqs = []
            for ticker, side, price, delta in deltas:
                sent = await server.publish_delta(ticker, side, price, delta)
                raw = await recv(ws)
                assert sent == [raw]
                frame = models.OrderbookDeltaPayload.model_validate(raw)
                seqs.append(frame.seq)
                level = local[frame.msg.market_ticker][frame.msg.side]
                level[frame.msg.price_dollars] = (
                    level.get(frame.msg.price_dollars, Decimal(0)) + frame.msg.delta_fp
                )
                if not level[frame.msg.price_dollars]:
                    del level[frame.msg.price_dollars]
            assert seqs == list(range(3, 3 + len(deltas)))
            assert local == {t: truth(server, t) for t in ("A-1", "B-2")}
            assert truth(server, "A-1") == {
                "yes": {Decimal("0.46"): Decimal(5), Decimal("0.47"): Decimal(1)},
                "no": {Decimal("0.5"): Decimal(7), Decimal("0.51"): Decimal(3)},
            }
            assert raw["msg"]["price_dollars"] == "0.5000" and raw["msg"]["delta_fp"] == "-0.50"
            last = seqs[-1]
            # get_snapshot: ok (carrying the current seq), then a fresh snapshot equal to the ground truth
            await send(ws, 2, "update_subscription", sids=[1], action="get_snapshot", market_tickers=["A-1"])
            ok = await recv(ws)
            assert ok == {
                "id": 2,
                "sid": 1,
                "seq": last,
                "type": "ok",
                "msg": {"market_tickers": ["A-1", "B-2"]},
            }
            models.OkResponsePayload.model_validate(ok)
            fresh = models.OrderbookSnapshotPayload.model_validate(await recv(ws))
            assert fresh.seq == last + 1 and book_of(fresh) == truth(server, "A-1")
            # add_markets: ok, then a snapshot of the added market; delete_markets: its deltas stop
            server.set_book("C-3", yes=[("0.10", "1")])
            await send(ws, 3, "update_subscription", sid=1, action="add_markets", market_tickers=["C-3"])
            assert (await recv(ws))["msg"] == {"market_tickers": ["A-1", "B-2", "C-3"]}
            added = models.OrderbookSnapshotPayload.model_validate(await recv(ws))
            assert (added.seq, added.msg.market_ticker, book_of(added)) == (
                last + 2,
                "C-3",
                truth(server, "C-3"),
            )
            await send(ws, 4, "update_subscription", sid=1, action="delete_markets", market_ticker="A-1")
            assert (await recv(ws))["msg"] == {"market_tickers": ["B-2", "C-3"]}
            assert await server.publish_delta("A-1", "yes", "0.30", "1") == []
            assert server.books["A-1"]["yes"][Decimal("0.30")] == 1  # the ground truth moved all the same
            (raw,) = await server.publish_delta(
                "C-3", "yes", "0.10", "2", client_order_id="c-1", subaccount=2
            )
            assert await recv(ws) == raw and raw["seq"] == last + 3
            assert raw["msg"]["client_order_id"] == "c-1" and raw["msg"]["subaccount"] == 2
            # a server-initiated resnapshot, and a delta that lies about the book
            (resnap,) = await server.send_snapshots("C-3")
            assert await recv(ws) == resnap and resnap["seq"] == last + 4
            await server.publish_delta("C-3", "no", "0.20", "9", update_book=False)
            assert (await recv(ws))["seq"] == last + 5 and "no" not in server.snapshot_msg("C-3")
            assert server.snapshot_msg("C-3").get("no_dollars_fp") is None
            with pytest.raises(ValueError, match="leaves"):
                await server.publish_delta("C-3", "yes", "0.10", "-5")
            with pytest.raises(TypeError):
                await server.publish_delta("C-3", "yes", 0.1, "1")

    run(main())


def command(id: int, cmd: str, **params: Any) -> dict[str, Any]:
    return {"id": id, "cmd": cmd, "params": params}


NO_MARKET_ID = "00000000-0000-0000-0000-000000000000"
ERROR_CASES: list[tuple[str, Any, int | None, int]] = [
    ("malformed json", "{not json", None, 1),
    ("not an object", "[1, 2]", None, 1),
    ("binary frame", b"\x00\x01", None, 1),
    ("no id", {"cmd": "list_subscriptions"}, None, 1),
    ("unknown command", {"id": 5, "cmd": "subscribe_all"}, 5, 5),
    ("no params", {"id": 6, "cmd": "subscribe"}, 6, 2),
    ("no channels", command(7, "subscribe"), 7, 3),
    ("empty channels", command(8, "subscribe", channels=[]), 8, 3),
    ("unknown channel", command(9, "subscribe", channels=["orderbook"]), 9, 8),
    ("orderbook needs a market", command(10, "subscribe", channels=["orderbook_delta"]), 10, 14),
    ("bad market_tickers", command(11, "subscribe", channels=["ticker"], market_tickers="X"), 11, 11),
    ("unknown market id", command(12, "subscribe", channels=["ticker"], market_id=NO_MARKET_ID), 12, 16),
    ("shard_factor 0", command(13, "subscribe", channels=["ticker"], shard_factor=0), 13, 19),
    ("shard_key alone", command(14, "subscribe", channels=["ticker"], shard_key=1), 14, 20),
    ("shard_key too big", command(15, "subscribe", channels=["ticker"], shard_factor=2, shard_key=2), 15, 21),
    ("shard_factor 101", command(16, "subscribe", channels=["ticker"], shard_factor=101), 16, 22),
    ("unsubscribe without sids", command(17, "unsubscribe"), 17, 4),
    ("unsubscribe unknown sid", command(18, "unsubscribe", sids=[99]), 18, 7),
    ("update without action", command(19, "update_subscription", sid=1), 19, 15),
    ("update without sid", command(20, "update_subscription", action="add_markets"), 20, 12),
    ("update with two sids", command(21, "update_subscription", action="add_markets", sids=[1, 2]), 21, 12),
    ("update unknown sid", command(22, "update_subscription", action="add_markets", sid=99), 22, 7),
]


@pytest.mark.parametrize(
    ("frame", "cmd_id", "code"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_command_errors_carry_the_spec_code(
    key: rsa.RSAPrivateKey, frame: Any, cmd_id: int | None, code: int
) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))
            error = await recv(ws)
            models.ErrorResponsePayload.model_validate(error)
            assert error["type"] == "error" and error.get("id") == cmd_id
            assert error["msg"]["code"] == code
            assert error["msg"]["msg"] == protocol().error_names[code]
            await silent(ws)  # one answer only
            # the connection stays usable
            await send(ws, 100, "list_subscriptions")
            assert await recv(ws) == {"id": 100, "type": "ok", "msg": []}
            assert server.commands[-1] == {"id": 100, "cmd": "list_subscriptions"}

    run(main())


def test_subscription_conflicts_and_partial_failures(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            server.missing_markets.add("GONE-1")
            await send(ws, 1, "subscribe", channels=["fill", "nope", "ticker"])
            assert [
                (f["type"], f["msg"].get("sid"), f["msg"].get("code"))
                for f in [await recv(ws) for _ in range(3)]
            ] == [
                ("subscribed", 1, None),
                ("error", None, 8),
                ("subscribed", 2, None),
            ]
            await send(ws, 2, "subscribe", channels=["fill"])
            assert (await recv(ws))["msg"] == {"code": 6, "msg": "Already subscribed"}
            await send(ws, 3, "subscribe", channels=["trade"], market_tickers=["A-1", "B-2"])
            assert (await recv(ws))["msg"]["sid"] == 3
            await send(ws, 4, "subscribe", channels=["trade"], market_tickers=["C-3"])
            assert (await recv(ws))["msg"]["sid"] == 4
            await send(ws, 5, "subscribe", channels=["trade"], market_ticker="B-2")
            assert (await recv(ws))["msg"]["code"] == 6
            await send(ws, 6, "subscribe", channels=["trade"], market_tickers=["GONE-1"])
            error = await recv(ws)
            assert error == {
                "id": 6,
                "type": "error",
                "msg": {"code": 16, "msg": "Market not found", "market_ticker": "GONE-1"},
            }
            # market ids name markets the server knows
            await send(ws, 7, "subscribe", channels=["orderbook_delta"], market_ids=[server.market_id("D-4")])
            assert (await recv(ws))["msg"]["sid"] == 5
            assert (await recv(ws))["msg"]["market_ticker"] == "D-4"
            # update_subscription errors
            await send(ws, 8, "update_subscription", sid=5, action="explode", market_tickers=["D-4"])
            assert (await recv(ws))["msg"]["code"] == 13
            await send(ws, 9, "update_subscription", sid=5, action="add_markets")
            assert (await recv(ws))["msg"]["code"] == 14
            await send(ws, 10, "update_subscription", sid=3, action="get_snapshot")
            assert (await recv(ws))["msg"]["code"] == 13
            await send(ws, 11, "update_subscription", sid=5, action="get_snapshot", market_tickers=["Z-9"])
            assert (await recv(ws))["msg"] == {"code": 11, "msg": "Invalid parameter", "market_ticker": "Z-9"}

    run(main())


def test_unsubscribe_and_list_subscriptions(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await send(ws, 1, "subscribe", channels=["fill", "ticker"])
            await recv(ws), await recv(ws)
            await send(ws, 2, "list_subscriptions")
            listed = await recv(ws)
            models.ListSubscriptionsResponsePayload.model_validate(listed)
            assert listed == {
                "id": 2,
                "type": "ok",
                "msg": [{"channel": "fill", "sid": 1}, {"channel": "ticker", "sid": 2}],
            }
            await send(ws, 3, "unsubscribe", sids=[1, 42])
            gone = await recv(ws)
            models.UnsubscribedResponsePayload.model_validate(gone)
            assert gone == {"id": 3, "sid": 1, "seq": 1, "type": "unsubscribed"}
            assert (await recv(ws))["msg"]["code"] == 7
            assert await server.publish("fill", server.sample_msg("fill")) == []
            await silent(ws)
            await send(ws, 4, "list_subscriptions")
            assert (await recv(ws))["msg"] == [{"channel": "ticker", "sid": 2}]
            await send(ws, 5, "subscribe", channels=["fill"])
            assert (await recv(ws))["msg"] == {"channel": "fill", "sid": 3}  # sids are not reused
            assert [c["cmd"] for c in server.commands] == [
                "subscribe",
                "list_subscriptions",
                "unsubscribe",
                "list_subscriptions",
                "subscribe",
            ]

    run(main())


def test_keyed_channels_filter_by_index_and_underlying(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await send(ws, 1, "subscribe", channels=["cfbenchmarks_value"], index_ids=["BRTI"])
            await send(ws, 2, "subscribe", channels=["pyth_value"])
            assert [(await recv(ws))["msg"]["sid"] for _ in range(2)] == [1, 2]
            value = server.sample_msg("cfbenchmarksValue", example=0)
            assert await server.publish("cfbenchmarks_value", {**value, "index_id": "ETHUSD_RTI"}) == []
            (frame,) = await server.publish("cfbenchmarks_value", value)
            assert await recv(ws) == frame and frame["seq"] == 1
            await send(ws, 3, "update_subscription", sid=1, action="indexlist")
            listing = await recv(ws)
            models.CfbenchmarksIndexListPayload.model_validate(listing)
            assert listing == {
                "id": 3,
                "type": "cfbenchmarks_value_indexlist",
                "sid": 1,
                "seq": 2,
                "msg": {"index_ids": ["BRTI"]},
            }
            await send(
                ws, 4, "update_subscription", sids=[1], action="subscribe_indices", index_ids=["ETHUSD_RTI"]
            )
            assert await recv(ws) == {"id": 4, "sid": 1, "seq": 2, "type": "ok"}
            (frame,) = await server.publish("cfbenchmarks_value", {**value, "index_id": "ETHUSD_RTI"})
            assert (await recv(ws))["seq"] == 3
            await send(ws, 5, "update_subscription", sid=1, action="subscribe_indices")
            assert (await recv(ws))["msg"]["code"] == 24
            await send(ws, 6, "update_subscription", sid=2, action="underlying_list")
            listing = await recv(ws)
            models.PythUnderlyingListPayload.model_validate(listing)
            assert listing["msg"] == {"underlying_tickers": server.underlying_tickers} and listing["seq"] == 1
            await send(ws, 7, "update_subscription", sid=2, action="unsubscribe_underlyings")
            assert (await recv(ws))["msg"]["code"] == 28
            await send(
                ws,
                8,
                "update_subscription",
                sid=2,
                action="unsubscribe_underlyings",
                underlying_tickers=["Metal.XAU/USD"],
            )
            assert (await recv(ws))["type"] == "ok"
            pyth = server.sample_msg("pythValue", example=0)
            assert pyth["underlying_ticker"] == "Metal.XAU/USD"
            assert await server.publish("pyth_value", pyth) == []
            await send(ws, 9, "update_subscription", sid=2, action="add_markets", market_tickers=["A-1"])
            assert (await recv(ws))["msg"]["code"] == 13

    run(main())


def test_skip_next_seq_leaves_a_gap(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await send(ws, 1, "subscribe", channels=["orderbook_delta"], market_ticker="A-1")
            await recv(ws)
            assert (await recv(ws))["seq"] == 1
            server.skip_next_seq("orderbook_delta")
            for expected in (3, 4):
                await server.publish_delta("A-1", "yes", "0.5", "1")
                assert (await recv(ws))["seq"] == expected
            server.skip_next_seq(1, gap=3)
            await server.publish_delta("A-1", "yes", "0.5", "1")
            assert (await recv(ws))["seq"] == 8
            server.skip_next_seq("ticker")  # another channel: no effect here
            await server.publish_delta("A-1", "yes", "0.5", "1")
            assert (await recv(ws))["seq"] == 9

    run(main())


def test_repeat_next_frame_sends_it_twice(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            await send(ws, 1, "subscribe", channels=["orderbook_delta", "fill"], market_ticker=TICKER)
            await recv(ws), await recv(ws), await recv(ws)
            server.repeat_next_frame("orderbook_delta")
            sent = await server.publish_delta(TICKER, "no", "0.2", "1")
            assert len(sent) == 2 and sent[0] == sent[1] and sent[0]["seq"] == 2
            assert await recv(ws) == await recv(ws) == sent[0]
            await server.publish_delta(TICKER, "no", "0.2", "1")
            assert (await recv(ws))["seq"] == 3
            await silent(ws)
            server.repeat_next_frame()
            fill = server.sample_msg("fill")
            assert len(await server.publish("fill", fill)) == 2
            assert (await recv(ws))["msg"] == (await recv(ws))["msg"] == fill
            assert [f["type"] for f in server.sent[1]] == ["orderbook_snapshot"] + ["orderbook_delta"] * 3 + [
                "fill"
            ] * 2

    run(main())


def test_drop_connections_abort_and_close_1011_then_reconnect(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            async with dial(server, key) as ws:
                await send(ws, 1, "subscribe", channels=["fill"])
                assert (await recv(ws))["msg"]["sid"] == 1
                await server.drop_connections()
                with pytest.raises(ConnectionClosedError) as err:
                    await recv(ws)
                assert err.value.rcvd is None  # no close frame: the TCP connection was cut
            assert not server.clients[0].open and server.subscriptions() == []
            assert await server.publish("fill", server.sample_msg("fill")) == []
            async with dial(server, key) as ws:
                await send(ws, 1, "subscribe", channels=["fill"])
                assert (await recv(ws))["msg"]["sid"] == 1  # sids count per connection
                await server.drop_connections(abort=False)
                with pytest.raises(ConnectionClosedError) as err:
                    await recv(ws)
                assert err.value.rcvd is not None and err.value.rcvd.code == 1011
            assert server.connections == 2 and [c.number for c in server.clients] == [1, 2]

    run(main())


def test_raw_text_error_frames_stall_and_ping(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            assert await server.send_raw('{"type": "ticker", "msg": ') == ['{"type": "ticker", "msg": ']
            assert await asyncio.wait_for(ws.recv(), 2) == '{"type": "ticker", "msg": '
            await server.send_error(17)
            error = await recv(ws)
            assert error == {"type": "error", "msg": {"code": 17, "msg": "Internal error"}}
            models.ErrorResponsePayload.model_validate(error)
            await server.send_error(16, id=4, market_ticker="X-1")
            assert await recv(ws) == {
                "id": 4,
                "type": "error",
                "msg": {"code": 16, "msg": "Market not found", "market_ticker": "X-1"},
            }
            await send(ws, 1, "subscribe", channels=["fill"])
            await recv(ws)
            server.stall(0.1)
            started = time.monotonic()
            await server.publish("fill", server.sample_msg("fill"))
            await recv(ws)
            assert time.monotonic() - started >= 0.1
            server.stall(0)
            latencies = await server.ping_clients()
            assert len(latencies) == 1 and latencies[0] >= 0
            assert server.clients[0].outgoing[0] == '{"type": "ticker", "msg": '
            assert server.sent == {1: [server.frames()[0]]}

    run(main())


def test_sent_frames_are_the_ground_truth_per_connection(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with (
            KalshiWsServer(key.public_key()) as server,
            dial(server, key) as one,
            dial(server, key) as two,
        ):
            await send(one, 1, "subscribe", channels=["fill"])
            await send(two, 1, "subscribe", channels=["user_orders"], market_tickers=["A-1"])
            await recv(one), await recv(two)
            fills = [{**server.sample_msg("fill"), "trade_id": f"t-{i}"} for i in range(3)]
            for fill in fills:
                await server.publish("fill", fill)
            order = server.sample_msg("userOrder")
            await server.publish("user_orders", {**order, "ticker": "A-1"})
            assert await server.publish("user_orders", {**order, "ticker": "B-2"}) == []  # filtered by market
            assert [f["msg"] for f in server.sent[1]] == fills
            assert [(await recv(one))["msg"] for _ in fills] == fills
            assert [f["msg"]["ticker"] for f in server.sent[2]] == ["A-1"]
            assert server.frames("fill") == server.sent[1] and server.frames(client=2) == server.sent[2]
            await server.wait_for(lambda: len(server.commands) == 2)
            await one.send(json.dumps({"id": 9, "cmd": "list_subscriptions"}))
            await server.wait_for(lambda: len(server.clients[0].commands) == 2)
            with pytest.raises(asyncio.TimeoutError):
                await server.wait_for(lambda: False, timeout=0.05)

    run(main())


def test_exit_closes_open_clients_and_pending_sends(key: rsa.RSAPrivateKey) -> None:
    async def scenario() -> None:
        async with KalshiWsServer(key.public_key()) as server:
            ws = await dial(server, key)
            await send(ws, 1, "subscribe", channels=["fill"])
            await recv(ws)
            server.stall(5)
            pending = asyncio.ensure_future(server.publish("fill", server.sample_msg("fill")))
            await asyncio.sleep(0.01)
            started = time.monotonic()
        # leaving the block closed the connection (1001) and gave up the stalled frame
        assert time.monotonic() - started < 2
        assert await pending == []
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        await ws.close()

    run(scenario())


def test_refuse_ignore_and_corrupt_script_commands_and_frames(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key()) as server, dial(server, key) as ws:
            server.refuse_next("subscribe", 17, channel="orderbook_delta")
            server.ignore_next("subscribe", channel="fill")
            await send(ws, 1, "subscribe", channels=["fill"])
            await send(ws, 2, "subscribe", channels=["orderbook_delta"], market_ticker=TICKER)
            assert await recv(ws) == {"id": 2, "type": "error", "msg": {"code": 17, "msg": "Internal error"}}
            await silent(ws)  # command 1 was recorded and never answered
            assert [c["id"] for c in server.clients[0].commands] == [1, 2] and server.subscriptions() == []
            server.corrupt("orderbook_snapshot", lambda f: {**f, "msg": {"market_ticker": TICKER}}, times=1)
            await send(ws, 3, "subscribe", channels=["orderbook_delta"], market_ticker=TICKER)
            assert (await recv(ws))["type"] == "subscribed"
            assert (await recv(ws))["msg"] == {"market_ticker": TICKER}  # what the fault made of it
            await send(ws, 4, "update_subscription", sid=1, action="get_snapshot")
            assert (await recv(ws))["type"] == "ok"
            assert (await recv(ws))["msg"] == server.snapshot_msg(TICKER)  # once only
            assert server.frames("orderbook_snapshot")[0]["msg"] == {"market_ticker": TICKER}

    run(main())


def test_the_perps_family_plays_the_perps_spec(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        async with KalshiWsServer(key.public_key(), family=PERPS) as server:
            assert server.url.endswith("/trade-api/ws/v2/margin") and server.protocol is protocol(PERPS)
            assert set(server.protocol.channels) == set(PERPS_CHANNELS) and server.sides == ("bid", "ask")
            with pytest.raises(ValueError, match="sides"):
                server.set_book("P-1", yes=[("0.5", "1")])  # a trade book's side
            server.set_book("P-1", bid=[("101.5", "2"), ("101.25", "1")], ask=[("102", "0.5")])
            async with connect(
                server.url, additional_headers=signed(key, path=server.path), open_timeout=2, close_timeout=1
            ) as ws:
                await send(ws, 1, "subscribe", channels=["orderbook_delta"], market_tickers=["P-1"])
                assert (await recv(ws))["type"] == "subscribed"
                raw = await recv(ws)
                assert raw["msg"] == {  # no market_id: the perps spec has none
                    "market_ticker": "P-1",
                    "bid": [["101.2500", "1.00"], ["101.5000", "2.00"]],
                    "ask": [["102.0000", "0.50"]],
                }
                perps.MarginOrderbookSnapshotPayload.model_validate(raw)
                await server.publish_delta("P-1", "ask", "102", "-0.5")
                raw = await recv(ws)
                assert set(raw["msg"]) == {"market_ticker", "price", "delta", "side", "ts_ms"}
                delta = perps.MarginOrderbookDeltaPayload.model_validate(raw)
                assert (delta.msg.side, delta.msg.price) == ("ask", Decimal("102"))
                assert delta.msg.delta == Decimal("-0.5")
                assert server.books["P-1"]["ask"] == {}
                # the perps spec's update actions are add_markets and delete_markets only
                await send(ws, 2, "update_subscription", sid=1, action="get_snapshot")
                error = await recv(ws)
                assert error["id"] == 2 and error["msg"]["code"] == 13
                perps.ErrorResponsePayload.model_validate(error)
                await send(ws, 3, "update_subscription", sid=1, action="add_markets", market_tickers=["P-2"])
                assert (await recv(ws))["type"] == "ok"
                assert (await recv(ws))["msg"] == {"market_ticker": "P-2"}  # an empty book's snapshot

    run(main())
