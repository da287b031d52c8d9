"""One channel subscription as seen by its consumer: a bounded queue read as an async iterator."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kalshi_api_core.errors import KalshiError
from kalshi_api_core.ws.channels import ChannelSpec, Overflow

T = TypeVar("T")
_RECENT = 4096


@dataclass(frozen=True)
class Resync:
    """Delivered in a subscription's stream when the SDK lost continuity (a seq gap, a reconnect) and is
    resubscribing: state built from earlier messages (an order book) must be rebuilt from the next
    snapshot."""

    channel: str
    reason: str
    expected_seq: int | None = None
    received_seq: int | None = None


class SubscriptionOverflowError(KalshiError):
    """The consumer fell behind on a channel whose messages can't be dropped (order books, private data)."""


class SubscriptionClosedError(KalshiError):
    """The subscription can't deliver any more: the session ended or could not reconnect."""


class Subscription(Generic[T]):
    """Messages of one subscription, in order, as ``async for message in subscription``.

    Besides payload models the stream can yield ``Resync`` markers. The queue is bounded: ``drop_oldest``
    discards the oldest queued message when full (counted in ``dropped``); ``raise`` ends the stream with
    ``SubscriptionOverflowError`` at the point the loss happened.
    """

    def __init__(
        self, spec: ChannelSpec, params: Mapping[str, Any], max_queue: int, overflow: Overflow
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue!r}")
        self.spec = spec
        self.channel = spec.name
        self.params = dict(params)
        self.max_queue = max_queue
        self.overflow = overflow
        self.sid: int | None = None
        self.last_seq: int | None = None
        self.dropped = 0
        self.high_water = 0  # the longest the queue has been: never above max_queue
        self._queue: deque[T | Resync] = deque()
        self._wakeup = asyncio.Event()
        self._failure: BaseException | None = None
        self._closed = False
        # Private channels without seq: the last messages' contents, so a repeated frame (or one the server
        # resends around a reconnect) is delivered once. Bounded, so memory stays flat.
        self._recent: deque[int] = deque(maxlen=_RECENT)
        self._recent_set: set[int] = set()

    def __repr__(self) -> str:
        return f"Subscription(channel={self.channel!r}, sid={self.sid!r}, queued={len(self._queue)})"

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        return len(self._queue)

    def seen_before(self, frame: Any) -> bool:
        """Whether a message with the same type and content was delivered recently (then it's a repeat)."""
        key = hash((getattr(frame, "type_", None), frame.msg.model_dump_json()))
        if key in self._recent_set:
            return True
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(key)
        self._recent_set.add(key)
        return False

    def deliver(self, item: T | Resync) -> None:
        if self._closed or self._failure is not None:
            return
        if len(self._queue) >= self.max_queue:
            if self.overflow == "drop_oldest":
                self._queue.popleft()
                self.dropped += 1
            else:
                self.fail(
                    SubscriptionOverflowError(
                        f"{self.channel} subscription fell {self.max_queue} messages behind; its messages "
                        "can't be dropped, so the stream stops here (consume faster or raise max_queue)"
                    )
                )
                return
        self._queue.append(item)
        self.high_water = max(self.high_water, len(self._queue))
        self._wakeup.set()

    def fail(self, error: BaseException) -> None:
        """End the stream with ``error`` once the messages queued before it are consumed."""
        if self._failure is None:
            self._failure = error
            self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T | Resync:
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._failure is not None:
                raise self._failure
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def get(self, timeout: float | None = None) -> T | Resync:
        """The next item, waiting at most ``timeout`` seconds."""
        return await asyncio.wait_for(self.__anext__(), timeout)
