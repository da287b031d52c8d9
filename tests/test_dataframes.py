"""``to_pandas()`` / ``to_polars()`` on pages and on the ``_all`` iterators, with the pages fetched over
loopback HTTP from tests/spec_server.py."""

from __future__ import annotations

import asyncio
import collections.abc
import sys
import typing
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import AsyncKalshiClient, KalshiClient, models
from kalshi_api.resources.markets import AsyncMarketsResource, MarketsResource
from kalshi_api_core import errors
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.pagination import AsyncPageIterator, PageIterator
from tests.spec_server import Reply, SpecServer

MARKET_COLUMNS = [info.alias or name for name, info in models.Market.model_fields.items()]


@pytest.fixture
def client(server: SpecServer, key: rsa.RSAPrivateKey) -> Iterator[KalshiClient]:
    with KalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url) as c:
        yield c


def market(server: SpecServer, ticker: str, **fields: Any) -> dict[str, Any]:
    sample = server.sampler.value(server.spec.schemas["Market"])
    return {**sample, "ticker": ticker, **fields}


def markets_page(server: SpecServer, cursor: str, *markets: dict[str, Any]) -> Reply:
    return Reply(200, {"cursor": cursor, "markets": list(markets)})


def script_exact_page(server: SpecServer) -> None:
    """Two markets whose money, counts and times a float or a naive datetime would not keep."""
    leg = {
        "event_ticker": "EV",
        "market_ticker": "M",
        "side": "yes",
        "yes_settlement_value_dollars": "0.1000",
    }
    server.script(
        "GetMarkets",
        markets_page(
            server,
            "",
            market(
                server,
                "A",
                yes_bid_dollars="0.1000",
                volume_fp="10000000000000000.01",
                close_time="2026-03-01T09:30:00-05:00",
                exchange_index=2,
                mve_selected_legs=[leg],
                brand_new_field="only-in-a",
            ),
            market(
                server,
                "B",
                yes_bid_dollars="0.2000",
                volume_fp="0.02",
                close_time="2026-03-01T14:30:00Z",
                exchange_index=None,
                mve_selected_legs=None,
            ),
        ),
    )


# --- one page ---------------------------------------------------------------------------------------------


def test_pandas_keeps_decimals_exact_and_times_aware(server: SpecServer, client: KalshiClient) -> None:
    script_exact_page(server)
    frame = client.markets.list(limit=2).to_pandas()
    assert list(frame.columns) == [*MARKET_COLUMNS, "brand_new_field"]  # model order, then unknown fields
    assert list(frame["ticker"]) == ["A", "B"]
    assert frame["yes_bid_dollars"].dtype == object
    assert list(frame["yes_bid_dollars"]) == [Decimal("0.1000"), Decimal("0.2000")]
    assert all(type(v) is Decimal for v in frame["yes_bid_dollars"])
    assert frame["volume_fp"].sum() == Decimal("10000000000000000.03")  # a float sum would lose the cents
    assert str(frame["close_time"].dtype) in ("datetime64[us, UTC]", "datetime64[ns, UTC]")
    assert list(frame["close_time"]) == [pd.Timestamp("2026-03-01T14:30:00Z")] * 2  # one instant, two offsets
    assert str(frame["exchange_index"].dtype) == "Int64"  # a missing integer is not a float NaN
    assert frame["exchange_index"].iloc[0] == 2 and frame["exchange_index"].isna().iloc[1]
    assert frame["mve_selected_legs"].iloc[0] == [
        {
            "event_ticker": "EV",
            "market_ticker": "M",
            "side": "yes",
            "yes_settlement_value_dollars": Decimal("0.1"),
        }
    ]
    assert frame["brand_new_field"].iloc[0] == "only-in-a" and frame["brand_new_field"].isna().iloc[1]


def test_polars_keeps_decimals_exact_and_times_aware(server: SpecServer, client: KalshiClient) -> None:
    script_exact_page(server)
    frame = client.markets.list(limit=2).to_polars()
    assert frame.columns == [*MARKET_COLUMNS, "brand_new_field"]
    assert isinstance(frame.schema["yes_bid_dollars"], pl.Decimal)
    assert frame["yes_bid_dollars"].to_list() == [Decimal("0.1000"), Decimal("0.2000")]
    assert frame["volume_fp"].sum() == Decimal("10000000000000000.03")
    assert frame.schema["close_time"] == pl.Datetime("us", "UTC")
    instant = datetime(2026, 3, 1, 14, 30, tzinfo=timezone.utc)
    assert frame["close_time"].to_list() == [instant, instant]
    assert frame["exchange_index"].to_list() == [2, None]
    legs = frame["mve_selected_legs"].to_list()
    assert legs[0][0]["yes_settlement_value_dollars"] == Decimal("0.1") and legs[1] is None


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_decimals_convert_on_request(server: SpecServer, client: KalshiClient, library: str) -> None:
    script_exact_page(server)
    page = client.markets.list(limit=2)

    def rows(decimals: str) -> list[dict[str, Any]]:
        if library == "pandas":
            return page.to_pandas(decimals=decimals).to_dict("records")
        return page.to_polars(decimals=decimals).to_dicts()

    as_float, as_str = rows("float"), rows("str")
    assert [r["yes_bid_dollars"] for r in as_float] == [0.1, 0.2]
    assert all(type(r["yes_bid_dollars"]) is float for r in as_float)
    assert as_float[0]["mve_selected_legs"][0]["yes_settlement_value_dollars"] == 0.1  # nested values too
    assert [r["yes_bid_dollars"] for r in as_str] == ["0.1000", "0.2000"]  # the wire form, scale kept
    assert as_str[0]["volume_fp"] == "10000000000000000.01"


