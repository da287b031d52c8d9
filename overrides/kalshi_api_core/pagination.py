"""Cursor pages and the auto-paging loop shared by the sync and async clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from kalshi_api_core.errors import PaginationError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T], Sequence[T]):
    """One page of a cursor-paginated list. ``response`` is the whole decoded response model."""

    items: list[T]
    cursor: str | None
    response: Any

    @property
    def has_next(self) -> bool:
        return bool(self.cursor)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __repr__(self) -> str:
        return f"Page(items=<{len(self.items)} items>, cursor={self.cursor!r})"


class _CursorGuard:
    """Stops paging at max_pages and refuses a cursor the server already sent (it would loop forever)."""

    def __init__(self, max_pages: int | None) -> None:
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages!r}")
        self.max_pages = max_pages
        self.pages = 0
        self.seen: set[str] = set()

    def next_cursor(self, page: Page[Any]) -> str | None:
        """The cursor to fetch next, or None when paging is over."""
        self.pages += 1
        if not page.has_next or (self.max_pages is not None and self.pages >= self.max_pages):
            return None
        cursor = page.cursor or ""
        if cursor in self.seen:
            raise PaginationError(f"the server repeated cursor {cursor!r} after {self.pages} pages; stopping")
        self.seen.add(cursor)
        return cursor


def iterate_pages(fetch: Callable[[str | None], Page[T]], max_pages: int | None = None) -> Iterator[T]:
    guard = _CursorGuard(max_pages)
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        cursor = guard.next_cursor(page)
        if cursor is None:
            return


async def aiterate_pages(
    fetch: Callable[[str | None], Awaitable[Page[T]]], max_pages: int | None = None
) -> AsyncIterator[T]:
    guard = _CursorGuard(max_pages)
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        cursor = guard.next_cursor(page)
        if cursor is None:
            return
