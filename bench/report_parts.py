"""Where the monthly report's time goes on a populated store: each step of the builder, then rendering.

Times the steps :func:`correlate.report.monthly.build_monthly` takes (the panel's facts once, three
aggregations, the statistics once, the spend classes, data quality) and the rendering, on the store a
``bench/scale.py --dir DIR`` run left (or the demo's: ``--store``). Prints one JSON object; report the
load average (``uptime``) next to its figures.

    python bench/report_parts.py --dir /tmp/scale --month 2026-10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from correlate.config import load_config  # noqa: E402
from correlate.html.render import render  # noqa: E402
from correlate.panel import prepare_facts  # noqa: E402
from correlate.quality import data_quality  # noqa: E402
from correlate.report.monthly import STATS_WEEKS, build_monthly, month_bounds  # noqa: E402
from correlate.report.statistics import run_statistics, statistics_window  # noqa: E402
from correlate.report.teams import team_rows  # noqa: E402
from correlate.spend.section import spend_section  # noqa: E402
from correlate.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True, help="folder with correlate.toml and the store")
    ap.add_argument("--store", default="scale.duckdb", help="store file name inside --dir")
    ap.add_argument("--month", required=True)
    args = ap.parse_args()
    config = load_config(args.dir / "correlate.toml")
    out: dict[str, object] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        value = fn()
        out[name] = round(time.perf_counter() - t, 2)
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)
        return value

    with Store.open(args.dir / args.store) as store:
        first, last = month_bounds(args.month)
        prev_first = month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))[0]
        start = statistics_window(store, last, weeks=STATS_WEEKS) or first
        facts = timed("facts_s", lambda: prepare_facts(store, config, min(prev_first, start), last))
        cur = timed("panel_month_s", lambda: facts.panel(first, last, "month", keep_lists=True))
        weekly = timed("panel_weeks_s", lambda: facts.panel(start, last, "week", keep_lists=True))
        timed("team_rows_s", lambda: team_rows(cur, config.root.report.min_group_size, period="month"))
        stats = timed("statistics_s", lambda: run_statistics(weekly, config))
        timed("spend_s", lambda: spend_section(store, config, first, last))
        timed("quality_s", lambda: data_quality(store, config, first, last))
        report = timed("build_monthly_s", lambda: build_monthly(store, config, args.month, stats=stats))
        html = timed("render_s", lambda: render("monthly.html.j2", r=report))
        out["html_mb"] = round(len(html.encode()) / 1e6, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
