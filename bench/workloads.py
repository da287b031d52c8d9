"""Deterministic benchmark payloads built from the pinned specs, and the reference order book.

Every payload starts from the project's spec sampler (``tests/_samples.py``: every property present,
schema-valid, fixed-point fields typed as ``overrides/config/types.yaml`` says) and is then varied per item
with a seeded ``random.Random``: ids, tickers, prices, counts, timestamps and enum values differ from item to
item, so no decoder can profit from repeated strings.
"""

from __future__ import annotations

import functools
import json
import random
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260102
PAGE_ITEMS = 1000
BOOK_DELTAS = 100_000
BOOK_TICKER = "KXBENCH-26JAN02-T50"
EPOCH = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@dataclass(frozen=True)
class PageSpec:
    """One list response: its spec schema, the items field and our generated operation."""

    key: str  # "markets", "orders", "fills"
    response: str  # component schema of the whole body
    items: str  # the array field
    item: str  # component schema of one item
    operation: str  # "module:NAME" of our generated Operation


PAGES: dict[str, PageSpec] = {
    "markets": PageSpec("markets", "GetMarketsResponse", "markets", "Market", "markets:GET_MARKETS"),
    "orders": PageSpec("orders", "GetOrdersResponse", "orders", "Order", "orders:GET_ORDERS"),
    "fills": PageSpec("fills", "GetFillsResponse", "fills", "Fill", "portfolio:GET_FILLS"),
}


def dumps(value: Any) -> bytes:
    """Compact JSON, as the exchange sends it."""
    return json.dumps(value, separators=(",", ":")).encode()


@functools.cache
def spec_tools() -> tuple[Any, Any, Any, Any]:
    """(openapi IR, openapi sampler, asyncapi IR, asyncapi sampler) from the pinned specs."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from codegen.load import load_asyncapi, load_openapi, read_yaml
    from codegen.overrides import load_type_overrides
    from tests._samples import Sampler

    config = ROOT / "overrides" / "config"
    openapi = load_openapi(read_yaml(ROOT / "openapi" / "openapi.yaml"))
    asyncapi = load_asyncapi(read_yaml(ROOT / "asyncapi" / "asyncapi.yaml"))
    rest = Sampler(openapi.schemas, load_type_overrides(config, "openapi"))
    ws = Sampler(asyncapi.schemas, load_type_overrides(config, "asyncapi"))
    return openapi, rest, asyncapi, ws


def spec_properties(schema_name: str) -> dict[str, bool]:
    """Property name -> required, for an OpenAPI component schema (allOf merged)."""
    openapi, sampler, _, _ = spec_tools()
    return {p.name: p.required for p in sampler.properties(openapi.schemas[schema_name])}


# --- per-item variation -------------------------------------------------------------------------------


def _fixed(hundredths_or_ten_thousandths: int, places: int) -> str:
    sign = "-" if hundredths_or_ten_thousandths < 0 else ""
    whole, frac = divmod(abs(hundredths_or_ten_thousandths), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def dollars(rng: random.Random) -> str:
    """A price in (0, 1) with four places, as the API writes ``*_dollars``."""
    return _fixed(rng.randint(1, 9999), 4)


def count(rng: random.Random) -> str:
    """A contract count with two places, as the API writes ``*_fp``."""
    return _fixed(rng.randint(0, 5_000_000), 2)


def timestamp(rng: random.Random) -> str:
    """An RFC 3339 UTC time, with microseconds on about half of them (both shapes occur on the wire)."""
    when = EPOCH + timedelta(seconds=rng.randint(0, 90 * 86400), microseconds=rng.randint(0, 999_999))
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return (text + f".{when.microsecond:06d}Z") if rng.random() < 0.5 else text + "Z"


class Varier:
    """Gives each item of a page its own values, property by property, from the property's schema."""

    def __init__(self, sampler: Any, rng: random.Random) -> None:
        from tests._samples import field_override

        self.sampler = sampler
        self.rng = rng
        self._override = field_override

    def _resolve(self, schema: Any) -> tuple[Any, str | None]:
        overrides = self.sampler.overrides
        while schema.kind == "ref":
            if schema.ref in overrides.components:
                return schema, overrides.components[schema.ref]
            schema = self.sampler.schemas[schema.ref]
        return schema, None

    def item(self, schema_name: str, index: int) -> dict[str, Any]:
        schema = self.sampler.schemas[schema_name]
        template = self.sampler.value(schema)
        result: dict[str, Any] = {}
        for prop in self.sampler.properties(schema):
            result[prop.name] = self.value(prop, template[prop.name], index)
        return result

    def value(self, prop: Any, template: Any, index: int) -> Any:
        rng = self.rng
        expr = self._override(prop, self.sampler.overrides)
        schema, component = self._resolve(prop.schema)
        expr = expr or component
        if expr == "Dollars":
            return dollars(rng)
        if expr == "Count":
            return count(rng)
        if expr is not None:
            return template
        if schema.enum is not None:
            return rng.choice([v for v in schema.enum if v is not None])
        if schema.kind == "string" and schema.constraints.is_empty():
            name = prop.name
            if schema.format == "date-time":
                return timestamp(rng)
            if schema.format is not None:
                return template
            if name.endswith("ticker"):
                return f"KXBENCH{rng.randint(1, 99):02d}-26JAN{rng.randint(1, 28):02d}-T{index}"
            if name.endswith("_id") or name == "user_id":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            return f"{name.replace('_', ' ')} {index} {rng.getrandbits(48):012x}"
        if schema.kind == "integer" and schema.name is None and schema.constraints.is_empty():
            if schema.format == "int64":
                return int(EPOCH.timestamp()) + rng.randint(0, 90 * 86400)
            return rng.randint(0, 32)
        if schema.kind == "number" and schema.constraints.is_empty():
            return round(rng.uniform(0, 1000), 2)
        if schema.kind == "boolean":
            return rng.random() < 0.5
        return template  # nested objects and arrays, constrained or named scalars: the sampler's value


