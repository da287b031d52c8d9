"""Repeated private messages delivered once: each message's identity (fields the channel table names, e.g. a
fill's trade_id and order_id) checked against the identities of the recent messages of its subscription."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Hashable, Mapping
from typing import Any

Identity = tuple[Hashable, ...]


class RecentIdentities:
    """The identities of the last ``size`` distinct messages, in O(1) per message.

    A deque keeps their order and a set answers membership; past ``size`` the oldest is forgotten, so memory
    is bounded by ``size`` keys (a key is a small tuple of the message's own values, not its content).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: deque[Identity] = deque()
        self._seen: set[Identity] = set()

    def __len__(self) -> int:
        return len(self._order)

    def seen(self, key: Identity) -> bool:
        """Whether ``key`` is remembered (the message is a repeat); if not, remember it."""
        if key in self._seen:
            return True
        if self.size == 0:
            return False
        if len(self._order) == self.size:
            self._seen.discard(self._order.popleft())
        self._order.append(key)
        self._seen.add(key)
        return False


class IdentityOf:
    """A data frame's identity from the fields its message type declares (``ChannelSpec.identity``)."""

    def __init__(self, identity: Mapping[str, tuple[str, ...]]) -> None:
        # The wire type leads every key (rfq_created and rfq_deleted share an id); one interned copy of it.
        self._fields = {sys.intern(wire): fields for wire, fields in identity.items() if fields}
        self._types = {wire: wire for wire in self._fields}

    def __bool__(self) -> bool:
        return bool(self._fields)

    def __call__(self, frame: Any) -> Identity | None:
        """None when the message type declares no identity, or a field of it is absent: an incomplete
        identity can't tell a resend from a new message, so that message is delivered as it comes."""
        wire = getattr(frame, "type_", None)
        if not isinstance(wire, str) or wire not in self._fields:
            return None
        fields = self._fields[wire]
        values = tuple(getattr(frame.msg, name, None) for name in fields)
        if any(value is None for value in values):
            return None
        return (self._types[wire], *values)
