"""One small adapter per peer SDK and workload, each giving a callable or the reason it is unavailable.

Each adapter drives the peer through its own public entry point where one exists (a resource method with
the network replaced by a prebuilt response, a model's decoder, its signer, its client), so what is timed
is the peer's own code. Where a peer's models require fields the pinned spec lacks, the adapter decodes a
*variant* payload: the spec payload plus those fields, listed in ``VARIANTS`` and in results.json.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workloads import PAGES, Book, book_check, dumps, normalize_book

PEERS: dict[str, str] = {  # distribution -> top-level module
    "kalshi-sdk": "kalshi",
    "kalshi-python-sync": "kalshi_python_sync",
    "pykalshi": "pykalshi",
}
# pykalshi signs every request (an RSA-PSS signature, ~0.3 ms, even for public calls), which makes it the
# slowest per-call row and not comparable with the unsigned ones; it is timed this often, not every round,
# to keep a full run near 10 minutes.
SLOW_CALL_RUNS = 3
PINNED = {"kalshi-sdk": "22.4.0", "kalshi-python-sync": "3.2.0", "pykalshi": "2.0.0"}


@dataclass
class Impl:
    """One implementation of one workload: a callable to time, or why there is none."""

    name: str
    fn: Callable[[], Any] | None = None
    unavailable: str | None = None
    notes: list[str] = field(default_factory=list)
    payload: str = "spec"  # "spec", or "variant: ..." (see VARIANTS)
    check: Callable[[Any], str | None] | None = None  # a problem with fn's result, or None
    probe: Callable[[Any], dict[str, str]] | None = None  # what types a decode produced
    warmup: Callable[[], Any] | None = None  # an untimed first call (default: fn)
    max_runs: int | None = None  # time it at most this often (a very slow implementation)
    close: Callable[[], None] | None = None
    per_run: int = 1  # operations per timed call (requests, signatures)


def unavailable_reason(dist: str) -> str | None:
    """Why a peer can't be used at all (not installed, wrong version, import fails), or None."""
    failed = os.environ.get("KALSHI_BENCH_INSTALL_FAILED", "")
    if any(part.split("==")[0] == dist for part in failed.split()):
        return f"pip install {dist}=={PINNED[dist]} failed (see setup.sh output)"
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return f"{dist} is not installed"
    try:
        importlib.import_module(PEERS[dist])
    except Exception as exc:
        return f"import {PEERS[dist]} failed: {describe(exc)}"
    if version != PINNED[dist]:
        return f"{dist} {version} is installed, the benchmark pins {PINNED[dist]}"
    return None