@pytest.mark.parametrize("bad", ["double", "Decimal", "", 2])
def test_an_unknown_decimals_mode_names_the_argument_and_value(
    server: SpecServer, client: KalshiClient, bad: Any
) -> None:
    script_exact_page(server)
    page = client.markets.list(limit=2)
    for export in (page.to_pandas, page.to_polars):
        with pytest.raises(errors.ConfigurationError, match=rf"decimals .*got {bad!r}"):
            export(decimals=bad)
    server.reset()
    with pytest.raises(errors.ConfigurationError, match="decimals"):
        client.markets.list_all().to_pandas(decimals=bad)
    assert server.calls() == []  # refused before any page is fetched


def test_an_empty_page_has_the_models_columns(server: SpecServer, client: KalshiClient) -> None:
    server.script("GetMarkets", markets_page(server, ""), markets_page(server, ""))
    page = client.markets.list()
    frame = page.to_pandas()
    assert frame.shape == (0, len(MARKET_COLUMNS)) and list(frame.columns) == MARKET_COLUMNS
    assert page.to_polars().columns == MARKET_COLUMNS
    assert client.markets.list_all().to_polars().shape == (0, len(MARKET_COLUMNS))


# --- every page -------------------------------------------------------------------------------------------


def script_three_pages(server: SpecServer) -> None:
    server.script(
        "GetMarkets",
        markets_page(server, "c1", market(server, "A", yes_bid_dollars="0.01"), market(server, "B")),
        markets_page(server, "c2", market(server, "C", yes_bid_dollars="0.99")),
        markets_page(server, "", market(server, "D")),
    )


def test_the_iterator_exports_every_page(server: SpecServer, client: KalshiClient) -> None:
    script_three_pages(server)
    frame = client.markets.list_all(status="open").to_pandas()
    assert list(frame["ticker"]) == ["A", "B", "C", "D"]
    assert frame["yes_bid_dollars"].iloc[0] == Decimal("0.01") and frame["yes_bid_dollars"].iloc[
        2
    ] == Decimal("0.99")
    assert [dict(c.query).get("cursor") for c in server.calls("GetMarkets")] == [None, "c1", "c2"]
    server.reset()
    script_three_pages(server)
    markets = client.markets.list_all(max_pages=2)
    assert next(markets).ticker == "A"  # what was iterated already is not exported again
    assert markets.to_polars()["ticker"].to_list() == ["B", "C"]
    assert len(server.calls("GetMarkets")) == 2


def test_the_async_iterator_exports_every_page(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    async def export() -> tuple[pd.DataFrame, pl.DataFrame]:
        async with AsyncKalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url) as c:
            script_three_pages(server)
            frame = await c.markets.list_all().to_pandas(decimals="str")
            script_three_pages(server)
            return frame, await c.markets.list_all().to_polars()

    as_pandas, as_polars = asyncio.run(export())
    assert list(as_pandas["ticker"]) == ["A", "B", "C", "D"]
    assert as_pandas["yes_bid_dollars"].iloc[2] == "0.99"
    assert as_polars["ticker"].to_list() == ["A", "B", "C", "D"]
    assert as_polars["yes_bid_dollars"][0] == Decimal("0.01")
    assert len(server.calls("GetMarkets")) == 6


def test_the_iterators_keep_their_item_type() -> None:
    hints = typing.get_type_hints(MarketsResource.list_all)
    assert hints["return"] == PageIterator[models.Market]
    assert typing.get_type_hints(AsyncMarketsResource.list_all)["return"] == AsyncPageIterator[models.Market]
    assert issubclass(PageIterator, collections.abc.Iterator)
    assert issubclass(AsyncPageIterator, collections.abc.AsyncIterator)


# --- without the optional libraries -----------------------------------------------------------------------


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_a_missing_library_names_the_extra_to_install(
    server: SpecServer, client: KalshiClient, monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    script_exact_page(server)
    page = client.markets.list(limit=2)
    server.reset()
    monkeypatch.setitem(sys.modules, library, None)  # `import pandas` now fails, as when it isn't installed
    for export in (getattr(page, f"to_{library}"), getattr(client.markets.list_all(), f"to_{library}")):
        with pytest.raises(errors.MissingExtraError) as caught:
            export()
        assert f"pip install 'kalshi-api[{library}]'" in str(caught.value)
        assert isinstance(caught.value, ImportError) and caught.value.extra == library
    assert server.calls() == []  # the iterator fetched nothing
