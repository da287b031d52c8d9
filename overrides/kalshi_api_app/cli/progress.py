"""Collecting an auto-paged listing, with a running count on stderr while the pages arrive.

The count is drawn only on a terminal: piped or captured stderr (scripts, tests) stays clean.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable
from typing import TextIO, TypeVar

T = TypeVar("T")

# Redrawing for every item would flood a slow terminal on listings of thousands.
_REDRAW_SECONDS = 0.1
_CLEAR_LINE = "\r\x1b[K"


class Progress:
    """``label: N fetched`` on one terminal line, redrawn as N grows and erased by ``done()``."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.active = stream.isatty()
        self._drawn_at: float | None = None

    def update(self, count: int) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if self._drawn_at is not None and now - self._drawn_at < _REDRAW_SECONDS:
            return
        self._drawn_at = now
        self.stream.write(f"{_CLEAR_LINE}{self.label}: {count} fetched")
        self.stream.flush()

    def done(self) -> None:
        if self.active and self._drawn_at is not None:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()


def collect(items: Iterable[T], label: str, limit: int | None) -> list[T]:
    """The first ``limit`` items (all when None); pages past the limit are never requested."""
    progress = Progress(label, sys.stderr)
    collected: list[T] = []
    try:
        for item in itertools.islice(items, limit):
            collected.append(item)
            progress.update(len(collected))
    finally:
        progress.done()
    return collected
