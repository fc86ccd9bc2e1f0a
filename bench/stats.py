"""Benchmark: the full analysis set (``correlate.stats.suite.run_suite``) on a large synthetic team x week panel.

Usage: ``python bench/stats.py [--teams 1000] [--weeks 104] [--seed 1]``. Prints one JSON object with
the wall and CPU time of the suite and the peak resident memory (``resource.getrusage``, Linux KiB ->
MiB). CPU time is reported because wall time on a shared machine mostly measures the other tenants.

The panel is generated here, vectorised (not the demo organisation, which builds team x day tables
through the store): staggered adoption over the middle 60% of the window, 20% never adopt, a planted
-20% change in PR cycle time after adoption, Poisson counts with developer-day exposure.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from correlate.config import AnalysisConfig  # noqa: E402
from correlate.stats.suite import run_suite  # noqa: E402


def weekly_org(teams: int, weeks: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(teams), weeks)
    week = np.tile(np.arange(weeks), teams)
    adopt = rng.integers(int(weeks * 0.2), int(weeks * 0.8), teams).astype(float)
    adopt[rng.random(teams) < 0.2] = np.inf
    post = week >= adopt[team]
    devs = rng.integers(4, 15, teams)[team].astype(float)
    share = np.clip(np.where(post, 0.75, 0.08) + rng.normal(0, 0.1, len(team)), 0, 1)
    dev_days = devs * 5
    merged = rng.poisson(0.45 * dev_days)
    cyc = np.exp(np.log(20) + rng.normal(0, 0.4, teams)[team] + rng.normal(0, 0.1, weeks)[week] + np.log(0.8) * post
                 + rng.normal(0, 0.3, len(team)))
    deps = rng.poisson(6, len(team))
    return pd.DataFrame({
        "team": [f"team-{t:04d}" for t in team], "week_index": week, "working_days": 5, "active_devs": devs,
        "dev_days": dev_days, "ai_weekly_active_users": np.round(share * devs), "prs_merged": merged,
        "pr_cycle_time_h_median": np.where(merged > 0, cyc, np.nan),
        "pr_review_time_h_median": np.where(merged > 0, cyc * 0.3, np.nan), "deployments": deps,
        "deployments_failed": rng.binomial(deps, 0.12), "incidents": rng.binomial(deps, 0.04),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=999, help="bootstrap_reps ([analysis] default 999)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    panel = weekly_org(args.teams, args.weeks, args.seed)
    t1 = time.perf_counter()
    c1 = time.process_time()
    res = run_suite(panel, AnalysisConfig(bootstrap_reps=args.reps, seed=args.seed))
    t2 = time.perf_counter()
    cyc = next(o for o in res.outcomes if o.spec.name == "pr_cycle_time_h")
    print(json.dumps({
        "teams": args.teams, "weeks": args.weeks, "rows": len(panel), "bootstrap_reps": args.reps,
        "outcomes": [o.spec.name for o in res.outcomes], "pvalues_shown": len(res.pvalues),
        "att_gt_cells": len(cyc.did.att_gt) if cyc.did else 0,
        "generate_s": round(t1 - t0, 2), "suite_wall_s": round(t2 - t1, 2),
        "suite_cpu_s": round(time.process_time() - c1, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cycle_time_att_pct": round(cyc.headline.value, 2) if cyc.headline else None,
        "planted_pct": -20.0,
    }))


if __name__ == "__main__":
    main()
