"""Where a client may connect: environments (REST and WebSocket URLs together) and the host allow-list.

A client never talks REST to one Kalshi environment and WebSocket to the other by accident: a URL belongs to
an environment by its host, and a pair that mixes production and demo is refused unless the caller gave both
URLs (then it is a deliberate choice). Loopback and other allowed hosts belong to no Kalshi environment.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

from kalshi_api_core.errors import ConfigurationError, HostNotAllowedError


@dataclass(frozen=True)
class Environment:
    """A Kalshi deployment. REST and WebSocket URLs always come from the same one."""

    name: str
    rest_url: str
    ws_url: str
    # more hosts of it among the spec's servers
    other_hosts: tuple[str, ...] = field(default=(), compare=False)
    # every host under it belongs to this environment (the perps exchange's hosts, say); "" for none
    domain: str = field(default="", compare=False)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({_host(self.rest_url), _host(self.ws_url), *self.other_hosts})

    def owns(self, host: str) -> bool:
        """Whether ``host`` is one of this environment's."""
        if host in self.hosts:
            return True
        # subdomains only: the bare domain is Kalshi's website, not an API host
        return bool(self.domain) and host.endswith(f".{self.domain}")


PRODUCTION = Environment(
    name="production",
    rest_url="https://external-api.kalshi.com/trade-api/v2",
    ws_url="wss://external-api-ws.kalshi.com/trade-api/ws/v2",
    other_hosts=("api.elections.kalshi.com",),
    domain="kalshi.com",
)
DEMO = Environment(
    name="demo",
    rest_url="https://demo-api.kalshi.co/trade-api/v2",
    ws_url="wss://demo-api.kalshi.co/trade-api/ws/v2",
    other_hosts=("external-api.demo.kalshi.co",),
    domain="kalshi.co",
)
KALSHI_ENVIRONMENTS = (PRODUCTION, DEMO)
ENVIRONMENTS: Mapping[str, Environment] = {
    "production": PRODUCTION,
    "prod": PRODUCTION,
    "demo": DEMO,
}


def environment(
    value: str | Environment | None = None,
    environ: Mapping[str, str] | None = None,
    family: Mapping[str, Environment] | None = None,
) -> Environment:
    """An Environment from its name (``production``/``prod``/``demo``); None reads ``KALSHI_ENV``.

    ``family`` maps Kalshi's environments to the URLs of another API family (``environments_for``): the
    perps clients take ``environment="demo"`` or ``DEMO`` to mean the perps exchange's demo servers."""
    if isinstance(value, Environment):
        chosen = value
    else:
        if value is None:
            value = (os.environ if environ is None else environ).get("KALSHI_ENV", "production")
        try:
            chosen = ENVIRONMENTS[value.strip().lower()]
        except KeyError:
            names = ", ".join(sorted(ENVIRONMENTS))
            message = f"unknown Kalshi environment {value!r}: expected one of {names}"
            raise ConfigurationError(message) from None
    if family and chosen in KALSHI_ENVIRONMENTS:
        return family.get(chosen.name, chosen)
    return chosen


def environments_for(servers: Iterable[str]) -> dict[str, Environment]:
    """Each Kalshi environment among a spec's servers: its first https and first wss server. A spec that
    names no REST or no WebSocket server of an environment leaves that environment out."""
    found: dict[str, Environment] = {}
    for env in KALSHI_ENVIRONMENTS:
        mine = [url for url in servers if env.owns(_host(url))]
        rest = next((url.rstrip("/") for url in mine if urlsplit(url).scheme == "https"), None)
        ws = next((url for url in mine if urlsplit(url).scheme == "wss"), None)
        if rest and ws:
            hosts = tuple(sorted({_host(url) for url in mine} - {_host(rest), _host(ws)}))
            found[env.name] = Environment(env.name, rest, ws, other_hosts=hosts, domain=env.domain)
    return found


ENV_BASE_URL = "KALSHI_BASE_URL"
ENV_WS_URL = "KALSHI_WS_URL"


