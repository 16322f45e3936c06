"""HTTP plumbing for the double: a threaded stdlib server on 127.0.0.1 and a random port.

Every answer carries ``Connection: close``: a client never keeps an idle socket to the
double, so a test that forgets to close its PyGithub client does not leak a socket into a
``ResourceWarning`` (fatal under ``filterwarnings = error``), and a dropped connection is
always a fresh one. Stopping the server shuts down in-flight connections and joins every
handler thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Outcome", "Server"]


@dataclass(frozen=True)
class Outcome:
    """A complete HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


#: ``(method, target, headers, body) -> Outcome``, or ``None`` to drop the connection.
Dispatch = Callable[[str, str, dict[str, str], bytes], "Outcome | None"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 10
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; the double keeps its own log."""

    def _serve(self) -> None:
        self.close_connection = True
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        outcome = self.server.dispatch(self.command, self.path, headers, body)
        if outcome is None:
            return  # dropped: close the socket without a status line
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(outcome.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def abort_open(self) -> None:
        """Unblock handler threads still reading from their clients."""
        with self._open_lock:
            for conn in self._open:
                with contextlib.suppress(OSError):  # already closed by the peer
                    conn.shutdown(socket.SHUT_RDWR)


class Server:
    """Serves *dispatch* on ``http://127.0.0.1:<port>`` from a background thread."""

    def __init__(self, dispatch: Dispatch) -> None:
        self._httpd = _HTTPServer(dispatch)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="github-double",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        """Stop serving, close every socket and join every thread."""
        self._httpd.shutdown()
        self._httpd.abort_open()
        self._httpd.server_close()
        self._thread.join()
