"""The one HTTP transport behind every generated operation, with sync and async front ends.

All decisions (URL and body building, header rules, when and how long to retry, status -> error, decoding)
live in ``RequestCore``; ``SyncTransport`` and ``AsyncTransport`` only do the I/O and the sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import json
import logging
import math
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar, cast
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter

from kalshi_api_core.auth import ACCESS_HEADER_PREFIX, KalshiAuth
from kalshi_api_core.base_models import RESPONSE_PARSING
from kalshi_api_core.body import model_json
from kalshi_api_core.deadline import current as current_deadline
from kalshi_api_core.deadline import earliest, remaining
from kalshi_api_core.decimals import to_wire
from kalshi_api_core.error_body import parse_error_body
from kalshi_api_core.errors import (
    APIError,
    AuthRequiredError,
    ConfigurationError,
    HeaderNotAllowedError,
    NetworkError,
    PoolTimeoutError,
    RequestCostError,
    RequestError,
    RequestTimeoutError,
    ResponseDecodeError,
    ResponseTooLargeError,
    error_class_for_status,
)
from kalshi_api_core.pagination import AsyncPage, AsyncPageIterator, Page, PageIterator
from kalshi_api_core.ratelimit import RateLimiter, billed_items
from kalshi_api_core.raw_response import RawResponse

R = TypeVar("R")
T = TypeVar("T")
logger = logging.getLogger("kalshi_api")

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
JsonLoads = Callable[[bytes], Any]


@dataclass(frozen=True)
class Operation(Generic[R]):
    """What the transport needs to know about one spec operation (generated, one per operationId)."""

    operation_id: str
    method: str
    path: str  # template relative to the base URL, e.g. "/markets/{ticker}"
    requires_auth: bool
    path_params: tuple[str, ...] = ()
    array_query: Mapping[str, bool] = field(default_factory=dict)  # array query param -> explode
    response_type: Any = None  # a generated model class (or a type alias such as a free-form JSON object)
    unwrap: str | None = None  # single-object envelope field
    page_items: str | None = None  # cursor pages: the items field ...
    page_cursor: str | None = None  # ... and the next-cursor field of the response ...
    page_item_type: Any = None  # ... and the items' model class
    order_writes: Literal["single", "batch"] | None = None  # where client_order_ids live in the body
    bucket: Literal["read", "write"] = "read"  # the rate-limit bucket Kalshi bills it to ...
    cost: int = 10  # ... and the tokens it costs (per order for a batch)

    def validate(self, content: bytes, json_loads: JsonLoads | None) -> Any:
        """Decode a response body straight from bytes into the declared type."""
        target = self.response_type
        if isinstance(target, type) and issubclass(target, BaseModel):
            if json_loads is not None:
                return target.model_validate(json_loads(content))
            return target.model_validate_json(content)
        adapter = _adapter(target)
        return adapter.validate_python(json_loads(content)) if json_loads else adapter.validate_json(content)

    def decode(self, model: Any, page_type: type[Page[Any] | AsyncPage[Any]] = Page) -> R:
        if model is None:
            result: Any = None
        elif self.unwrap is not None:
            result = getattr(model, self.unwrap)
        elif self.page_items is not None:
            cursor = getattr(model, self.page_cursor or "cursor", None)
            result = page_type(
                items=list(getattr(model, self.page_items) or ()),
                cursor=cursor or None,
                response=model,
                item_type=self.page_item_type,
            )
        else:
            result = model
        return result  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.5  # seconds; attempt n waits up to base * 2**n (full jitter)
    backoff_max: float = 8.0
    retry_after_max: float = 60.0  # never wait longer than this for a server's Retry-After
    # seconds one call may take, retries included: no retry whose wait would end past it (None: no budget)
    total_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries!r}")
        check_budget("total_timeout", self.total_timeout)

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * (2**attempt)))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before retry ``attempt + 1``: the server's Retry-After (already capped at
        ``retry_after_max``) plus a little jitter, so clients told the same wait don't return in step;
        full-jitter exponential backoff when the server said nothing."""
        if retry_after is None:
            return self.backoff(attempt)
        return retry_after + random.uniform(0, min(self.backoff_base, 0.1 * retry_after))


