"""The error answers of the fake exchange, in Kalshi's body shape ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import json
from collections.abc import Mapping


class ApiProblem(Exception):
    """Raised anywhere while serving a request; the HTTP server turns it into the error response."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def bad_request(message: str, code: str = "bad_request") -> ApiProblem:
    return ApiProblem(400, code, message)


def not_found(message: str, code: str = "not_found") -> ApiProblem:
    return ApiProblem(404, code, message)


def conflict(message: str, code: str) -> ApiProblem:
    return ApiProblem(409, code, message)
