"""OTLP receiver load benchmark: protobuf metric exports sent to ``correlate serve-otlp`` on 127.0.0.1.

``--protocol http`` (the default) posts OTLP/HTTP over raw keep-alive sockets; ``--protocol grpc`` calls
OTLP/gRPC ``MetricsService/Export`` with grpcio, one channel per connection (the load generator is then
heavier: a grpcio call costs the client far more CPU than a raw socket write, on the same 2 cores).

Starts the real receiver as a subprocess (its own spool in a temp folder), runs ``--clients`` keep-alive
connections for ``--seconds`` (bounded), each posting HAND-BUILT Claude Code exports (documented shapes,
sources.md §3: the 14 delta counters of a working session, ``day_of_usage``), then stops the receiver and
folds the spool into a fresh store with ``correlate sync --source otel``. Every point the receiver
acknowledged with 200 must be in the store: ``lost`` = acknowledged − stored.

Request shape (``--points-per-request``, stated in the JSON as ``points_per_request``):

* ``14`` (the default): one Claude Code export, what each developer's exporter sends straight to the
  receiver once per ``OTEL_METRIC_EXPORT_INTERVAL`` (60 s by default). This is the harder shape for the
  receiver (a durable 200 per 14 points), so it is the default the ≥ 50,000 points/s goal is judged at.
  For scale: 22,000 developers each exporting 14 points a minute is ~5,100 points/s, ~370 requests/s.
* ``~1000`` (e.g. ``--points-per-request 1008``): an OpenTelemetry Collector in front of the receiver,
  whose batch processor merges many developers' exports (``send_batch_size`` defaults to 8192 points);
  each request then holds ``points / 14`` developers' exports, one ``ResourceMetrics`` each.

Load (``--clients``, default 16): closed-loop keep-alive connections, each posting its next request as
soon as the last is answered, so 16 requests are always in flight: the receiver's own bound
(``MAX_INFLIGHT``), beyond which requests queue for a slot. Real exporters are mostly idle (one export a
minute each), so this is a saturation test, not a model of arrival times; ``requests_per_s`` says how
far above a real organisation's ~370 requests/s it is.

The load generator must not starve the receiver on a small machine, so it is cheap: each connection's
request is serialised once (real protobuf from ``tests/otlp_payloads``) and only the timestamps are
patched per request (fixed64 fields, found by sentinel values) and sent over a raw socket; ``--procs``
spreads the connections over processes (on 2 cores one process starves the receiver least). Every
request still carries distinct points (each connection its own developers, each request its own
minute), so the store count proves nothing was lost or merged.

    python bench/otlp.py [--protocol http|grpc] [--clients 16] [--seconds 20] [--points-per-request 14] [--procs 1]

Prints one JSON object with at least ``points_per_s``, ``p50_ms``, ``p99_ms``, ``lost`` (goal ≥ 50,000
points/s, zero lost) and ``fold_points_per_s`` (the fold's wall time including its ~1-3 s process start;
``fold_points_per_s_after_startup`` without it), plus the receiver's CPU per request, the disk syncs it
ran (group commit: compare with ``requests``) and the load average at the start and end (the machine is
shared: figures are only comparable at similar load). ``--no-fold --work DIR`` keeps an unfolded spool
(to profile the fold).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from google.protobuf.internal import api_implementation  # noqa: E402

from correlate.store import Store  # noqa: E402
from tests.otlp_payloads import MINUTE, T0, day_of_usage, metrics_request  # noqa: E402

SHAPE = 14  # points in one Claude Code export (day_of_usage)
_SENTINEL = 0x5EC0_0000_0000_0000  # fixed64 timestamps this large never occur by chance in the bytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the receiver did not start listening")


class Template:
    """One connection's export request, serialised once; ``body(t)`` patches every point's times to ``t``.

    ``points`` is rounded up to whole exports of 14; each export is one developer's ``ResourceMetrics``
    (distinct ``user.email`` / ``session.id``), as a Collector's batch holds them.
    """

    def __init__(self, cid: int, points: int) -> None:
        exports = max(1, -(-points // SHAPE))
        req = None
        for u in range(exports):
            user = {"user.email": f"dev{cid}-{u}@example.com", "session.id": f"bench-{cid}-{u}",
                    "organization.id": "org"}
            batch = day_of_usage(session=f"bench-{cid}-{u}", t=_SENTINEL)
            for p in batch:
                p.start_ns = _SENTINEL + 1
            one = metrics_request(batch, user=user)
            if req is None:
                req = one
            else:
                req.resource_metrics.extend(one.resource_metrics)
        assert req is not None
        self.points = exports * SHAPE
        self.bytes = bytearray(req.SerializeToString())
        self.time_at = _offsets(self.bytes, _SENTINEL)
        self.start_at = _offsets(self.bytes, _SENTINEL + 1)
        if len(self.time_at) != self.points or len(self.start_at) != self.points:
            raise SystemExit("bench: timestamp sentinels not found once per point in the serialised request")

    def body(self, t: int) -> bytes:
        time_b, start_b = struct.pack("<Q", t), struct.pack("<Q", t - MINUTE)
        b = self.bytes
        for off in self.time_at:
            b[off:off + 8] = time_b
        for off in self.start_at:
            b[off:off + 8] = start_b
        return bytes(b)


def _offsets(data: bytearray, value: int) -> list[int]:
    needle = struct.pack("<Q", value)
    out, i = [], data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 8)
    return out


def _read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one HTTP/1.1 response from ``sock`` (``buf`` keeps bytes past it); its status code."""
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the receiver closed the connection")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    need = end + 4 + length
    while len(buf) < need:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the receiver closed the connection mid-response")
        buf += chunk
    del buf[:need]
    return status


