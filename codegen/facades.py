"""The generated submodules that only re-export hand-written names: ``kalshi_api.errors``, ``.orders``, ...

Users import only ``kalshi_api``. The runtime (``kalshi_api_core``) and the application layer
(``kalshi_api_app``) get a home under it as real modules, so ``from kalshi_api.errors import RateLimitError``
works and type checkers see every name (each is in ``__all__``). A source given without names contributes
its own ``__all__``, read from its file (the generator never imports the SDK), so a name added there is
re-exported by the next regen and ``make check-regen`` fails until then.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    module: str
    names: tuple[str, ...] | None = None  # None: the module's ``__all__``


@dataclass(frozen=True)
class Facade:
    module: str  # the generated module, e.g. "kalshi_api.errors"
    docstring: str
    sources: tuple[Source, ...]

    @property
    def path(self) -> str:
        """The file under ``generated/``."""
        return self.module.replace(".", "/") + ".py"


FACADES = (
    Facade(
        "kalshi_api.errors",
        "Every error the SDK raises; all derive from ``KalshiError``. (The WebSocket server's error codes "
        "have classes of their own in ``kalshi_api.ws.protocol``.)",
        (
            Source("kalshi_api_core.errors"),
            Source("kalshi_api_core.decimals", ("DecimalInputError",)),
            Source("kalshi_api_core.ws.errors"),
            Source(
                "kalshi_api_core.ws.subscription", ("SubscriptionClosedError", "SubscriptionOverflowError")
            ),
            Source(
                "kalshi_api_core.ws.book",
                ("BookInconsistentError", "BookNotFoundError", "BookUnavailableError"),
            ),
        ),
    ),
    Facade(
        "kalshi_api.orders",
        "Placing an order exactly once: ``place_order`` / ``aplace_order`` reconcile an uncertain create "
        "by its ``client_order_id`` before sending it again.",
        (Source("kalshi_api_app.orders"),),
    ),
    Facade(
        "kalshi_api.ratelimit",
        "Client-side rate limiting (``rate_limit=``): Kalshi's read and write token buckets, the cost of "
        "each request, and seeding a limiter from the account's own limits and costs.",
        (
            Source(
                "kalshi_api_core.ratelimit",
                ("BASIC_READ", "BASIC_WRITE", "Bucket", "Budget", "Cost", "RateLimiter", "billed_items"),
            ),
            Source("kalshi_api_app.ratelimit"),
        ),
    ),
    Facade(
        "kalshi_api.record_replay",
        "httpx transports that record real exchanges to a file and replay them with no network "
        "(``record_to=`` / ``replay_from=`` use them).",
        (Source("kalshi_api_core.record_replay"),),
    ),
)


def module_file(hand_written: Path, module: str) -> Path:
    """The source file of a hand-written module under ``overrides/``."""
    base = hand_written.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def declared_all(path: Path) -> tuple[str, ...]:
    """The names a module's literal ``__all__`` lists."""
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, list | tuple) and all(isinstance(n, str) for n in value):
                return tuple(value)
    raise ValueError(f"{path} has no literal __all__ of names to re-export")


def facade_imports(facade: Facade, hand_written: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for each source of ``facade``."""
    return [
        (s.module, s.names if s.names is not None else declared_all(module_file(hand_written, s.module)))
        for s in facade.sources
    ]
