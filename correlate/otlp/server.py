"""``correlate serve-otlp``: an OTLP/HTTP receiver that validates each request and spools it durably.

Endpoints: ``POST /v1/metrics`` and ``POST /v1/logs``, with ``Content-Type: application/x-protobuf``
or ``application/json``, optionally ``Content-Encoding: gzip``. Answers (OTLP/HTTP spec):

* 200 + an empty ``Export*ServiceResponse`` in the request's content type, after the request is
  appended to the spool and fsynced (so an acknowledged request survives a crash); JSON requests are
  spooled as the protobuf encoding of the validated message;
* 400 with a reason for a body that does not parse (the client must not retry it);
* 401 when ``[otel] token_env`` names a bearer token and the request does not carry it;
* 413 when the body exceeds ``[otel] max_body_bytes``, before or after decompression (gzip bombs are
  stopped while inflating, never inflated whole);
* 404 / 405 / 415 for other paths, methods (unknown ones too) and content types, 400 for an HTTP
  version other than 1.x (never a 5xx for what a client sent); 503 + ``Retry-After`` if the spool
  cannot be written or too many requests are in flight (retryable: the client keeps the data).

The server never opens the DuckDB store; ``correlate sync --source otel`` folds the spool.
"""

from __future__ import annotations

import hmac
import http.client
import signal
import threading
import time
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from connectors.errors import PayloadError
from connectors.otlp import Encoding, Signal, parse_request
from correlate.otlp.spool import Spool

__all__ = ["OtlpServer", "make_server", "serve"]

PATHS: dict[str, Signal] = {"/v1/metrics": "metrics", "/v1/logs": "logs"}
CONTENT_TYPES: dict[str, Encoding] = {"application/x-protobuf": "protobuf", "application/json": "json"}
_INFLATE_CHUNK = 64 * 1024
_DRAIN_MAX = 8 * 1024 * 1024
MAX_INFLIGHT = 16  # requests read and validated at once
_INFLIGHT_WAIT_S = 30.0  # refused bodies larger than this are cut off by closing the connection
_MAX_HEADERS = 100  # the stdlib's limits (http.client), kept by the fast header reader
_MAX_LINE = 65536
_date_cache: tuple[int, str] = (0, "")  # (second, Date header value); a tuple swap is atomic


class _TooLarge(Exception):
    pass