def describe(exc: BaseException) -> str:
    """An exception as one short line, for a table cell."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:240]}{'...' if len(text) > 240 else ''}"


def guarded(name: str, dist: str, build: Callable[[], Impl]) -> Impl:
    """``build()``, or an unavailable Impl naming what went wrong: a peer never fails the whole run."""
    reason = unavailable_reason(dist)
    if reason is not None:
        return Impl(name, unavailable=reason)
    try:
        return build()
    except Exception as exc:
        return Impl(name, unavailable=describe(exc))


# --- variant payloads ---------------------------------------------------------------------------------


def _cents(dollars: str) -> int:
    return int((Decimal(dollars) * 100).to_integral_value())


def _whole(count: str) -> int:
    return int(Decimal(count))


def _sdk_market(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "settlement_bounds_type": "default"}


def _sdk_fill(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "exchange_index": 0}


_KPS_STATUS = {
    "inactive": "initialized",
    "disputed": "determined",
    "amended": "determined",
    "finalized": "settled",
}


def _kps_market(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for name in ("yes_bid", "yes_ask", "no_bid", "no_ask", "last_price", "notional_value", "liquidity"):
        out[name] = _cents(item[f"{name}_dollars"])
    for name in ("previous_yes_bid", "previous_yes_ask", "previous_price", "settlement_value"):
        out[name] = _cents(item[f"{name}_dollars"])
    for name in ("volume", "volume_24h", "open_interest"):
        out[name] = _whole(item[f"{name}_fp"])
    out["status"] = _KPS_STATUS.get(item["status"], item["status"])
    out["result"] = "" if item["result"] == "scalar" else item["result"]
    out.update(category="Economics", risk_limit_cents=0, tick_size=1)
    return out


def _kps_order(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for name in ("yes_price", "no_price"):
        out[name] = _cents(item[f"{name}_dollars"])
    for name in ("taker_fees", "maker_fees", "taker_fill_cost", "maker_fill_cost"):
        out[name] = _cents(item[f"{name}_dollars"])
    for name in ("fill_count", "remaining_count", "initial_count"):
        out[name] = _whole(item[f"{name}_fp"])
    out["queue_position"] = 0
    return out


def _kps_fill(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    out.update(
        count=_whole(item["count_fp"]),
        price=_cents(item["yes_price_dollars"]),
        yes_price=_cents(item["yes_price_dollars"]),
        no_price=_cents(item["no_price_dollars"]),
        yes_price_fixed=item["yes_price_dollars"],
        no_price_fixed=item["no_price_dollars"],
    )
    return out


# (peer, page) -> (what the variant changes, per-item transform)
VARIANTS: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    ("kalshi-sdk", "markets"): (
        "+settlement_bounds_type='default' (required by kalshi-sdk's Market, absent from spec 3.22.0)",
        _sdk_market,
    ),
    ("kalshi-sdk", "fills"): (
        "+exchange_index=0 (required by kalshi-sdk's Fill, absent from spec 3.22.0's Fill)",
        _sdk_fill,
    ),
    ("kalshi-python-sync", "markets"): (
        "+legacy integer fields yes_bid/yes_ask/no_bid/no_ask/last_price/notional_value/liquidity/"
        "previous_*/settlement_value (cents, from the *_dollars values), volume/volume_24h/open_interest "
        "(from *_fp), category, risk_limit_cents, tick_size; status and result mapped into its older enums",
        _kps_market,
    ),
    ("kalshi-python-sync", "orders"): (
        "+legacy integer fields yes_price/no_price/taker_fees/maker_fees/taker_fill_cost/maker_fill_cost "
        "(cents), fill_count/remaining_count/initial_count, queue_position",
        _kps_order,
    ),
    ("kalshi-python-sync", "fills"): (
        "+legacy fields count, price, yes_price, no_price (cents), yes_price_fixed, no_price_fixed",
        _kps_fill,
    ),
}


STATUS_VARIANT = (
    "kalshi-sdk: +description='' in each exchange_index_statuses item (required by its ExchangeIndexStatus, "
    "absent from spec 3.22.0); served by a second loopback server, the others get the spec body"
)


def status_variant(body: dict[str, Any]) -> dict[str, Any]:
    items = [{**item, "description": ""} for item in body.get("exchange_index_statuses") or ()]
    return {**body, "exchange_index_statuses": items}


def payload_for(peer: str, key: str, body: dict[str, Any] | None, raw: bytes) -> tuple[bytes, str]:
    """The bytes ``peer`` decodes for page ``key`` and their label. ``body`` None: ``raw`` already is them."""
    variant = VARIANTS.get((peer, key))
    if variant is None:
        return raw, "spec"
    described, transform = variant
    if body is None:
        return raw, f"variant: {described}"
    items = PAGES[key].items
    return dumps({**body, items: [transform(item) for item in body[items]]}), f"variant: {described}"


def _typed(value: Any) -> str:
    if hasattr(value, "tzinfo"):
        return f"{type(value).__name__}({'aware' if value.tzinfo is not None else 'naive'})"
    return type(value).__name__


def probe_types(money: str, when: str) -> Callable[[Any], dict[str, str]]:
    def probe(item: Any) -> dict[str, str]:
        return {"money": _typed(getattr(item, money)), "datetime": _typed(getattr(item, when))}

    return probe


def length_check(expected: int, items: Callable[[Any], Iterable[Any]]) -> Callable[[Any], str | None]:
    def check(result: Any) -> str | None:
        got = len(list(items(result)))
        return None if got == expected else f"decoded {got} items, expected {expected}"

    return check


# Which attribute of a decoded item holds a price and a date-time, per implementation and page.
_SDK_FIELDS = {
    "markets": ("yes_bid", "created_time"),
    "orders": ("yes_price", "created_time"),
    "fills": ("yes_price", "created_time"),
}
_SPEC_FIELDS = {
    "markets": ("yes_bid_dollars", "created_time"),
    "orders": ("yes_price_dollars", "created_time"),
    "fills": ("yes_price_dollars", "created_time"),
}


# --- decode -------------------------------------------------------------------------------------------


class _SdkStubTransport:
    """Stands in for kalshi-sdk's SyncTransport: hands back one prebuilt httpx.Response, does no I/O."""

    is_authenticated = True

    def __init__(self, response: Any) -> None:
        from kalshi.config import KalshiConfig

        self.response = response
        self._config = KalshiConfig()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        return self.response


