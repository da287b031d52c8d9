"""Every error the SDK raises derives from ``KalshiError``.

HTTP errors carry what Kalshi said (code, message, details), the method and path and, for order writes, the
``client_order_id`` so an uncertain outcome can be reconciled before retrying. They never carry headers.
``outcome_unknown`` says whether the request may have taken effect (no answer, 429, 5xx, an unreadable 2xx).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The error classes; kalshi_api.errors re-exports exactly these.
__all__ = [
    "APIError",
    "AuthRequiredError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "HeaderNotAllowedError",
    "HostNotAllowedError",
    "KalshiError",
    "MissingExtraError",
    "NetworkError",
    "NotFoundError",
    "OrderStateUnknownError",
    "PaginationError",
    "PermissionDeniedError",
    "PoolTimeoutError",
    "RateLimitError",
    "RecordingError",
    "RequestCostError",
    "RequestError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "UnrecordedRequestError",
]


class KalshiError(Exception):
    """Root of every error raised by kalshi-api."""


class ConfigurationError(KalshiError, ValueError):
    """A client, credential or argument that can't work (bad key, unknown environment, ...)."""


class AuthRequiredError(KalshiError):
    """The operation needs credentials and the client has none. Raised before any I/O."""

    def __init__(self, operation: str, method: str, path: str) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        super().__init__(
            f"{operation} ({method} {path}) requires authentication: create the client with a key id and "
            "private key (or set KALSHI_KEY_ID and KALSHI_PRIVATE_KEY_PATH and use from_env())"
        )


class HostNotAllowedError(ConfigurationError):
    """A URL whose host is neither one of the spec's servers nor loopback, and not explicitly allowed."""

    def __init__(self, url: str, host: str) -> None:
        self.url = url
        self.host = host
        super().__init__(
            f"refusing to send requests to {host!r} ({url}): not a Kalshi server from the spec or loopback; "
            "pass allowed_hosts=[...] to allow it explicitly"
        )


class HeaderNotAllowedError(ConfigurationError):
    """A caller-supplied header that only the SDK may set (``KALSHI-ACCESS-*``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"header {name!r} is set by the SDK's request signing and cannot be supplied")


class PaginationError(KalshiError):
    """The server broke the cursor contract (e.g. repeated a cursor), so paging stops instead of looping."""


class MissingExtraError(KalshiError, ImportError):
    """An optional feature whose library is not installed; the message names the extra that installs it."""

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(f"{feature} needs {extra}: pip install 'kalshi-api[{extra}]'")


class RecordingError(KalshiError):
    """A recording file that can't be written, or read back (missing, malformed, another format version)."""


class UnrecordedRequestError(RecordingError):
    """Replay met a request the recording has no unused response for. Nothing was sent to the network."""

    def __init__(self, method: str, path: str, query: Sequence[tuple[str, str]], recorded: int, source: str):
        self.method = method
        self.path = path
        self.query: tuple[tuple[str, str], ...] = tuple(query)
        self.recorded = recorded
        target = path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")
        why = f"recorded {recorded} time(s), every one already replayed" if recorded else "never recorded"
        super().__init__(f"no recorded response for {method} {target} in {source}: {why}")


class _OrderIds:
    """The client_order_ids of the order write an error came from (empty for other requests)."""

    client_order_ids: tuple[str, ...] = ()

    @property
    def client_order_id(self) -> str | None:
        """The order's id when exactly one order write was in flight."""
        return self.client_order_ids[0] if len(self.client_order_ids) == 1 else None


class RequestCostError(_OrderIds, KalshiError, ValueError):
    """A request that costs more rate-limit tokens than its bucket can ever hold: it could never be sent, so
    the client's rate limiter refuses it at once instead of waiting forever. Raised before any I/O; for an
    order write it still names the ``client_order_ids`` the SDK gave the orders (none of them was sent)."""

    def __init__(
        self, operation: str, cost: float, bucket: str, capacity: float, client_order_ids: Sequence[str] = ()
    ) -> None:
        self.operation = operation
        self.cost = cost
        self.bucket = bucket
        self.capacity = capacity
        self.client_order_ids = tuple(client_order_ids)
        super().__init__(
            f"{operation} costs {cost:g} tokens, more than the {bucket} bucket's capacity of {capacity:g}: "
            "send a smaller batch, or give the rate limiter the account's real limits"
        )


def may_have_taken_effect(status: int) -> bool:
    """Whether a request answered with ``status`` may have been carried out: a 2xx whose body couldn't be
    read, a 429 or a 5xx (a gateway may answer after the exchange acted). Other statuses are refusals."""
    return 200 <= status < 300 or status == 429 or status >= 500


