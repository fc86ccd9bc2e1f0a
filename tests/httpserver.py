"""A real HTTP server on 127.0.0.1 for connector tests (no patched functions).

Tests hand it a ``handler(request) -> Reply`` callable; it runs in a thread, records every request
it received, and is reached through the connectors' ``base_url``. Vendor-shaped pages built by hand
are labelled so in the test that builds them.

Example::

    def handler(req: Request) -> Reply:
        return Reply(200, {"data": [], "has_more": False})

    with serve(handler) as server:
        client = make_client(server.url)
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset_connection: bool = False


Handler = Callable[[Request], Reply]


class Server:
    def __init__(self, httpd: ThreadingHTTPServer) -> None:
        self.httpd = httpd
        self.requests: list[Request] = []
        host, port = httpd.server_address[:2]
        self.url = f"http://{host}:{port}"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that timed out and hung up (a test of retries) is expected, not a server fault
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve(handler: Handler) -> Iterator[Server]:
    """Run ``handler`` behind a threaded HTTP server on an ephemeral 127.0.0.1 port."""
    holder: dict[str, Server] = {}

    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small replies otherwise wait ~40 ms for a delayed ACK

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("content-encoding") == "gzip" and raw:
                try:
                    raw = gzip.decompress(raw)
                except OSError:
                    pass
            parts = urlsplit(self.path)
            req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()}, raw)
            holder["s"].requests.append(req)
            reply = handler(req)
            if reply.delay_s:
                threading.Event().wait(reply.delay_s)
            if reply.reset_connection:
                self.close_connection = True
                try:
                    import socket
                    import struct

                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                return
            body = reply.body
            ctype = reply.headers.get("content-type", "application/json")
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
            elif isinstance(body, str):
                data = body.encode()
            elif body is None:
                data = b""
            else:
                data = body
            self.send_response(reply.status)
            self.send_header("content-type", ctype)
            for k, v in reply.headers.items():
                if k.lower() != "content-type":
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    httpd = _QuietServer(("127.0.0.1", 0), _H)
    httpd.daemon_threads = True
    server = Server(httpd)
    holder["s"] = server
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
