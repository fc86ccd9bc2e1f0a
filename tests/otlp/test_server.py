"""The OTLP/HTTP receiver as a real server on 127.0.0.1: formats, limits, auth, durability.

Claude Code payloads here are HAND-BUILT from the documented shapes (tests/otlp_payloads.py).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from connectors.otlp import log_events, parse_request
from correlate.config import from_mapping
from correlate.ingest.otel import fold_spool
from correlate.otlp.server import MAX_INFLIGHT, OtlpServer, make_server
from correlate.otlp.spool import read_records, segments
from correlate.store import Store
from tests.otlp_payloads import T0, Point, api_request, day_of_usage, logs_request, metrics_request, to_json

ROOT = Path(__file__).resolve().parents[2]
PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[OtlpServer, str]]:
    server = make_server(tmp_path / "spool", "127.0.0.1", 0, max_body_bytes=256 * 1024, token=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield server, f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        server.spool.close()


def _spooled(spool_dir: Path) -> list[tuple[str, str, bytes]]:
    return [(r.signal, r.encoding, r.body) for seg in segments(spool_dir) for r in read_records(seg)]


def test_accepts_protobuf_json_and_gzip_and_answers_in_the_request_content_type(
        receiver: tuple[OtlpServer, str], tmp_path: Path) -> None:
    server, url = receiver
    metrics = metrics_request(day_of_usage()).SerializeToString()
    logs_json = to_json(logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)]))
    with httpx.Client(base_url=url) as client:
        r1 = client.post("/v1/metrics", content=metrics, headers=PB)
        r2 = client.post("/v1/logs", content=logs_json, headers=JS)
        r3 = client.post("/v1/metrics", content=gzip.compress(metrics), headers={**PB, "Content-Encoding": "gzip"})
        r4 = client.post("/v1/logs", content=gzip.compress(logs_json),
                         headers={"Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip"})
    assert [r.status_code for r in (r1, r2, r3, r4)] == [200, 200, 200, 200]
    assert r1.headers["content-type"] == "application/x-protobuf" and r1.content == b""
    assert r2.headers["content-type"] == "application/json" and r2.json() == {}
    # the spool holds the validated, decompressed requests in arrival order; JSON as the protobuf of the
    # validated message, which decodes to the same rows
    logs_pb = parse_request("logs", logs_json, "json").SerializeToString()
    assert _spooled(tmp_path / "spool") == [("metrics", "protobuf", metrics), ("logs", "protobuf", logs_pb),
                                            ("metrics", "protobuf", metrics), ("logs", "protobuf", logs_pb)]
    assert list(log_events(parse_request("logs", logs_pb, "protobuf"))) == list(
        log_events(parse_request("logs", logs_json, "json")))


def test_garbage_gets_400_with_a_reason_and_nothing_is_spooled(receiver: tuple[OtlpServer, str],
                                                               tmp_path: Path) -> None:
    _, url = receiver
    with httpx.Client(base_url=url) as client:
        r1 = client.post("/v1/metrics", content=b"\x0a\xff\xff\xff\xff garbage", headers=PB)
        r2 = client.post("/v1/logs", content=b"{nope", headers=JS)
        r3 = client.post("/v1/logs", content=b"not gzip at all", headers={**JS, "Content-Encoding": "gzip"})
        ok = client.post("/v1/metrics", content=metrics_request(day_of_usage()).SerializeToString(), headers=PB)
    assert (r1.status_code, r2.status_code, r3.status_code) == (400, 400, 400)
    assert "protobuf" in r1.text and "JSON" in r2.text and "gzip" in r3.text
    assert ok.status_code == 200  # the server carried on
    assert len(_spooled(tmp_path / "spool")) == 1


def test_oversized_bodies_get_413_before_and_after_decompression(receiver: tuple[OtlpServer, str],
                                                                 tmp_path: Path) -> None:
    _, url = receiver
    big = b"\x00" * (300 * 1024)  # over the 256 KiB limit
    bomb = gzip.compress(b"\x00" * (50 * 1024 * 1024))  # ~50 KB on the wire, 50 MiB inflated
    assert len(bomb) < 256 * 1024
    with httpx.Client(base_url=url) as client:
        r1 = client.post("/v1/metrics", content=big, headers=PB)
        r2 = client.post("/v1/metrics", content=bomb, headers={**PB, "Content-Encoding": "gzip"})
        ok = client.post("/v1/logs", content=to_json(logs_request([])), headers=JS)
    assert (r1.status_code, r2.status_code) == (413, 413)
    assert "decompressed" in r2.text
    assert ok.status_code == 200
    assert len(_spooled(tmp_path / "spool")) == 1


def test_bearer_token_is_required_when_configured(tmp_path: Path) -> None:
    server = make_server(tmp_path / "spool", "127.0.0.1", 0, max_body_bytes=1 << 20, token="s3cret-token")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    body = metrics_request(day_of_usage()).SerializeToString()
    try:
        with httpx.Client(base_url=f"http://{host}:{port}") as client:
            none = client.post("/v1/metrics", content=body, headers=PB)
            wrong = client.post("/v1/metrics", content=body, headers={**PB, "Authorization": "Bearer nope"})
            right = client.post("/v1/metrics", content=body, headers={**PB, "Authorization": "Bearer s3cret-token"})
    finally:
        server.shutdown()
        server.server_close()
        server.spool.close()
    assert (none.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert "s3cret" not in none.text + wrong.text
    assert len(_spooled(tmp_path / "spool")) == 1


def test_other_paths_methods_and_content_types_are_refused(receiver: tuple[OtlpServer, str]) -> None:
    _, url = receiver
    with httpx.Client(base_url=url) as client:
        assert client.post("/v1/profiles", content=b"", headers=PB).status_code == 404
        assert client.get("/v1/metrics").status_code == 405
        assert client.post("/v1/metrics", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "correlate.toml"
    cfg.write_text('[store]\npath = "store.duckdb"\n[otel]\nspool_dir = "spool"\nteam_attribute = "team.id"\n')
    return cfg


def test_sigkill_between_spool_write_and_sync_loses_nothing(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    sent = 0
    with subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(cfg), "serve-otlp", "--port", "0",
                           "--grpc-port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=tmp_path) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            line = proc.stdout.readline()
            assert "OTLP/HTTP receiver on http://127.0.0.1:" in line, line + proc.stderr.read()
            url = line.split(" on ")[1].split()[0]
            with httpx.Client(base_url=url) as client:
                for i in range(20):
                    # 20 requests of cumulative commit counts from one session: 1, 2, ..., 20 (delta 1 each)
                    body = metrics_request([Point("claude_code.commit.count", float(i + 1), {"session.id": "k"},
                                                  time_ns=T0 + i * 1_000_000_000)], temporality=2)
                    r = client.post("/v1/metrics", content=body.SerializeToString(), headers=PB)
                    assert r.status_code == 200
                    sent += 1
        finally:
            proc.send_signal(signal.SIGKILL)  # no clean shutdown: the segment stays .open and unrotated
            proc.wait(timeout=10)
    assert [p.suffix for p in segments(tmp_path / "spool")] == [".open"]
    config = from_mapping({"otel": {"spool_dir": str(tmp_path / "spool")}}, path=None)
    with Store.open(tmp_path / "store.duckdb") as store:
        stats = fold_spool(store, config.resolve(config.root.otel.spool_dir), tz="UTC", team_attribute="team.id")
        assert stats.requests == sent == 20
        (commits,) = store.con.execute("SELECT sum(commits) FROM ai_usage_daily").fetchone()  # type: ignore[misc]
        assert commits == 20
    assert segments(tmp_path / "spool") == []  # the orphaned segment was closed, folded and removed


def test_concurrent_requests_are_all_spooled_intact(receiver: tuple[OtlpServer, str], tmp_path: Path) -> None:
    _, url = receiver
    bodies = [metrics_request([Point("claude_code.commit.count", float(i), {"session.id": f"s{i}"})])
              .SerializeToString() for i in range(40)]
    statuses: list[int] = []

    def send(chunk: list[bytes]) -> None:
        with httpx.Client(base_url=url) as client:
            statuses.extend(client.post("/v1/metrics", content=b, headers=PB).status_code for b in chunk)

    threads = [threading.Thread(target=send, args=(bodies[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 40
    assert sorted(b for _, _, b in _spooled(tmp_path / "spool")) == sorted(bodies)


def test_chunked_bodies_are_accepted_and_limited(receiver: tuple[OtlpServer, str], tmp_path: Path) -> None:
    # Claude Code v2.1.191-2.1.211 sent chunked request bodies (sources.md §3); an iterator body makes httpx chunk
    _, url = receiver
    body = metrics_request(day_of_usage()).SerializeToString()
    with httpx.Client(base_url=url) as client:
        ok = client.post("/v1/metrics", content=iter([body[:100], body[100:]]), headers=PB)
        big = client.post("/v1/metrics", content=iter([b"\x00" * 100_000] * 4), headers=PB)
    assert ok.request.headers.get("transfer-encoding") == "chunked"
    assert (ok.status_code, big.status_code) == (200, 413)
    assert [b for _, _, b in _spooled(tmp_path / "spool")] == [body]


def test_sigterm_stops_the_receiver_cleanly_and_closes_its_segment(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(cfg), "serve-otlp", "--port", "0",
                           "--grpc-port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=tmp_path) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        grpc_line = proc.stdout.readline()
        assert grpc_line.startswith("OTLP/gRPC receiver on 127.0.0.1:"), grpc_line
        grpc_port = int(grpc_line.split(" on ")[1].split()[0].rsplit(":", 1)[1])
        banner = [line, grpc_line]
        while "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" not in banner[-1]:  # the banner's last line (no token set)
            banner.append(proc.stdout.readline())
            assert banner[-1], banner
        body = metrics_request(day_of_usage()).SerializeToString()
        assert httpx.post(f"{url}/v1/metrics", content=body, headers=PB).status_code == 200
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
            assert export(body, timeout=10) == b""  # an empty ExportMetricsServiceResponse
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    # the banner says how to point Claude Code at each port
    said = "".join(banner)
    assert f"OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{grpc_port}" in said
    assert f"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json) OTEL_EXPORTER_OTLP_ENDPOINT={url}" in said
    assert "Accepted 2 requests" in out  # one over each protocol, into the one spool
    assert [p.suffix for p in segments(tmp_path / "spool")] == [".seg"]


def test_a_spool_that_cannot_be_written_gets_a_retryable_503(receiver: tuple[OtlpServer, str]) -> None:
    server, url = receiver

    class Broken:
        def append(self, *args: object) -> None:
            raise OSError(28, "No space left on device")

    real = server.intake.spool
    server.intake.spool = Broken()  # type: ignore[assignment]  # a write that fails, without filling a disk
    try:
        r = httpx.post(f"{url}/v1/metrics", content=metrics_request(day_of_usage()).SerializeToString(), headers=PB)
    finally:
        server.intake.spool = real
    assert r.status_code == 503 and r.headers["retry-after"] == "30" and "No space left" in r.text


def _raw(url: str, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes or 2 s of silence (header parsing is below httpx)."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.sendall(request)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and (b" 100 " not in out.split(b"\r\n", 1)[0]):
                    break
        except TimeoutError:
            pass
    return out


def test_request_headers_are_read_with_the_stdlib_limits_and_meanings(receiver: tuple[OtlpServer, str],
                                                                      tmp_path: Path) -> None:
    # the receiver reads headers itself (the stdlib's email parser was the largest cost of a small export)
    _, url = receiver
    body = metrics_request(day_of_usage()).SerializeToString()
    post = b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n"
    ok = _raw(url, post + b"content-type: application/x-protobuf\r\nCONTENT-LENGTH: %d\r\nConnection: close\r\n\r\n"
              % len(body) + body)
    assert ok.startswith(b"HTTP/1.1 200 ") and b"Connection: close\r\n" in ok  # names are case-insensitive
    assert b"Date: " in ok and ok.endswith(b"Content-Length: 0\r\n\r\n")
    many = b"".join(b"X-%d: y\r\n" % i for i in range(101))
    assert _raw(url, post + many + b"\r\n").startswith(b"HTTP/1.1 431 ")  # the stdlib allows 100 headers
    assert _raw(url, post + b"X: " + b"y" * 70_000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 ")
    folded = _raw(url, post + b"Content-Type: application/x-protobuf\r\n Content-Length: 5\r\n\r\n")
    assert folded.startswith(b"HTTP/1.1 400 ")  # obsolete line folding is refused (RFC 9112 §5.2)
    assert _raw(url, post + b"Content-Type : application/x-protobuf\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    expect = _raw(url, post + b"Content-Type: application/x-protobuf\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    assert expect.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    brew = _raw(url, b"BREW /v1/metrics HTTP/1.1\r\n\r\n")  # the stdlib's path, but never a 5xx
    assert brew.startswith(b"HTTP/1.1 405 ") and b"Allow: POST\r\n" in brew
    # another HTTP version gets a status line (the stdlib answered with a bare page), never a 5xx
    v2 = _raw(url, b"POST /v1/metrics HTTP/2.0\r\n\r\n")
    assert v2.startswith(b"HTTP/1.1 400 ") and b"Connection: close\r\n" in v2 and b"505" not in v2
    assert [b for _, _, b in _spooled(tmp_path / "spool")] == [body, body]


# -- limits that hold against slow or crafted requests ------------------------------------------------------
TOKEN = "t0ken-for-tests"  # noqa: S105 - a test value, not a secret
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def _serving(tmp_path: Path, **kwargs: Any) -> Iterator[tuple[OtlpServer, int, list[str]]]:
    """A token-protected receiver on a free port; yields it, its port and the lines it logged."""
    logged: list[str] = []
    server = make_server(tmp_path / "spool", "127.0.0.1", 0, max_body_bytes=256 * 1024, token=TOKEN,
                         log=logged.append, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server, int(server.server_address[1]), logged
    finally:
        server.shutdown()
        server.server_close()
        server.spool.close()


def _slow_client(port: int, head: bytes, stop: threading.Event, answers: list[bytes]) -> None:
    """Send ``head``, then one byte of body every 0.3 s until the server closes, or ``stop`` once it answered.

    A client never gives up before the server has said something (or 10 s passed): one that connected
    late would otherwise record an empty answer that says nothing about the server.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.3)
        got = b""
        give_up = time.monotonic() + 10
        while (not stop.is_set() or not got) and time.monotonic() < give_up:
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                got += chunk
            except TimeoutError:
                try:
                    sock.sendall(b"\0")
                except OSError:
                    break
            except OSError:
                break
        answers.append(got)


