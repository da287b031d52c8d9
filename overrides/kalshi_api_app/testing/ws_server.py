"""The fake's WebSocket endpoint: a ``websockets`` server on 127.0.0.1 (an ephemeral port), running its own
event loop in a background thread so it serves sync and async tests alike."""

from __future__ import annotations

import asyncio
import threading
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from kalshi_api_app.testing.signatures import SignatureVerifier
from kalshi_api_app.testing.ws_hub import Hub
from kalshi_api_core.config import PRODUCTION
from kalshi_api_core.errors import ConfigurationError

WS_PATH = urlsplit(PRODUCTION.ws_url).path  # "/trade-api/ws/v2"


class WsServer:
    def __init__(self, hub: Hub, verifier: SignatureVerifier | None) -> None:
        self.hub = hub
        self.verifier = verifier
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fake-kalshi-ws")

    @property
    def url(self) -> str:
        if not self._port:
            raise ConfigurationError("the fake exchange is not running: start it (or use `with`) first")
        return f"ws://127.0.0.1:{self._port}{WS_PATH}"

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); the thread ends either way
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        async with serve(
            self._connection,
            "127.0.0.1",
            0,
            process_request=self._check,
            ping_interval=None,
            close_timeout=1.0,  # stop() must not wait long for a client that no longer reads
        ) as server:
            self._port = int(next(iter(server.sockets)).getsockname()[1])
            self._ready.set()
            await self._stopping.wait()
        # leaving the block closes every connection (1001, going away) and waits for their handlers

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse an upgrade to another path, or without a good signature when the fake verifies them."""
        path = request.path.split("?", 1)[0]
        failure = None
        status = HTTPStatus.UNAUTHORIZED
        if path != WS_PATH:
            failure, status = f"no WebSocket endpoint at {path}", HTTPStatus.NOT_FOUND
        elif self.verifier is not None:
            headers = {name.lower(): value for name, value in request.headers.raw_items()}
            failure = self.verifier.failure("GET", path, headers)
        return None if failure is None else connection.respond(status, failure + "\n")

    async def _connection(self, websocket: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        outgoing: asyncio.Queue[str | None] = asyncio.Queue()

        def send(text: str | None) -> None:  # from any thread; callbacks run in the order they were queued
            loop.call_soon_threadsafe(outgoing.put_nowait, text)

        connection = self.hub.connect(send)
        writer = asyncio.create_task(_write(websocket, outgoing))
        try:
            async for message in websocket:
                self.hub.command(connection, message)
        except ConnectionClosed:
            pass
        finally:
            self.hub.disconnect(connection)
            send(None)
            await writer


async def _write(websocket: ServerConnection, outgoing: asyncio.Queue[str | None]) -> None:
    while (text := await outgoing.get()) is not None:
        try:
            await websocket.send(text)
        except ConnectionClosed:
            return
