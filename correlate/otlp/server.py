"""``correlate serve-otlp``: the OTLP/HTTP receiver, which validates each request and spools it durably.

Endpoints: ``POST /v1/metrics``, ``/v1/logs`` and ``/v1/traces`` (traces are validated and counted, not
stored), with ``Content-Type: application/x-protobuf`` or ``application/json``, optionally
``Content-Encoding: gzip``. OTLP/gRPC is served beside it (:mod:`correlate.otlp.grpc_server`); both use
one :class:`~correlate.otlp.intake.Intake` (spool, token, limits, in-flight slots). Answers (OTLP/HTTP
spec):

* 200 + an empty ``Export*ServiceResponse`` in the request's content type, after the request is
  appended to the spool and fsynced (so an acknowledged request survives a crash);
* 400 with a reason for a body that does not parse (the client must not retry it), for ambiguous
  framing (``Content-Length`` that is not a plain number, several that differ, or one beside
  ``Transfer-Encoding``; the connection is then closed, so nothing after it is read as a request), and
  for an HTTP version other than 1.x: an HTTP/2 client (a gRPC exporter pointed at this port) gets an
  HTTP/1.1 400 naming the gRPC port, which gRPC clients log, and the receiver logs it too;
* 401 when ``[otel] token_env`` names a bearer token and the request does not carry it;
* 408 when a body does not arrive in time (a whole-body deadline, not per read);
* 413 when the body exceeds ``[otel] max_body_bytes``, declared (answered at once) or after
  decompression (gzip bombs are stopped while inflating), or a JSON body exceeds the JSON cap;
* 404 / 405 / 415 for other paths, methods (unknown ones too) and content types (never a 5xx for what
  a client sent); 503 + ``Retry-After`` if the spool cannot be written or every in-flight slot stays
  taken (retryable: the client keeps the data).

Order of checks: path, token, content type, framing and declared size are all settled from the headers,
*before* a request takes one of the in-flight slots, so requests that will be refused (unauthenticated,
too large) can never hold the slots that bound memory. A request in a slot must deliver its body within
``body_grace_s`` plus its size at ``body_min_rate``; a refused one is answered at once and its connection
closed after a short bounded drain (so the client reads the answer instead of a reset).

The server never opens the DuckDB store; ``correlate sync --source otel`` folds the spool.
"""

from __future__ import annotations

import http.client
import io
import re
import signal
import socket
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from connectors.errors import PayloadError
from connectors.otlp import Encoding, Signal
from correlate.otlp.intake import INFLIGHT_WAIT_S, MAX_INFLIGHT, Intake, TooLarge, inflate
from correlate.otlp.spool import Spool

__all__ = ["GRPC_PORT", "HTTP_PORT", "OtlpServer", "inflate", "make_server", "serve", "MAX_INFLIGHT"]

HTTP_PORT, GRPC_PORT = 4318, 4317  # the OTLP defaults
PATHS: dict[str, Signal] = {"/v1/metrics": "metrics", "/v1/logs": "logs", "/v1/traces": "traces"}
CONTENT_TYPES: dict[str, Encoding] = {"application/x-protobuf": "protobuf", "application/json": "json"}
BODY_GRACE_S = 10.0  # a body must arrive within this many seconds ...
BODY_MIN_RATE = 1024 * 1024  # ... plus its size at this many bytes/s (64 MiB: 74 s; a small export: 10 s)
_LINGER_S = 2.0  # a refused request's connection is drained this long at most before it is closed ...
_LINGER_BYTES = 8 * 1024 * 1024  # ... or this many bytes
_READ_CHUNK = 1024 * 1024
_MAX_HEADERS = 100  # the stdlib's limits (http.client), kept by the fast header reader
_MAX_LINE = 65536
_MAX_TRAILERS = 100
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_H2_PREFACE = b"PRI * HTTP/2.0\r\n"
_date_cache: tuple[int, str] = (0, "")  # (second, Date header value); a tuple swap is atomic


class _Deadline(Exception):
    """The body did not arrive in time."""


class _Refused(Exception):
    """Already answered and to be closed (framing that cannot be trusted)."""


