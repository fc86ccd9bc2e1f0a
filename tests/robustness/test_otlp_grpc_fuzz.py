"""A bounded fuzz of the real OTLP/gRPC receiver: hypothesis-built HTTP/2 calls (raw frames), no server faults.

The receiver (``correlate.otlp.grpc_server.GrpcReceiver``) runs on 127.0.0.1 over its own spool. Each
example is one connection (the ``h2`` protocol library, tests/otlp/h2wire.py) carrying a call with a
random path, metadata (authorization variants, ``grpc-encoding`` good and bad, odd content types) and
body: valid protobuf (HAND-BUILT Claude Code payloads, tests/otlp_payloads.py), damaged, random bytes,
too large, a gzip bomb or empty, framed correctly or not (a length prefix that lies either way, a
compressed flag without an encoding, two messages, none, no end of stream).

Asserted: no answer is a server fault (``UNKNOWN``, ``INTERNAL``, ``DATA_LOSS``; ``UNAVAILABLE`` only
ever means "retry" and the spool works here, so it is not expected either) except where gRPC itself
reports a client's broken framing; the spool holds exactly the calls answered ``OK``, each a valid
request; and a valid call is still served afterwards. The histogram of answers is printed
(``pytest -s``): ``None`` counts calls left unanswered (the client never finished its message).
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import PayloadError
from connectors.otlp import parse_request
from correlate.otlp.grpc_server import GrpcReceiver
from correlate.otlp.server import make_server
from correlate.otlp.spool import read_records, segments
from tests.otlp.h2wire import LOGS, METRICS, TRACES, H2Client, grpc_frame
from tests.otlp_payloads import api_request, day_of_usage, logs_request, metrics_request

LIMIT = 64 * 1024
TOKEN = "grpc-fuzz-token-not-real"  # noqa: S105 - a test value, not a secret
VALID = {
    METRICS: metrics_request(day_of_usage()).SerializeToString(),
    LOGS: logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)]).SerializeToString(),
    TRACES: b"",
}
OK, UNAVAILABLE = grpc.StatusCode.OK.value[0], grpc.StatusCode.UNAVAILABLE.value[0]
FAULTS = {grpc.StatusCode.UNKNOWN.value[0], grpc.StatusCode.INTERNAL.value[0], grpc.StatusCode.DATA_LOSS.value[0],
          UNAVAILABLE}
# gRPC's own answers (INTERNAL, before the receiver sees the call) to a client's broken message framing
GRPC_FRAMING_ERRORS = {"Compression bit set but no encoding configured", "Error parsing 'grpc-encoding' metadata",
                       "Decompression failed due to data error", "Decompression failed due to zlib error"}


@dataclass
class Call:
    path: str
    metadata: list[tuple[str, str]]
    data: bytes
    end: bool
    message_complete: bool  # one whole, correctly framed message was sent and the stream ended

    def __repr__(self) -> str:
        return f"Call({self.path}, {self.metadata}, {len(self.data)} bytes: {self.data[:60]!r}, end={self.end})"


@st.composite
def calls(draw: st.DrawFn) -> Call:
    path = draw(st.sampled_from([METRICS, LOGS] * 6 + [
        TRACES, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Nope", "/x/Export", "/", METRICS.lower()]))
    metadata: list[tuple[str, str]] = []
    if draw(st.booleans()):
        metadata.append(("authorization", draw(st.sampled_from([f"Bearer {TOKEN}", f"bearer {TOKEN}", "Bearer wrong",
                                                                 "", f"Basic {TOKEN}", f"Bearer  {TOKEN} "]))))
    encoding = draw(st.sampled_from([None] * 6 + ["gzip", "gzip", "identity", "br", "GZIP"]))
    if encoding is not None:
        metadata.append(("grpc-encoding", encoding))
    kind = draw(st.sampled_from(["valid", "valid", "valid", "damaged", "random", "empty", "large", "bomb"]))
    if kind == "valid":
        body = VALID.get(path, VALID[METRICS])
    elif kind == "damaged":
        raw = bytearray(VALID[METRICS])
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        body = bytes(raw[:draw(st.integers(0, len(raw)))])
    elif kind == "random":
        body = draw(st.binary(max_size=300))
    elif kind == "empty":
        body = b""
    elif kind == "large":
        body = b"\0" * (LIMIT + 1)
    else:
        body = b"\0" * (16 * LIMIT)
    compressed = encoding is not None and encoding.lower() == "gzip" and draw(st.booleans())
    if compressed or kind == "bomb":
        body = gzip.compress(body)
        compressed = True
    framing = draw(st.sampled_from(["one"] * 12 + ["short", "long", "two", "none", "no-end", "flag-without-encoding"]))
    complete, end = framing == "one", framing != "no-end"
    if framing in ("one", "no-end"):
        data = grpc_frame(body, compressed=compressed)
    elif framing == "short":  # the prefix announces fewer bytes than follow
        data = grpc_frame(body, compressed=compressed, declared=max(0, len(body) - draw(st.integers(1, 50))))
    elif framing == "long":  # it announces more than will ever come
        data = grpc_frame(body, compressed=compressed, declared=len(body) + draw(st.integers(1, 5000)))
    elif framing == "two":
        data = grpc_frame(body, compressed=compressed) * 2
    elif framing == "none":
        data = b""
    else:
        data = grpc_frame(body, compressed=True)
    return Call(path, metadata, data, end, complete)


def spooled(spool_dir: Path) -> list[tuple[str, bytes]]:
    return [(r.signal, r.body) for seg in segments(spool_dir) for r in read_records(seg)]


@pytest.fixture(params=[None, TOKEN], ids=["open", "token"])
def receiver(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[int, Path, str | None]]:
    spool_dir = tmp_path / "spool"
    server = make_server(spool_dir, "127.0.0.1", 0, max_body_bytes=LIMIT, token=request.param, log=lambda _: None)
    grpc_receiver = GrpcReceiver(server.intake, "127.0.0.1", 0, body_deadline_s=0.5)
    port = grpc_receiver.start()
    try:
        yield port, spool_dir, request.param
    finally:
        grpc_receiver.stop()
        server.server_close()
        server.spool.close()


def test_fuzzed_grpc_calls_never_get_a_server_fault(receiver: tuple[int, Path, str | None]) -> None:
    port, spool_dir, token = receiver
    histogram: Counter[int | None] = Counter()
    acknowledged: list[str] = []

    @settings(max_examples=150 if token is None else 50, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(calls())
    def one(call: Call) -> None:
        client = H2Client(port)
        try:
            sid = client.start(call.path, call.metadata)
            client.send(sid, call.data, end=call.end)
            answer = client.wait(sid, 3.0 if call.message_complete else 1.0)
        finally:
            client.close()
        histogram[answer.status] += 1
        # the receiver itself never answers INTERNAL (an exception escaping it would be UNKNOWN): INTERNAL is
        # gRPC's answer to framing it cannot read, so it is allowed for broken framing and gRPC's known messages
        core = answer.status == grpc.StatusCode.INTERNAL.value[0] and (
            not call.message_complete or answer.message in GRPC_FRAMING_ERRORS)
        assert answer.status not in FAULTS or core, (answer, call)
        if answer.status is None:
            assert not call.message_complete, (answer, call)  # every complete call is answered
        if answer.status == OK:
            signal = {METRICS: "metrics", LOGS: "logs", TRACES: "traces"}[call.path]
            if signal != "traces":
                acknowledged.append(signal)
        assert [s for s, _ in spooled(spool_dir)] == acknowledged, (answer, call)

    one()
    for signal, body in spooled(spool_dir):
        try:
            parse_request(signal, body, "protobuf")  # type: ignore[arg-type]
        except PayloadError as exc:
            raise AssertionError(f"the spool holds an invalid {signal} request: {exc}") from None
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        metadata = [("authorization", f"Bearer {token}")] if token else None
        assert channel.unary_unary(METRICS)(VALID[METRICS], timeout=10, metadata=metadata) == b""
    print(f"\nOTLP/gRPC receiver fuzz{' (bearer token)' if token else ''}: {sum(histogram.values())} calls, "
          f"{len(acknowledged)} spooled, grpc-status histogram {dict(histogram)}")
    assert histogram[OK] > 0  # the fuzz reached the parser and the spool
    if token:
        assert histogram[grpc.StatusCode.UNAUTHENTICATED.value[0]] > 0
    else:
        assert histogram[grpc.StatusCode.INVALID_ARGUMENT.value[0]] > 0
