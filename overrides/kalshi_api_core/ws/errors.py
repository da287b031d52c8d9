"""The WebSocket errors: commands the server refused, connections that could not be kept, and subscriptions
whose stream ended because the SDK could not restore it."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from kalshi_api_core.errors import KalshiError
from kalshi_api_core.ws.subscription import SubscriptionClosedError

# The error classes; kalshi_api.errors re-exports exactly these.
__all__ = [
    "CommandError",
    "CommandTimeoutError",
    "ConnectError",
    "ConnectionLostError",
    "FrameDecodeError",
    "ResubscribeError",
    "WebSocketError",
]


class WebSocketError(KalshiError):
    """Root of the WebSocket errors."""


class CommandError(WebSocketError):
    """The server answered a command with an error frame. Generated subclasses exist per spec error code."""

    code: ClassVar[int | None] = None

    def __init__(self, code: int | None, message: str, *, command: str | None = None) -> None:
        self.error_code = code
        self.error_message = message
        self.command = command
        super().__init__(f"{command or 'command'} failed: error {code}: {message}")


class CommandTimeoutError(WebSocketError, asyncio.TimeoutError):
    """The server did not answer a command within ``command_timeout`` on a live connection."""

    def __init__(self, command: str, timeout: float) -> None:
        self.command = command
        self.timeout = timeout
        super().__init__(f"{command}: no answer from the server within command_timeout={timeout:g} s")


class ConnectError(WebSocketError):
    """The WebSocket connection could not be opened (refused, TLS, HTTP status, redirect, timeout)."""


class ConnectionLostError(SubscriptionClosedError, WebSocketError):
    """The connection dropped and could not be re-established within the reconnect policy."""


class ResubscribeError(SubscriptionClosedError, WebSocketError):
    """A subscription could not be restored on a live connection: resubscribing failed ``attempts`` times in a
    row (the resubscribe policy's budget), the last time with ``cause``."""

    def __init__(self, channel: str, attempts: int, cause: BaseException) -> None:
        self.channel = channel
        self.attempts = attempts
        self.cause = cause
        super().__init__(
            f"{channel} subscription ended: resubscribing failed {attempts} times in a row, "
            f"last with {describe(cause)}"
        )


class FrameDecodeError(SubscriptionClosedError, WebSocketError):
    """A sequenced subscription kept receiving frames its payload model rejects (the server's schema moved
    on): each one cost a resubscribe, so after ``frames`` in a row its stream ends instead of looping."""

    def __init__(self, channel: str, message_type: str, frames: int, error: str) -> None:
        self.channel = channel
        self.message_type = message_type
        self.frames = frames
        self.error = error
        super().__init__(
            f"{channel} subscription ended: {frames} {message_type} frames in a row did not match the "
            f"spec's model (first error: {error})"
        )


def describe(exc: BaseException) -> str:
    """An exception as ``Type: message``; a bare timeout has no message, so its name alone."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
