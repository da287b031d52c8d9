"""What the engine knows about a channel: generated from the AsyncAPI spec into ``kalshi_api.ws.channels``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

Overflow = Literal["drop_oldest", "raise"]


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    messages: Mapping[str, type[BaseModel]]  # wire "type" -> payload model
    params: tuple[str, ...]  # subscribe parameters the channel accepts
    private: bool  # carries the account's own data (tagged private in the spec)
    sequenced: bool  # frames carry a per-subscription seq that must increase by one
    overflow: Overflow  # default policy when a subscription's queue is full
    update_command: str | None = None  # the update_subscription variant the channel takes
    # wire "type" -> the msg attributes that identify one message of it (a repeat has the same ones);
    # types not listed are never de-duplicated
    identity: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
