"""Construction shared by the generated ``KalshiClient`` and ``AsyncKalshiClient``: credentials, environment,
host policy, timeouts, retries and the httpx client. The generated subclasses add one lazily built attribute
per resource.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import httpx

from kalshi_api_core.auth import KalshiAuth, Password
from kalshi_api_core.config import Environment, HostPolicy, client_urls, urls_from_env
from kalshi_api_core.config import environment as resolve_environment
from kalshi_api_core.errors import ConfigurationError
from kalshi_api_core.ratelimit import RateLimiter
from kalshi_api_core.record_replay import (
    AsyncRecordingTransport,
    AsyncReplayTransport,
    RecordingTransport,
    ReplayTransport,
)
from kalshi_api_core.transport import AsyncTransport, JsonLoads, RequestCore, RetryPolicy, SyncTransport

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

C = TypeVar("C", bound="_ClientBase")
PathArg = str | os.PathLike[str]
logger = logging.getLogger("kalshi_api")


class _ClientBase:
    # The generated subclasses list every server the specs name; those hosts (and loopback) are allowed.
    known_servers: ClassVar[tuple[str, ...]] = ()
    # Another API family's URLs for Kalshi's environments (the perps clients'); empty: the trade exchange's.
    environments: ClassVar[Mapping[str, Environment]] = {}
    package_version: ClassVar[str] = "0"  # the generated clients name the package's and the spec's versions
    spec_version: ClassVar[str] = "0"

    def __init__(
        self,
        *,
        key_id: str | None = None,
        private_key: str | bytes | None = None,
        private_key_path: str | os.PathLike[str] | None = None,
        private_key_password: Password = None,
        auth: KalshiAuth | None = None,
        environment: str | Environment | None = "production",
        base_url: str | None = None,
        ws_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        headers: Mapping[str, str] | None = None,
        allowed_hosts: Iterable[str] = (),
        json_loads: JsonLoads | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
        http_client: Any = None,
        allow_insecure_tls: bool = False,
        rate_limit: bool | RateLimiter = False,
        record_to: PathArg | None = None,
        replay_from: PathArg | None = None,
    ) -> None:
        """Credentials: ``auth=`` or ``key_id`` with ``private_key`` (PEM) or ``private_key_path``; without
        them only public operations work. ``environment`` picks REST and WebSocket URLs together;
        ``base_url``/``ws_url`` must be a spec server or loopback unless listed in ``allowed_hosts``, and
        replacing one of them with a URL of the other Kalshi environment is refused (pass both to mix them).
        ``http_client`` is an httpx client to send through (a test seam); one that does not verify TLS
        certificates is refused unless ``allow_insecure_tls=True`` says so (and then a warning is logged).
        ``rate_limit=True`` paces requests with a ``RateLimiter`` of Kalshi's Basic tier; pass a
        ``RateLimiter`` to choose its limits or to share one between clients (``self.rate_limiter``; None when
        off). ``record_to=path`` records every exchange to a file, without the signing headers
        (``kalshi_api_core.recording``); ``replay_from=path`` answers every request from such a file and
        never touches the network."""
        self.auth = _auth(key_id, private_key, private_key_path, private_key_password, auth)
        chosen = resolve_environment(environment, family=self.environments)
        self.host_policy = HostPolicy(self.known_servers, allowed_hosts)
        for url in (base_url or chosen.rest_url, ws_url or chosen.ws_url):
            self.host_policy.check(url)
        self.environment, self.base_url, self.ws_url = client_urls(chosen, base_url, ws_url)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.limits = limits
        self.rate_limiter = _rate_limiter(rate_limit)
        self.retry_policy = retry or RetryPolicy(max_retries=max_retries)  # GET retries; place_order's waits
        self._core = RequestCore(
            base_url=self.base_url,
            auth=self.auth,
            retry=self.retry_policy,
            headers=headers,
            json_loads=json_loads,
            user_agent=f"kalshi-api/{self.package_version} (Kalshi API spec {self.spec_version})",
            max_response_bytes=max_response_bytes,
            limiter=self.rate_limiter,
        )
        sources = {"http_client": http_client, "record_to": record_to, "replay_from": replay_from}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) > 1:
            raise ConfigurationError(
                f"pass only one of http_client, record_to and replay_from, not {' and '.join(given)}; to "
                "record through your own client, give it transport=RecordingTransport(path, inner=...)"
            )
        if http_client is not None:
            _check_tls(http_client, allow_insecure_tls)
        self._make_transport(http_client, record_to, replay_from)

    def _make_transport(
        self, http_client: Any, record_to: PathArg | None, replay_from: PathArg | None
    ) -> None:
        raise NotImplementedError

    @classmethod
    def from_env(cls: type[C], environ: Mapping[str, str] | None = None, **options: Any) -> C:
        """A client from ``KALSHI_KEY_ID``, ``KALSHI_PRIVATE_KEY_PATH`` or ``KALSHI_PRIVATE_KEY``,
        ``KALSHI_PRIVATE_KEY_PASSPHRASE`` and ``KALSHI_ENV`` (``KALSHI_BASE_URL`` with ``KALSHI_WS_URL``
        replace the environment's URLs); keyword options override them."""
        env = os.environ if environ is None else environ
        options.setdefault("auth", KalshiAuth.from_env(env))
        options.setdefault("environment", resolve_environment(None, env))
        urls = urls_from_env(env)
        if urls is not None:
            options.setdefault("base_url", urls[0])
            options.setdefault("ws_url", urls[1])
        return cls(**options)

    def __repr__(self) -> str:
        who = "anonymous" if self.auth is None else repr(self.auth)
        return (
            f"{type(self).__name__}(environment={self.environment.name!r}, base_url={self.base_url!r}, {who})"
        )


def _auth(
    key_id: str | None,
    private_key: str | bytes | None,
    private_key_path: str | os.PathLike[str] | None,
    password: Password,
    auth: KalshiAuth | None,
) -> KalshiAuth | None:
    given = [x is not None for x in (private_key, private_key_path)]
    if auth is not None:
        if key_id is not None or any(given):
            raise ConfigurationError("pass either auth= or key_id with a private key, not both")
        return auth
    if sum(given) > 1:
        raise ConfigurationError("pass either private_key (PEM) or private_key_path, not both")
    if key_id is None and not any(given):
        return None
    if key_id is None:
        raise ConfigurationError("a private key needs its key_id")
    if private_key is not None:
        return KalshiAuth.from_pem(key_id, private_key, password)
    if private_key_path is not None:
        return KalshiAuth.from_path(key_id, private_key_path, password)
    raise ConfigurationError("key_id needs a private_key or private_key_path")


def _rate_limiter(value: bool | RateLimiter) -> RateLimiter | None:
    if isinstance(value, RateLimiter):
        return value
    if value is True:
        return RateLimiter()
    if value is False:
        return None
    raise ConfigurationError(f"rate_limit must be True, False or a RateLimiter, got {value!r}")


def _check_tls(http_client: Any, allow_insecure: bool) -> None:
    """Refuse an httpx client whose TLS verification is off, unless the caller said so explicitly."""
    transport = getattr(http_client, "_transport", None)
    while isinstance(transport, RecordingTransport | AsyncRecordingTransport):
        transport = transport.inner  # a recorder sends through what it wraps: check that
    pool = getattr(transport, "_pool", None)
    context = getattr(pool, "_ssl_context", None)
    if not isinstance(context, ssl.SSLContext):
        return  # a custom transport: its TLS is the caller's own
    if context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname:
        return
    if not allow_insecure:
        raise ConfigurationError(
            "the http_client does not verify TLS certificates; pass allow_insecure_tls=True to use it anyway"
        )
    logger.warning("TLS certificate verification is off for this client (allow_insecure_tls=True)")


class SyncClientBase(_ClientBase):
    def _make_transport(
        self, http_client: httpx.Client | None, record_to: PathArg | None, replay_from: PathArg | None
    ) -> None:
        transport: httpx.BaseTransport | None = None  # httpx's default
        if replay_from is not None:
            transport = ReplayTransport(replay_from)
        elif record_to is not None:
            transport = RecordingTransport(record_to, inner=httpx.HTTPTransport(limits=self.limits))
        # Redirects are never followed: a redirect could lead a signed request to a host outside the policy.
        client = http_client or httpx.Client(
            timeout=self.timeout, limits=self.limits, follow_redirects=False, transport=transport
        )
        self._transport = SyncTransport(self._core, client)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClientBase(_ClientBase):
    def _make_transport(
        self, http_client: httpx.AsyncClient | None, record_to: PathArg | None, replay_from: PathArg | None
    ) -> None:
        transport: httpx.AsyncBaseTransport | None = None
        if replay_from is not None:
            transport = AsyncReplayTransport(replay_from)
        elif record_to is not None:
            transport = AsyncRecordingTransport(record_to, inner=httpx.AsyncHTTPTransport(limits=self.limits))
        client = http_client or httpx.AsyncClient(
            timeout=self.timeout, limits=self.limits, follow_redirects=False, transport=transport
        )
        self._transport = AsyncTransport(self._core, client)

    async def close(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