def inflate(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing output larger than ``limit`` bytes (gzip-bomb safe).

    Raises:
        _TooLarge: the inflated body would exceed ``limit``.
        PayloadError: the body is not valid gzip.
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    data = body
    try:
        while True:
            chunk = d.decompress(data, _INFLATE_CHUNK)
            out += chunk
            if len(out) > limit:
                raise _TooLarge()
            data = d.unconsumed_tail
            if d.eof or (not data and not chunk):
                break
        if not d.eof:
            raise PayloadError("gzip body is truncated", source="otel")
    except zlib.error as exc:
        raise PayloadError(f"body is not valid gzip: {exc}", source="otel") from None
    return bytes(out)


class OtlpServer(ThreadingHTTPServer):
    """The receiver: a threaded stdlib HTTP server holding the spool and the request limits."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, spool: Spool, max_body_bytes: int, token: str | None) -> None:
        self.spool = spool
        self.max_body_bytes = max_body_bytes
        self.token = token
        self.accepted = 0
        self.rejected = 0
        self.inflight = threading.BoundedSemaphore(MAX_INFLIGHT)
        self._count_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is not worth a traceback; the server carries on

    def count(self, ok: bool) -> None:
        with self._count_lock:
            if ok:
                self.accepted += 1
            else:
                self.rejected += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpServer
    raw_requestline: bytes  # set by the stdlib's handle_one_request before parse_request
    timeout = 60  # a client that stops sending mid-body frees its thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # requests are not logged: bodies can carry prompts and emails

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # not logged (above); skipping it also saves formatting the request line per request

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The stdlib formats the Date header through email.utils on every response; once a second will do.
        global _date_cache
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        second, value = _date_cache
        if second != now:
            value = super().date_time_string(now)
            _date_cache = (now, value)
        return value

    def parse_request(self) -> bool:
        """The stdlib's request parsing, reading the headers directly for a plain ``VERB path HTTP/1.x`` line.

        The stdlib hands the header block to the whole ``email`` package parser: ~150 µs a request, the
        largest cost of a small export (profiled under bench/otlp.py). Any other request line (errors,
        HTTP/0.9, HTTP/2) goes to the stdlib unchanged; the header limits are the stdlib's.
        """
        words = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            return super().parse_request()
        self.requestline = " ".join(words)
        self.command, path, self.request_version = words
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path  # as the stdlib does (gh-87389)
        self.close_connection = self.request_version == "HTTP/1.0"
        headers = http.client.HTTPMessage()
        count = 0
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            count += 1
            if count > _MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
                return False
            name, colon, value = line.decode("iso-8859-1").partition(":")
            if not colon or not name or name != name.strip():
                # no name, or obsolete line folding / space before the colon (RFC 9112 §5: reject with 400)
                self.send_error(HTTPStatus.BAD_REQUEST, "Malformed header line")
                return False
            headers[name] = value.strip()
        self.headers = headers
        conntype = headers.get("Connection", "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive":
            self.close_connection = False
        if headers.get("Expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's error answers, except that nothing a client sends gets a 5xx.

        The stdlib answers 501 to a method it has no handler for and 505 to an HTTP version other than
        1.x. Both are the client's request, not a fault of this receiver: an exporter or a monitor must
        never see a 5xx that is not one (a 5xx tells OTLP clients to retry). They become 405 (only POST
        is accepted, with ``Allow: POST``) and 400.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._allow_post = True
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "only POST /v1/metrics and POST /v1/logs are accepted"
        elif code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            code, message = HTTPStatus.BAD_REQUEST, "HTTP version not supported: use HTTP/1.1"
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        if getattr(self, "_allow_post", False):
            self.send_header("Allow", "POST")
            self._allow_post = False
        super().end_headers()

    def _reply(self, status: int, body: bytes = b"", ctype: str = "text/plain; charset=utf-8",
               retry_after: int | None = None) -> None:
        # One write for status line, headers and body: the stdlib's send_response/send_header path formats
        # and encodes each line separately (~18% of the CPU of a small export, profiled), and a separate
        # body write can wait on Nagle's algorithm.
        if self.request_version != "HTTP/0.9":
            head = (f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}\r\n"
                    f"Server: {self.version_string()}\r\nDate: {self.date_time_string()}\r\n")
            if self.close_connection:
                head += "Connection: close\r\n"
            if retry_after is not None:
                head += f"Retry-After: {retry_after}\r\n"
            if status == 405:
                head += "Allow: POST\r\n"  # RFC 9110 §15.5.6: a 405 lists the methods that are allowed
            head += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
            body = head.encode("latin-1") + body
        self.wfile.write(body)
        self.server.count(status == 200)

    def _fail(self, status: int, reason: str, *, close: bool = False, retry_after: int | None = None) -> None:
        if close:
            self.close_connection = True
        self._reply(status, reason.encode("utf-8", "replace"), retry_after=retry_after)

    def _refuse(self, status: int, reason: str, *, retry_after: int | None = None) -> None:
        """Refuse before reading the body: read it away (bounded) so the client gets the answer, then close."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        self._drain(length)
        self._fail(status, reason, close=True, retry_after=retry_after)

    def _drain(self, length: int) -> None:
        """Read and discard a refused body (up to a bound), so the client sees the answer, not a reset."""
        left = min(length, _DRAIN_MAX)
        while left > 0:
            chunk = self.rfile.read(min(left, _INFLATE_CHUNK))
            if not chunk:
                break
            left -= len(chunk)

    def _read_chunked(self, limit: int) -> bytes | None:
        """A ``Transfer-Encoding: chunked`` body; ``None`` if the client hung up, _TooLarge past ``limit``."""
        out = bytearray()
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return None
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)  # ValueError on garbage
            if size < 0:
                raise ValueError("negative chunk size")  # rfile.read(-1) would read to the end of the connection
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            if len(out) + size > limit:
                raise _TooLarge()
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                return None
            out += chunk
            self.rfile.readline(1024)  # the CRLF after the chunk

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        # refused like a POST to a wrong path: a body it carries is read away and the connection closed, so
        # the body is never parsed as a next request on the connection
        self._refuse(405, "use POST /v1/metrics or POST /v1/logs")

    do_PUT = do_DELETE = do_PATCH = do_GET

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        # Bound memory: at most MAX_INFLIGHT bodies (each up to max_body_bytes) are held at once; a client
        # beyond that gets a retryable 503 with Retry-After, as the OTLP spec asks.
        if not self.server.inflight.acquire(timeout=_INFLIGHT_WAIT_S):
            self._refuse(503, "too many requests in flight; retry shortly", retry_after=5)
            return
        try:
            self._post_guarded()
        finally:
            self.server.inflight.release()

    def _post_guarded(self) -> None:
        try:
            self._post()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nothing was acknowledged
        except Exception as exc:  # never crash the server on one request
            self._fail(500, f"internal error: {type(exc).__name__}", close=True)

    def _post(self) -> None:
        path = self.path.split("?", 1)[0]
        signal = PATHS.get(path)
        if signal is None:
            self._refuse(404, f"unknown path {path!r}; this receiver accepts /v1/metrics and /v1/logs")
            return
        token = self.server.token
        if token is not None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                self._refuse(401, "missing or wrong bearer token (Authorization: Bearer ...)")
                return
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        encoding = CONTENT_TYPES.get(ctype)
        if encoding is None:
            self._refuse(415, "Content-Type must be application/x-protobuf or application/json")
            return
        limit = self.server.max_body_bytes
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # Claude Code v2.1.191-2.1.211 sent chunked bodies; the limit applies while reading
            try:
                chunked = self._read_chunked(limit)
            except _TooLarge:
                self._fail(413, f"body exceeds the limit of {limit} bytes", close=True)
                return
            except ValueError:
                self._fail(400, "malformed chunked body", close=True)
                return
            if chunked is None:
                self.close_connection = True
                return  # the client went away mid-body
            body = chunked
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self._fail(400, "Content-Length is not a number", close=True)
                return
            if length > limit:
                self._drain(length)
                self._fail(413, f"body of {length} bytes exceeds the limit of {limit} bytes", close=True)
                return
            body = self.rfile.read(length) if length > 0 else b""
            if len(body) < length:
                self.close_connection = True
                return  # the client went away mid-body
        content_encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        try:
            if content_encoding == "gzip":
                body = inflate(body, limit)
            elif content_encoding not in ("identity", ""):
                self._fail(415, f"Content-Encoding {content_encoding!r} is not supported (use gzip)")
                return
            msg = parse_request(signal, body, encoding)
        except _TooLarge:
            self._fail(413, f"decompressed body exceeds the limit of {limit} bytes")
            return
        except PayloadError as exc:
            self._fail(400, exc.message)
            return
        # JSON is spooled as the protobuf encoding of the message just validated: the fold then never
        # re-parses JSON (protobuf's pure-Python JSON parser is ~10x slower than its binary one), and
        # the hex-id and int64 quirks are settled once, here. Protobuf bodies are spooled as received.
        stored = body if encoding == "protobuf" else msg.SerializeToString()
        try:
            self.server.spool.append(signal, "protobuf", stored)
        except OSError as exc:
            self._fail(503, f"cannot write the spool: {exc.strerror or exc}", retry_after=30)
            return
        # An empty Export*ServiceResponse: zero bytes in protobuf, "{}" in JSON.
        if encoding == "json":
            self._reply(200, b"{}", "application/json")
        else:
            self._reply(200, b"", "application/x-protobuf")