def decode_impl(
    peer: str, key: str, body: dict[str, Any] | None, raw: bytes, key_path: str, expected: int
) -> Impl:
    """One peer's decode of page ``key`` (``body`` None: ``raw`` is already that peer's payload)."""
    builders: dict[str, Callable[[], Impl]] = {
        "kalshi-sdk": lambda: _sdk_decode(key, body, raw, expected),
        "kalshi-python-sync": lambda: _kps_decode(key, body, raw, expected),
        "pykalshi": lambda: _pyk_decode(key, raw, expected, key_path),
    }
    return guarded(peer, peer, builders[peer])


def decode_impls(key: str, body: dict[str, Any], raw: bytes, key_path: str) -> list[Impl]:
    expected = len(body[PAGES[key].items])
    return [decode_impl(peer, key, body, raw, key_path, expected) for peer in PEERS]


def _sdk_decode(key: str, body: dict[str, Any] | None, raw: bytes, expected: int) -> Impl:
    import httpx
    from kalshi.resources.markets import MarketsResource
    from kalshi.resources.orders import OrdersResource
    from kalshi.resources.portfolio import PortfolioResource

    data, payload = payload_for("kalshi-sdk", key, body, raw)
    response = httpx.Response(200, content=data, headers={"Content-Type": "application/json"})
    stub: Any = _SdkStubTransport(response)
    call = {
        "markets": MarketsResource(stub).list,
        "orders": OrdersResource(stub).list,
        "fills": PortfolioResource(stub).fills,
    }[key]
    money, when = _SDK_FIELDS[key]
    return Impl(
        "kalshi-sdk",
        lambda: call(limit=1000),
        payload=payload,
        notes=[
            "client.<resource>.list()/fills() on a stub transport: response.json() + model_validate per item"
        ],
        check=length_check(expected, lambda page: page.items),
        probe=lambda page: probe_types(money, when)(page.items[0]),
    )


def _kps_decode(key: str, body: dict[str, Any] | None, raw: bytes, expected: int) -> Impl:
    from kalshi_python_sync.api_client import ApiClient

    data, payload = payload_for("kalshi-python-sync", key, body, raw)
    client = ApiClient()
    response_type = PAGES[key].response
    items = PAGES[key].items
    money, when = {**_SPEC_FIELDS, "fills": ("yes_price_fixed", "created_time")}[key]
    return Impl(
        "kalshi-python-sync",
        lambda: client.deserialize(data.decode("utf-8"), response_type, "application/json"),
        payload=payload,
        notes=[
            "ApiClient.deserialize (its response path): json.loads + <Response>.from_dict; money stays str"
        ],
        check=length_check(expected, lambda response: getattr(response, items)),
        probe=lambda response: probe_types(money, when)(getattr(response, items)[0]),
    )


