"""REST and WebSocket never lead to two different Kalshi environments by accident: a client (sync or async,
direct or from_env) that would mix production and demo is refused at construction, naming both URLs and their
environments, unless the caller gave both URLs; loopback and other allowed hosts belong to no environment."""

from __future__ import annotations

import asyncio

import pytest

from kalshi_api import AsyncKalshiClient, KalshiClient
from kalshi_api.ws import KalshiWebSocket
from kalshi_api_core.config import DEMO, PRODUCTION, HostPolicy, environment_of, websocket_url
from kalshi_api_core.errors import ConfigurationError, HostNotAllowedError

CLIENTS = [KalshiClient, AsyncKalshiClient]


def _close(client: KalshiClient | AsyncKalshiClient) -> None:
    if isinstance(client, KalshiClient):
        client.close()
    else:
        asyncio.run(client.close())


ELECTIONS = "https://api.elections.kalshi.com/trade-api/v2"  # production too, by the spec's servers
DEMO_EXTERNAL = "https://external-api.demo.kalshi.co/trade-api/v2"
LOOPBACK_REST = "http://127.0.0.1:9/trade-api/v2"
LOOPBACK_WS = "ws://127.0.0.1:9/trade-api/ws/v2"

MIXED = {
    "production REST, demo ws_url": ({"environment": "production", "ws_url": DEMO.ws_url}, PRODUCTION, DEMO),
    "demo base_url, default environment": ({"base_url": DEMO.rest_url}, DEMO, PRODUCTION),
    "demo environment, production base_url": (
        {"environment": "demo", "base_url": ELECTIONS},
        PRODUCTION,
        DEMO,
    ),
    "demo environment, production ws_url": (
        {"environment": "demo", "ws_url": PRODUCTION.ws_url},
        DEMO,
        PRODUCTION,
    ),
    "other demo host, default environment": ({"base_url": DEMO_EXTERNAL}, DEMO, PRODUCTION),
}


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("case", list(MIXED))
def test_a_client_that_mixes_environments_is_refused(
    cls: type[KalshiClient] | type[AsyncKalshiClient], case: str
) -> None:
    options, rest_env, ws_env = MIXED[case]
    with pytest.raises(ConfigurationError) as info:
        cls(**options)  # type: ignore[arg-type]
    message = str(info.value)
    rest = str(options.get("base_url") or rest_env.rest_url)
    ws = str(options.get("ws_url") or ws_env.ws_url)
    assert f"REST URL {rest} is Kalshi {rest_env.name}" in message
    assert f"WebSocket URL {ws} is Kalshi {ws_env.name}" in message


def test_from_env_follows_the_same_rule() -> None:
    with pytest.raises(ConfigurationError, match=r"is Kalshi demo but WebSocket URL .* is Kalshi production"):
        KalshiClient.from_env({"KALSHI_ENV": "production"}, base_url=DEMO.rest_url)
    with pytest.raises(ConfigurationError, match=r"is Kalshi production but WebSocket URL .* is Kalshi demo"):
        AsyncKalshiClient.from_env({"KALSHI_ENV": "production"}, ws_url=DEMO.ws_url)
    # KALSHI_BASE_URL and KALSHI_WS_URL come together: both given, so a mix is deliberate
    environ = {"KALSHI_ENV": "demo", "KALSHI_BASE_URL": PRODUCTION.rest_url, "KALSHI_WS_URL": DEMO.ws_url}
    with KalshiClient.from_env(environ) as client:
        assert (client.base_url, client.ws_url) == (PRODUCTION.rest_url, DEMO.ws_url)


@pytest.mark.parametrize("cls", CLIENTS)
def test_both_urls_given_mix_on_purpose(cls: type[KalshiClient] | type[AsyncKalshiClient]) -> None:
    client = cls(base_url=PRODUCTION.rest_url, ws_url=DEMO.ws_url)
    assert (client.base_url, client.ws_url) == (PRODUCTION.rest_url, DEMO.ws_url)
    # it belongs to neither environment, and its WebSocket client takes its WebSocket URL
    assert client.environment.name == "custom"
    assert (client.environment.rest_url, client.environment.ws_url) == (PRODUCTION.rest_url, DEMO.ws_url)
    assert client.websocket().url == DEMO.ws_url
    _close(client)


@pytest.mark.parametrize("cls", CLIENTS)
def test_consistent_and_loopback_urls_are_accepted(cls: type[KalshiClient] | type[AsyncKalshiClient]) -> None:
    accepted = [
        {},
        {"environment": "demo"},
        {"environment": "demo", "base_url": DEMO_EXTERNAL},
        {"base_url": ELECTIONS},
        {"base_url": LOOPBACK_REST},  # loopback is no Kalshi environment: the default WebSocket URL stays
        {"environment": "demo", "base_url": LOOPBACK_REST},
        {"ws_url": LOOPBACK_WS, "environment": "demo"},
        {"base_url": "https://api.partner.example/v2", "allowed_hosts": ["api.partner.example"]},
    ]
    for options in accepted:
        client = cls(**options)  # type: ignore[arg-type]
        assert client.environment.name in ("production", "demo"), options
        _close(client)


def test_urls_are_classified_by_host() -> None:
    assert environment_of("https://EXTERNAL-API.KALSHI.COM/x") is PRODUCTION
    assert environment_of(PRODUCTION.ws_url) is PRODUCTION and environment_of(ELECTIONS) is PRODUCTION
    assert environment_of(DEMO.rest_url) is DEMO and environment_of(DEMO_EXTERNAL) is DEMO
    for other in (LOOPBACK_REST, "http://localhost:1/x", "https://kalshi.com/x", "https://evil.example/x"):
        assert environment_of(other) is None


def test_the_websocket_rule() -> None:
    assert websocket_url(DEMO, None) == DEMO.ws_url
    assert websocket_url(DEMO, DEMO.ws_url) == DEMO.ws_url
    assert websocket_url(PRODUCTION, LOOPBACK_WS) == LOOPBACK_WS
    with pytest.raises(
        ConfigurationError, match=r"demo-api\.kalshi\.co.* is Kalshi demo but the environment is"
    ):
        websocket_url(PRODUCTION, DEMO.ws_url)


def test_the_websocket_constructor_refuses_a_url_of_the_other_environment() -> None:
    with pytest.raises(ConfigurationError, match="is Kalshi demo but the environment is production"):
        KalshiWebSocket(environment="production", url=DEMO.ws_url)
    assert KalshiWebSocket(environment="demo", url=DEMO.ws_url).url == DEMO.ws_url


def test_kalshi_environment_hosts_are_known_whatever_servers_a_spec_lists() -> None:
    # An older spec names other servers (April 2026: api.elections.kalshi.com only); the environments'
    # own URLs must still be reachable, or a client for that spec could not even be built.
    policy = HostPolicy(["wss://api.elections.kalshi.com/trade-api/ws/v2"])
    for url in (PRODUCTION.rest_url, PRODUCTION.ws_url, DEMO.rest_url, DEMO.ws_url):
        policy.check(url)
    with pytest.raises(HostNotAllowedError):
        policy.check("https://api.kalshi.example/trade-api/v2")