class OtlpServer(ThreadingHTTPServer):
    """The OTLP/HTTP receiver: a threaded stdlib HTTP server over an :class:`Intake`."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of exporters (a fleet restarting, or
    # a handful of trickling clients): the kernel retries them only after a second or more, so a good
    # request queued behind them waited, and a client gave up before it was even accepted.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], *, intake: Intake, body_grace_s: float = BODY_GRACE_S,
                 body_min_rate: float = BODY_MIN_RATE, grpc_port: int | None = None) -> None:
        self.intake = intake
        self.body_grace_s = body_grace_s
        self.body_min_rate = body_min_rate
        self.grpc_port = grpc_port  # named to HTTP/2 clients that knock on this port
        super().__init__(address, _Handler)

    @property
    def spool(self) -> Spool:
        return self.intake.spool

    @property
    def accepted(self) -> int:
        return self.intake.accepted

    @property
    def rejected(self) -> int:
        return self.intake.rejected

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is not worth a traceback; the server carries on


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpServer
    raw_requestline: bytes  # set by the stdlib's handle_one_request before parse_request
    timeout = 60  # an idle keep-alive connection (or one stalled in its headers) frees its thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # requests are not logged: bodies can carry prompts and emails (warnings go through Intake.warn)

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
        largest cost of a small export (profiled under bench/otlp.py). A request line naming another
        HTTP version gets an HTTP/1.1 400 with a status line (the stdlib answers those without one);
        HTTP/0.9 and unreadable lines go to the stdlib unchanged; the header limits are the stdlib's.
        ``Expect: 100-continue`` is answered in :meth:`do_POST`, once the request is known to be wanted.
        """
        words = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n").split()
        if len(words) == 3 and words[2].startswith("HTTP/") and words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            self.command, self.path, self.request_version = words[0], words[1], "HTTP/1.1"
            self.requestline = " ".join(words)
            self.close_connection = True
            if self.raw_requestline == _H2_PREFACE:
                self._http2_client()
            else:
                self._refuse(400, f"HTTP version {words[2][5:]!r} is not supported: use HTTP/1.1")
            return False
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
        return True

    def _http2_client(self) -> None:
        """An HTTP/2 connection preface: a gRPC exporter (or an h2c client) pointed at the HTTP/1.1 port.

        It gets an HTTP/1.1 400 whose text names the gRPC port; gRPC clients log it ("Trying to connect
        an http1.x server (HTTP status 400)"), where silence left their data lost without a word.
        """
        grpc = self.server.grpc_port
        where = f"port {grpc}" if grpc else f"the OTLP/gRPC port (default {GRPC_PORT})"
        self.server.intake.warn("http2", f"OTLP/HTTP: a client at {self.client_address[0]} spoke HTTP/2 (a gRPC "
                                         f"exporter?) to the HTTP/1.1 port {self.server.server_address[1]}; point "
                                         f"OTEL_EXPORTER_OTLP_PROTOCOL=grpc exporters at {where}")
        self._refuse(400, f"this port speaks OTLP/HTTP over HTTP/1.1 (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf or "
                          f"http/json); send OTLP/gRPC to {where}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's error answers, except that nothing a client sends gets a 5xx.

        The stdlib answers 501 to a method it has no handler for and 505 to an HTTP version other than
        1.x. Both are the client's request, not a fault of this receiver: an exporter or a monitor must
        never see a 5xx that is not one (a 5xx tells OTLP clients to retry). They become 405 (only POST
        is accepted, with ``Allow: POST``) and 400.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._allow_post = True
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "only POST /v1/metrics, /v1/logs and /v1/traces"
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
        self.server.intake.count(status == 200)

    def _fail(self, status: int, reason: str, *, close: bool = False, retry_after: int | None = None) -> None:
        if close:
            self.close_connection = True
        self._reply(status, reason.encode("utf-8", "replace"), retry_after=retry_after)

    def _refuse(self, status: int, reason: str, *, retry_after: int | None = None) -> None:
        """Answer at once without reading the body, then close the connection (after a bounded drain).

        The body is never read as a next request. The drain (at most ``_LINGER_BYTES`` within
        ``_LINGER_S``, holding no slot) lets a client that writes its whole body before reading see the
        answer instead of a connection reset.
        """
        self._fail(status, reason, close=True, retry_after=retry_after)
        self._linger()

    def _linger(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_WR)  # the answer is complete: the client sees the end of it
        except OSError:
            return
        deadline, left = time.monotonic() + _LINGER_S, _LINGER_BYTES
        try:
            while left > 0:
                chunk = self._read1(min(left, _READ_CHUNK), deadline)
                if not chunk:
                    break
                left -= len(chunk)
        except (_Deadline, OSError):
            pass

    # -- reading a body against a deadline ---------------------------------------------------------------
    def _arm(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Deadline()
        self.connection.settimeout(left)

    def _read1(self, n: int, deadline: float) -> bytes:
        """Up to ``n`` bytes with at most one read of the socket, which waits no later than ``deadline``."""
        self._arm(deadline)
        try:
            return self.rfile.read1(n)
        except TimeoutError:
            raise _Deadline() from None

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        """Exactly ``n`` bytes by ``deadline``; ``None`` if the client hung up first."""
        chunks, got = [], 0
        while got < n:
            chunk = self._read1(min(n - got, _READ_CHUNK), deadline)
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _readline(self, limit: int, deadline: float) -> bytes:
        """A line (with its newline) of at most ``limit`` bytes, by ``deadline``; short at a hang-up."""
        line = bytearray()
        while len(line) < limit:
            self._arm(deadline)
            try:
                data = cast(io.BufferedReader, self.rfile).peek(1)  # at most one read of the socket
            except TimeoutError:
                raise _Deadline() from None
            if not data:
                break
            end = data.find(b"\n", 0, limit - len(line))
            take = end + 1 if end >= 0 else min(len(data), limit - len(line))
            line += self.rfile.read(take)  # already buffered: never waits
            if end >= 0:
                break
        return bytes(line)

    def _body_deadline(self, size: int, started: float) -> float:
        return started + self.server.body_grace_s + size / self.server.body_min_rate

    def _read_chunked(self, limit: int, started: float) -> bytes | None:
        """A ``Transfer-Encoding: chunked`` body; ``None`` if the client hung up.

        Raises:
            TooLarge: the body grows past ``limit``.
            ValueError: the chunk framing is malformed.
            _Deadline: the body did not arrive in time (the deadline grows with the bytes announced).
        """
        out = bytearray()
        while True:
            line = self._readline(1024, self._body_deadline(len(out) + 1024, started))
            if not line:
                return None
            if not line.endswith(b"\n"):
                raise ValueError("chunk size line too long")
            size_text = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_text):
                raise ValueError("chunk size is not hexadecimal")  # int(..., 16) would take -1, +5, 0x5, 1_0
            size = int(size_text, 16)
            if size == 0:
                for _ in range(_MAX_TRAILERS):
                    trailer = self._readline(_MAX_LINE, self._body_deadline(len(out) + _MAX_LINE, started))
                    if trailer in (b"\r\n", b"\n", b""):
                        return bytes(out)
                raise ValueError("too many trailer lines")
            if len(out) + size > limit:
                raise TooLarge()
            chunk = self._read_exact(size, self._body_deadline(len(out) + size, started))
            if chunk is None:
                return None
            out += chunk
            if self._readline(2, self._body_deadline(len(out) + 2, started)) not in (b"\r\n", b"\n"):
                raise ValueError("a chunk is not followed by CRLF")

    # -- routing -----------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        # refused like a POST to a wrong path: the connection is closed, so a body it carries is never
        # parsed as a next request on the connection
        self._refuse(405, "use POST /v1/metrics, /v1/logs or /v1/traces")

    do_PUT = do_DELETE = do_PATCH = do_GET

    def _framing(self) -> int | None:
        """The body's length from the headers (-1: chunked); ``None`` when the framing was refused (400)."""
        te = self.headers.get_all("Transfer-Encoding") or []
        cl = self.headers.get_all("Content-Length") or []
        if te:
            if cl:
                # RFC 9112 §6.1: a request with both is an attempt at request smuggling; answered and closed,
                # so the bytes after it are never read as a request
                self._refuse(400, "both Content-Length and Transfer-Encoding: the body's end is ambiguous")
                return None
            codings = [c.strip().lower() for value in te for c in value.split(",")]
            if codings != ["chunked"]:
                self._refuse(400, "Transfer-Encoding must be chunked (or send Content-Length)")
                return None
            return -1
        values = {v.strip() for v in cl}
        if not values:
            return 0
        if len(values) > 1:
            self._refuse(400, "several different Content-Length headers")
            return None
        (value,) = values
        if not _DIGITS.fullmatch(value):
            self._refuse(400, "Content-Length is not a number of bytes")  # -1, +0, 1e3, 12, 12 ...
            return None
        return int(value)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        intake = self.server.intake
        path = self.path.split("?", 1)[0]
        signal = PATHS.get(path)
        if signal is None:
            self._refuse(404, f"unknown path {path!r}; this receiver accepts /v1/metrics, /v1/logs and /v1/traces")
            return
        if not intake.authorized(self.headers.get("Authorization")):
            intake.warn("http-401", f"OTLP/HTTP: refused requests from {self.client_address[0]} without the right "
                                    "bearer token (Authorization: Bearer ...)")
            self._refuse(401, "missing or wrong bearer token (Authorization: Bearer ...)")
            return
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        encoding = CONTENT_TYPES.get(ctype)
        if encoding is None:
            self._refuse(415, "Content-Type must be application/x-protobuf or application/json")
            return
        content_encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if content_encoding not in ("identity", "", "gzip"):
            self._refuse(415, f"Content-Encoding {content_encoding!r} is not supported (use gzip)")
            return
        length = self._framing()
        if length is None:
            return
        # an uncompressed JSON body is held to the JSON cap at once (it costs ~7x its size to parse)
        limit = intake.max_json_bytes if encoding == "json" and content_encoding != "gzip" else intake.max_body_bytes
        if length > limit:
            json_cap = " for JSON; send protobuf or smaller batches" if limit < intake.max_body_bytes else ""
            self._refuse(413, f"body of {length} bytes exceeds the limit of {limit} bytes{json_cap}")
            return
        # Bound memory: at most MAX_INFLIGHT bodies (each up to max_body_bytes) are held at once, shared
        # with OTLP/gRPC; beyond that a retryable 503 with Retry-After, as the OTLP spec asks.
        if not intake.inflight.acquire(timeout=INFLIGHT_WAIT_S):
            self._refuse(503, "too many requests in flight; retry shortly", retry_after=5)
            return
        try:
            self._post(signal, encoding, length, content_encoding == "gzip")
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nothing was acknowledged
        except Exception as exc:  # never crash the server on one request
            self._fail(500, f"internal error: {type(exc).__name__}", close=True)
        finally:
            intake.inflight.release()
            try:
                self.connection.settimeout(self.timeout)  # back to the idle timeout between requests
            except OSError:
                pass

    def _post(self, signal: Signal, encoding: Encoding, length: int, gzipped: bool) -> None:
        intake = self.server.intake
        limit = intake.max_body_bytes
        if self.headers.get("Expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # only now: a refused request never sends its body
        started = time.monotonic()
        try:
            if length < 0:
                # Claude Code v2.1.191-2.1.211 sent chunked bodies; the limit applies while reading
                body = self._read_chunked(limit, started)
            else:
                body = self._read_exact(length, self._body_deadline(length, started)) if length else b""
        except _Deadline:
            intake.warn("slow", f"OTLP/HTTP: cut off a request from {self.client_address[0]} whose body did not "
                                "arrive in time")
            self._fail(408, "the body did not arrive in time", close=True)
            return
        except TooLarge:
            self._fail(413, f"body exceeds the limit of {limit} bytes", close=True)
            return
        except ValueError as exc:
            self._fail(400, f"malformed chunked body: {exc}", close=True)
            return
        if body is None:
            self.close_connection = True
            return  # the client went away mid-body
        try:
            if gzipped:
                body = inflate(body, intake.max_json_bytes if encoding == "json" else limit)
            intake.accept(signal, body, encoding)
        except TooLarge:
            self._fail(413, f"decompressed body exceeds the limit of {limit} bytes"
                            + (f" (JSON: {intake.max_json_bytes} bytes; send protobuf or smaller batches)"
                               if encoding == "json" else ""))
            return
        except PayloadError as exc:
            self._fail(400, exc.message)
            return
        except OSError as exc:
            intake.warn("spool", f"OTLP receiver: cannot write the spool ({exc.strerror or exc}); answering "
                                 "retryable errors until it can")
            self._fail(503, f"cannot write the spool: {exc.strerror or exc}", retry_after=30)
            return
        # An empty Export*ServiceResponse: zero bytes in protobuf, "{}" in JSON.
        if encoding == "json":
            self._reply(200, b"{}", "application/json")
        else:
            self._reply(200, b"", "application/x-protobuf")


def make_server(spool_dir: Path, host: str, port: int, *, max_body_bytes: int, token: str | None,
                rotate_seconds: float | None = None, body_grace_s: float = BODY_GRACE_S,
                body_min_rate: float = BODY_MIN_RATE, log: Any = None, grpc_port: int | None = None) -> OtlpServer:
    """A bound (not yet serving) OTLP/HTTP receiver with its own intake; ``port=0`` picks a free port (tests).

    An OTLP/gRPC receiver shares it with ``GrpcReceiver(server.intake, ...)``.
    """
    kwargs: dict[str, Any] = {}
    if rotate_seconds is not None:
        kwargs["rotate_seconds"] = rotate_seconds
    intake = Intake(Spool(spool_dir, **kwargs), max_body_bytes=max_body_bytes, token=token, log=log)
    return OtlpServer((host, port), intake=intake, body_grace_s=body_grace_s, body_min_rate=body_min_rate,
                      grpc_port=grpc_port)


def check_spool_dir(spool_dir: Path, config_file: str | None) -> None:
    """Create the spool folder, or raise a ConfigError naming ``[otel] spool_dir`` and why it cannot be one.

    Checked before listening: a spool that cannot be written would answer every export with a retryable
    503, and exporters would retry into it forever.
    """
    import os

    from correlate.errors import ConfigError

    def refuse(why: str) -> ConfigError:
        return ConfigError(f"`otel.spool_dir` = {str(spool_dir)!r} {why}", path=config_file, key="otel")

    if spool_dir.exists() and not spool_dir.is_dir():
        raise refuse("is a file, not a folder: name a folder for the spooled requests (it is created if missing).")
    try:
        spool_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise refuse(f"cannot be created: {exc.strerror or exc}.") from None
    if not os.access(spool_dir, os.W_OK | os.X_OK):
        raise refuse("is not writable by this user: give write access or name another folder.")


def serve(config_path: Path, host: str = "127.0.0.1", port: int = HTTP_PORT, grpc_port: int | None = GRPC_PORT) -> None:
    """Run OTLP/HTTP on ``port`` and OTLP/gRPC on ``grpc_port`` (``None``: HTTP only) until interrupted.

    Ctrl-C or SIGTERM finishes the calls in progress and closes the open segment cleanly.
    """
    from correlate.config import load_config
    from correlate.console import console
    from correlate.errors import UsageError
    from correlate.otlp.grpc_server import GrpcReceiver

    config = load_config(config_path)
    otel = config.root.otel
    token = config.secret(otel.token_env, what="the bearer token OTLP exporters send").reveal() if (
        otel.token_env) else None
    spool_dir = config.resolve(otel.spool_dir)
    check_spool_dir(spool_dir, str(config.path) if config.path else None)
    try:
        server = make_server(spool_dir, host, port, max_body_bytes=otel.max_body_bytes, token=token)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} for OTLP/HTTP: {exc.strerror or exc}. "
                         "Pick another --port.") from None
    grpc: GrpcReceiver | None = None
    if grpc_port is not None:
        grpc = GrpcReceiver(server.intake, host, grpc_port)
        try:
            server.grpc_port = grpc.start()
        except OSError as exc:
            server.server_close()
            server.spool.close()
            raise UsageError(f"cannot listen on {host}:{grpc_port} for OTLP/gRPC: {exc.strerror or exc}. Pick "
                             "another --grpc-port, or --no-grpc.") from None

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (systemd, docker stop) closes the segment like Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    try:  # from here on, Ctrl-C or SIGTERM (even during the banner) closes the segment and says what was done
        bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
        auth = ", bearer token required" if token else ""
        console.print(f"OTLP/HTTP receiver on http://{bound_host}:{bound_port} (POST /v1/metrics, /v1/logs, "
                      f"/v1/traces; protobuf or JSON{auth})", soft_wrap=True)
        if grpc is not None:
            console.print(f"OTLP/gRPC receiver on {bound_host}:{grpc.port} (MetricsService, LogsService, TraceService"
                          f"{auth})", soft_wrap=True)
        console.print(f"Spooling to {spool_dir}. Fold into the store with: correlate sync --source otel",
                      soft_wrap=True)
        console.print("Point Claude Code at it (CLAUDE_CODE_ENABLE_TELEMETRY=1 OTEL_METRICS_EXPORTER=otlp "
                      "OTEL_LOGS_EXPORTER=otlp, plus):", soft_wrap=True)
        console.print(f"  OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json) "
                      f"OTEL_EXPORTER_OTLP_ENDPOINT=http://{bound_host}:{bound_port}", soft_wrap=True)
        if grpc is not None:
            console.print("  OTEL_EXPORTER_OTLP_PROTOCOL=grpc "
                          f"OTEL_EXPORTER_OTLP_ENDPOINT=http://{bound_host}:{grpc.port}", soft_wrap=True)
        else:
            console.print("  (OTLP/gRPC is off: exporters set to OTEL_EXPORTER_OTLP_PROTOCOL=grpc will fail)",
                          soft_wrap=True)
        if token:
            console.print("  OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer <the token>'", soft_wrap=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if grpc is not None:
            grpc.stop()
        server.server_close()
        server.spool.close()
        intake = server.intake
        traces = (f"; {intake.trace_requests:,} trace requests ({intake.spans:,} spans) validated and counted, "
                  "not stored" if intake.trace_requests else "")
        console.print(f"Stopped. Accepted {intake.accepted:,} requests, rejected {intake.rejected:,} "
                      f"({intake.spool.syncs:,} disk syncs){traces}.")
