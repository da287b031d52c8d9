"""The perps (margin) WebSocket client, ``PerpsWebSocket``, against a real `websockets` server on loopback
that plays the pinned perps AsyncAPI spec (tests/ws_server.py with ``family=PERPS``).

What the perps client shares with the trade one (overflow, reconnect, errors, repeats, gaps on a book) runs
for both families in tests/test_ws_client.py; this module covers what is the perps spec's own: its channels
and payload models, its two-sided (bid/ask) order book, and a fill's identity.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel

from codegen.families import PERPS
from codegen.ir import Schema
from kalshi_api import KalshiAuth
from kalshi_api.perps.ws import (
    CHANNELS,
    ConnectError,
    PerpsWebSocket,
    PerpsWsSession,
    Resync,
    models,
)
from kalshi_api_core.errors import HostNotAllowedError
from tests._samples import Sampler, field_override
from tests.test_ws_client import T, every_message_streams_typed, next_item, run, view_matching_truth
from tests.ws_server import ORDERBOOK, KalshiWsServer, msg_schema

T2 = "KXBTCPERP"  # a market whose prices are far above $1: perps prices have no ceiling
DECIMAL_TYPES = ("Dollars", "Count", "DecimalNumber")  # overrides/config/perps/types.yaml's exact numbers
SEQUENCED = [channel for channel, spec in CHANNELS.items() if spec.sequenced]


def perps(key: rsa.RSAPrivateKey, scenario: Any, **ws_options: Any) -> None:
    run(key, scenario, family=PERPS, **ws_options)


def subscribe_args(channel: str) -> dict[str, Any]:
    """Arguments that make a subscription to ``channel`` specific: market channels name two markets."""
    return {"market_tickers": [T, T2]} if "market_tickers" in CHANNELS[channel].params else {}


async def subscribe_every_channel(session: PerpsWsSession) -> dict[str, Any]:
    return {
        channel: await getattr(session, f"subscribe_{channel}")(**subscribe_args(channel))
        for channel in CHANNELS
    }


def checked_decimals(sampler: Sampler, schema: Schema, value: Any, path: str = "msg") -> list[str]:
    """Assert that every field of ``value`` (a decoded model of ``schema``) the perps types config makes
    money, a count or an exact number is a ``Decimal`` (a price level: a pair of them); returns the paths."""
    overrides = sampler.overrides

    def own_type(schema: Schema) -> str | None:
        if schema.kind == "ref":
            return overrides.components.get(schema.ref or "")
        return overrides.formats.get(schema.format or "") if schema.kind == "number" else None

    checked = []
    for prop in sampler.properties(schema):
        field, here = getattr(value, prop.name, None), f"{path}.{prop.name}"
        kind = field_override(prop, overrides) or own_type(prop.schema)
        if prop.schema.kind == "array" and prop.schema.items is not None:
            kind = own_type(prop.schema.items)
            field = field or []
        if field is None or field == []:
            continue
        if kind in DECIMAL_TYPES:
            assert isinstance(field, Decimal), f"{here} is a {type(field).__name__}, not a Decimal"
            checked.append(here)
        elif kind == "PriceLevel":
            assert all(len(level) == 2 and all(isinstance(x, Decimal) for x in level) for level in field), (
                here
            )
            checked.append(here)
        elif isinstance(field, BaseModel):
            checked += checked_decimals(sampler, prop.schema, field, here)
    return checked


def levels(view: Any, side: str) -> list[tuple[Decimal, Decimal]]:
    return [(lv.price, lv.count) for lv in getattr(view, side)]


# --- connecting and the channels -----------------------------------------------------------------------


def test_the_ws_url_follows_the_environment_and_the_host_policy(key: rsa.RSAPrivateKey) -> None:
    auth = KalshiAuth("k", key)
    demo = "wss://external-api-margin-ws.demo.kalshi.co/trade-api/ws/v2/margin"
    production = "wss://external-api-margin-ws.kalshi.com/trade-api/ws/v2/margin"
    assert PerpsWebSocket(auth, environment="demo").url == demo
    assert PerpsWebSocket(auth, environment="production").url == production
    with pytest.raises(HostNotAllowedError):
        PerpsWebSocket(auth, url="wss://evil.example.com/trade-api/ws/v2/margin")


def test_the_upgrade_is_signed_for_the_margin_path(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        # the server verified the signature over "GET" + the spec's margin path
        assert server.path == "/trade-api/ws/v2/margin" and server.handshakes[0].path == server.path
        assert [h.status for h in server.handshakes] == [101] and server.auth_failures == 0
        assert server.clients[0].key_id == "ws-key"

    perps(key, scenario)


def test_a_key_the_server_does_not_know_is_refused(key: rsa.RSAPrivateKey) -> None:
    async def main() -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        async with KalshiWsServer(other.public_key(), family=PERPS) as server:
            ws = PerpsWebSocket(KalshiAuth("k", key), url=server.url)
            with pytest.raises(ConnectError, match="HTTP 401"):
                async with ws.connect():
                    pass
            assert server.auth_failures == 1

    asyncio.run(main())


def test_every_perps_channel_streams_its_typed_payload_models(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        assert set(CHANNELS) == set(server.protocol.channels)  # the generated table is the spec's channels
        server.set_book(T, bid=[("0.40", "10")], ask=[("0.45", "2.5")])
        subs = await subscribe_every_channel(session)
        assert len({s.sid for s in subs.values()}) == len(CHANNELS)
        snapshot = await next_item(subs[ORDERBOOK])
        assert isinstance(snapshot, models.MarginOrderbookSnapshotPayload) and snapshot.msg.market_ticker == T
        assert snapshot.msg.bid == [(Decimal("0.40"), Decimal("10"))]
        assert snapshot.msg.ask == [(Decimal("0.45"), Decimal("2.5"))]
        assert (await next_item(subs[ORDERBOOK])).msg.bid is None  # T2's book is empty
        got = await every_message_streams_typed(server, subs)
        spec = server.protocol.spec
        assert {k for k, _, _ in got} == {
            m.key for c in CHANNELS for m in server.protocol.channels[c] if m.name != "orderbook_snapshot"
        }
        sampler = server.protocol.sampler
        for key_name, _, received in got:
            assert type(received).__module__ == models.__name__
            schema = msg_schema(sampler, spec.messages[key_name])
            assert schema is not None and checked_decimals(sampler, schema, received.msg), key_name
        fill = next(r for k, _, r in got if k == "fill").msg
        assert (fill.price, fill.fee_cost, fill.count, fill.post_position) == (
            Decimal("0.56"), Decimal("0.56"), Decimal("10"), Decimal("10")
        )  # fmt: skip
        ticker = next(r for k, _, r in got if k == "ticker").msg
        assert isinstance(ticker.funding_rate.rate, Decimal)  # a JSON double, decoded exactly
        assert isinstance(ticker.settlement_mark_price.price, Decimal)

    perps(key, scenario)


def test_the_tickers_best_bid_and_ask_are_decimals(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        tickers = await session.subscribe_ticker()
        await server.publish("ticker", dict(server.sample_msg("ticker"), bid="0.5500", ask="0.5700"))
        msg = (await next_item(tickers)).msg
        assert (msg.bid, msg.ask) == (Decimal("0.55"), Decimal("0.57"))
        assert isinstance(msg.bid, Decimal) and isinstance(msg.ask, Decimal)

    perps(key, scenario)


def test_bad_subscribe_arguments_fail_before_sending(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        before = len(server.commands)
        with pytest.raises(Exception, match="market_tickers"):
            await session.subscribe_fill(market_tickers="ABC")  # type: ignore[arg-type]
        with pytest.raises(Exception, match="market_tickers"):
            await session.subscribe_trade(market_tickers=[])
        with pytest.raises(Exception, match="send_initial_snapshot"):
            await session.subscribe_ticker(send_initial_snapshot="yes")  # type: ignore[arg-type]
        assert len(server.commands) == before

    perps(key, scenario)


# --- sequence, reconnects, repeats ---------------------------------------------------------------------


@pytest.mark.parametrize("channel", SEQUENCED)
def test_a_seq_gap_on_a_sequenced_channel_resubscribes_it(key: rsa.RSAPrivateKey, channel: str) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        server.set_book(T, bid=[("0.40", "10")])
        sub = await getattr(session, f"subscribe_{channel}")(**subscribe_args(channel))
        type_ = server.protocol.default_types[channel]
        sample = server.sample_msg(next(m.key for m in server.protocol.channels[channel] if m.name == type_))
        if channel == ORDERBOOK:
            sample["market_ticker"] = T
        await server.publish(channel, sample)
        server.skip_next_seq(channel, gap=2)
        await server.publish(channel, sample)  # arrives with a gap: dropped, and the channel resubscribed
        seen = [await next_item(sub)]
        while not isinstance(seen[-1], Resync):
            seen.append(await next_item(sub))
        marker = seen[-1]
        assert marker.received_seq is not None and marker.expected_seq is not None
        assert marker.received_seq - marker.expected_seq == 2
        assert [m.type_ for m in seen[:-1]].count(type_) == 1  # the frame after the gap was not delivered
        await server.wait_for(lambda: len(server.subscriptions(channel)) == 1 and sub.sid is not None)
        ((_, fresh),) = server.subscriptions(channel)
        assert sub.sid == fresh.sid != 1
        subscribes = [c["params"]["channels"] for c in server.commands if c.get("cmd") == "subscribe"]
        assert subscribes == [[channel], [channel]]
        # a new message (a repeat of one already delivered would be dropped by the channel's identity)
        await server.publish(
            channel, {**sample, "ts_ms": sample["ts_ms"] + 1} if "ts_ms" in sample else sample
        )
        after = await next_item(sub)
        while after.type_ != type_:  # the order book's fresh snapshots come first
            after = await next_item(sub)
        assert after.seq == fresh.seq

    perps(key, scenario)


def test_a_reconnect_resubscribes_every_channel_with_its_parameters(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        subs = await subscribe_every_channel(session)
        before = {sub.channel: sub.params for _, sub in server.subscriptions()}
        assert set(before) == set(CHANNELS)
        await server.drop_connections(abort=True)
        await server.wait_for(lambda: len(server.subscriptions()) == len(CHANNELS))
        assert all(client.number == 2 for client, _ in server.subscriptions())
        assert {sub.channel: sub.params for _, sub in server.subscriptions()} == before
        assert {c: p.get("market_tickers") for c, p in before.items()} == {
            c: subscribe_args(c).get("market_tickers") for c in CHANNELS
        }
        for channel in set(CHANNELS) - {ORDERBOOK}:  # the book's stream starts again with snapshots
            marker = await next_item(subs[channel])
            assert isinstance(marker, Resync) and marker.reason == "reconnected"
        assert session.reconnects == 1

    perps(key, scenario)


def test_a_fill_is_identified_by_its_trade_and_order(key: rsa.RSAPrivateKey) -> None:
    assert CHANNELS["fill"].identity == {"fill": ("trade_id", "order_id")}

    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        fills = await session.subscribe_fill()
        fill = dict(server.sample_msg("fill"), trade_id="t-1", order_id="o-1", ts_ms=1_700_000_000_000)
        server.repeat_next_frame("fill")
        await server.publish("fill", fill)  # sent twice
        await server.publish("fill", dict(fill, ts_ms=1_700_000_000_250))  # the server's resend
        await server.publish("fill", dict(fill, order_id="o-2", side="ask"))  # the trade's other order
        await server.publish("fill", dict(fill, trade_id="t-2"))
        got = [await next_item(fills) for _ in range(3)]
        assert [(f.msg.trade_id, f.msg.order_id) for f in got] == [
            ("t-1", "o-1"),
            ("t-1", "o-2"),
            ("t-2", "o-1"),
        ]
        assert got[0].msg.ts_ms == 1_700_000_000_000 and fills.qsize() == 0
        assert len(server.frames("fill")) == 5

    perps(key, scenario)


def test_a_repeated_order_update_is_delivered_once_and_a_new_state_is_not_lost(
    key: rsa.RSAPrivateKey,
) -> None:
    assert CHANNELS["user_orders"].identity == {
        "user_order": ("order_id", "fill_count", "remaining_count", "price", "last_updated_ts_ms")
    }

    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        orders = await session.subscribe_user_orders()
        update = dict(server.sample_msg("userOrder"), order_id="o-1", fill_count="0", remaining_count="5")
        server.repeat_next_frame("user_orders")
        await server.publish("user_orders", update)  # sent twice
        await server.publish(
            "user_orders", dict(update, fill_count="2", remaining_count="3")
        )  # a partial fill
        got = [await next_item(orders) for _ in range(2)]
        assert [(o.msg.fill_count, o.msg.remaining_count) for o in got] == [
            (Decimal("0"), Decimal("5")),
            (Decimal("2"), Decimal("3")),
        ]
        assert orders.qsize() == 0 and len(server.frames("user_order")) == 3

    perps(key, scenario)


# --- the two-sided order book --------------------------------------------------------------------------


def test_the_book_frames_are_two_sided(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        server.set_book(T, bid=[("0.38", "4"), ("0.40", "10")], ask=[("0.47", "2"), ("0.45", "3")])
        book = await session.subscribe_orderbook_delta(market_ticker=T)
        snapshot = (await next_item(book)).msg
        assert sorted(snapshot.bid) == [(Decimal("0.38"), Decimal("4")), (Decimal("0.40"), Decimal("10"))]
        assert sorted(snapshot.ask) == [(Decimal("0.45"), Decimal("3")), (Decimal("0.47"), Decimal("2"))]
        await server.publish_delta(T, "ask", "0.45", "-1.5", client_order_id="c-1")
        delta = await next_item(book)
        assert isinstance(delta, models.MarginOrderbookDeltaPayload)
        assert (delta.msg.side, delta.msg.price, delta.msg.delta) == ("ask", Decimal("0.45"), Decimal("-1.5"))
        assert delta.msg.client_order_id == "c-1" and delta.seq == 2
        assert server.books[T]["ask"][Decimal("0.45")] == Decimal("1.5")
        with pytest.raises(ValueError, match="side"):
            await server.publish_delta(T, "yes", "0.45", "1")  # a trade-book side: not the perps spec's

    perps(key, scenario)


def test_the_local_book_is_two_sided_and_follows_the_server(key: rsa.RSAPrivateKey) -> None:
    async def scenario(server: KalshiWsServer, session: PerpsWsSession) -> None:
        server.set_book(T, bid=[("0.38", "4"), ("0.40", "10")], ask=[("0.47", "2"), ("0.45", "3")])
        server.set_book(T2, bid=[("64999.5", "0.25"), ("65000", "1.5")], ask=[("65010.25", "2")])
        feed = await session.subscribe_book(T, T2)
        view = await view_matching_truth(feed, server, T)
        assert levels(view, "bids") == [(Decimal("0.40"), Decimal("10")), (Decimal("0.38"), Decimal("4"))]
        assert levels(view, "asks") == [(Decimal("0.45"), Decimal("3")), (Decimal("0.47"), Decimal("2"))]
        assert (view.best_bid, view.best_ask) == (Decimal("0.40"), Decimal("0.45"))
        assert (view.spread, view.mid) == (Decimal("0.05"), Decimal("0.425"))
        big = await view_matching_truth(feed, server, T2)  # T2's snapshot: no $1 ceiling on a perps price
        assert (big.best_bid, big.best_ask) == (Decimal("65000"), Decimal("65010.25"))
        assert big.spread == Decimal("10.25")
        assert levels(big, "bids")[1] == (Decimal("64999.5"), Decimal("0.25"))
        await server.publish_delta(T, "bid", "0.40", "-10")  # the best bid goes
        await server.publish_delta(T, "ask", "0.44", "2.5")  # a better ask
        await server.publish_delta(T, "bid", "0.41", "1")
        view = await view_matching_truth(feed, server, T)
        assert levels(view, "bids") == [(Decimal("0.41"), Decimal("1")), (Decimal("0.38"), Decimal("4"))]
        assert levels(view, "asks")[0] == (Decimal("0.44"), Decimal("2.5"))
        assert (view.spread, view.mid) == (Decimal("0.03"), Decimal("0.425"))
        assert feed.view(T).best_bid == Decimal("0.41") and feed.view(T2).best_ask == Decimal("65010.25")

    perps(key, scenario)