def urls_from_env(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``KALSHI_BASE_URL`` and ``KALSHI_WS_URL``: REST and WebSocket URLs that replace the environment's (a
    FakeKalshi, say). Both or neither: the two must never lead to different exchanges."""
    rest, ws = ((environ.get(name) or "").strip() for name in (ENV_BASE_URL, ENV_WS_URL))
    if bool(rest) != bool(ws):
        given, missing = (ENV_BASE_URL, ENV_WS_URL) if rest else (ENV_WS_URL, ENV_BASE_URL)
        raise ConfigurationError(f"{given} is set but {missing} is not: set both of them, or neither")
    return (rest, ws) if rest else None


def environment_of(url: str) -> Environment | None:
    """The Kalshi environment whose host ``url`` names; None for loopback and any other host."""
    host = _host(url)
    return next((env for env in KALSHI_ENVIRONMENTS if env.owns(host)), None)


def _mixed(rest_url: str, ws_url: str) -> tuple[Environment, Environment] | None:
    """The two Kalshi environments of a pair of URLs, when they are two different ones."""
    rest_env, ws_env = environment_of(rest_url), environment_of(ws_url)
    if rest_env is None or ws_env is None or rest_env == ws_env:
        return None
    return rest_env, ws_env


def check_same_environment(rest_url: str, ws_url: str) -> None:
    """Refuse REST and WebSocket URLs that lead to two different Kalshi environments."""
    mixed = _mixed(rest_url, ws_url)
    if mixed is not None:
        rest, ws = (_without_userinfo(urlsplit(url)) for url in (rest_url, ws_url))
        raise ConfigurationError(
            f"REST URL {rest} is Kalshi {mixed[0].name} but WebSocket URL {ws} is Kalshi {mixed[1].name}: "
            "pick one environment (environment=...), or pass both base_url and ws_url to mix them on purpose"
        )


def client_urls(
    environment: Environment, base_url: str | None, ws_url: str | None
) -> tuple[Environment, str, str]:
    """A REST client's environment, REST URL and WebSocket URL. Each URL given replaces the environment's;
    a mixed pair is refused unless both were given, and then the client's environment is a "custom" one
    made of the two URLs (so its WebSocket client, built from that environment, accepts them as well)."""
    rest = (base_url or environment.rest_url).rstrip("/")
    ws = ws_url or environment.ws_url
    if not (base_url and ws_url):
        check_same_environment(rest, ws)
    elif _mixed(rest, ws) is not None:
        environment = Environment(name="custom", rest_url=rest, ws_url=ws)
    return environment, rest, ws


def websocket_url(environment: Environment, url: str | None) -> str:
    """A WebSocket client's URL: ``url``, else the environment's; refused when ``url`` belongs to another
    Kalshi environment than ``environment`` (the rule REST clients follow for their pair of URLs)."""
    if not url:
        return environment.ws_url
    mixed = _mixed(environment.ws_url, url)
    if mixed is not None:
        raise ConfigurationError(
            f"WebSocket URL {_without_userinfo(urlsplit(url))} is Kalshi {mixed[1].name} but the environment "
            f"is {mixed[0].name}: pass environment={mixed[1].name!r} with it, or leave url out"
        )
    return url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HostPolicy:
    """Allows the spec's servers, the hosts of Kalshi's environments, loopback, and hosts the caller named
    explicitly; nothing else. (A spec need not list every environment host: older ones name others.)

    Plain ``http`` is allowed only to loopback, so TLS can't be dropped by a typo in a URL.
    """

    def __init__(self, known_urls: Iterable[str], allowed_hosts: Iterable[str] = ()) -> None:
        spec_hosts = {h for h in (_host(u) for u in known_urls) if h}
        self.known_hosts = frozenset(spec_hosts.union(*(env.hosts for env in KALSHI_ENVIRONMENTS)))
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            raise ConfigurationError(f"URL {url!r} has no host")
        loopback = is_loopback(host)
        if not (loopback or host in self.known_hosts or host in self.allowed_hosts):
            raise HostNotAllowedError(_without_userinfo(parts), host)
        if parts.username is not None or parts.password is not None:
            # credentials in a URL end up in reprs, logs and Basic auth headers: refuse them
            raise ConfigurationError(f"URL for host {host!r} must not carry a user name or password")
        secure = {"https", "wss"}
        if parts.scheme not in secure and not (loopback and parts.scheme in {"http", "ws"}):
            raise ConfigurationError(f"URL {url!r} must use https/wss (plain http/ws only to loopback)")


def _without_userinfo(parts: SplitResult) -> str:
    """The URL for messages: a password in it must not reach an exception or a log."""
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=netloc))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
