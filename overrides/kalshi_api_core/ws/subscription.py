"""One channel subscription as seen by its consumer: a bounded queue read as an async iterator."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kalshi_api_core.errors import KalshiError
from kalshi_api_core.ws.channels import ChannelSpec, Overflow
from kalshi_api_core.ws.dedup import IdentityOf, RecentIdentities

T = TypeVar("T")
DEDUP_WINDOW = 100_000  # identities remembered per subscription (see README "Streaming")


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
    """The subscription can't deliver any more: the session ended, could not reconnect, or could not restore
    this subscription."""


class Subscription(Generic[T]):
    """Messages of one subscription, in order, as ``async for message in subscription``.

    Besides payload models the stream can yield ``Resync`` markers. The queue is bounded: ``drop_oldest``
    discards the oldest queued message when full (counted in ``dropped``); ``raise`` ends the stream with
    ``SubscriptionOverflowError`` at the point the loss happened.
    """

    def __init__(
        self,
        spec: ChannelSpec,
        params: Mapping[str, Any],
        max_queue: int,
        overflow: Overflow,
        dedup_window: int = DEDUP_WINDOW,
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
        self.undecodable = 0  # frames in a row this subscription's payload models rejected
        self.dropped = 0
        self.high_water = 0  # the longest the queue has been: never above max_queue
        self._queue: deque[T | Resync] = deque()
        self._wakeup = asyncio.Event()
        self._failure: BaseException | None = None
        self._closed = False
        # Channels whose messages have an identity (a fill's trade and order): the recent identities, so a
        # message the server repeats or resends around a reconnect is delivered once. Kept across
        # resubscribes, which is when resends happen.
        self._identity = IdentityOf(spec.identity)
        self._recent = RecentIdentities(dedup_window)

    def __repr__(self) -> str:
        return f"Subscription(channel={self.channel!r}, sid={self.sid!r}, queued={len(self._queue)})"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ended(self) -> bool:
        """Closed, or failed: nothing more will be delivered."""
        return self._closed or self._failure is not None

    @property
    def failure(self) -> BaseException | None:
        """The error the stream ends with, once it failed."""
        return self._failure

    def qsize(self) -> int:
        return len(self._queue)

    def is_repeat(self, frame: Any) -> bool:
        """Whether a message with the same identity was delivered before (within the dedup window)."""
        if not self._identity:
            return False
        key = self._identity(frame)
        return key is not None and self._recent.seen(key)

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