def _pyk_decode(key: str, raw: bytes, expected: int, key_path: str) -> Impl:
    import httpx
    from pykalshi import KalshiClient

    client = KalshiClient(
        api_key_id="bench", private_key_path=key_path, api_base="http://127.0.0.1:9/trade-api/v2"
    )
    response = httpx.Response(200, content=raw, headers={"Content-Type": "application/json"})
    client._request = lambda *args, **kwargs: response  # type: ignore[method-assign]
    call = {
        "markets": client.get_markets,
        "orders": client.portfolio.get_orders,
        "fills": client.portfolio.get_fills,
    }[key]
    money, when = _SPEC_FIELDS[key]
    unwrap = (lambda item: item) if key == "fills" else (lambda item: item.data)
    return Impl(
        "pykalshi",
        lambda: call(limit=1000),
        notes=["client.get_*() with _request stubbed (no I/O, no signing); money and date-times stay str"],
        check=length_check(expected, lambda result: result),
        probe=lambda result: probe_types(money, when)(unwrap(result[0])),
    )


# --- order book ---------------------------------------------------------------------------------------


def book_impls(frames: list[bytes], ticker: str, reference: Book) -> list[Impl]:
    reason = (
        unavailable_reason("kalshi-python-sync") or "no WebSocket client or local order book in the package"
    )
    return [
        guarded("kalshi-sdk", "kalshi-sdk", lambda: _sdk_book(frames, ticker, reference, engine=True)),
        guarded(
            "kalshi-sdk (public apply_delta)",
            "kalshi-sdk",
            lambda: _sdk_book(frames, ticker, reference, engine=False),
        ),
        guarded("pykalshi", "pykalshi", lambda: _pyk_book(frames, ticker, reference)),
        Impl("kalshi-python-sync", unavailable=reason),
    ]


def _sdk_book(frames: list[bytes], ticker: str, reference: Book, *, engine: bool) -> Impl:
    from kalshi.ws.models.orderbook_delta import OrderbookDeltaMessage, OrderbookSnapshotMessage
    from kalshi.ws.orderbook import OrderbookManager

    loads = json.loads  # KalshiWSClient's default ws_json_loads
    snapshot = OrderbookSnapshotMessage.model_validate
    delta = OrderbookDeltaMessage.model_validate

    def run_engine() -> Any:
        books = OrderbookManager()
        for raw in frames:
            data = loads(raw)
            kind = data.get("type", "")
            if kind == "orderbook_snapshot":
                message = snapshot(data)
                books._apply_snapshot_inplace(message, sid=message.sid)
            elif kind == "orderbook_delta":
                books._apply_delta_inplace(delta(data))
        return books

    def run_public() -> Any:
        books = OrderbookManager()
        for raw in frames:
            data = loads(raw)
            kind = data.get("type", "")
            if kind == "orderbook_snapshot":
                books.apply_snapshot(snapshot(data))
            elif kind == "orderbook_delta":
                books.apply_delta(delta(data))
        return books

    def final(books: Any) -> Book:
        book = books.get(ticker)
        return normalize_book(
            {lv.price: lv.quantity for lv in book.yes}, {lv.price: lv.quantity for lv in book.no}
        )

    if engine:
        note = (
            "its recv loop's path (KalshiWSClient._process_frame): json.loads, model_validate, "
            "OrderbookManager._apply_*_inplace; no book view is built per frame"
        )
        return Impl("kalshi-sdk", run_engine, notes=[note], check=book_check(final, reference))
    note = "OrderbookManager.apply_snapshot/apply_delta (public): materializes an Orderbook after every frame"
    return Impl(
        "kalshi-sdk (public apply_delta)",
        run_public,
        notes=[note],
        check=book_check(final, reference),
        max_runs=1,
    )


