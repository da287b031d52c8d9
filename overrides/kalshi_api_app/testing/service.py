"""One REST request through the fake exchange: route, authenticate, validate, rate-limit, answer.

Transport-free (``http_server`` does the sockets), so every step returns Kalshi's error shape on failure.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

from kalshi_api_app.testing.handlers import Context, answer
from kalshi_api_app.testing.limits import RateLimiter
from kalshi_api_app.testing.problems import ApiProblem, error_body
from kalshi_api_app.testing.routes import Router, parse
from kalshi_api_app.testing.signatures import SignatureVerifier
from kalshi_api_core.config import PRODUCTION

BASE_PATH = urlsplit(PRODUCTION.rest_url).path  # "/trade-api/v2": the same under every environment
logger = logging.getLogger("kalshi_api.testing")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request the fake answered, for tests to inspect."""

    operation_id: str | None  # None: no operation at that path
    method: str
    path: str
    status: int


class RestService:
    def __init__(
        self, context: Context, verifier: SignatureVerifier | None, limiter: RateLimiter | None
    ) -> None:
        self.context = context
        self.router = Router(context.routes)
        self.verifier = verifier
        self.limiter = limiter
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """``target`` is the request line's path and query; ``headers`` have lower-case names."""
        parts = urlsplit(target)
        operation_id = None
        try:
            if not parts.path.startswith(BASE_PATH + "/"):
                raise ApiProblem(404, "not_found", f"no API at {parts.path}: paths start with {BASE_PATH}/")
            route, path_values = self.router.match(method, parts.path.removeprefix(BASE_PATH))
            operation_id = route.operation.operation_id
            if route.operation.requires_auth and self.verifier is not None:
                failure = self.verifier.failure(method, parts.path, headers)
                if failure is not None:
                    raise ApiProblem(401, "unauthorized", failure)
            query = parse_qsl(parts.query, keep_blank_values=True)
            request = parse(route, path_values, query, body)
            if self.limiter is not None:
                self.limiter.admit(request)
            reply = _success(route.status, answer(self.context, request))
        except ApiProblem as problem:
            reply = Reply(problem.status, problem.body(), problem.headers)
        except Exception:  # a bug of the fake: answer like a server would, and say so in the log
            logger.exception("the fake exchange failed on %s %s", method, parts.path)
            reply = Reply(500, error_body("internal_server_error", "the fake exchange failed"))
        with self._lock:
            self._calls.append(Call(operation_id, method, parts.path, reply.status))
        return reply


def _success(status: int, result: BaseModel | dict[str, object] | None) -> Reply:
    if result is None:
        return Reply(status)
    if isinstance(result, BaseModel):
        return Reply(status, result.model_dump_json(by_alias=True).encode())
    return Reply(status, json.dumps(result).encode())
