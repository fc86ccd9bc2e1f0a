"""What the two OTLP receivers share: the spool, the bearer token, the limits, the counters and the log.

``correlate serve-otlp`` runs OTLP/HTTP (:mod:`correlate.otlp.server`) and OTLP/gRPC
(:mod:`correlate.otlp.grpc_server`) over one :class:`Intake`, so both take the same token, refuse the
same sizes, share the same in-flight slots (the bound on memory and parsing work) and append to the
same durable spool.
"""

from __future__ import annotations

import hmac
import sys
import threading
import time
import zlib
from collections.abc import Callable
from datetime import datetime

from connectors.errors import PayloadError
from connectors.otlp import Encoding, Signal, parse_request
from correlate.otlp.spool import Spool

__all__ = ["Intake", "TooLarge", "inflate", "MAX_INFLIGHT", "MAX_JSON_BYTES"]

MAX_INFLIGHT = 16  # requests whose bodies are read, validated and spooled at once (both receivers together)
INFLIGHT_WAIT_S = 30.0  # a request waits this long for a slot, then gets a retryable 503 / UNAVAILABLE
# Decoded OTLP/JSON costs ~7x its size in Python objects while it is parsed (measured: tests/otlp), so JSON
# bodies are capped well below max_body_bytes, and only a few large ones are parsed at once (parsing holds
# the GIL, so more in parallel would not be faster, only larger). A Collector batch of 8,192 Claude Code
# points is ~6 MB of JSON; an exporter's own request a few KB.
MAX_JSON_BYTES = 16 * 1024 * 1024
_LARGE_JSON = 1024 * 1024
_JSON_PARSERS = 2
_INFLATE_CHUNK = 64 * 1024
_WARN_EVERY_S = 60.0  # one line per kind of warning a minute at most: a misconfigured fleet must not flood


class TooLarge(Exception):
    """The body (before or after decompression) exceeds the limit."""


def inflate(body: bytes | bytearray, limit: int) -> bytes:
    """Decompress a gzip body, refusing output larger than ``limit`` bytes (gzip-bomb safe).

    Raises:
        TooLarge: the inflated body would exceed ``limit``.
        PayloadError: the body is not valid gzip.
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    data: bytes | bytearray = body
    try:
        while True:
            chunk = d.decompress(data, _INFLATE_CHUNK)
            out += chunk
            if len(out) > limit:
                raise TooLarge()
            data = d.unconsumed_tail
            if d.eof or (not data and not chunk):
                break
        if not d.eof:
            raise PayloadError("gzip body is truncated", source="otel")
    except zlib.error as exc:
        raise PayloadError(f"body is not valid gzip: {exc}", source="otel") from None
    return bytes(out)


def _stderr_line(text: str) -> None:
    print(f"{datetime.now().isoformat(timespec='seconds')} {text}", file=sys.stderr, flush=True)


class Intake:
    """The receivers' common state: spool, token, limits, in-flight slots, counters and warnings.

    Attributes:
        accepted, rejected: requests answered 200 / OK and otherwise (both receivers).
        trace_requests, spans: ``/v1/traces`` requests accepted (validated and counted, not stored:
            nothing in correlate reads spans yet) and the spans they held.
    """

    def __init__(self, spool: Spool, *, max_body_bytes: int, token: str | None,
                 log: Callable[[str], None] | None = None) -> None:
        self.spool = spool
        self.max_body_bytes = max_body_bytes
        self.max_json_bytes = min(max_body_bytes, MAX_JSON_BYTES)
        self.token = token
        self.inflight = threading.BoundedSemaphore(MAX_INFLIGHT)
        self.accepted = self.rejected = self.trace_requests = self.spans = 0
        self._json = threading.BoundedSemaphore(_JSON_PARSERS)
        self._lock = threading.Lock()
        self._log = log or _stderr_line
        self._warned: dict[str, tuple[float, int]] = {}  # kind -> (last time logged, repeats not logged since)

    def authorized(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` value (HTTP header or gRPC metadata) carries the token.

        The scheme is case-insensitive (RFC 9110 §11.1): ``bearer`` is ``Bearer``.
        """
        if self.token is None:
            return True
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        ok = hmac.compare_digest(credentials.strip().encode("utf-8", "replace"), self.token.encode("utf-8"))
        return scheme.lower() == "bearer" and ok

    def accept(self, signal: Signal, body: bytes | bytearray, encoding: Encoding) -> None:
        """Validate one decompressed export request and append it to the spool (traces: count it).

        Returns only when the request is on disk. JSON is spooled as the protobuf encoding of the
        validated message: the fold then never re-parses JSON (protobuf's pure-Python JSON parser is
        ~10x slower than its binary one), and the hex-id and int64 quirks are settled once, here.

        Raises:
            PayloadError: the body is not a valid request of that kind (answer 400 / INVALID_ARGUMENT).
            TooLarge: a JSON body over the JSON cap (413 / RESOURCE_EXHAUSTED).
            OSError: the spool could not be written (retryable: 503 / UNAVAILABLE).
        """
        if signal == "traces":
            self._count_spans(body, encoding)
            return
        if encoding == "json":
            if len(body) > self.max_json_bytes:
                raise TooLarge()
            if len(body) > _LARGE_JSON:
                with self._json:
                    msg = parse_request(signal, body, encoding)
            else:
                msg = parse_request(signal, body, encoding)
            stored: bytes | bytearray = msg.SerializeToString()
            del msg
        else:
            parse_request(signal, body, encoding)
            stored = body  # protobuf bodies are spooled as received
        self.spool.append(signal, "protobuf", bytes(stored) if isinstance(stored, bytearray) else stored)

    def _count_spans(self, body: bytes | bytearray, encoding: Encoding) -> None:
        if encoding == "json" and len(body) > self.max_json_bytes:
            raise TooLarge()
        msg = parse_request("traces", body, encoding)
        spans = sum(len(ss.spans) for rs in msg.resource_spans for ss in rs.scope_spans)
        with self._lock:
            self.trace_requests += 1
            self.spans += spans

    def count(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.accepted += 1
            else:
                self.rejected += 1

    def warn(self, kind: str, message: str) -> None:
        """Log ``message`` (never a body, token or prompt), at most once a minute per ``kind``."""
        now = time.monotonic()
        with self._lock:
            last, repeats = self._warned.get(kind, (-_WARN_EVERY_S, 0))
            if now - last < _WARN_EVERY_S:
                self._warned[kind] = (last, repeats + 1)
                return
            self._warned[kind] = (now, 0)
        self._log(message + (f" ({repeats:,} more like it since the last such line)" if repeats else ""))