def _pyk_book(frames: list[bytes], ticker: str, reference: Book) -> Impl:
    from pykalshi.feed import _parse_message
    from pykalshi.orderbook import OrderbookManager

    def run() -> Any:
        book = OrderbookManager(ticker)
        for raw in frames:
            kind, _, parsed, _ = _parse_message(raw)
            if kind == "orderbook_snapshot":
                book.apply_snapshot(parsed.yes_dollars, parsed.no_dollars)
            elif kind == "orderbook_delta":
                book.apply_delta(parsed.side, parsed.price_dollars, parsed.delta_fp)
        return book

    def final(book: Any) -> Book:
        return normalize_book(book.yes, book.no)

    note = (
        "Feed's frame parser (feed._parse_message: json.loads + model_validate) and its documented "
        "OrderbookManager.apply_snapshot/apply_delta; prices and counts are kept as str"
    )
    return Impl("pykalshi", run, notes=[note], check=book_check(final, reference))


# --- signing ------------------------------------------------------------------------------------------


def sign_impls(key_id: str, key: Any, pem: bytes, key_path: str, path: str, count: int) -> list[Impl]:
    def sdk() -> Impl:
        from kalshi.auth import KalshiAuth

        auth = KalshiAuth(key_id, key)
        return Impl(
            "kalshi-sdk",
            _repeat(lambda: auth.sign_request("GET", path), count),
            per_run=count,
            notes=["KalshiAuth.sign_request"],
        )

    def kps() -> Impl:
        from kalshi_python_sync.auth import KalshiAuth

        auth = KalshiAuth(key_id, pem.decode())
        return Impl(
            "kalshi-python-sync",
            _repeat(lambda: auth.create_auth_headers("GET", path), count),
            per_run=count,
            notes=["KalshiAuth.create_auth_headers"],
        )

    def pyk() -> Impl:
        from pykalshi import KalshiClient

        client = KalshiClient(
            api_key_id=key_id, private_key_path=key_path, api_base="http://127.0.0.1:9/trade-api/v2"
        )
        endpoint = path.removeprefix("/trade-api/v2")
        return Impl(
            "pykalshi",
            _repeat(lambda: client._get_headers("GET", endpoint), count),
            per_run=count,
            notes=["client._get_headers (private: the headers every request gets)"],
        )

    return [
        guarded("kalshi-sdk", "kalshi-sdk", sdk),
        guarded("kalshi-python-sync", "kalshi-python-sync", kps),
        guarded("pykalshi", "pykalshi", pyk),
    ]


def _repeat(call: Callable[[], Any], count: int) -> Callable[[], Any]:
    def run() -> Any:
        result = None
        for _ in range(count):
            result = call()
        return result

    return run


# --- per-call overhead --------------------------------------------------------------------------------


def status_check(active: Callable[[Any], bool]) -> Callable[[Any], str | None]:
    def check(result: Any) -> str | None:
        return None if active(result) else f"unexpected result {result!r}"

    return check


