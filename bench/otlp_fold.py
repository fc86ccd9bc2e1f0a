"""Measure how fast ``correlate sync --source otel`` folds the OTLP spool into the store.

Builds a spool of HAND-BUILT Claude Code exports (documented shapes, sources.md §3): ``--sessions``
developers' sessions each exporting ``--exports`` metric requests (14 delta points: sessions, tokens by
type, cost, lines, commits, PRs, edit decisions, active time) and as many log requests (``--events``
api_request events each), then folds it into a fresh DuckDB store and prints one JSON object.

    python bench/otlp_fold.py [--sessions 50] [--exports 40] [--events 3] [--json-share 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.otlp import parse_request  # noqa: E402
from correlate.ingest.otel import fold_spool  # noqa: E402
from correlate.otlp.spool import Spool  # noqa: E402
from correlate.store import Store  # noqa: E402
from tests.otlp_payloads import MINUTE, T0, api_request, day_of_usage, logs_request, metrics_request, to_json  # noqa: E402


def build(spool_dir: Path, sessions: int, exports: int, events: int, json_share: float) -> dict[str, int]:
    spool = Spool(spool_dir)
    counts = {"requests": 0, "points": 0, "events": 0, "bytes": 0}
    n = 0
    for s in range(sessions):
        user = {"user.email": f"dev{s % 40}@example.com", "session.id": f"sess-{s}", "organization.id": "org"}
        for e in range(exports):
            t = T0 + (s * 7 + e) * MINUTE
            points = day_of_usage(session=f"sess-{s}", t=t)
            m = metrics_request(points, user=user)
            logs = logs_request([api_request("claude-sonnet-4-6", 0.01, 100, 50, t=t + i, request_id=f"r{s}-{e}-{i}")
                                 for i in range(events)])
            for signal, msg, k in (("metrics", m, len(points)), ("logs", logs, events)):
                as_json = (n % 100) < json_share * 100
                # as the receiver does: JSON is validated once and spooled as the message's protobuf
                body = parse_request(signal, to_json(msg), "json").SerializeToString() if as_json else (
                    msg.SerializeToString())
                spool.append(signal, "protobuf", body)
                counts["requests"] += 1
                counts["points" if signal == "metrics" else "events"] += k
                counts["bytes"] += len(body)
                n += 1
    spool.close()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--exports", type=int, default=40)
    ap.add_argument("--events", type=int, default=3)
    ap.add_argument("--json-share", type=float, default=0.5, help="share of requests sent as OTLP/JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spool_dir = Path(tmp) / "spool"
        t0 = time.perf_counter()
        counts = build(spool_dir, args.sessions, args.exports, args.events, args.json_share)
        built = time.perf_counter() - t0
        with Store.open(Path(tmp) / "store.duckdb") as store:
            t1, c1 = time.perf_counter(), time.process_time()
            stats = fold_spool(store, spool_dir, tz="Europe/Berlin", team_attribute="team.id")
            seconds, cpu = time.perf_counter() - t1, time.process_time() - c1
            actor_days = store.con.execute("SELECT count(*) FROM ai_usage_daily").fetchone()[0]  # type: ignore[index]
    rows = counts["points"] + counts["events"]
    print(json.dumps({
        "requests": counts["requests"], "metric_points": counts["points"], "events": counts["events"],
        "spool_bytes": counts["bytes"], "json_share": args.json_share, "fold_seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds), "requests_per_second": round(counts["requests"] / seconds),
        "fold_cpu_seconds": round(cpu, 3), "rows_per_cpu_second": round(rows / cpu),
        "folded_requests": stats.requests, "actor_days": actor_days, "spool_write_seconds": round(built, 3),
        "spool_writes_per_second_fsync": round(counts["requests"] / built),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