def build_page(key: str, items: int = PAGE_ITEMS, seed: int = SEED) -> dict[str, Any]:
    """The body of one list response with ``items`` distinct, schema-valid items and every property set."""
    page = PAGES[key]
    openapi, sampler, _, _ = spec_tools()
    rng = random.Random(f"{seed}:{key}")
    varier = Varier(sampler, rng)
    body = sampler.value(openapi.schemas[page.response])
    body[page.items] = [varier.item(page.item, i) for i in range(items)]
    body["cursor"] = f"cursor-{rng.getrandbits(64):016x}"
    missing = set(spec_properties(page.item)) - set(body[page.items][0])
    assert not missing, f"{page.item}: the payload lacks {sorted(missing)}"
    return body


def exchange_status() -> dict[str, Any]:
    """A schema-valid ExchangeStatus (the body of GET /exchange/status), every property set."""
    openapi, sampler, _, _ = spec_tools()
    value: dict[str, Any] = sampler.value(openapi.schemas["ExchangeStatus"])
    return value


# --- the order book -----------------------------------------------------------------------------------

Book = dict[str, dict[Decimal, Decimal]]  # side -> price -> count


@dataclass(frozen=True)
class BookWorkload:
    ticker: str
    frames: list[bytes]  # the snapshot, then the deltas
    reference: Book  # the book after every frame, computed with plain dicts
    levels_seen: int  # distinct (side, price) levels the walk touched


def _price(cents: int) -> str:
    return f"0.{cents:02d}00"


def build_book(deltas: int = BOOK_DELTAS, seed: int = SEED) -> BookWorkload:
    """One ``orderbook_snapshot`` and ``deltas`` ``orderbook_delta`` frames of a random walk.

    Levels live on a 1-cent grid below 50 cents on each side (so the book never crosses). A delta adds
    contracts, removes some, or clears a level exactly; no count ever goes negative. Counts are tracked in
    integer hundredths, so the reference book is exact.
    """
    _, _, asyncapi, sampler = spec_tools()
    rng = random.Random(f"{seed}:book")
    snapshot = sampler.value(asyncapi.schemas["orderbookSnapshotPayload"])
    delta_template = sampler.value(asyncapi.schemas["orderbookDeltaPayload"])
    market_id = snapshot["msg"]["market_id"]
    counts: dict[str, dict[int, int]] = {"yes": {}, "no": {}}  # side -> cents -> hundredths
    for side in ("yes", "no"):
        for cents in sorted(rng.sample(range(1, 50), 30)):
            counts[side][cents] = rng.randint(1, 500_000)
    snapshot["msg"].update(
        market_ticker=BOOK_TICKER,
        yes_dollars_fp=[[_price(c), _fixed(n, 2)] for c, n in counts["yes"].items()],
        no_dollars_fp=[[_price(c), _fixed(n, 2)] for c, n in counts["no"].items()],
    )
    snapshot.update(seq=1, sid=1)
    frames = [dumps(snapshot)]
    touched = {(side, c) for side in counts for c in counts[side]}
    start_ms = int(EPOCH.timestamp() * 1000)
    for i in range(deltas):
        side = "yes" if rng.random() < 0.5 else "no"
        cents = rng.randint(1, 49)
        current = counts[side].get(cents, 0)
        if current == 0 or rng.random() < 0.5:
            change = rng.randint(1, 50_000)
        elif rng.random() < 0.25:
            change = -current  # the level empties exactly
        else:
            change = -rng.randint(1, current)
        new = current + change
        assert new >= 0
        if new:
            counts[side][cents] = new
        else:
            counts[side].pop(cents, None)
        touched.add((side, cents))
        ts_ms = start_ms + 3 * i + rng.randint(0, 2)
        when = datetime.fromtimestamp(ts_ms / 1000, timezone.utc)
        msg = dict(delta_template["msg"])
        msg.update(
            client_order_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            delta_fp=_fixed(change, 2),
            market_id=market_id,
            market_ticker=BOOK_TICKER,
            price_dollars=_price(cents),
            side=side,
            subaccount=rng.randint(0, 32),
            ts=when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            ts_ms=ts_ms,
        )
        frames.append(dumps({**delta_template, "msg": msg, "seq": i + 2, "sid": 1}))
    reference: Book = {
        side: {Decimal(_price(c)): Decimal(_fixed(n, 2)) for c, n in levels.items()}
        for side, levels in counts.items()
    }
    return BookWorkload(BOOK_TICKER, frames, reference, len(touched))


def normalize_book(yes: Mapping[Any, Any], no: Mapping[Any, Any]) -> Book:
    """Any implementation's final book as Decimal -> Decimal per side, empty levels dropped."""
    return {
        side: {Decimal(str(p)): Decimal(str(c)) for p, c in levels.items() if Decimal(str(c))}
        for side, levels in (("yes", yes), ("no", no))
    }


def book_check(final: Any, reference: Book) -> Any:
    """A result check: the implementation's final book (via ``final``) must equal the reference."""

    def check(result: Any) -> str | None:
        got = final(result)
        if got == reference:
            return None
        wrong = [
            f"{side} {price}: {got[side].get(price)} != {reference[side].get(price)}"
            for side in ("yes", "no")
            for price in sorted(set(got[side]) | set(reference[side]))
            if got[side].get(price) != reference[side].get(price)
        ]
        return f"final book differs from the reference at {len(wrong)} levels: {'; '.join(wrong[:5])}"

    return check