def sync_call_impls(base_url: str, sdk_url: str, count: int, key_path: str) -> list[Impl]:
    def sdk() -> Impl:
        from kalshi import KalshiClient

        client = KalshiClient(base_url=sdk_url, max_retries=0)
        status = client.exchange.status
        return Impl(
            "kalshi-sdk",
            _counted(status, count),
            per_run=count,
            close=client.close,
            check=status_check(lambda r: r.exchange_active),
            payload="variant: " + STATUS_VARIANT,
            notes=["client.exchange.status()"],
        )

    def kps() -> Impl:
        from kalshi_python_sync.api.exchange_api import ExchangeApi
        from kalshi_python_sync.api_client import ApiClient
        from kalshi_python_sync.configuration import Configuration

        client = ApiClient(Configuration(host=base_url))
        status = ExchangeApi(client).get_exchange_status
        return Impl(
            "kalshi-python-sync",
            _counted(status, count),
            per_run=count,
            check=status_check(lambda r: r.exchange_active),
            notes=["ExchangeApi.get_exchange_status() (urllib3)"],
        )

    def pyk() -> Impl:
        from pykalshi import KalshiClient

        client = KalshiClient(api_key_id="bench", private_key_path=key_path, api_base=base_url, max_retries=0)
        status = client.exchange.get_status
        return Impl(
            "pykalshi",
            _counted(status, count),
            per_run=count,
            close=client.close,
            check=status_check(lambda r: r.exchange_active),
            max_runs=SLOW_CALL_RUNS,
            notes=[
                "client.exchange.get_status(); signs every request, public ones too (RSA-PSS "
                "per call is included)"
            ],
        )

    return [
        guarded("kalshi-sdk", "kalshi-sdk", sdk),
        guarded("kalshi-python-sync", "kalshi-python-sync", kps),
        guarded("pykalshi", "pykalshi", pyk),
    ]


def async_call_impls(
    base_url: str, sdk_url: str, count: int, key_path: str, loop: asyncio.AbstractEventLoop
) -> list[Impl]:
    def sdk() -> Impl:
        from kalshi import AsyncKalshiClient

        async def make() -> Any:
            return AsyncKalshiClient(base_url=sdk_url, max_retries=0)

        client = loop.run_until_complete(make())
        return Impl(
            "kalshi-sdk",
            _acounted(client.exchange.status, count, loop),
            per_run=count,
            close=lambda: loop.run_until_complete(client.close()),
            check=status_check(lambda r: r.exchange_active),
            payload="variant: " + STATUS_VARIANT,
            notes=["await client.exchange.status(), one at a time"],
        )

    def pyk() -> Impl:
        from pykalshi import AsyncKalshiClient

        async def make() -> Any:
            return AsyncKalshiClient(
                api_key_id="bench", private_key_path=key_path, api_base=base_url, max_retries=0
            )

        client = loop.run_until_complete(make())
        return Impl(
            "pykalshi",
            _acounted(client.exchange.get_status, count, loop),
            per_run=count,
            close=lambda: loop.run_until_complete(client.aclose()),
            check=status_check(lambda r: r.exchange_active),
            max_runs=SLOW_CALL_RUNS,
            notes=["await client.exchange.get_status(), one at a time; signs every request"],
        )

    reason = (
        unavailable_reason("kalshi-python-sync") or "no async client in the package (kalshi-python-async is)"
    )
    return [
        guarded("kalshi-sdk", "kalshi-sdk", sdk),
        Impl("kalshi-python-sync", unavailable=reason),
        guarded("pykalshi", "pykalshi", pyk),
    ]


def _counted(call: Callable[[], Any], count: int) -> Callable[..., Any]:
    def run(n: int = count) -> Any:
        result = None
        for _ in range(n):
            result = call()
        return result

    return run


def _acounted(call: Callable[[], Any], count: int, loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    async def calls(n: int) -> Any:
        result = None
        for _ in range(n):
            result = await call()
        return result

    def run(n: int = count) -> Any:
        return loop.run_until_complete(calls(n))

    return run


# --- imports ------------------------------------------------------------------------------------------

IMPORTS: dict[str, tuple[str | None, str]] = {  # name -> (distribution or None for ours, statement)
    "kalshi-api": (None, "import kalshi_api"),
    "kalshi-api (+ KalshiClient)": (None, "from kalshi_api import KalshiClient"),
    "kalshi-sdk": ("kalshi-sdk", "import kalshi"),
    "kalshi-sdk (+ KalshiClient)": ("kalshi-sdk", "from kalshi import KalshiClient"),
    "kalshi-python-sync": ("kalshi-python-sync", "import kalshi_python_sync"),
    "pykalshi": ("pykalshi", "import pykalshi"),
}
