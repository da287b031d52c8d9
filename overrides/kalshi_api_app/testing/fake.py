"""``FakeExchange``: the fake Kalshi exchange's REST and WebSocket servers, its state, and clients for it.

Users get it as ``kalshi_api.testing.FakeKalshi``, which binds the spec's route table (``routes``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api.client import AsyncKalshiClient, KalshiClient
from kalshi_api.models import CreateOrderV2Request
from kalshi_api.perps.client import AsyncPerpsClient, PerpsClient
from kalshi_api_app.testing.exchange import Exchange
from kalshi_api_app.testing.handlers import Context
from kalshi_api_app.testing.http_server import RestServer
from kalshi_api_app.testing.limits import RateLimiter, RateLimits
from kalshi_api_app.testing.problems import ApiProblem
from kalshi_api_app.testing.records import DEFAULT_MARKETS, MarketSpec
from kalshi_api_app.testing.routes import Route
from kalshi_api_app.testing.service import Call, RestService
from kalshi_api_app.testing.signatures import SignatureVerifier
from kalshi_api_app.testing.ws_hub import Hub
from kalshi_api_app.testing.ws_server import WsServer
from kalshi_api_core.auth import KalshiAuth
from kalshi_api_core.decimals import to_decimal
from kalshi_api_core.errors import ConfigurationError

F = TypeVar("F", bound="FakeExchange")
_CREDENTIAL_OPTIONS = ("auth", "key_id", "private_key", "private_key_path")
DEFAULT_KEY_ID = "fake-key-id"


class FakeExchange:
    """A Kalshi exchange on loopback: ``with FakeKalshi() as fake: client = fake.client()``.

    ``markets``: what it lists and trades (tickers or ``MarketSpec``s; default ``DEFAULT_MARKETS``).
    ``balance``: the account's starting cash in dollars.

    ``public_key`` (an RSA public key or its PEM): requests to authenticated operations and WebSocket
    upgrades must carry a valid signature, else 401; pass the clients your own credentials. ``private_key``
    makes a key pair: the fake verifies with its public half and ``client()`` signs with it (as ``key_id``).
    With neither, any credentials (or none) are accepted and ``client()`` signs with a throwaway key, so
    authenticated operations work offline. ``key_id``: when given, the only API key id accepted.

    ``rate_limits``: enforce Kalshi's token buckets (429 with Retry-After); off by default.
    """

    routes: ClassVar[tuple[Route, ...]] = ()

    def __init__(
        self,
        *,
        markets: Iterable[str | MarketSpec] | None = None,
        balance: Decimal | int | str = Decimal(1000),
        public_key: rsa.RSAPublicKey | str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | str | bytes | None = None,
        key_id: str | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        if not self.routes:
            raise ConfigurationError(
                "FakeExchange needs the spec's routes: use kalshi_api.testing.FakeKalshi"
            )
        if rate_limits is not None and not isinstance(rate_limits, RateLimits):
            raise ConfigurationError(f"rate_limits must be a RateLimits, got {type(rate_limits).__name__}")
        known = {r.operation.operation_id for r in self.routes}
        unknown = sorted(set(rate_limits.costs) - known) if rate_limits is not None else []
        if unknown:
            raise ConfigurationError(f"RateLimits.costs names operations the API does not have: {unknown}")
        specs = (
            DEFAULT_MARKETS
            if markets is None
            else [m if isinstance(m, MarketSpec) else MarketSpec(m) for m in markets]
        )
        self.exchange = Exchange(specs, to_decimal(balance, field="balance"))
        signer = _private_key(private_key)
        verify_with = _public_key(public_key) or (signer.public_key() if signer is not None else None)
        if signer is None and verify_with is None:
            signer = _throwaway_key()  # nothing is verified, but the SDK signs every authenticated call
        self._auth = KalshiAuth(key_id or DEFAULT_KEY_ID, signer) if signer is not None else None
        verifier = SignatureVerifier(verify_with, key_id) if verify_with is not None else None
        self._limiter = RateLimiter(rate_limits) if rate_limits is not None else None
        context = Context(self.exchange, rate_limits or RateLimits(), self.routes)
        self._service = RestService(context, verifier, self._limiter)
        self._rest = RestServer(self._service)
        self._ws = WsServer(Hub(self.exchange), verifier)
        self._state: Literal["new", "running", "stopped"] = "new"

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start both servers in background threads (``with`` does it for you)."""
        if self._state != "new":
            raise ConfigurationError(f"this FakeKalshi is {self._state}; create a new one to start again")
        self._ws.start()
        try:
            self._rest.start()
        except BaseException:
            self._ws.stop()
            raise
        self._state = "running"

    def stop(self) -> None:
        """Close every connection and stop both servers; safe to call twice."""
        if self._state == "running":
            self._rest.stop()
            self._ws.stop()
        self._state = "stopped"

    def __enter__(self: F) -> F:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self: F) -> F:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # --- clients -------------------------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        return self._rest.url

    @property
    def ws_url(self) -> str:
        return self._ws.url

    def client(self, **options: Any) -> KalshiClient:
        """A ``KalshiClient`` pointed at the fake (and signing, if the fake has a key pair); ``options`` are
        the client's own and override these."""
        return KalshiClient(**self._client_options(options))

    def async_client(self, **options: Any) -> AsyncKalshiClient:
        return AsyncKalshiClient(**self._client_options(options))

    def perps_client(self, **options: Any) -> PerpsClient:
        """A ``PerpsClient`` pointed at the fake, which answers every perps operation with a schema-valid
        sample (it keeps no perps state: no margin orders rest or fill)."""
        return PerpsClient(**self._client_options(options))

    def async_perps_client(self, **options: Any) -> AsyncPerpsClient:
        return AsyncPerpsClient(**self._client_options(options))

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        chosen = {"base_url": self.rest_url, "ws_url": self.ws_url, **options}
        if self._auth is not None and not any(name in options for name in _CREDENTIAL_OPTIONS):
            chosen["auth"] = self._auth
        return chosen

    # --- state ---------------------------------------------------------------------------------------

    def add_market(self, market: str | MarketSpec) -> None:
        """List and trade another market (a ticker, or a ``MarketSpec`` for more say)."""
        self.exchange.add_market(market if isinstance(market, MarketSpec) else MarketSpec(market))

    def seed_order(
        self, ticker: str, side: Literal["bid", "ask"], price: Decimal | int | str, count: Decimal | int | str
    ) -> str:
        """Place an order for another trader ("the house") and return its order id. It rests as liquidity,
        or trades at once against resting orders it crosses, filling the account's orders as maker."""
        try:
            request = CreateOrderV2Request(
                ticker=ticker,
                side=side,
                price=to_decimal(price, field="price"),
                count=to_decimal(count, field="count"),
                time_in_force="good_till_canceled",
                self_trade_prevention_type="maker",
            )
            return self.exchange.create("house", request).order_id
        except ApiProblem as problem:
            raise ConfigurationError(
                f"seed_order({ticker!r}, {side!r}, {price!r}, {count!r}): {problem.message}"
            ) from None

    @property
    def balance(self) -> Decimal:
        """The account's available balance in dollars: cash less what its resting orders hold."""
        with self.exchange.lock:
            return self.exchange.available

    def position(self, ticker: str) -> Decimal:
        """The account's contracts in ``ticker``: positive YES, negative NO."""
        with self.exchange.lock:
            return self.exchange.position(ticker).contracts

    @property
    def rate_limited(self) -> int:
        """How many requests were answered 429."""
        return self._limiter.rejected if self._limiter is not None else 0

    @property
    def calls(self) -> list[Call]:
        """Every REST request answered, in order: operation id, method, path and status."""
        return self._service.calls


def _load_private(data: bytes) -> object:
    return serialization.load_pem_private_key(data, None)


@functools.cache
def _throwaway_key() -> rsa.RSAPrivateKey:
    """One key per process for fakes that verify nothing: generating a 2048-bit key takes a while."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_key(value: rsa.RSAPrivateKey | str | bytes | None) -> rsa.RSAPrivateKey | None:
    key = _decode(value, _load_private)
    if key is None or isinstance(key, rsa.RSAPrivateKey):
        return key
    raise ConfigurationError(
        f"private_key must be an unencrypted RSA private key (object or PEM), got {type(value).__name__}"
    )


def _public_key(value: rsa.RSAPublicKey | str | bytes | None) -> rsa.RSAPublicKey | None:
    key = _decode(value, serialization.load_pem_public_key)
    if key is None or isinstance(key, rsa.RSAPublicKey):
        return key
    raise ConfigurationError(
        f"public_key must be an RSA public key (an object or PEM text), got {type(value).__name__}"
    )


def _decode(value: object, load: Callable[[bytes], object]) -> object:
    """PEM text as the key it holds; anything else (a key object, None) as it is."""
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return load(value.encode() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        return value  # not a key: the caller says so
