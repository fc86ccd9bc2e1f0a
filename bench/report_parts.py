"""Where the monthly report's time goes on a populated store, and what the proposed changes save.

Times each step of ``correlate.html.context.monthly_context`` + rendering separately on the store a
``bench/scale.py --dir DIR`` run left, then the same steps as proposed for large organisations
(charts bounded to the largest teams plus the organisation median, per-team frames by one groupby).
``context.py`` itself is not changed here: it belongs to the reports work; this script measures the
proposal so it can be applied there. Prints one JSON object.

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
from correlate.html import charts  # noqa: E402
from correlate.html import context as ctx  # noqa: E402
from correlate.panel import build_panel  # noqa: E402
from correlate.quality import data_quality  # noqa: E402
from correlate.store import Store  # noqa: E402

CHART_TEAMS = 10  # proposed bound: the largest teams plus the organisation median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--skip-current-charts", action="store_true",
                    help="do not time today's all-teams charts (minutes at 2,000 teams)")
    args = ap.parse_args()
    config = load_config(args.dir / "correlate.toml")
    out: dict[str, object] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        value = fn()
        out[name] = round(time.perf_counter() - t, 2)
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)
        return value

    with Store.open(args.dir / "scale.duckdb") as store:
        first, last = ctx.month_bounds(args.month)
        prev_first, prev_last = ctx.month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))
        min_n = config.root.report.min_group_size
        n_days = (last - first).days + 1
        cur = timed("panel_month_cur_s", lambda: build_panel(store, config, first, last, "month", keep_lists=True))
        timed("panel_month_prev_s", lambda: build_panel(store, config, prev_first, prev_last, "month",
                                                        keep_lists=True))
        teams, org, grouping = timed("summarise_teams_s", lambda: ctx.summarise_teams(cur, min_n, n_days))
        shown = [t.team for t in teams if t.team != ctx.OTHER]
        out["teams_shown_today"] = len(shown)
        if not args.skip_current_charts:
            # today: three line charts with one line per team, and one bar per team
            timed("weekly_charts_all_teams_s", lambda: ctx._weekly_charts(store, config, shown, first, last, 26))
            timed("bar_chart_all_teams_s", lambda: charts.bar_chart("cost", [r.team for r in teams],
                                                                      [r.ai_cost_usd for r in teams], xlabel="USD"))
        timed("tiers_s", lambda: ctx._tiers(store, config, grouping, config.root.dora.year, last))
        timed("quality_s", lambda: data_quality(store, config, first, last))

        # proposed: the CHART_TEAMS largest teams plus the organisation median, one pivot instead of a
        # boolean mask per team; bars for the top CHART_TEAMS by spend plus "all other teams"
        largest = [r.team for r in sorted(teams, key=lambda r: (-r.headcount, r.team))[:CHART_TEAMS]]
        timed("weekly_charts_bounded_s", lambda: ctx._weekly_charts(store, config, largest, first, last, 26))
        weekly = build_panel(store, config, first - timedelta(weeks=26), last, "week")

        def org_median() -> list[float]:
            share = weekly["ai_active_users"] / weekly["headcount"].where(weekly["headcount"] > 0)
            wide = weekly.assign(share=share).pivot(index="week", columns="team", values="share")
            return [float(v) for v in wide.median(axis=1)]

        timed("org_median_series_s", org_median)
        top = sorted(teams, key=lambda r: -r.ai_cost_usd)[:CHART_TEAMS]
        rest = sum(r.ai_cost_usd for r in teams) - sum(r.ai_cost_usd for r in top)
        timed("bar_chart_bounded_s", lambda: charts.bar_chart("cost", [r.team for r in top] + ["all other teams"],
                                                              [r.ai_cost_usd for r in top] + [rest], xlabel="USD"))
        out["org_cycle_h"] = round(org.cycle_h, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
