"""Checked by mypy in tests/test_typed_arguments.py: each line marked ``# error: <code>`` must get an error of
that code from ``mypy --strict``, and no other line may get one. Never run."""

from __future__ import annotations

from decimal import Decimal

from kalshi_api import AsyncKalshiClient, KalshiClient, models


def sync_calls(client: KalshiClient, request: models.CreateOrderV2Request) -> None:
    client.orders.create_v2(  # error: call-overload  (no ticker)
        side="bid",
        count="10",
        price=Decimal("0.56"),
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )
    client.orders.create_v2(side="bid")  # error: call-overload
    client.orders.create_v2(
        ticker="KXHIGHNY-26NOV22-T60",
        side="bid",
        count="10",
        price=Decimal("0.56"),
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
        extra_body={"newer_field": True},
    )
    client.orders.create_v2(request=request)
    client.orders.create_v2(request=request, ticker="X")  # error: call-overload
    client.markets.get()  # error: call-arg
    client.markets.orderbooks()  # error: call-arg


async def async_calls(client: AsyncKalshiClient) -> None:
    await client.orders.create_v2(  # error: call-overload  (no ticker)
        side="bid",
        count="10",
        price=Decimal("0.56"),
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )
