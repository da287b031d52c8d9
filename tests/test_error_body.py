"""Every shape of error body Kalshi (or a proxy in front of it) sends becomes a typed error with the right
code and message: over real loopback HTTP (tests/spec_server.py), with the sync and the async client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from kalshi_api import AsyncKalshiClient, KalshiClient
from kalshi_api_core import errors
from kalshi_api_core.transport import RetryPolicy
from tests.spec_server import Reply, SpecServer

PATH = "/trade-api/v2/exchange/status"
NO_RETRIES = RetryPolicy(max_retries=0)
NGINX = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
SCRIPTED_PAGE = (
    b"<!DOCTYPE html><html><head><style>h1 {color: red}</style><script>alert('x')</script></head>"
    b"<body><!-- internal: host db-7 --><h1>Service\n\n   Unavailable</h1><p>Try&nbsp;again &amp; soon</p>"
    b"</body></html>"
)


@dataclass(frozen=True)
class Case:
    status: int
    body: Any  # JSON-able, or bytes as sent
    cls: type[errors.APIError]
    code: str | None
    message: str | None
    content_type: str | None = None
    details: Any = None


CASES = {
    "flat ErrorResponse": Case(
        404,
        {"code": "market_not_found", "message": "no such market", "details": "ticker KX", "service": "md"},
        errors.NotFoundError,
        "market_not_found",
        "no such market",
        details="ticker KX",
    ),
    "nested under error": Case(
        400,
        {"error": {"code": "invalid_parameters", "message": "bad limit", "details": {"field": "limit"}}},
        errors.BadRequestError,
        "invalid_parameters",
        "bad limit",
        details={"field": "limit"},
    ),
    "error is text": Case(
        429, {"error": "too many requests"}, errors.RateLimitError, None, "too many requests"
    ),
    "demo gateway msg": Case(
        400,
        {"msg": "limit must be between 1 and 1000"},
        errors.BadRequestError,
        None,
        "limit must be between 1 and 1000",
    ),
    "message only": Case(500, {"message": "internal error"}, errors.ServerError, None, "internal error"),
    "nested msg": Case(
        403, {"error": {"code": "forbidden", "msg": "no"}}, errors.PermissionDeniedError, "forbidden", "no"
    ),
    "numeric code": Case(
        409, {"code": 1001, "message": "duplicate"}, errors.ConflictError, "1001", "duplicate"
    ),
    "non-string fields": Case(
        422, {"error": {"code": True, "message": ["a", 2]}}, errors.BadRequestError, "true", '["a",2]'
    ),
    "empty code and message": Case(400, {"code": "", "message": ""}, errors.BadRequestError, None, None),
    "plain text": Case(
        503,
        b"upstream connect error\r\nor disconnect",
        errors.ServerError,
        None,
        "upstream connect error or disconnect",
        content_type="text/plain",
    ),
    "empty body": Case(502, b"", errors.ServerError, None, None),
    "whitespace body": Case(504, b" \r\n ", errors.ServerError, None, None),
    "nginx html page": Case(
        502, NGINX, errors.ServerError, None, "502 Bad Gateway", content_type="text/html"
    ),
    "html page without title, no content type": Case(
        503, SCRIPTED_PAGE, errors.ServerError, None, "Service Unavailable Try again & soon"
    ),
    "log injection": Case(
        400,
        {"message": "bad\nERROR forged log line\u202e\x1b[31m"},
        errors.BadRequestError,
        None,
        "bad ERROR forged log line [31m",
    ),
    "unknown JSON object": Case(
        404, {"detail": "Not Found"}, errors.NotFoundError, None, '{"detail": "Not Found"}'
    ),
    "JSON array": Case(400, ["nope"], errors.BadRequestError, None, '["nope"]'),
    "JSON string": Case(401, "expired", errors.AuthenticationError, None, "expired"),
    "not UTF-8": Case(400, b"\xff\xfe bad", errors.BadRequestError, None, "\ufffd\ufffd bad"),
    "long text": Case(500, b"x" * 5000, errors.ServerError, None, "x" * 199 + "\u2026"),
}


def _expected_str(case: Case) -> str:
    text = f"GET {PATH} -> HTTP {case.status}"
    if case.code:
        text += f" [{case.code}]"
    if case.message:
        text += f": {case.message}"
    return text


def _raise(server: SpecServer, flavour: str) -> errors.APIError:
    if flavour == "sync":
        with KalshiClient(base_url=server.base_url, retry=NO_RETRIES) as client:
            with pytest.raises(errors.APIError) as info:
                client.exchange.status()
        return info.value

    async def main() -> errors.APIError:
        async with AsyncKalshiClient(base_url=server.base_url, retry=NO_RETRIES) as client:
            with pytest.raises(errors.APIError) as info:
                await client.exchange.status()
        return info.value

    return asyncio.run(main())


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_error_body_shapes(server: SpecServer, case: Case, flavour: str) -> None:
    server.script("GetExchangeStatus", Reply(case.status, case.body, content_type=case.content_type))
    error = _raise(server, flavour)
    assert type(error) is case.cls
    assert (error.status, error.code, error.message, error.details) == (
        case.status,
        case.code,
        case.message,
        case.details,
    )
    assert str(error) == _expected_str(case)
    assert len(str(error)) < 300 and "\n" not in str(error) and "<" not in (error.message or "")


def test_the_demo_answer_to_a_page_too_large_names_its_reason(server: SpecServer) -> None:
    """The demo's 400 for ``GET /markets?limit=1001``-like requests: ``{"msg": ...}``, nothing else."""
    server.script("GetMarkets", Reply(400, {"msg": "limit: must be no greater than 1000."}))
    with KalshiClient(base_url=server.base_url, retry=NO_RETRIES) as client:
        with pytest.raises(errors.BadRequestError) as info:
            client.markets.list(limit=1000)
    assert info.value.message == "limit: must be no greater than 1000."
    assert str(info.value).endswith("HTTP 400: limit: must be no greater than 1000.")
