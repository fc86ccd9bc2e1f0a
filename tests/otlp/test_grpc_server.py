"""The OTLP/gRPC receiver as a real server on 127.0.0.1: services, status codes, token, limits, slow clients.

Real gRPC clients (grpcio channels) for what they send; a raw HTTP/2 client (tests/otlp/h2wire.py) for
calls real clients never make (headers without a message, a message trickled in pieces). Claude Code
payloads are HAND-BUILT from the documented shapes (tests/otlp_payloads.py).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from correlate.otlp.grpc_server import GrpcReceiver
from correlate.otlp.intake import MAX_INFLIGHT
from correlate.otlp.server import OtlpServer, make_server
from correlate.otlp.spool import read_records, segments
from tests.otlp.h2wire import LOGS, METRICS, TRACES, H2Client, grpc_frame
from tests.otlp_payloads import api_request, day_of_usage, logs_request, metrics_request

TOKEN = "grpc-t0ken-for-tests"  # noqa: S105 - a test value, not a secret
AUTH = [("authorization", f"Bearer {TOKEN}")]
LIMIT = 256 * 1024


@contextmanager
def serving(tmp_path: Path, token: str | None = TOKEN, **kwargs: Any) -> Iterator[tuple[OtlpServer, int, list[str]]]:
    """OTLP/HTTP (not serving) and OTLP/gRPC over one intake; yields the HTTP server, the gRPC port, the log."""
    logged: list[str] = []
    server = make_server(tmp_path / "spool", "127.0.0.1", 0, max_body_bytes=LIMIT, token=token, log=logged.append)
    receiver = GrpcReceiver(server.intake, "127.0.0.1", 0, **kwargs)
    port = receiver.start()
    try:
        yield server, port, logged
    finally:
        receiver.stop()
        server.server_close()
        server.spool.close()


def spooled(tmp_path: Path) -> list[tuple[str, bytes]]:
    return [(r.signal, r.body) for seg in segments(tmp_path / "spool") for r in read_records(seg)]


def export(port: int, path: str, body: bytes, metadata: list[tuple[str, str]] | None = AUTH,
           compression: grpc.Compression | None = None) -> grpc.RpcError | bytes:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            return channel.unary_unary(path)(body, timeout=10, metadata=metadata, compression=compression)  # type: ignore[no-any-return]
        except grpc.RpcError as exc:
            return exc


def test_metrics_logs_and_traces_are_accepted_into_the_one_spool(tmp_path: Path) -> None:
    metrics = metrics_request(day_of_usage()).SerializeToString()
    logs = logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)]).SerializeToString()
    traces = ExportTraceServiceRequest()
    traces.resource_spans.add().scope_spans.add().spans.add(name="claude_code.interaction")
    with serving(tmp_path) as (server, port, _):
        assert export(port, METRICS, metrics) == b""  # an empty Export*ServiceResponse
        assert export(port, LOGS, logs) == b""
        assert export(port, METRICS, metrics, compression=grpc.Compression.Gzip) == b""
        assert export(port, TRACES, traces.SerializeToString()) == b""
        assert (server.intake.accepted, server.intake.trace_requests, server.intake.spans) == (4, 1, 1)
    assert spooled(tmp_path) == [("metrics", metrics), ("logs", logs), ("metrics", metrics)]  # traces: counted only


def test_status_codes_say_what_is_wrong_and_whether_to_retry(tmp_path: Path) -> None:
    body = metrics_request(day_of_usage()).SerializeToString()
    with serving(tmp_path) as (server, port, logged):
        none = export(port, METRICS, body, metadata=None)
        wrong = export(port, METRICS, body, metadata=[("authorization", "Bearer nope")])
        lower = export(port, METRICS, body, metadata=[("authorization", f"bearer {TOKEN}")])
        garbage = export(port, METRICS, b"\x0a\xff\xff\xff\xff garbage")
        large = export(port, METRICS, b"\0" * (LIMIT + 1))
        bomb = export(port, METRICS, b"\0" * (64 * LIMIT), compression=grpc.Compression.Gzip)
        unknown = export(port, "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", b"")

        class Broken:
            def append(self, *args: object) -> None:
                raise OSError(28, "No space left on device")

        real = server.intake.spool
        server.intake.spool = Broken()  # type: ignore[assignment]  # a write that fails, without filling a disk
        try:
            full = export(port, METRICS, body)
        finally:
            server.intake.spool = real
    codes = [e.code() if isinstance(e, grpc.RpcError) else "OK" for e in
             (none, wrong, lower, garbage, large, bomb, unknown, full)]
    assert codes == [grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNAUTHENTICATED, "OK",
                     grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED,
                     grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE]
    assert isinstance(full, grpc.RpcError) and "No space left" in full.details()
    retry = RetryInfo.FromString(dict(full.trailing_metadata())["google.rpc.retryinfo-bin"])
    assert retry.retry_delay.seconds == 30  # the OTLP/gRPC form of Retry-After
    assert isinstance(none, grpc.RpcError) and TOKEN not in none.details()
    assert spooled(tmp_path) == [("metrics", body)]
    assert any("without the right bearer token" in line for line in logged)
    assert any("cannot write the spool" in line for line in logged)


def test_unauthenticated_calls_are_refused_before_their_message_is_read(tmp_path: Path) -> None:
    # more unauthenticated calls than there are slots, each holding its message back: every one is answered
    # UNAUTHENTICATED at once, and a good call is served meanwhile
    body = metrics_request(day_of_usage()).SerializeToString()
    with serving(tmp_path) as (_, port, _logged):
        clients = [H2Client(port) for _ in range(MAX_INFLIGHT + 4)]
        try:
            sids = [c.start(METRICS) for c in clients]
            for c, sid in zip(clients, sids, strict=True):
                c.send(sid, grpc_frame(b"\0" * 10, declared=100_000))  # a message announced, never finished
            answers = [c.wait(sid, 5) for c, sid in zip(clients, sids, strict=True)]
            started = time.monotonic()
            assert export(port, METRICS, body) == b""
            assert time.monotonic() - started < 2
        finally:
            for c in clients:
                c.close()
    assert [a.status for a in answers] == [grpc.StatusCode.UNAUTHENTICATED.value[0]] * len(clients)


def test_a_trickled_message_is_cut_off_by_a_deadline(tmp_path: Path) -> None:
    body = metrics_request(day_of_usage()).SerializeToString()
    with serving(tmp_path, body_deadline_s=1.0) as (_, port, logged):
        clients = [H2Client(port) for _ in range(MAX_INFLIGHT)]
        stop = threading.Event()

        def trickle(c: H2Client, sid: int) -> None:
            c.send(sid, grpc_frame(b"", declared=1000))
            while not stop.is_set() and c.send(sid, b"\0"):
                c.poll(0.3)
                if c.answers[sid].status is not None or c.answers[sid].closed or c.answers[sid].reset:
                    return

        try:
            sids = [c.start(METRICS, AUTH) for c in clients]
            threads = [threading.Thread(target=trickle, args=(c, sid), daemon=True)
                       for c, sid in zip(clients, sids, strict=True)]
            started = time.monotonic()
            for t in threads:
                t.start()
            assert export(port, METRICS, body) == b""  # the trickles hold no in-flight slot
            for t in threads:
                t.join(timeout=5)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            for c in clients:
                c.close()
    assert [c.answers[sid].status for c, sid in zip(clients, sids, strict=True)] == [
        grpc.StatusCode.DEADLINE_EXCEEDED.value[0]] * MAX_INFLIGHT
    assert elapsed < 4
    assert any("did not arrive within 1 s" in line for line in logged)
    assert spooled(tmp_path) == [("metrics", body)]


def test_a_gzip_message_is_inflated_by_grpc_within_the_limit(tmp_path: Path) -> None:
    # grpc-encoding gzip: gRPC inflates it before the receiver sees it, and refuses past the limit
    body = metrics_request(day_of_usage()).SerializeToString()
    with serving(tmp_path, token=None) as (_, port, _logged):
        client = H2Client(port)
        try:
            sid = client.start(METRICS, [("grpc-encoding", "gzip")])
            client.send(sid, grpc_frame(gzip.compress(body), compressed=True), end=True)
            ok = client.wait(sid, 5)
            sid = client.start(METRICS, [("grpc-encoding", "gzip")])
            client.send(sid, grpc_frame(gzip.compress(b"\0" * (8 * LIMIT)), compressed=True), end=True)
            bomb = client.wait(sid, 5)
        finally:
            client.close()
    assert (ok.status, bomb.status) == (0, grpc.StatusCode.RESOURCE_EXHAUSTED.value[0])
    assert spooled(tmp_path) == [("metrics", body)]


def test_a_port_in_use_is_an_error_not_a_shared_port(tmp_path: Path) -> None:
    # gRPC sets SO_REUSEPORT by default: a second receiver would silently share the port and half the exports
    # would land in another spool
    with serving(tmp_path) as (server, port, _):
        second = GrpcReceiver(server.intake, "127.0.0.1", port)
        with pytest.raises(OSError):
            second.start()
