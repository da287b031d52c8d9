"""Placing an order exactly once when the network can't say whether it arrived.

A create that times out or loses its connection may or may not have reached the exchange. Retrying blindly
could place it twice; giving up could lose it. The recipe: keep the order's ``client_order_id`` (the exchange
refuses a second order with the same one), look the order up by that id, and only if it isn't there send the
very same request again. ``place_order`` / ``aplace_order`` do exactly that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from kalshi_api_core.errors import APIError, ConflictError, RateLimitError, RequestError, TransportError

# Outcomes after which the order may or may not exist. 4xx answers (other than a duplicate id) are definite.
_UNCERTAIN = (TransportError, APIError)


@dataclass(frozen=True)
class PlacedOrder:
    client_order_id: str
    order_id: str
    how: Literal["created", "found"]  # answered by the create, or found by the lookup after an uncertain one
    result: Any  # the CreateOrderV2Response, or the Order the lookup found
    attempts: int  # creates sent


def _uncertain(error: RequestError) -> bool:
    if isinstance(error, TransportError):
        return True
    return isinstance(error, APIError) and (error.status >= 500 or isinstance(error, RateLimitError))


def _with_id(request: Any, client_order_id: str | None) -> Any:
    """The request with its idempotency key: the one given, the request's own, or a new UUID4."""
    cid = client_order_id or getattr(request, "client_order_id", None) or str(uuid.uuid4())
    return (
        request
        if cid == getattr(request, "client_order_id", None)
        else request.model_copy(update={"client_order_id": cid})
    )


def _match(orders: Any, client_order_id: str) -> Any:
    return next((order for order in orders if order.client_order_id == client_order_id), None)


async def _amatch(client: Any, ticker: str, client_order_id: str, pages: int) -> Any:
    async for order in client.orders.list_all(ticker=ticker, max_pages=pages):
        if order.client_order_id == client_order_id:
            return order
    return None


def place_order(
    client: Any,
    request: Any,
    *,
    attempts: int = 3,
    lookup_pages: int = 10,
    reconcile_first: bool = False,
    client_order_id: str | None = None,
) -> PlacedOrder:
    """Create ``request`` (a ``CreateOrderV2Request``) at most once on ``client`` (a ``KalshiClient``).

    After an uncertain failure the order is looked up among the market's orders by ``client_order_id`` (at
    most ``lookup_pages`` pages); if absent the same request is sent again. A duplicate-id conflict means an
    earlier attempt landed, so the lookup answers. Raises the last error when ``attempts`` run out.

    ``reconcile_first=True`` resumes after an uncertain error of your own create: pass that error's
    ``client_order_id`` (the SDK generated it if your request had none) and the lookup comes first.
    """
    request = _with_id(request, client_order_id)
    cid = str(request.client_order_id)
    last: RequestError | None = None
    if reconcile_first:
        found = _match(client.orders.list_all(ticker=request.ticker, max_pages=lookup_pages), cid)
        if found is not None:
            return PlacedOrder(cid, str(found.order_id), "found", found, 0)
    for attempt in range(1, attempts + 1):
        try:
            created = client.orders.create_v2(request=request)
            return PlacedOrder(cid, str(created.order_id), "created", created, attempt)
        except ConflictError as error:
            last = error
        except _UNCERTAIN as error:
            if not _uncertain(error):
                raise
            last = error
        try:
            found = _match(client.orders.list_all(ticker=request.ticker, max_pages=lookup_pages), cid)
        except RequestError as error:  # can't tell yet: try again (the id makes a late create harmless)
            last = error
            continue
        if found is not None:
            return PlacedOrder(cid, str(found.order_id), "found", found, attempt)
        if isinstance(last, ConflictError):
            raise last
    assert last is not None
    raise last


async def aplace_order(
    client: Any,
    request: Any,
    *,
    attempts: int = 3,
    lookup_pages: int = 10,
    reconcile_first: bool = False,
    client_order_id: str | None = None,
) -> PlacedOrder:
    """``place_order`` for an ``AsyncKalshiClient``."""
    request = _with_id(request, client_order_id)
    cid = str(request.client_order_id)
    last: RequestError | None = None
    if reconcile_first:
        found = await _amatch(client, request.ticker, cid, lookup_pages)
        if found is not None:
            return PlacedOrder(cid, str(found.order_id), "found", found, 0)
    for attempt in range(1, attempts + 1):
        try:
            created = await client.orders.create_v2(request=request)
            return PlacedOrder(cid, str(created.order_id), "created", created, attempt)
        except ConflictError as error:
            last = error
        except _UNCERTAIN as error:
            if not _uncertain(error):
                raise
            last = error
        try:
            found = await _amatch(client, request.ticker, cid, lookup_pages)
        except RequestError as error:
            last = error
            continue
        if found is not None:
            return PlacedOrder(cid, str(found.order_id), "found", found, attempt)
        if isinstance(last, ConflictError):
            raise last
    assert last is not None
    raise last
