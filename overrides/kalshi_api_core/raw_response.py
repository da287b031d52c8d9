"""A response with what came with it: ``client.with_raw_response.<resource>.<method>(...)`` returns one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

R = TypeVar("R")

# Kalshi's request id, and the rate-limit and retry headers a caller pacing itself may want.
_REQUEST_ID = "x-request-id"
_RATE_LIMIT = ("ratelimit", "rate-limit", "retry-after")


@dataclass(frozen=True)
class RawResponse(Generic[R]):
    """The status and headers of the final response, and ``parsed``: what the method returns otherwise."""

    status_code: int
    headers: httpx.Headers
    parsed: R

    @property
    def request_id(self) -> str | None:
        value: str | None = self.headers.get(_REQUEST_ID)
        return value

    @property
    def rate_limit_headers(self) -> dict[str, str]:
        """Every header about rate limits (``X-RateLimit-*``, ``Retry-After``, ...), lower-cased names."""
        return {name: value for name, value in self.headers.items() if any(k in name for k in _RATE_LIMIT)}
