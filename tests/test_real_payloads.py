"""What Kalshi's servers really send (tests/corpus/), over loopback HTTP and WebSocket, decodes into models.

Each payload leaves out fields the spec requires but servers no longer (or not yet) send, and some carry
fields and enum values newer than the pinned spec. None of that may make a page or a frame unusable.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, KalshiAuth, KalshiClient
from kalshi_api.ws import KalshiWebSocket, ReconnectPolicy
from tests.spec_server import Reply, SpecServer
from tests.ws_server import KalshiWsServer

CORPUS = Path(__file__).resolve().parent / "corpus"
TICKER = "KXHIGHNY-26SEP14-T78"


def payload(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def test_a_markets_page_without_deprecated_fields_decodes_every_market(server: SpecServer) -> None:
    server.script("GetMarkets", Reply(body=payload("rest/get_markets.json")))
    with KalshiClient(base_url=server.base_url) as client:
        page = client.markets.list(status="open")
    assert [m.ticker for m in page.items] == [TICKER, "KXHIGHNY-26SEP14-T74", "KXHIGHNY-26SEP14-T82"]
    first, settled, paused = page.items
    assert first.fractional_trading_enabled is None and first.liquidity_dollars is None
    assert (first.yes_bid_dollars, first.yes_ask_size_fp) == (Decimal("0.4100"), Decimal("310.50"))
    assert first.model_extra == {"market_group_id": "mg_8d1f3b", "tick_size_dollars": "0.0100"}
    assert (settled.result, settled.settlement_value_dollars) == ("yes", Decimal("1.0000"))
    assert paused.status == "paused"  # a status newer than the pinned spec's enum
    assert page.cursor is not None and page.has_next


def test_a_single_market_unwraps_without_fractional_trading_enabled(server: SpecServer) -> None:
    server.script("GetMarket", Reply(body=payload("rest/get_market.json")))
    with KalshiClient(base_url=server.base_url) as client:
        market = client.markets.get(TICKER)
    assert market.ticker == TICKER and market.fractional_trading_enabled is None
    assert market.price_ranges[0].step == "0.0100"


def test_an_event_with_nested_markets_decodes_without_settlement_sources(server: SpecServer) -> None:
    server.script("GetEvent", Reply(body=payload("rest/get_event_nested.json")))
    with KalshiClient(base_url=server.base_url) as client:
        answer = client.events.get("KXHIGHNY-26SEP14", with_nested_markets=True)
    event = answer.event
    assert (event.settlement_sources, event.available_on_brokers) == (None, None)
    assert [m.ticker for m in event.markets or []] == [m.ticker for m in answer.markets]
    assert event.product_metadata == {"temperature_unit": "fahrenheit"}


def test_an_events_page_decodes_async_too(server: SpecServer) -> None:
    server.script("GetEvents", Reply(body=payload("rest/get_events_nested.json")))

    async def main() -> list[str]:
        async with AsyncKalshiClient(base_url=server.base_url) as client:
            page = await client.events.list(with_nested_markets=True)
        return [e.event_ticker for e in page.items]

    assert asyncio.run(main()) == ["KXHIGHNY-26SEP14", "KXHIGHNY-26SEP15"]


# --- WebSocket frames ----------------------------------------------------------------------------------

FAST = ReconnectPolicy(backoff_base=0.01, backoff_max=0.05)
FRAMES = {  # corpus frame -> the channel that carries it, and fields the frame leaves out
    "ws/trade.json": ("trade", ["is_block_trade", "taker_side", "ts"]),
    "ws/event_lifecycle.json": ("market_lifecycle_v2", ["exchange_index"]),
    "ws/ticker.json": ("ticker", ["ts", "time"]),
    "ws/fill.json": ("fill", ["action", "side", "purchased_side", "ts"]),
    "ws/user_order.json": ("user_orders", ["side", "is_yes", "created_time"]),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_a_frame_missing_required_fields_is_delivered(key: rsa.RSAPrivateKey, name: str) -> None:
    channel, missing = FRAMES[name]
    frame = payload(name)

    async def main() -> Any:
        async with KalshiWsServer(key.public_key()) as server:
            ws = KalshiWebSocket(KalshiAuth("ws-key", key), url=server.url, reconnect=FAST)
            async with ws.connect() as session:
                sub = await getattr(session, f"subscribe_{channel}")()
                await server.send_raw(json.dumps({**frame, "sid": sub.sid}))
                return await asyncio.wait_for(sub.__anext__(), 5)

    message = asyncio.run(main())
    assert message.type_ == frame["type"]
    for field in missing:
        assert field not in frame["msg"] and getattr(message.msg, field) is None, field
    assert message.msg.model_dump(exclude_none=True, by_alias=True, mode="json") == frame["msg"]
