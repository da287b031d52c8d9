"""Placing an order exactly once when the network can't say whether it arrived.

A create that times out, loses its connection, meets a 429 or 5xx, or gets a 2xx it can't read may or may
not have placed the order. Retrying blindly could place it twice; giving up could lose it. The recipe: keep
the order's ``client_order_id`` (the exchange refuses a second order with the same one), look the order up by
that id, and only if it isn't there send the very same request again, after a backoff that honours the
server's Retry-After. ``place_order`` / ``aplace_order`` do exactly that.

Both run one plan (``_Placement.run``, a generator): it decides every step and the sync or async driver only
carries it out (create, look up, sleep) and sends back the result, so the two behave the same.

The client and model classes are imported for type checking only: importing this module (the command line
does at start) shouldn't load every model, and any call is handed objects whose classes are loaded already.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union
from urllib.parse import urlsplit

from kalshi_api_core.deadline import within
from kalshi_api_core.errors import (
    ConfigurationError,
    ConflictError,
    KalshiError,
    OrderStateUnknownError,
    PaginationError,
    RequestError,
)
from kalshi_api_core.transport import RetryPolicy, check_budget

if TYPE_CHECKING:
    from kalshi_api.client import AsyncKalshiClient, KalshiClient
    from kalshi_api.models import CreateOrderV2Request, CreateOrderV2Response, Order

__all__ = ["PlacedOrder", "aplace_order", "place_order"]

CREATE_PATH = "/portfolio/events/orders"  # CreateOrderV2, for the label of OrderStateUnknownError


@dataclass(frozen=True)
class PlacedOrder:
    client_order_id: str
    order_id: str
    how: Literal["created", "found"]  # answered by the create, or found by the lookup after an uncertain one
    result: CreateOrderV2Response | Order  # the create's answer, or the Order the lookup found
    attempts: int  # creates sent


# The steps the plan asks its driver for; the driver answers each with (result, error).
@dataclass(frozen=True)
class _Create:
    pass


@dataclass(frozen=True)
class _Lookup:
    pass


@dataclass(frozen=True)
class _Sleep:
    seconds: float


_Step = _Create | _Lookup | _Sleep
# What the create answered or the lookup found (None: not found, or an error), and the error.
_Answer = tuple[Union["CreateOrderV2Response", "Order", None], KalshiError | None]
_LOOKUP_FAILURES = (RequestError, PaginationError)  # the lookup could not tell: the order may still exist
_Plan = Generator[_Step, _Answer, PlacedOrder]


def _with_id(request: CreateOrderV2Request, client_order_id: str | None) -> CreateOrderV2Request:
    """The request with its idempotency key: the one given, the request's own, or a new UUID4."""
    cid = client_order_id or request.client_order_id or str(uuid.uuid4())
    return request if cid == request.client_order_id else request.model_copy(update={"client_order_id": cid})


