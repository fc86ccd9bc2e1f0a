"""A raw HTTP/2 gRPC client (the ``h2`` protocol library over a socket) for what real gRPC clients never send.

Tests use it to send headers without a message, a message in slow pieces, or malformed frames, and to
read the ``grpc-status`` the receiver answers (or see that it closed the stream or connection).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions

METRICS = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def grpc_frame(message: bytes, compressed: bool = False, declared: int | None = None) -> bytes:
    """A gRPC length-prefixed message (``declared`` overrides the length, to lie about it)."""
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(message) if declared is None else declared) + message


@dataclass
class Answer:
    """How a stream ended: its ``grpc-status`` (None when it had none), message, or a reset/closed connection."""

    status: int | None = None
    message: str = ""
    reset: bool = False
    closed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class H2Client:
    """One HTTP/2 connection to ``127.0.0.1:port`` speaking gRPC framing by hand."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True,
                                                                                header_encoding="utf-8"))
        self.conn.initiate_connection()
        self._flush()
        self.answers: dict[int, Answer] = {}
        self._ended: set[int] = set()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def start(self, path: str = METRICS, metadata: list[tuple[str, str]] | None = None) -> int:
        """Open a call (headers only); returns its stream id."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                     (":authority", "127.0.0.1"), ("content-type", "application/grpc"),
                                     ("te", "trailers"), *(metadata or [])])
        self._flush()
        self.answers[sid] = Answer()
        return sid

    def send(self, sid: int, data: bytes, end: bool = False) -> bool:
        """Send body bytes on a call; False when the stream or connection is already closed."""
        try:
            self.conn.send_data(sid, data, end_stream=end)
            self._flush()
            return True
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, OSError):
            return False

    def call(self, path: str, message: bytes, metadata: list[tuple[str, str]] | None = None,
             timeout: float = 10.0) -> Answer:
        sid = self.start(path, metadata)
        self.send(sid, grpc_frame(message), end=True)
        return self.wait(sid, timeout)

    def wait(self, sid: int, timeout: float) -> Answer:
        """Read frames until stream ``sid`` ends (or ``timeout``, then the answer so far)."""
        end = time.monotonic() + timeout
        while sid not in self._ended and not self.answers[sid].closed:
            left = end - time.monotonic()
            if left <= 0:
                break
            if not self.poll(left):
                break
        return self.answers[sid]

    def poll(self, timeout: float) -> bool:
        """Read what arrives within ``timeout``; False once the connection is closed."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        except OSError:
            data = b""
        if not data:
            for answer in self.answers.values():
                answer.closed = True
            return False
        for event in self.conn.receive_data(data):
            sid = getattr(event, "stream_id", None)
            answer = self.answers.get(sid) if sid is not None else None
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)) and answer is not None:
                for name, value in event.headers:
                    answer.headers[str(name)] = str(value)
                if "grpc-status" in answer.headers:
                    answer.status = int(answer.headers["grpc-status"])
                    answer.message = answer.headers.get("grpc-message", "")
            elif isinstance(event, h2.events.DataReceived) and sid is not None:
                self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
            elif isinstance(event, h2.events.StreamEnded) and sid is not None:
                self._ended.add(sid)
            elif isinstance(event, h2.events.StreamReset) and answer is not None and sid is not None:
                answer.reset = True
                self._ended.add(sid)
            elif isinstance(event, h2.events.ConnectionTerminated):
                for a in self.answers.values():
                    a.closed = True
        try:
            self._flush()
        except OSError:
            pass
        return True

    def close(self) -> None:
        try:
            self.conn.close_connection()
            self._flush()
        except Exception:  # noqa: BLE001 - closing a connection the server may have closed already
            pass
        self.sock.close()
