"""httpx transports that record real exchanges to a file, and replay them with no network.

``KalshiClient(record_to=path)`` and ``KalshiClient(replay_from=path)`` use them (``recording`` describes the
file). To record through an httpx client of your own, give it ``transport=RecordingTransport(path,
inner=httpx.HTTPTransport(...))`` and pass it as ``http_client=``: the client's TLS check looks through the
recorder at what it wraps.

Replay matches a request by method, path and query (in any order); several recorded exchanges that match are
served in recorded order, once each, so paged listings and repeated calls replay as they happened. A request
with no response left raises ``UnrecordedRequestError``: replay never reaches the network.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator

import httpx

from kalshi_api_core.recording import Exchange, RecordedResponses, RecordingWriter

__all__ = ["AsyncRecordingTransport", "AsyncReplayTransport", "RecordingTransport", "ReplayTransport"]


class _RecordingStream(httpx.SyncByteStream):
    """Passes the body through and hands it over once read to the end (a body cut short is not recorded)."""

    def __init__(self, inner: httpx.SyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner = inner
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        chunks = []
        for chunk in self._inner:
            chunks.append(chunk)
            yield chunk
        self._done(b"".join(chunks))

    def close(self) -> None:
        self._inner.close()


class _AsyncRecordingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner = inner
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = []
        async for chunk in self._inner:
            chunks.append(chunk)
            yield chunk
        self._done(b"".join(chunks))

    async def aclose(self) -> None:
        await self._inner.aclose()


def _recorder(
    writer: RecordingWriter, request: httpx.Request, response: httpx.Response
) -> Callable[[bytes], None]:
    return lambda raw: writer.append(Exchange.capture(request, response.status_code, response.headers, raw))


class RecordingTransport(httpx.BaseTransport):
    """Sends every request through ``inner`` (default: httpx's own transport) and records the exchange."""

    def __init__(self, path: str | os.PathLike[str], inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self._writer = RecordingWriter(path)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)  # what a sync transport returns
        stream = _RecordingStream(response.stream, _recorder(self._writer, request, response))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
        )

    def close(self) -> None:
        self._writer.close()
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async ``RecordingTransport``."""

    def __init__(self, path: str | os.PathLike[str], inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self._writer = RecordingWriter(path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)  # what an async transport returns
        stream = _AsyncRecordingStream(response.stream, _recorder(self._writer, request, response))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
        )

    async def aclose(self) -> None:
        self._writer.close()
        await self.inner.aclose()


class ReplayTransport(httpx.BaseTransport):
    """Answers every request from a recording file; nothing is sent anywhere."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.responses = RecordedResponses.load(path)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.responses.take(request)


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    """The async ``ReplayTransport``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.responses = RecordedResponses.load(path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.responses.take(request)