class RequestError(_OrderIds, KalshiError):
    """A request that failed. ``client_order_ids`` names the orders of an order write, so that an uncertain
    outcome (``outcome_unknown``) can be reconciled by looking them up before anything is sent again."""

    def __init__(self, message: str, *, method: str, path: str, client_order_ids: Sequence[str] = ()) -> None:
        self.method = method
        self.path = path
        self.client_order_ids = tuple(client_order_ids)
        super().__init__(message)

    @property
    def outcome_unknown(self) -> bool:
        """True when the request may have taken effect although it failed: reconcile before retrying."""
        return True

    @property
    def brief(self) -> str:
        """The message without the client_order_id note."""
        return super().__str__()

    def __str__(self) -> str:
        text = self.brief
        if self.client_order_ids:
            ids = ", ".join(self.client_order_ids)
            if self.outcome_unknown:
                text += f" [outcome unknown for client_order_id {ids}: reconcile before retrying]"
            else:
                text += f" [refused: client_order_id {ids}]"
        return text


class TransportError(RequestError):
    """No HTTP response arrived."""


class NetworkError(TransportError):
    """Connecting, sending or receiving failed."""


class RequestTimeoutError(TransportError):
    """A connect, read or write timeout elapsed."""


class PoolTimeoutError(RequestTimeoutError):
    """No connection from the pool became free in time (the request never left)."""


class APIError(RequestError):
    """Kalshi answered with an error status. ``retry_after``: the seconds its Retry-After header asked for
    (capped by the client's ``RetryPolicy.retry_after_max``), when it sent one (429, 503, ...)."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        code: str | None = None,
        message: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        client_order_ids: Sequence[str] = (),
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.request_id = request_id
        self.retry_after = retry_after
        text = f"{method} {path} -> HTTP {status}"
        if code:
            text += f" [{code}]"
        if message:
            text += f": {message}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text, method=method, path=path, client_order_ids=client_order_ids)

    @property
    def outcome_unknown(self) -> bool:
        return may_have_taken_effect(self.status)


class BadRequestError(APIError):
    """400 or 422: the exchange rejected the request's content."""


class AuthenticationError(APIError):
    """401: missing, wrong or expired credentials or signature."""


class PermissionDeniedError(AuthenticationError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIError):
    """404."""


class ConflictError(APIError):
    """409: e.g. a duplicate client_order_id or a resource in the wrong state."""


class RateLimitError(APIError):
    """429. ``retry_after`` is the server's requested wait in seconds, when it gave one."""


class ServerError(APIError):
    """5xx."""


class _UnreadableResponse(RequestError):
    """A response arrived but its body can't be used: whether the request took effect follows its status."""

    def __init__(
        self, message: str, *, status: int, method: str, path: str, client_order_ids: Sequence[str] = ()
    ) -> None:
        self.status = status
        super().__init__(message, method=method, path=path, client_order_ids=client_order_ids)

    @property
    def outcome_unknown(self) -> bool:
        return may_have_taken_effect(self.status)


class ResponseDecodeError(_UnreadableResponse):
    """A success response whose body doesn't match the spec's schema (or isn't JSON, or can't be decoded).
    After an order create it means the order was most likely placed: look it up, don't send it again."""


class ResponseTooLargeError(_UnreadableResponse):
    """A response body larger than the client's ``max_response_bytes``: refused, not buffered."""


class OrderStateUnknownError(RequestError):
    """``place_order`` could not tell whether the order exists: a create may have reached the exchange and
    no lookup confirmed it before the attempts or the ``total_timeout`` ran out. Look the order up by
    ``client_order_id`` (or call ``place_order(..., reconcile_first=True, client_order_id=...)``) before
    placing it again. ``creates`` counts the creates sent; ``create_error`` is the last create's error (also
    the ``__cause__``) and ``lookup_error`` the last failed lookup's (a ``RequestError`` or a
    ``PaginationError``), if any."""

    def __init__(
        self,
        *,
        client_order_id: str,
        creates: int,
        create_error: RequestError | None,
        lookup_error: KalshiError | None,
        reason: str,
        method: str,
        path: str,
    ) -> None:
        self.creates = creates
        self.create_error = create_error
        self.lookup_error = lookup_error
        self.reason = reason
        text = f"order with client_order_id {client_order_id} may or may not exist: {reason}; "
        text += f"{creates} create(s) sent"
        if create_error is not None:
            text += f", the last ended in {type(create_error).__name__} ({create_error.brief})"
        if lookup_error is not None:
            lookup = lookup_error.brief if isinstance(lookup_error, RequestError) else str(lookup_error)
            text += f"; the last lookup failed with {type(lookup_error).__name__} ({lookup})"
        text += "; reconcile by client_order_id (look the order up) before placing it again"
        super().__init__(text, method=method, path=path, client_order_ids=(client_order_id,))

    def __str__(self) -> str:
        return self.brief  # the message already says what to do with the id


def error_class_for_status(status: int) -> type[APIError]:
    if status in (400, 422):
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return APIError
