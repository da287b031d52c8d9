"""Cursor pages and the auto-paging iterators shared by the sync and async clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from kalshi_api_core import dataframes
from kalshi_api_core.dataframes import DecimalMode
from kalshi_api_core.errors import PaginationError

if TYPE_CHECKING:
    import pandas
    import polars

T = TypeVar("T")


@dataclass(frozen=True)
class _PageData(Generic[T], Sequence[T]):
    """What a page holds. ``response`` is the whole decoded response model; ``item_type`` the items' model
    class (from the generated operation: it gives an empty page's DataFrame its columns)."""

    items: list[T]
    cursor: str | None
    response: Any
    item_type: type[Any] | None = None

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
        return f"{type(self).__name__}(items=<{len(self.items)} items>, cursor={self.cursor!r})"

    def to_pandas(self, *, decimals: DecimalMode = "decimal") -> pandas.DataFrame:
        """The items as a pandas DataFrame (``kalshi_api_core.dataframes`` says how columns are made);
        ``decimals="float"`` or ``"str"`` converts the exact ``Decimal`` values."""
        return dataframes.to_pandas(self.items, self.item_type, decimals)

    def to_polars(self, *, decimals: DecimalMode = "decimal") -> polars.DataFrame:
        """The items as a polars DataFrame, like ``to_pandas()``."""
        return dataframes.to_polars(self.items, self.item_type, decimals)


@dataclass(frozen=True, repr=False)
class Page(_PageData[T]):
    """One page of a cursor-paginated list, from a sync client: ``next_page()`` fetches the one after it
    (the same call with this page's cursor), ``iter_pages()`` this page and every one after it."""

    fetch: Callable[[str], Page[T]] | None = field(default=None, compare=False)

    def next_page(self) -> Page[T] | None:
        """The next page, or None when this is the last."""
        if not self.has_next:
            return None
        if self.fetch is None:
            raise PaginationError("this page was not fetched by a client, so it can't fetch the next one")
        return self.fetch(self.cursor or "")

    def iter_pages(self, max_pages: int | None = None) -> Iterator[Page[T]]:
        """This page, then each following one (at most ``max_pages`` in all; a repeated cursor raises
        ``PaginationError``)."""
        guard = _CursorGuard(max_pages)
        page: Page[T] | None = self
        while page is not None:
            yield page
            cursor = guard.next_cursor(page)
            page = None if cursor is None else page.next_page()


@dataclass(frozen=True, repr=False)
class AsyncPage(_PageData[T]):
    """One page from an async client: ``await next_page()``, ``async for page in iter_pages()``."""

    fetch: Callable[[str], Awaitable[AsyncPage[T]]] | None = field(default=None, compare=False)

    async def next_page(self) -> AsyncPage[T] | None:
        """The next page, or None when this is the last."""
        if not self.has_next:
            return None
        if self.fetch is None:
            raise PaginationError("this page was not fetched by a client, so it can't fetch the next one")
        return await self.fetch(self.cursor or "")

    async def iter_pages(self, max_pages: int | None = None) -> AsyncIterator[AsyncPage[T]]:
        """This page, then each following one (at most ``max_pages`` in all)."""
        guard = _CursorGuard(max_pages)
        page: AsyncPage[T] | None = self
        while page is not None:
            yield page
            cursor = guard.next_cursor(page)
            page = None if cursor is None else await page.next_page()


class _CursorGuard:
    """Stops paging at max_pages and refuses a cursor the server already sent (it would loop forever)."""

    def __init__(self, max_pages: int | None) -> None:
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages!r}")
        self.max_pages = max_pages
        self.pages = 0
        self.seen: set[str] = set()

    def next_cursor(self, page: _PageData[Any]) -> str | None:
        """The cursor to fetch next, or None when paging is over."""
        self.pages += 1
        if not page.has_next or (self.max_pages is not None and self.pages >= self.max_pages):
            return None
        cursor = page.cursor or ""
        if cursor in self.seen:
            raise PaginationError(f"the server repeated cursor {cursor!r} after {self.pages} pages; stopping")
        self.seen.add(cursor)
        return cursor


def _pages(fetch: Callable[[str | None], Page[T]], guard: _CursorGuard) -> Iterator[Page[T]]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield page
        cursor = guard.next_cursor(page)  # once the caller wants more: a bad cursor fails after the items
        if cursor is None:
            return


async def _apages(
    fetch: Callable[[str | None], Awaitable[AsyncPage[T]]], guard: _CursorGuard
) -> AsyncIterator[AsyncPage[T]]:
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        yield page
        cursor = guard.next_cursor(page)
        if cursor is None:
            return


class PageIterator(Generic[T], Iterator[T]):
    """Every item across pages, each page fetched when iteration reaches it (at most ``max_pages``).

    ``to_pandas()`` / ``to_polars()`` collect the items not iterated yet (all of them, from a fresh iterator)
    into one DataFrame."""

    def __init__(self, fetch: Callable[[str | None], Page[T]], max_pages: int | None = None) -> None:
        self._pages = _pages(fetch, _CursorGuard(max_pages))
        self._items: Iterator[T] = iter(())
        self._item_type: type[Any] | None = None

    def __iter__(self) -> PageIterator[T]:
        return self

    def __next__(self) -> T:
        while True:
            try:
                return next(self._items)
            except StopIteration:
                pass
            page = next(self._pages)  # its StopIteration ends the iteration
            self._item_type = page.item_type
            self._items = iter(page.items)

    def to_pandas(self, *, decimals: DecimalMode = "decimal") -> pandas.DataFrame:
        dataframes.require("pandas", decimals)
        items = list(self)
        return dataframes.to_pandas(items, self._item_type, decimals)

    def to_polars(self, *, decimals: DecimalMode = "decimal") -> polars.DataFrame:
        dataframes.require("polars", decimals)
        items = list(self)
        return dataframes.to_polars(items, self._item_type, decimals)


class AsyncPageIterator(Generic[T], AsyncIterator[T]):
    """The async ``PageIterator``: ``async for`` over every item; ``await to_pandas()`` / ``to_polars()``."""

    def __init__(
        self, fetch: Callable[[str | None], Awaitable[AsyncPage[T]]], max_pages: int | None = None
    ) -> None:
        self._pages = _apages(fetch, _CursorGuard(max_pages))
        self._items: Iterator[T] = iter(())
        self._item_type: type[Any] | None = None

    def __aiter__(self) -> AsyncPageIterator[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            try:
                return next(self._items)
            except StopIteration:
                pass
            page = await anext(self._pages)  # its StopAsyncIteration ends the iteration
            self._item_type = page.item_type
            self._items = iter(page.items)

    async def to_pandas(self, *, decimals: DecimalMode = "decimal") -> pandas.DataFrame:
        dataframes.require("pandas", decimals)
        items = [item async for item in self]
        return dataframes.to_pandas(items, self._item_type, decimals)

    async def to_polars(self, *, decimals: DecimalMode = "decimal") -> polars.DataFrame:
        dataframes.require("polars", decimals)
        items = [item async for item in self]
        return dataframes.to_polars(items, self._item_type, decimals)
