"""Every error the SDK raises derives from ``KalshiError``.

HTTP errors carry what Kalshi said (code, message, details), the method and path and, for order writes, the
``client_order_id`` so an uncertain outcome can be reconciled before retrying. They never carry headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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


class RequestCostError(KalshiError, ValueError):
    """A request that costs more rate-limit tokens than its bucket can ever hold: it could never be sent, so
    the client's rate limiter refuses it at once instead of waiting forever. Raised before any I/O."""

    def __init__(self, operation: str, cost: float, bucket: str, capacity: float) -> None:
        self.operation = operation
        self.cost = cost
        self.bucket = bucket
        self.capacity = capacity
        super().__init__(
            f"{operation} costs {cost:g} tokens, more than the {bucket} bucket's capacity of {capacity:g}: "
            "send a smaller batch, or give the rate limiter the account's real limits"
        )


class RequestError(KalshiError):
    """A request that failed. ``client_order_ids`` names the orders an uncertain write may have placed."""

    def __init__(self, message: str, *, method: str, path: str, client_order_ids: Sequence[str] = ()) -> None:
        self.method = method
        self.path = path
        self.client_order_ids: tuple[str, ...] = tuple(client_order_ids)
        super().__init__(message)

    @property
    def client_order_id(self) -> str | None:
        """The order's id when exactly one order write was in flight."""
        return self.client_order_ids[0] if len(self.client_order_ids) == 1 else None

    def __str__(self) -> str:
        text = super().__str__()
        if self.client_order_ids:
            ids = ", ".join(self.client_order_ids)
            text += f" [outcome unknown for client_order_id {ids}: reconcile before retrying]"
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
    """Kalshi answered with an error status."""

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
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.request_id = request_id
        text = f"{method} {path} -> HTTP {status}"
        if code:
            text += f" [{code}]"
        if message:
            text += f": {message}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text, method=method, path=path, client_order_ids=client_order_ids)


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

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class ServerError(APIError):
    """5xx."""


class ResponseDecodeError(RequestError):
    """A success response whose body doesn't match the spec's schema (or isn't JSON)."""

    def __init__(self, message: str, *, status: int, method: str, path: str) -> None:
        self.status = status
        super().__init__(message, method=method, path=path)


class ResponseTooLargeError(RequestError):
    """A response body larger than the client's ``max_response_bytes``: refused, not buffered."""

    def __init__(self, message: str, *, status: int, method: str, path: str) -> None:
        self.status = status
        super().__init__(message, method=method, path=path)


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