def _whole(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number >= 1, got {value!r}")


class _Placement:
    """The decisions of one place_order call: what to do next, how long to wait, what to raise."""

    def __init__(
        self,
        client: KalshiClient | AsyncKalshiClient,
        request: CreateOrderV2Request,
        *,
        attempts: int,
        lookup_pages: int,
        reconcile_first: bool,
        client_order_id: str | None,
        total_timeout: float | None,
        retry: RetryPolicy | None,
    ) -> None:
        _whole("attempts", attempts)
        _whole("lookup_pages", lookup_pages)
        check_budget("total_timeout", total_timeout)  # all refused before any I/O
        self.request = _with_id(request, client_order_id)
        self.cid = str(self.request.client_order_id)
        self.attempts = attempts
        self.lookup_pages = lookup_pages
        self.retry = retry or client.retry_policy
        self.total_timeout = total_timeout
        self.deadline = None if total_timeout is None else time.monotonic() + total_timeout
        self.path = urlsplit(client.base_url).path.rstrip("/") + CREATE_PATH
        self.creates = 0
        # an earlier create (the caller's own, or one of ours) may have placed the order
        self.uncertain = reconcile_first
        self.conflict = False  # a create was refused because the id is taken: only lookups can tell more
        self.create_error: RequestError | None = None
        self.lookup_error: KalshiError | None = None
        self.not_before = 0.0  # time.monotonic() before which no further create is sent

    def run(self) -> _Plan:
        if self.uncertain:
            found = yield from self._lookup()
            if found is not None:
                return self._placed("found", found)
        for round_ in range(self.attempts):
            if round_:
                wait = max(0.0, self.not_before - time.monotonic())
                self._stop_unless_time_for(wait)
                if wait:
                    yield _Sleep(wait)
            if not self.conflict:
                created = yield from self._create(round_)
                if created is not None:
                    return created
            self._stop_unless_time_for(0.0)
            found = yield from self._lookup()
            if found is not None:
                return self._placed("found", found)
            if not self.uncertain:  # a 409 for an id this call never sent before: someone else's order
                assert self.create_error is not None
                raise self.create_error
            if self.conflict:
                self.not_before = time.monotonic() + self.retry.delay(round_, None)
        raise self._unknown(f"{self.attempts} attempt(s) used up")

    def _create(self, round_: int) -> Generator[_Step, _Answer, PlacedOrder | None]:
        result, error = yield _Create()
        self.creates += 1
        if error is None:
            return self._placed("created", result)
        if not isinstance(error, RequestError):  # the driver catches nothing else from a create
            raise error
        self.create_error = error
        if isinstance(error, ConflictError):
            self.conflict = True  # the lookup decides: this call's earlier create landed, or the id is taken
        elif error.outcome_unknown:
            self.uncertain = True
            retry_after = getattr(error, "retry_after", None)
            self.not_before = time.monotonic() + self.retry.delay(round_, retry_after)
        elif self.uncertain:  # refused now, but an earlier create may still have placed it
            raise self._unknown(f"the last create was refused ({type(error).__name__})")
        else:
            raise error  # a definite refusal: nothing was placed
        return None

    def _lookup(self) -> Generator[_Step, _Answer, CreateOrderV2Response | Order | None]:
        found, error = yield _Lookup()
        if error is not None:
            self.lookup_error = error
        return found

    def _stop_unless_time_for(self, wait: float) -> None:
        """Stop with OrderStateUnknownError when waiting ``wait`` seconds would use up the total budget."""
        if self.deadline is not None and time.monotonic() + wait >= self.deadline:
            if not self.uncertain and self.create_error is not None:
                raise self.create_error  # nothing of ours can exist: the refusal stands
            why = f"total_timeout={self.total_timeout:g}s used up"
            if wait:
                why = f"total_timeout={self.total_timeout:g}s would be exceeded by waiting {wait:.3g}s"
            raise self._unknown(why)

    def _unknown(self, reason: str) -> OrderStateUnknownError:
        error = OrderStateUnknownError(
            client_order_id=self.cid,
            creates=self.creates,
            create_error=self.create_error,
            lookup_error=self.lookup_error,
            reason=reason,
            method="POST",
            path=self.path,
        )
        error.__cause__ = self.create_error
        error.__suppress_context__ = True
        return error

    def _placed(
        self, how: Literal["created", "found"], result: CreateOrderV2Response | Order | None
    ) -> PlacedOrder:
        assert result is not None  # the driver answers a create or a lookup that succeeded with its result
        return PlacedOrder(self.cid, result.order_id, how, result, self.creates)


def _advance(steps: _Plan, answer: _Answer | None) -> _Step | PlacedOrder:
    """The plan's next step for this answer (None: its first step), or its result once it is done."""
    try:
        return next(steps) if answer is None else steps.send(answer)
    except StopIteration as done:
        placed: PlacedOrder = done.value
        return placed


def _attempt(
    call: Callable[[], CreateOrderV2Response | Order | None], failures: tuple[type[KalshiError], ...]
) -> _Answer:
    try:
        return call(), None
    except failures as error:
        return None, error


def place_order(
    client: KalshiClient,
    request: CreateOrderV2Request,
    *,
    attempts: int = 3,
    lookup_pages: int = 10,
    reconcile_first: bool = False,
    client_order_id: str | None = None,
    total_timeout: float | None = None,
    retry: RetryPolicy | None = None,
) -> PlacedOrder:
    """Create ``request`` (a ``CreateOrderV2Request``) at most once on ``client`` (a ``KalshiClient``).

    After an uncertain failure (no answer, 429, 5xx, a 2xx whose body can't be read) the order is looked up
    among the market's orders by ``client_order_id`` (at most ``lookup_pages`` pages); if absent, the same
    request is sent again after a wait: the server's Retry-After (capped at ``retry.retry_after_max``) plus a
    little jitter, else ``retry``'s full-jitter exponential backoff (``retry`` defaults to the client's
    policy). A duplicate-id conflict (409) after an uncertain create means that create landed: the lookup
    answers. At most ``attempts`` creates are sent.

    ``total_timeout`` (seconds) bounds the whole call: creates, lookups (their retries too) and waits. When
    the order can't be confirmed or ruled out in time, or the attempts run out, ``OrderStateUnknownError``
    (with the id) is raised, never a lookup's error. A definite refusal (a 4xx, or a 409 for an id this call
    had not sent) raises its own ``APIError``, which names the id too.

    ``reconcile_first=True`` resumes after an uncertain error of your own create: pass that error's
    ``client_order_id`` (the SDK generated it if your request had none) and the lookup comes first.
    """
    plan = _Placement(
        client,
        request,
        attempts=attempts,
        lookup_pages=lookup_pages,
        reconcile_first=reconcile_first,
        client_order_id=client_order_id,
        total_timeout=total_timeout,
        retry=retry,
    )
    steps = plan.run()
    answer: _Answer | None = None
    with within(plan.deadline):  # the transport cuts every request (and its retries) to the budget
        while not isinstance(step := _advance(steps, answer), PlacedOrder):
            if isinstance(step, _Sleep):
                time.sleep(step.seconds)
                answer = (None, None)
            elif isinstance(step, _Create):
                answer = _attempt(lambda: client.orders.create_v2(request=plan.request), (RequestError,))
            else:
                answer = _attempt(lambda: _match(client, plan), _LOOKUP_FAILURES)
    return step


async def aplace_order(
    client: AsyncKalshiClient,
    request: CreateOrderV2Request,
    *,
    attempts: int = 3,
    lookup_pages: int = 10,
    reconcile_first: bool = False,
    client_order_id: str | None = None,
    total_timeout: float | None = None,
    retry: RetryPolicy | None = None,
) -> PlacedOrder:
    """``place_order`` for an ``AsyncKalshiClient``."""
    plan = _Placement(
        client,
        request,
        attempts=attempts,
        lookup_pages=lookup_pages,
        reconcile_first=reconcile_first,
        client_order_id=client_order_id,
        total_timeout=total_timeout,
        retry=retry,
    )
    steps = plan.run()
    answer: _Answer | None = None
    with within(plan.deadline):
        while not isinstance(step := _advance(steps, answer), PlacedOrder):
            if isinstance(step, _Sleep):
                await asyncio.sleep(step.seconds)
                answer = (None, None)
                continue
            if isinstance(step, _Create):
                try:
                    answer = (await client.orders.create_v2(request=plan.request), None)
                except RequestError as error:
                    answer = (None, error)
            else:
                try:
                    answer = (await _amatch(client, plan), None)
                except _LOOKUP_FAILURES as error:
                    answer = (None, error)
    return step


def _match(client: KalshiClient, plan: _Placement) -> Order | None:
    orders = client.orders.list_all(ticker=plan.request.ticker, max_pages=plan.lookup_pages)
    return next((order for order in orders if order.client_order_id == plan.cid), None)


async def _amatch(client: AsyncKalshiClient, plan: _Placement) -> Order | None:
    async for order in client.orders.list_all(ticker=plan.request.ticker, max_pages=plan.lookup_pages):
        if order.client_order_id == plan.cid:
            return order
    return None
