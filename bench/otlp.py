"""OTLP receiver load benchmark: protobuf metric exports posted to ``correlate serve-otlp`` on 127.0.0.1.

Starts the real receiver as a subprocess (its own spool in a temp folder), runs ``--clients`` keep-alive
clients for ``--seconds`` (bounded), each posting HAND-BUILT Claude Code exports (documented shapes,
sources.md §3; 14 delta points per request, every point with its own timestamp), then stops the
receiver and folds the spool into a fresh store with ``correlate sync --source otel``. Every point
the receiver acknowledged with 200 must be in the store: ``lost`` = acknowledged − stored.

    python bench/otlp.py [--clients 8] [--seconds 20]

Prints one JSON object with at least ``points_per_s``, ``p50_ms``, ``p99_ms`` and ``lost`` (goal
≥ 50,000 points/s, zero lost).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from correlate.store import Store  # noqa: E402
from tests.otlp_payloads import MINUTE, T0, day_of_usage, metrics_request  # noqa: E402


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


def client(port: int, cid: int, stop_at: float, out: dict[str, list[float] | int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    points = requests = failed = 0
    i = 0
    user = {"user.email": f"dev{cid}@example.com", "session.id": f"bench-{cid}", "organization.id": "org"}
    while time.monotonic() < stop_at:
        t = T0 + (cid * 10_000_000 + i) * MINUTE  # a unique time per request: every point is distinct
        batch = day_of_usage(session=f"bench-{cid}", t=t)
        for p in batch:
            p.start_ns = t - MINUTE
        body = metrics_request(batch, user=user).SerializeToString()
        started = time.perf_counter()
        conn.request("POST", "/v1/metrics", body=body, headers={"Content-Type": "application/x-protobuf"})
        resp = conn.getresponse()
        resp.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if resp.status == 200:
            points += len(batch)
            requests += 1
        else:
            failed += 1
        i += 1
    conn.close()
    with LOCK:
        out["latencies"].extend(latencies)  # type: ignore[union-attr]
        out["points"] += points  # type: ignore[operator]
        out["requests"] += requests  # type: ignore[operator]
        out["failed"] += failed  # type: ignore[operator]


LOCK = threading.Lock()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="correlate-otlp-bench-"))
    cfg = work / "correlate.toml"
    cfg.write_text('[store]\npath = "bench.duckdb"\n[otel]\nspool_dir = "spool"\n', encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(cfg), "serve-otlp", "--port",
                               str(port)], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        out: dict[str, list[float] | int] = {"latencies": [], "points": 0, "requests": 0, "failed": 0}
        started = time.monotonic()
        stop_at = started + args.seconds
        threads = [threading.Thread(target=client, args=(port, c, stop_at, out)) for c in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    fold_started = time.perf_counter()
    fold = subprocess.run([sys.executable, "-m", "correlate", "--config", str(cfg), "sync", "--source", "otel"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    fold_s = time.perf_counter() - fold_started
    with Store.open(work / "bench.duckdb", read_only=True) as store:
        stored = int(store.con.execute("SELECT count(*) FROM otel_metric_deltas").fetchone()[0])  # type: ignore[index]
    lat = sorted(out["latencies"])  # type: ignore[arg-type]

    def pct(q: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None

    accepted = int(out["points"])  # type: ignore[arg-type]
    print(json.dumps({
        "clients": args.clients, "seconds": round(elapsed, 1), "requests": out["requests"], "failed": out["failed"],
        "accepted_points": accepted, "points_per_s": round(accepted / elapsed), "p50_ms": pct(0.50),
        "p99_ms": pct(0.99), "stored_points": stored, "lost": max(0, accepted - stored), "fold_s": round(fold_s, 1),
        "fold_rc": fold.returncode, "fold_points_per_s": round(stored / fold_s) if fold_s else None,
    }))


if __name__ == "__main__":
    main()