def check_budget(name: str, value: float | None) -> None:
    """A time budget is None or a finite number of seconds > 0."""
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{name} must be a number of seconds > 0 (or None), got {value!r}")


def parse_retry_after(value: str | None, cap: float, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date); past or negative is 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


@dataclass
class Prepared:
    operation: Operation[Any]
    method: str
    url: str
    sign_path: str  # path signed by RSA-PSS: base path + operation path, no query
    query: list[tuple[str, str | int | float | bool | None]]
    headers: dict[str, str]
    content: bytes | None
    timeout: httpx.Timeout | None
    client_order_ids: tuple[str, ...] = ()
    items: int = 1  # orders in a batch: Kalshi's rate limits bill each one
    deadline: float | None = None  # time.monotonic() instant the call must end by (RetryPolicy, place_order)

    @property
    def label(self) -> str:
        return f"{self.method} {self.sign_path}"


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 header field names
_BAD_VALUE = re.compile(r"[\r\n\x00]")


def check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Caller headers, checked before anything is sent: only request signing may set ``KALSHI-ACCESS-*`` (in
    any letter case, with ``_`` for ``-`` too), and no name or value may split the header block."""
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if name.strip().lower().replace("_", "-").startswith(ACCESS_HEADER_PREFIX):
            raise HeaderNotAllowedError(name)
        if not _TOKEN.fullmatch(name):
            raise ConfigurationError(f"header name {name!r} is not a valid HTTP token")
        if not isinstance(value, str) or _BAD_VALUE.search(value):
            raise ConfigurationError(f"header {name!r}: the value must be a string without CR, LF or NUL")
        result[name] = value
    return result


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return to_wire(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _ensure_order_ids(operation: Operation[Any], body: Any) -> tuple[BaseModel, tuple[str, ...]]:
    """Give every order in a write a client_order_id (the idempotency key) and report them all.

    ``body`` is the generated order request model (single) or batch request model (its ``orders``)."""
    if operation.order_writes == "single":
        if body.client_order_id is None:
            body = body.model_copy(update={"client_order_id": str(uuid.uuid4())})
        return body, (str(body.client_order_id),)
    if operation.order_writes == "batch":
        orders: list[Any] = [_ensure_order_ids(_SINGLE, order)[0] for order in body.orders]
        return body.model_copy(update={"orders": orders}), tuple(str(o.client_order_id) for o in orders)
    return body, ()


_SINGLE: Operation[Any] = Operation("", "POST", "", False, order_writes="single")


@functools.cache
def _adapter(target: Any) -> TypeAdapter[Any]:
    return TypeAdapter(target, config=RESPONSE_PARSING)


def _type_name(target: Any) -> str:
    return str(getattr(target, "__name__", target))


class RequestCore:
    """Everything about a request that is not I/O: shared by the sync and async transports."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: KalshiAuth | None,
        retry: RetryPolicy,
        headers: Mapping[str, str] | None = None,
        json_loads: JsonLoads | None = None,
        user_agent: str = "kalshi-api",
        max_response_bytes: int = 64 * 1024 * 1024,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.base_path = urlsplit(self.base_url).path.rstrip("/")
        self.auth = auth
        self.retry = retry
        self.headers = {"Accept": "application/json", "User-Agent": user_agent, **check_headers(headers)}
        self.json_loads = json_loads
        self.max_response_bytes = max_response_bytes
        self.limiter = limiter

    def prepare(
        self,
        operation: Operation[Any],
        params: BaseModel | None,
        body: BaseModel | Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Prepared:
        if operation.requires_auth and self.auth is None:
            raise AuthRequiredError(operation.operation_id, operation.method, operation.path)
        # Only what the caller gave: the spec's defaults are the server's to apply, not ours to send.
        values = params.model_dump(by_alias=True, exclude_unset=True, exclude_none=True) if params else {}
        path = operation.path
        for name in operation.path_params:
            value = values.pop(name, None)
            if value is None or value == "":
                raise ConfigurationError(
                    f"{operation.operation_id}: path parameter {name!r} must not be empty"
                )
            path = path.replace("{" + name + "}", quote(_query_value(value), safe=""))
        query: list[tuple[str, str | int | float | bool | None]] = []
        for name, value in values.items():
            if isinstance(value, list | tuple):
                if operation.array_query.get(name, True):
                    query.extend((name, _query_value(v)) for v in value)
                else:
                    query.append((name, ",".join(_query_value(v) for v in value)))
            else:
                query.append((name, _query_value(value)))
        headers = {**self.headers, **check_headers(extra_headers)}
        content = None
        order_ids: tuple[str, ...] = ()
        if isinstance(body, BaseModel):
            body, order_ids = _ensure_order_ids(operation, body)
            content = model_json(body, extra_body)
        elif body is not None:
            content = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        return Prepared(
            operation=operation,
            method=operation.method,
            url=self.base_url + path,
            sign_path=self.base_path + path,
            query=query,
            headers=headers,
            content=content,
            timeout=httpx.Timeout(timeout) if isinstance(timeout, int | float) else timeout,
            client_order_ids=order_ids,
            items=billed_items(body),
            deadline=earliest(current_deadline(), self._budget_end()),
        )

    def _budget_end(self) -> float | None:
        budget = self.retry.total_timeout
        return None if budget is None else time.monotonic() + budget

    @contextlib.contextmanager
    def naming_orders(self, prepared: Prepared) -> Iterator[None]:
        """Errors raised in the block before the request is sent (the rate limiter's) name its orders too."""
        try:
            yield
        except RequestCostError as exc:
            exc.client_order_ids = prepared.client_order_ids
            raise

    # --- retries ------------------------------------------------------------------------------------

    def delay_after_exception(
        self, prepared: Prepared, exc: httpx.TransportError, attempt: int
    ) -> float | None:
        """Seconds before retrying after a transport failure, or None to give up."""
        if attempt >= self.retry.max_retries:
            return None
        never_left = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if prepared.method in _IDEMPOTENT or never_left:
            return self._within_budget(prepared, self.retry.backoff(attempt))
        return None  # a write may have reached the exchange: only the caller can decide (reconcile first)

    def delay_after_response(
        self, prepared: Prepared, response: httpx.Response, attempt: int
    ) -> float | None:
        status = response.status_code
        if attempt >= self.retry.max_retries or prepared.method not in _IDEMPOTENT:
            return None
        if status != 429 and status < 500:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.retry.retry_after_max)
        return self._within_budget(prepared, self.retry.delay(attempt, retry_after))

    def _within_budget(self, prepared: Prepared, delay: float) -> float | None:
        """``delay``, or None (give up now) when the wait would end past the call's deadline."""
        left = remaining(prepared.deadline)
        return None if left is not None and delay >= left else delay

    # --- one attempt ----------------------------------------------------------------------------------

    def request_args(
        self, prepared: Prepared, signed: Mapping[str, str], client_timeout: httpx.Timeout | None = None
    ) -> dict[str, Any]:
        """Arguments for httpx's build_request; the signature headers are fresh for every attempt."""
        return {
            "method": prepared.method,
            "url": prepared.url,
            "params": prepared.query,
            "content": prepared.content,
            "headers": {**prepared.headers, **signed},
            "timeout": self.attempt_timeout(prepared, client_timeout),
        }

    def attempt_timeout(self, prepared: Prepared, client_timeout: httpx.Timeout | None) -> Any:
        """The call's timeout (else the httpx client's), each part cut to what is left of its deadline."""
        given = prepared.timeout if prepared.timeout is not None else client_timeout
        left = remaining(prepared.deadline)
        if left is None or given is None:
            return given if given is not None else httpx.USE_CLIENT_DEFAULT
        left = max(left, 0.001)  # a deadline just past still gets a (failing) attempt, not "no timeout"
        parts = (given.connect, given.read, given.write, given.pool)
        connect, read, write, pool = (left if part is None else min(part, left) for part in parts)
        return httpx.Timeout(connect=connect, read=read, write=write, pool=pool)

    def retry_or_raise(
        self, prepared: Prepared, exc: httpx.TransportError, attempt: int, started: float
    ) -> float:
        """The delay before the next attempt after a transport failure; raises the typed error when done."""
        self.log(prepared, type(exc).__name__, started, attempt)
        delay = self.delay_after_exception(prepared, exc, attempt)
        if delay is None:
            raise self.transport_error(prepared, exc) from None
        return delay

    def settle(
        self,
        prepared: Prepared,
        response: httpx.Response,
        content: bytes,
        attempt: int,
        started: float,
        page_type: type[Page[Any] | AsyncPage[Any]] = Page,
    ) -> tuple[float | None, Any]:
        """(delay, None) to retry, or (None, result) when the response is final (errors are raised)."""
        self.log(prepared, str(response.status_code), started, attempt)
        if response.status_code == 429 and self.limiter is not None:
            cap = self.retry.retry_after_max
            retry_after = parse_retry_after(response.headers.get("Retry-After"), cap)
            self.limiter.back_off(prepared.operation, retry_after)
        delay = self.delay_after_response(prepared, response, attempt)
        if delay is not None:
            return delay, None
        return None, self.finish(prepared, response, content, page_type)

    def body_limit(self, prepared: Prepared, response: httpx.Response) -> int:
        """The most body bytes to read; refuses at once a response that declares more."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise self.too_large(prepared, response, int(declared))
        return self.max_response_bytes

    def too_large(self, prepared: Prepared, response: httpx.Response, size: int) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{prepared.label}: a body of {size}+ bytes exceeds max_response_bytes={self.max_response_bytes}",
            status=response.status_code,
            method=prepared.method,
            path=prepared.sign_path,
            client_order_ids=prepared.client_order_ids,
        )

    def undecodable(
        self, prepared: Prepared, response: httpx.Response, exc: Exception
    ) -> ResponseDecodeError:
        """A body whose Content-Encoding (gzip, ...) can't be undone."""
        return ResponseDecodeError(
            f"{prepared.label}: the body can't be decoded ({type(exc).__name__}: {exc})",
            status=response.status_code,
            method=prepared.method,
            path=prepared.sign_path,
            client_order_ids=prepared.client_order_ids,
        )

    # --- outcomes -----------------------------------------------------------------------------------

    def transport_error(self, prepared: Prepared, exc: httpx.TransportError) -> RequestError:
        kwargs: dict[str, Any] = {
            "method": prepared.method,
            "path": prepared.sign_path,
            "client_order_ids": prepared.client_order_ids,
        }
        reason = type(exc).__name__
        if isinstance(exc, httpx.PoolTimeout):
            return PoolTimeoutError(f"{prepared.label}: no free connection in the pool ({reason})", **kwargs)
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeoutError(f"{prepared.label}: timed out ({reason})", **kwargs)
        return NetworkError(f"{prepared.label}: network error ({reason}: {exc})", **kwargs)

    def finish(
        self,
        prepared: Prepared,
        response: httpx.Response,
        content: bytes,
        page_type: type[Page[Any] | AsyncPage[Any]] = Page,
    ) -> Any:
        """The decoded result of a 2xx response, or the typed error for any other status."""
        if not 200 <= response.status_code < 300:
            raise self.api_error(prepared, response, content)
        operation = prepared.operation
        expected = _type_name(operation.response_type)
        if operation.response_type is None or not content:
            if operation.response_type is not None and response.status_code != 204:
                raise ResponseDecodeError(
                    f"{prepared.label}: empty body, expected {expected}",
                    status=response.status_code,
                    method=prepared.method,
                    path=prepared.sign_path,
                    client_order_ids=prepared.client_order_ids,
                )
            return operation.decode(None, page_type)
        try:
            model = operation.validate(content, self.json_loads)
        except Exception as exc:  # any failure of a (pluggable) JSON loader or of validation: the body is bad
            raise ResponseDecodeError(
                f"{prepared.label}: response does not match {expected}: {exc}",
                status=response.status_code,
                method=prepared.method,
                path=prepared.sign_path,
                client_order_ids=prepared.client_order_ids,
            ) from exc
        return operation.decode(model, page_type)

    def api_error(self, prepared: Prepared, response: httpx.Response, content: bytes) -> APIError:
        body = parse_error_body(content, response.headers.get("Content-Type"))
        cap = self.retry.retry_after_max
        return error_class_for_status(response.status_code)(
            status=response.status_code,
            method=prepared.method,
            path=prepared.sign_path,
            code=body.code,
            message=body.message,
            details=body.details,
            request_id=response.headers.get("x-request-id"),
            client_order_ids=prepared.client_order_ids,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), cap),
        )

    def log(self, prepared: Prepared, outcome: str, started: float, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s -> %s in %.1f ms (attempt %d)", prepared.label, outcome, elapsed, attempt + 1)


class SyncTransport:
    def __init__(self, core: RequestCore, client: httpx.Client) -> None:
        self.core = core
        self.client = client

    def request(
        self,
        operation: Operation[R],
        *,
        params: BaseModel | None = None,
        body: BaseModel | Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> R:
        raw = self.request_raw(
            operation,
            params=params,
            body=body,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return raw.parsed

    def request_raw(
        self,
        operation: Operation[R],
        *,
        params: BaseModel | None = None,
        body: BaseModel | Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> RawResponse[R]:
        """The decoded result with the final response's status and headers; a page can fetch the next."""
        prepared = self.core.prepare(operation, params, body, extra_headers, timeout, extra_body)
        attempt = 0
        while True:
            if self.core.limiter is not None:
                with self.core.naming_orders(prepared):
                    self.core.limiter.acquire(prepared.operation, prepared.items)
            started = time.perf_counter()
            signed = self.core.auth.headers(prepared.method, prepared.sign_path) if self.core.auth else {}
            request = self.client.build_request(
                **self.core.request_args(prepared, signed, self.client.timeout)
            )
            try:
                # never follow a redirect, whatever the httpx client says: it would carry the signature away
                response = self.client.send(request, stream=True, follow_redirects=False)
                try:
                    content = self._read(prepared, response)
                except httpx.DecodingError as exc:
                    raise self.core.undecodable(prepared, response, exc) from exc
                finally:
                    response.close()
            except httpx.TransportError as exc:
                delay = self.core.retry_or_raise(prepared, exc, attempt, started)
            else:
                pending, result = self.core.settle(prepared, response, content, attempt, started)
                if pending is None:
                    if isinstance(result, Page):
                        result = replace(
                            result, fetch=self._next_page(operation, params, extra_headers, timeout)
                        )
                    return RawResponse(response.status_code, response.headers, cast(R, result))
                delay = pending
            time.sleep(delay)
            attempt += 1

    def _next_page(
        self,
        operation: Operation[Any],
        params: BaseModel | None,
        extra_headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
    ) -> Callable[[str], Page[Any]]:
        """How a page fetches the one after it: the same call with the page's cursor."""

        def fetch(cursor: str) -> Page[Any]:
            page_params = params.model_copy(update={"cursor": cursor}) if params is not None else None
            page: Page[Any] = self.request(
                operation, params=page_params, extra_headers=extra_headers, timeout=timeout
            )
            return page

        return fetch

    def _read(self, prepared: Prepared, response: httpx.Response) -> bytes:
        limit = self.core.body_limit(prepared, response)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise self.core.too_large(prepared, response, len(body))
        return bytes(body)

    def paginate(
        self,
        operation: Operation[Page[T]],
        *,
        params: BaseModel,
        max_pages: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> PageIterator[T]:
        self.core.prepare(operation, params, None, extra_headers, timeout)  # fail fast, before iterating

        def fetch(cursor: str | None) -> Page[T]:
            page_params = params.model_copy(update={"cursor": cursor}) if cursor else params
            return self.request(operation, params=page_params, extra_headers=extra_headers, timeout=timeout)

        return PageIterator(fetch, max_pages)

    def close(self) -> None:
        self.client.close()


class AsyncTransport:
    def __init__(self, core: RequestCore, client: httpx.AsyncClient) -> None:
        self.core = core
        self.client = client

    async def request(
        self,
        operation: Operation[R],
        *,
        params: BaseModel | None = None,
        body: BaseModel | Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> R:
        raw = await self.request_raw(
            operation,
            params=params,
            body=body,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return raw.parsed

    async def request_page(
        self,
        operation: Operation[Page[T]],
        *,
        params: BaseModel | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncPage[T]:
        raw = await self.request_raw_page(
            operation, params=params, extra_headers=extra_headers, timeout=timeout
        )
        return raw.parsed

    async def request_raw_page(
        self,
        operation: Operation[Page[T]],
        *,
        params: BaseModel | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> RawResponse[AsyncPage[T]]:
        """A page of a cursor operation, which ``await page.next_page()`` continues."""
        raw: RawResponse[Any] = await self.request_raw(
            operation, params=params, extra_headers=extra_headers, timeout=timeout
        )
        return raw

    async def request_raw(
        self,
        operation: Operation[R],
        *,
        params: BaseModel | None = None,
        body: BaseModel | Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> RawResponse[R]:
        """The decoded result with the final response's status and headers (pages are ``AsyncPage``s)."""
        prepared = self.core.prepare(operation, params, body, extra_headers, timeout, extra_body)
        attempt = 0
        while True:
            if self.core.limiter is not None:
                with self.core.naming_orders(prepared):
                    await self.core.limiter.aacquire(prepared.operation, prepared.items)
            started = time.perf_counter()
            signed = (
                await self.core.auth.aheaders(prepared.method, prepared.sign_path) if self.core.auth else {}
            )
            request = self.client.build_request(
                **self.core.request_args(prepared, signed, self.client.timeout)
            )
            try:
                response = await self.client.send(request, stream=True, follow_redirects=False)
                try:
                    content = await self._read(prepared, response)
                except httpx.DecodingError as exc:
                    raise self.core.undecodable(prepared, response, exc) from exc
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                delay = self.core.retry_or_raise(prepared, exc, attempt, started)
            else:
                pending, result = self.core.settle(prepared, response, content, attempt, started, AsyncPage)
                if pending is None:
                    if isinstance(result, AsyncPage):
                        result = replace(
                            result, fetch=self._next_page(operation, params, extra_headers, timeout)
                        )
                    return RawResponse(response.status_code, response.headers, cast(R, result))
                delay = pending
            await asyncio.sleep(delay)
            attempt += 1

    def _next_page(
        self,
        operation: Operation[Any],
        params: BaseModel | None,
        extra_headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
    ) -> Callable[[str], Awaitable[AsyncPage[Any]]]:
        async def fetch(cursor: str) -> AsyncPage[Any]:
            page_params = params.model_copy(update={"cursor": cursor}) if params is not None else None
            return await self.request_page(
                operation, params=page_params, extra_headers=extra_headers, timeout=timeout
            )

        return fetch

    async def _read(self, prepared: Prepared, response: httpx.Response) -> bytes:
        limit = self.core.body_limit(prepared, response)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise self.core.too_large(prepared, response, len(body))
        return bytes(body)

    def paginate(
        self,
        operation: Operation[Page[T]],
        *,
        params: BaseModel,
        max_pages: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncPageIterator[T]:
        self.core.prepare(operation, params, None, extra_headers, timeout)  # fail fast, before iterating

        async def fetch(cursor: str | None) -> AsyncPage[T]:
            page_params = params.model_copy(update={"cursor": cursor}) if cursor else params
            return await self.request_page(
                operation, params=page_params, extra_headers=extra_headers, timeout=timeout
            )

        return AsyncPageIterator(fetch, max_pages)

    async def aclose(self) -> None:
        await self.client.aclose()