def client(port: int, cid: int, points: int, stop_at: float) -> dict[str, list[float] | int]:
    """One keep-alive connection posting until ``stop_at``; counts only points acknowledged with 200."""
    tpl = Template(cid, points)
    head = (f"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-protobuf\r\n"
            f"Content-Length: {len(tpl.bytes)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    latencies: list[float] = []
    acked = requests = failed = 0
    buf = bytearray()
    i = 0
    try:
        while time.monotonic() < stop_at:
            t = T0 + i * MINUTE  # each connection is its own developers, each request its own minute
            data = head + tpl.body(t)
            started = time.perf_counter()
            sock.sendall(data)
            status = _read_response(sock, buf)
            latencies.append((time.perf_counter() - started) * 1000)
            if status == 200:
                acked += tpl.points
                requests += 1
            else:
                failed += 1
            i += 1
    finally:
        sock.close()
    return {"latencies": latencies, "points": acked, "requests": requests, "failed": failed}


def grpc_client(port: int, cid: int, points: int, stop_at: float) -> dict[str, list[float] | int]:
    """One gRPC channel calling MetricsService/Export until ``stop_at``; counts only points answered OK."""
    import grpc

    tpl = Template(cid, points)
    latencies: list[float] = []
    acked = requests = failed = 0
    i = 0
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        export = channel.unary_unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
        while time.monotonic() < stop_at:
            body = tpl.body(T0 + i * MINUTE)
            started = time.perf_counter()
            try:
                export(body, timeout=60)
                ok = True
            except grpc.RpcError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            if ok:
                acked += tpl.points
                requests += 1
            else:
                failed += 1
            i += 1
    return {"latencies": latencies, "points": acked, "requests": requests, "failed": failed}


def client_process(port: int, cids: list[int], points: int, stop_at_wall: float,
                   results: mp.Queue, protocol: str = "http") -> None:  # type: ignore[type-arg]
    """A process running one thread per connection in ``cids``; puts the merged counts on ``results``."""
    stop_at = time.monotonic() + (stop_at_wall - time.time())
    merged: dict[str, list[float] | int] = {"latencies": [], "points": 0, "requests": 0, "failed": 0}
    lock = threading.Lock()
    send = grpc_client if protocol == "grpc" else client

    def run(cid: int) -> None:
        got = send(port, cid, points, stop_at)
        with lock:
            merged["latencies"].extend(got["latencies"])  # type: ignore[union-attr, arg-type]
            for k in ("points", "requests", "failed"):
                merged[k] += got[k]  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(c,)) for c in cids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    results.put(merged)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16, help="keep-alive connections (concurrent exporters)")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long to post")
    ap.add_argument("--points-per-request", type=int, default=SHAPE,
                    help="14 = one Claude Code export; ~1000 = a Collector's batch (rounded up to 14s)")
    ap.add_argument("--procs", type=int, default=1, help="client processes (connections are spread over them)")
    ap.add_argument("--protocol", choices=["http", "grpc"], default="http",
                    help="OTLP/HTTP (raw keep-alive sockets) or OTLP/gRPC (grpcio channels, one per connection)")
    ap.add_argument("--work", type=Path, help="keep the spool and store in this (new) folder instead of a temp one")
    ap.add_argument("--no-fold", action="store_true", help="leave the spool unfolded (to profile the fold)")
    args = ap.parse_args()
    if args.work is not None:
        args.work.mkdir(parents=True)
        work = args.work.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="correlate-otlp-bench-"))
    try:
        run(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    """Post for ``args.seconds``, fold, count; print the JSON."""
    cfg = work / "correlate.toml"
    cfg.write_text('[store]\npath = "bench.duckdb"\n[otel]\nspool_dir = "spool"\n', encoding="utf-8")
    port, grpc_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load_start = os.getloadavg()
    server = subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(cfg), "serve-otlp", "--port",
                               str(port), "--grpc-port", str(grpc_port)], cwd=work, env={**env, "COLUMNS": "200"},
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        wait_listening(port)
        wait_listening(grpc_port)
        target = grpc_port if args.protocol == "grpc" else port
        ctx = mp.get_context("spawn")
        results = ctx.Queue()
        startup = 3.0  # spawned processes import protobuf and build their templates before the clock starts
        start_wall = time.time() + startup
        stop_wall = start_wall + args.seconds
        groups = [list(range(p, args.clients, args.procs)) for p in range(args.procs)]
        procs = [ctx.Process(target=client_process, args=(target, g, args.points_per_request, stop_wall, results,
                                                          args.protocol)) for g in groups if g]
        for p in procs:
            p.start()
        time.sleep(max(0.0, start_wall - time.time()))
        cpu_before = cpu_seconds(server.pid)
        out: dict[str, list[float] | int] = {"latencies": [], "points": 0, "requests": 0, "failed": 0}
        for _ in procs:
            got = results.get(timeout=args.seconds + 600)
            out["latencies"].extend(got["latencies"])  # type: ignore[union-attr]
            for k in ("points", "requests", "failed"):
                out[k] += got[k]  # type: ignore[operator]
        elapsed = time.time() - start_wall
        cpu_used = cpu_seconds(server.pid) - cpu_before
        for p in procs:
            p.join()
    finally:
        server.send_signal(signal.SIGTERM)
        said, _ = server.communicate(timeout=60)
    syncs = re.search(r"\(([\d,]+) disk syncs\)", said)
    load_end = os.getloadavg()
    lat = sorted(out["latencies"])  # type: ignore[arg-type]

    def pct(q: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None

    accepted = int(out["points"])  # type: ignore[arg-type]
    requests = int(out["requests"])  # type: ignore[arg-type]
    figures: dict[str, object] = {
        "protocol": args.protocol, "points_per_request": -(-args.points_per_request // SHAPE) * SHAPE,
        "clients": args.clients,
        "client_procs": len(procs), "seconds": round(elapsed, 1), "requests": requests, "failed": out["failed"],
        "requests_per_s": round(requests / elapsed), "accepted_points": accepted,
        "points_per_s": round(accepted / elapsed), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "server_cpu_ms_per_request": round(cpu_used * 1000 / requests, 3) if requests else None,
        "disk_syncs": int(syncs.group(1).replace(",", "")) if syncs else None,
        "protobuf_impl": api_implementation.Type(),  # 'upb' (C): the receiver's validation parse is ~2 us/point
        "loadavg_start": [round(x, 2) for x in load_start], "loadavg_end": [round(x, 2) for x in load_end],
    }
    if args.no_fold:
        print(json.dumps({**figures, "lost": None, "work": str(work) if args.work is not None else None}))
        return

    def fold() -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "correlate", "--config", str(cfg), "sync", "--source", "otel"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=3600)
        return time.perf_counter() - started, done

    fold_s, folded = fold()
    idle_s, _ = fold()  # the same command on the now-empty spool: process start, imports, store open
    with Store.open(work / "bench.duckdb", read_only=True) as store:
        stored = int(store.con.execute("SELECT count(*) FROM otel_metric_deltas").fetchone()[0])  # type: ignore[index]
    print(json.dumps({
        **figures, "stored_points": stored, "lost": max(0, accepted - stored), "fold_rc": folded.returncode,
        "fold_s": round(fold_s, 1), "fold_points_per_s": round(stored / fold_s) if fold_s else None,
        "fold_startup_s": round(idle_s, 1),
        "fold_points_per_s_after_startup": round(stored / (fold_s - idle_s)) if fold_s > idle_s else None,
        "loadavg_after_fold": [round(x, 2) for x in os.getloadavg()],
    }))
    if folded.returncode != 0:
        print(folded.stderr[-2000:], file=sys.stderr)


if __name__ == "__main__":
    main()