def _slow_clients(port: int, head: bytes, n: int) -> tuple[threading.Event, list[threading.Thread], list[bytes]]:
    stop, answers = threading.Event(), []
    threads = [threading.Thread(target=_slow_client, args=(port, head, stop, answers), daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # all of them connected and sent their headers
    return stop, threads, answers


def test_unauthenticated_slow_requests_never_take_the_slots_of_good_ones(tmp_path: Path) -> None:
    # a request took an in-flight slot before its token was checked, and its refused body was read inside
    # it: 16 unauthenticated trickles kept valid requests answered 503 for as long as they trickled
    body = metrics_request(day_of_usage()).SerializeToString()
    head = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: 200000\r\n\r\n")
    with _serving(tmp_path) as (server, port, logged):
        stop, threads, answers = _slow_clients(port, head, MAX_INFLIGHT + 4)
        try:
            started = time.monotonic()
            ok = httpx.post(f"http://127.0.0.1:{port}/v1/metrics", content=body, headers={**PB, **AUTH}, timeout=5)
            waited = time.monotonic() - started
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert ok.status_code == 200 and waited < 2
    assert len(answers) == MAX_INFLIGHT + 4 and all(a.startswith(b"HTTP/1.1 401 ") for a in answers)
    assert any("without the right bearer token" in line for line in logged)


def test_a_trickled_body_is_cut_off_by_a_deadline_for_the_whole_body(tmp_path: Path) -> None:
    # authenticated trickles (a byte every 0.3 s) used to hold their slots as long as each read came within
    # the 60 s idle timeout; now the whole body must arrive within the grace (1 s here) plus its size at
    # the minimum rate, so good requests wait at most about that long
    body = metrics_request(day_of_usage()).SerializeToString()
    head = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nAuthorization: Bearer "
            + TOKEN.encode() + b"\r\nContent-Length: 1000\r\n\r\n")
    with _serving(tmp_path, body_grace_s=1.0) as (server, port, logged):
        stop, threads, answers = _slow_clients(port, head, MAX_INFLIGHT)
        try:
            started = time.monotonic()
            ok = httpx.post(f"http://127.0.0.1:{port}/v1/metrics", content=body, headers={**PB, **AUTH}, timeout=8)
            waited = time.monotonic() - started
            for t in threads:
                t.join(timeout=5)
        finally:
            stop.set()
    assert ok.status_code == 200 and waited < 3
    assert len(answers) == MAX_INFLIGHT and all(a.startswith(b"HTTP/1.1 408 ") for a in answers)
    assert any("did not arrive in time" in line for line in logged)
    assert [b for _, _, b in _spooled(tmp_path / "spool")] == [body]


def test_a_huge_declared_body_gets_413_at_once(tmp_path: Path) -> None:
    with _serving(tmp_path) as (_, port, _logged):
        started = time.monotonic()
        answer = _raw(f"http://127.0.0.1:{port}", b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + TOKEN.encode() + b"\r\nContent-Type: application/x-protobuf\r\n"
                      b"Content-Length: 1000000000000\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 413 ") and b"1000000000000" in answer
        assert time.monotonic() - started < 1.5  # not after reading (or waiting for) the body


@pytest.mark.parametrize("framing", [b"Content-Length: -1\r\n", b"Content-Length: +0\r\n",
                                     b"Content-Length: 0x10\r\n", b"Content-Length: 0\r\nContent-Length: 7\r\n"])
def test_content_length_that_is_not_one_plain_number_is_400_and_closes(tmp_path: Path, framing: bytes) -> None:
    # "-1" and "+0" were read as 0: a 200, and the body then parsed as a second request on the connection
    body = metrics_request(day_of_usage()).SerializeToString()
    inner = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nAuthorization: "
             b"Bearer " + TOKEN.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    with _serving(tmp_path) as (_, port, _logged):
        answer = _raw_all(port, b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                          b"Authorization: Bearer " + TOKEN.encode() + b"\r\n" + framing + b"\r\n" + inner)
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.count(b"HTTP/1.1 ") == 1
    assert _spooled(tmp_path / "spool") == []


def test_content_length_beside_chunked_is_400_and_the_smuggled_request_is_never_served(tmp_path: Path) -> None:
    body = metrics_request(day_of_usage()).SerializeToString()
    smuggled = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nAuthorization: "
                b"Bearer " + TOKEN.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    with _serving(tmp_path) as (_, port, _logged):
        answer = _raw_all(port, b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                          b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 5\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in answer
    assert answer.count(b"HTTP/1.1 ") == 1 and _spooled(tmp_path / "spool") == []


def test_the_bearer_scheme_is_case_insensitive(tmp_path: Path) -> None:
    body = metrics_request(day_of_usage()).SerializeToString()
    with _serving(tmp_path) as (_, port, _logged), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        lower = client.post("/v1/metrics", content=body, headers={**PB, "Authorization": f"bearer {TOKEN}"})
        upper = client.post("/v1/metrics", content=body, headers={**PB, "Authorization": f"BEARER  {TOKEN}"})
        wrong = client.post("/v1/metrics", content=body, headers={**PB, "Authorization": f"Basic {TOKEN}"})
    assert (lower.status_code, upper.status_code, wrong.status_code) == (200, 200, 401)


def test_traces_are_accepted_counted_and_not_spooled(receiver: tuple[OtlpServer, str], tmp_path: Path) -> None:
    # Claude Code sends /v1/traces when the enhanced-telemetry beta is on; a 404 filled its logs with errors
    server, url = receiver
    traces = ExportTraceServiceRequest()
    spans = traces.resource_spans.add().scope_spans.add().spans
    for name in ("claude_code.interaction", "claude_code.llm_request"):
        spans.add(name=name, trace_id=b"\1" * 16, span_id=b"\2" * 8)
    with httpx.Client(base_url=url) as client:
        pb = client.post("/v1/traces", content=traces.SerializeToString(), headers=PB)
        js = client.post("/v1/traces", content=b'{"resourceSpans": []}', headers=JS)
        bad = client.post("/v1/traces", content=b"\x0a\xff\xff", headers=PB)
    assert (pb.status_code, js.status_code, bad.status_code) == (200, 200, 400)
    assert (server.intake.trace_requests, server.intake.spans) == (2, 2)
    assert _spooled(tmp_path / "spool") == []


def test_a_grpc_client_on_the_http_port_is_told_where_to_go_and_the_receiver_logs_it(tmp_path: Path) -> None:
    # gRPC exporters pointed at 4318 failed with HTTP/2 protocol errors while the receiver logged nothing
    with _serving(tmp_path, grpc_port=4317) as (_, port, logged):
        settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # an empty SETTINGS frame, as HTTP/2 clients send
        preface = _raw(f"http://127.0.0.1:{port}", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
            with pytest.raises(grpc.RpcError) as err:
                export(b"", timeout=5, metadata=[("authorization", f"Bearer {TOKEN}")])
    assert preface.startswith(b"HTTP/1.1 400 ") and b"port 4317" in preface
    # what the gRPC client reports (and an OpenTelemetry exporter logs)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "http1.x server (HTTP status 400)" in err.value.details()
    assert len(logged) == 1 and "spoke HTTP/2" in logged[0] and "port 4317" in logged[0]  # once a minute at most


def _raw_all(port: int, request: bytes) -> bytes:
    """Send raw bytes and read every answer until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return out


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


def test_memory_per_json_request_is_bounded(tmp_path: Path) -> None:
    # a 60 MiB JSON body cost ~870 MB while it was parsed (decoded JSON is ~7-14x its size in Python objects);
    # JSON is now capped (16 MiB decoded) below max_body_bytes (64 MiB, the default), whatever the framing
    cfg = _config(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    one = json.loads(to_json(metrics_request(day_of_usage())))["resourceMetrics"][0]
    big = json.dumps({"resourceMetrics": [one] * 2200}).encode()  # ~20 MiB of valid OTLP/JSON
    assert 18 * 2**20 < len(big) < 64 * 2**20
    with subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(cfg), "serve-otlp", "--port", "0",
                           "--no-grpc"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                          cwd=tmp_path) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split(" on ")[1].split()[0]
            before = _peak_rss_mb(proc.pid)
            with httpx.Client(base_url=url, timeout=60) as client:
                plain = client.post("/v1/metrics", content=big, headers=JS)
                gz = client.post("/v1/metrics", content=gzip.compress(big), headers={**JS, "Content-Encoding": "gzip"})
                chunked = client.post("/v1/metrics", content=iter([big[:2**20], big[2**20:]]), headers=JS)
                small = client.post("/v1/metrics", content=to_json(metrics_request(day_of_usage())), headers=JS)
            growth = _peak_rss_mb(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert (plain.status_code, gz.status_code, chunked.status_code, small.status_code) == (413, 413, 413, 200)
    assert "JSON" in plain.text and "protobuf" in plain.text
    assert growth < 150, f"the receiver grew by {growth:.0f} MB for one {len(big) / 2**20:.0f} MiB JSON body"