def make_server(spool_dir: Path, host: str, port: int, *, max_body_bytes: int, token: str | None,
                rotate_seconds: float | None = None) -> OtlpServer:
    """A bound (not yet serving) receiver; ``port=0`` picks a free port (tests)."""
    kwargs: dict[str, Any] = {}
    if rotate_seconds is not None:
        kwargs["rotate_seconds"] = rotate_seconds
    spool = Spool(spool_dir, **kwargs)
    return OtlpServer((host, port), spool=spool, max_body_bytes=max_body_bytes, token=token)


def serve(config_path: Path, host: str = "127.0.0.1", port: int = 4318) -> None:
    """Run the receiver until interrupted (Ctrl-C closes the open segment cleanly)."""
    from correlate.config import load_config
    from correlate.console import console
    from correlate.errors import UsageError

    config = load_config(config_path)
    otel = config.root.otel
    token = config.secret(otel.token_env, what="the bearer token OTLP exporters send").reveal() if (
        otel.token_env) else None
    spool_dir = config.resolve(otel.spool_dir)
    try:
        server = make_server(spool_dir, host, port, max_body_bytes=otel.max_body_bytes, token=token)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port.") from None
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    console.print(f"OTLP/HTTP receiver on http://{bound_host}:{bound_port} (POST /v1/metrics, /v1/logs; "
                  f"protobuf or JSON{', bearer token required' if token else ''})", soft_wrap=True)
    console.print(f"Spooling to {spool_dir}. Fold into the store with: correlate sync --source otel",
                  soft_wrap=True)
    console.print(f"Point Claude Code at it: OTEL_EXPORTER_OTLP_ENDPOINT=http://{bound_host}:{bound_port} "
                  "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", soft_wrap=True)
    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (systemd, docker stop) closes the segment like Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.spool.close()
        console.print(f"Stopped. Accepted {server.accepted:,} requests, rejected {server.rejected:,} "
                      f"({server.spool.syncs:,} disk syncs).")
