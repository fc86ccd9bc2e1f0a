"""Scale benchmark: a synthetic organisation of --devs developers in --teams teams over --days days.

Builds the store from the synthetic generator (bulk Arrow upserts), then times the team × day table,
the statistics set alone and the monthly report end to end (its statistics included, as
``correlate report monthly`` runs them), with peak memory, and the "floor": the time DuckDB needs for
one bare aggregation of the raw tables into team × day. Prints one JSON object.

    python bench/scale.py --devs 22000 --teams 2000 --days 365

Goals (2 cores / 24 GB): monthly report ≤ 60 s from a populated store, peak RSS ≤ 4 GB,
ingest ≥ 200,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from correlate.config import load_config  # noqa: E402
from correlate.demo import dump_toml, generate, load  # noqa: E402
from correlate.mapping import register_mapping  # noqa: E402
from correlate.panel import build_panel  # noqa: E402
from correlate.store import Store  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(out: dict[str, object], **figures: object) -> None:
    """Record figures and echo them to stderr as they come (a long run shows where it is)."""
    out.update(figures)
    print(json.dumps(figures), file=sys.stderr, flush=True)


def skip_rest(out: dict[str, object]) -> None:
    """Print what was measured when later stages are skipped."""
    out["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devs", type=int, default=22000)
    ap.add_argument("--teams", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="keep the store here (default: a temp folder)")
    ap.add_argument("--reuse", action="store_true",
                    help="time the read stages on the store and config already in --dir (skip generate + ingest)")
    ap.add_argument("--skip", default="", help="comma-separated stages not to run: stats, report")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    out: dict[str, object] = {"devs": args.devs, "teams": args.teams, "days": args.days}
    work = args.dir or Path(tempfile.mkdtemp(prefix="correlate-scale-"))
    work.mkdir(parents=True, exist_ok=True)

    store_path = work / "scale.duckdb"
    config_path = work / "correlate.toml"
    if args.reuse:
        if not (store_path.exists() and config_path.exists()):
            sys.exit(f"--reuse: no scale.duckdb + correlate.toml in {work}; run once without --reuse first")
        config = load_config(config_path)
        org = None
    else:
        t = time.perf_counter()
        org = generate(teams=args.teams, devs=args.devs, days=args.days, seed=args.seed)
        out["generate_s"] = round(time.perf_counter() - t, 2)
        config = org.config
        config_path.write_text(dump_toml(org.config_data), encoding="utf-8")
        for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
            stale.unlink(missing_ok=True)

    with Store.open(store_path) as store:
        if org is not None:
            rows = org.rows()
            t = time.perf_counter()
            load(store, org)
            ingest_s = time.perf_counter() - t
            stage(out, rows=rows, ingest_s=round(ingest_s, 2), ingest_rows_per_s=round(rows / ingest_s))
            del org
        else:
            out.update(rows=None, ingest_s=None, ingest_rows_per_s=None)
        out["rss_after_ingest_mb"] = round(peak_rss_mb())

        # the floor: one bare aggregation of the raw tables into team x day (identities resolved once,
        # as the panel does, and that resolution counted in the floor)
        t = time.perf_counter()
        register_mapping(store, config)  # identities resolved once per distinct string, as the panel does
        store.con.sql("""
            SELECT m.team, u.day, count(DISTINCT m.person), sum(u.cost_usd), sum(u.sessions)
            FROM ai_usage_daily u JOIN _raw_member m ON m.raw = u.actor
            GROUP BY ALL""").to_arrow_table()
        store.con.sql("""
            SELECT m.team, CAST(p.merged_at AS DATE), count(*), median(p.cycle_s)
            FROM pull_requests p JOIN _raw_member m ON m.raw = p.author
            WHERE p.merged_at IS NOT NULL GROUP BY ALL""").to_arrow_table()
        floor_s = time.perf_counter() - t
        stage(out, floor_s=round(floor_s, 3))

        start, end = store.con.execute("SELECT min(day), max(day) FROM ai_usage_daily").fetchone()
        t = time.perf_counter()
        panel = build_panel(store, config, start, end, "day")
        stage(out, panel_s=round(time.perf_counter() - t, 2), panel_rows=len(panel))
        del panel

        from correlate.commands import write_monthly
        from correlate.days import last_complete_month
        from correlate.report.statistics import run_statistics, statistics_window, unavailable

        first, last = last_complete_month(end)
        # the statistics set the report runs: weekly panel of a year + the engine (correlate.stats.suite)
        if "stats" not in skip:
            t = time.perf_counter()
            stats_start = statistics_window(store, last)
            weekly = build_panel(store, config, stats_start, last, "week") if stats_start else None
            stats = run_statistics(weekly, config, "no data")
            stage(out, stats_s=round(time.perf_counter() - t, 2), stats_available=stats.available)
        if "report" in skip:
            skip_rest(out)
            return

        # the monthly report as `correlate report monthly` makes it: its own statistics included (they
        # share the report's panel facts, so this is less than stats_s + the rest); report_s is the
        # goal's figure. With --skip stats the report prints "statistics unavailable" and says so here.
        t = time.perf_counter()
        write_monthly(store, config, first.strftime("%Y-%m"), work / "report.html",
                      stats=unavailable("skipped by bench --skip stats") if "stats" in skip else None)
        report_s = time.perf_counter() - t
        stage(out, report_s=round(report_s, 2), report_includes_stats="stats" not in skip,
              report_to_floor=round(report_s / floor_s, 1) if floor_s else None,
              report_mb=round((work / "report.html").stat().st_size / 1e6, 1))
    out["peak_rss_mb"] = round(peak_rss_mb())
    out["store_mb"] = round(store_path.stat().st_size / 1e6)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
