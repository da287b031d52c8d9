"""The fake's REST endpoint: a threaded HTTP/1.1 server on 127.0.0.1 (an ephemeral port) in the background."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kalshi_api_app.testing.service import BASE_PATH, RestService
from kalshi_api_core.errors import ConfigurationError


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the handler threads ...
    block_on_close = True

    def __init__(self, service: RestService) -> None:
        self.service = service
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        """... so first end the keep-alive connections clients still hold open."""
        with self.sockets_lock:
            for sock in self.open_sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # already gone
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx pools connections
    disable_nagle_algorithm = True  # headers and body go out in two writes: don't wait for ACKs between
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # calls are recorded by the service instead
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.service.handle(self.command, self.path, headers, body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class RestServer:
    def __init__(self, service: RestService) -> None:
        self._service = service
        self._httpd: _Server | None = None  # bound by start(): a fake never started holds no socket
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise ConfigurationError("the fake exchange is not running: start it (or use `with`) first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{BASE_PATH}"

    def start(self) -> None:
        self._httpd = _Server(self._service)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-kalshi-rest", kwargs={"poll_interval": 0.05}
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.hang_up()
        self._httpd.server_close()
