"""A minimal keep-alive HTTP/1.1 server on 127.0.0.1 for the per-call overhead workload.

``python loopback.py BODY_FILE`` answers every ``GET .../exchange/status`` with BODY_FILE's bytes (a 404 for
any other path), prints its port on stdout and serves until stdin closes. It runs in its own process (and
so on the machine's other core), answers from a prebuilt buffer and parses no more of the request than the
request line and headers, so its cost per request is small and the same for every client measured.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


def _response(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class _Http(asyncio.Protocol):
    ok = b""
    missing = _response("404 Not Found", b'{"error":{"code":"not_found","message":"no route"}}')

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.buffer = self.buffer[length:]  # bodies are not expected; skip one if sent
            target = head.split(b" ", 2)[1].split(b"?", 1)[0]
            self.transport.write(self.ok if target.endswith(b"/exchange/status") else self.missing)


async def _serve(body: bytes) -> None:
    _Http.ok = _response("200 OK", body)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", 0, backlog=256)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    closed = loop.create_future()

    def watch_stdin() -> None:
        sys.stdin.buffer.read()  # returns when the parent closes the pipe (or exits)
        loop.call_soon_threadsafe(closed.set_result, None)

    loop.run_in_executor(None, watch_stdin)
    async with server:
        await closed


if __name__ == "__main__":
    asyncio.run(_serve(Path(sys.argv[1]).read_bytes()))
