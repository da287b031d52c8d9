"""How hard a session tries to keep going: reconnecting a dropped connection, and restoring one subscription
on a live connection."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kalshi_api_core.errors import ConfigurationError


def _backoff(attempt: int, base: float, cap: float) -> float:
    # "Full jitter": clients that failed together don't retry together.
    return random.uniform(0, min(cap, base * (2**attempt)))


@dataclass(frozen=True)
class ReconnectPolicy:
    """Reconnecting a dropped connection: ``max_attempts`` dials in a row (None: until the session closes),
    with jittered exponential backoff before each."""

    max_attempts: int | None = None  # None: keep trying until the session is closed
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def delay(self, attempt: int) -> float:
        return _backoff(attempt, self.backoff_base, self.backoff_max)


@dataclass(frozen=True)
class ResubscribePolicy:
    """Restoring one subscription on a live connection (after a seq gap, an undecodable frame or a reconnect).

    A resubscribe the server refuses or never answers is retried with jittered exponential backoff; after
    ``max_attempts`` failures in a row the subscription's stream ends with ``ResubscribeError``. Failures
    because the connection went away don't count: the reconnect resubscribes. ``max_undecodable`` bounds the
    frames in a row a sequenced subscription may receive that its payload model rejects: each one before that
    resubscribes for a fresh start, the last ends the stream with ``FrameDecodeError``.
    """

    max_attempts: int = 5
    backoff_base: float = 0.25
    backoff_max: float = 10.0
    max_undecodable: int = 3

    def __post_init__(self) -> None:
        for name in ("max_attempts", "max_undecodable"):
            if getattr(self, name) < 1:
                raise ConfigurationError(
                    f"ResubscribePolicy {name} must be at least 1, got {getattr(self, name)!r}"
                )

    def delay(self, attempt: int) -> float:
        return _backoff(attempt, self.backoff_base, self.backoff_max)
