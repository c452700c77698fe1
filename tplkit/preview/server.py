"""HTTP plumbing for the preview: the standard library's threading server around :class:`PreviewApp`.

GET and HEAD are answered, and POST for the test-send form. When bound to a loopback address
the server also checks the ``Host`` header, so a web page elsewhere cannot reach it through DNS
rebinding; a POST must carry the page's token and, if the browser sends an ``Origin``, come
from this server's own origin.
"""
from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import PreviewApp
from .response import MAX_POST, TEXT, Response


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its :class:`PreviewApp` and its own URL."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: PreviewApp, host: str, port: int, *, quiet: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host.strip("[]"), port), PreviewHandler)
        self.app = app
        self.quiet = quiet
        self.port = self.server_address[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        self.allowed_hosts: set[str] | None = None
        if is_loopback(host.strip("[]")):
            self.allowed_hosts = {f"{h}:{self.port}" for h in ("localhost", "127.0.0.1", "[::1]", shown)}

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection that fails (reset, garbage) is one line on the console, not a traceback."""
        exc = sys.exc_info()[1]
        if not self.quiet:
            sys.stderr.write(f"error: connection from {client_address}: {type(exc).__name__}: {exc}\n")


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "tplkit-preview"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_POST(self) -> None:
        self._answer(head=False, post=True)

    def _answer(self, head: bool, post: bool = False) -> None:
        allowed = self.server.allowed_hosts
        host = self.headers.get("Host", "").lower()
        origin = self.headers.get("Origin")
        body = b""
        if post:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if 0 <= length <= MAX_POST:
                body = self.rfile.read(length)
        if allowed is not None and host not in allowed:
            response = Response(400, b"unexpected Host header", TEXT)
        elif post and not 0 <= length <= MAX_POST:
            response = Response(413, b"form too large", TEXT)
        elif post and origin is not None and origin.lower() != f"http://{host}":
            response = Response(403, b"cross-origin form refused", TEXT)
        else:
            try:
                response = self.server.app.handle(self.path, "POST" if post else "GET", body)
            except Exception as e:  # noqa: BLE001 -- a bug must not kill the server or show a traceback
                sys.stderr.write(f"error: internal error serving {self.path}: "
                                 f"{type(e).__name__}: {e}\n")
                response = Response(500, b"internal error (see the server's console)",
                                    TEXT)
        self.send_response(response.status)
        for key, value in response.all_headers().items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:
        # a request that could not be parsed (garbage, TLS bytes) has no path yet
        if not self.server.quiet and not getattr(self, "path", "").startswith("/_version"):
            super().log_message(format, *args)


def make_server(app: PreviewApp, host: str = "127.0.0.1", port: int = 0, *,
                quiet: bool = False) -> PreviewServer:
    """Bind (``port=0``: an ephemeral port); the caller runs ``serve_forever()``."""
    return PreviewServer(app, host, port, quiet=quiet)


@contextlib.contextmanager
def running(app: PreviewApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[PreviewServer]:
    """Serve ``app`` in a background thread for the ``with`` block (tests, embedding); then stop."""
    server = make_server(app, host, port, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="tplkit-preview", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
