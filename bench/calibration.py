"""Calibration harness for the staggered difference-in-differences: false positives, coverage, bias, wording.

Not a test (it takes minutes of CPU): it prints one JSON object. Run it with

    nice -n 10 python bench/calibration.py --reps 400 > calibration.json

Its generator is its own (not ``correlate.demo``, not ``tests/stats/synthetic.py``): staggered
adoption, 40 teams x 52 weeks, about 60% of teams adopting at random weeks, team and week effects,
AR(1) noise with rho = 0.5 and SD 1. Each panel goes through ``correlate.stats.command.analyze_frame``,
the function ``correlate analyze --json`` runs after reading the CSV (same gates, estimator, pre-trend
test, sensitivity, rung and wording as the report's statistics, which call the same
``callaway_santanna``).

Per scenario it reports, for the headline (CS group ATT):

* ``false_positive_rate``: share of null panels whose p < 0.05 (equivalently, interval excludes 0);
* ``coverage``: share of panels whose 95% interval covers the panel's true group ATT (the same
  aggregation of the planted effects over the cells the estimator used; 0 for the confounded trend,
  where parallel trends fail by design, so its coverage target does not apply: its target is wording);
* ``excludes_zero``: share of panels whose interval excludes 0;
* ``bias`` and ``rmse`` against that truth, and the mean reported SE next to the SD of the estimates;
* ``worded_as_effect``: share worded at evidence rung 4 with an interval that excludes 0 (the
  sentence says "estimated effect");
* ``crashes``: panels where ``analyze_frame`` raised anything but its documented AnalysisError.

Each rate comes with its Monte-Carlo standard error sqrt(p (1 - p) / reps).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threadpoolctl import threadpool_limits  # noqa: E402

from correlate.errors import AnalysisError  # noqa: E402
from correlate.stats.command import analyze_frame  # noqa: E402
from correlate.stats.cs import fit_cs  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    name: str
    teams: int = 40
    weeks: int = 52
    adopt_share: float = 0.6
    effect: Callable[[np.ndarray], np.ndarray] = staticmethod(lambda e: np.zeros_like(e, dtype=float))  # type: ignore[assignment]
    trend: float = 0.0  # adopters' extra slope per week (SD units), no effect
    missing: float = 0.0  # share of outcome cells missing at random
    distinct_weeks: bool = False  # every adopting team its own adoption week (single-team cohorts)
    null: bool = True


def _growing(e: np.ndarray) -> np.ndarray:
    """-0.02 SD per week since adoption, reaching -0.30 after 15 weeks (a learning curve)."""
    return -0.02 * np.minimum(e + 1, 15)


SCENARIOS = (
    Scenario("null"),
    Scenario("null_50pct_missing", missing=0.5),
    Scenario("null_single_team_cohorts", distinct_weeks=True),
    Scenario("null_10_teams", teams=10),
    Scenario("confounded_trend_0.03", trend=0.03, null=False),  # no effect, but parallel trends fail by design
    Scenario("constant_effect_-0.15", effect=lambda e: np.full(e.shape, -0.15), null=False),
    Scenario("growing_effect", effect=_growing, null=False),
)


def generate(s: Scenario, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One panel: (observed panel with unit/time/y/cohort, the planted effect per cell for the truth)."""
    T, W = s.teams, s.weeks
    n_adopt = int(round(s.adopt_share * T))
    first, last = 8, W - 8  # every adopter has at least 8 weeks before and after
    if s.distinct_weeks:
        weeks = rng.choice(np.arange(first, last), n_adopt, replace=False)
    else:
        weeks = rng.integers(first, last, n_adopt)
    cohort = np.full(T, np.nan)
    cohort[rng.choice(T, n_adopt, replace=False)] = weeks
    rho, sd = 0.5, 1.0
    u = np.empty((T, W))
    u[:, 0] = rng.normal(0, sd, T)
    for t in range(1, W):
        u[:, t] = rho * u[:, t - 1] + rng.normal(0, sd * math.sqrt(1 - rho**2), T)
    t_idx = np.arange(W)[None, :]
    e = t_idx - cohort[:, None]  # event time (NaN for never)
    treated = np.nan_to_num(e, nan=-1) >= 0
    tau = np.where(treated, s.effect(np.nan_to_num(e, nan=0.0)), 0.0)
    adopter = ~np.isnan(cohort)
    y = (rng.normal(0, 1, T)[:, None] + rng.normal(0, 0.5, W)[None, :] + u + tau
         + s.trend * t_idx * adopter[:, None])
    if s.missing > 0:
        y = np.where(rng.random((T, W)) < s.missing, np.nan, y)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(T), W).astype(str), "time": np.tile(np.arange(W), T) + 1.0,
                          "y": y.ravel(), "cohort": np.repeat(cohort + 1.0, W)})
    truth = frame.assign(y=np.where(np.isnan(y), np.nan, tau).ravel())
    return frame, truth


def true_att(truth: pd.DataFrame) -> float:
    """The group ATT of the planted effects over the cells the estimator uses (same missing pattern)."""
    d = truth.dropna(subset=["y"])
    fit = fit_cs(d, "y", unit="unit", time="time", cohort="cohort", control="not_yet")
    return fit.group()[0]


def run(s: Scenario, reps: int, seed: int, boot_reps: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    est, lo, hi, se, p, effect_worded, truth_v, rung4, why = [], [], [], [], [], [], [], [], {}
    crashes, not_estimable = 0, 0
    for _ in range(reps):
        frame, truth = generate(s, rng)
        try:
            # bootstrap draws matter only where the headline uses them (the wild bootstrap below 15 teams);
            # elsewhere they would only draw event-study bands
            res = analyze_frame(frame, control="not_yet", has_adoption=False, has_cohort=True,
                                reps=boot_reps if s.teams < 15 else 0, robustness=False)
        except AnalysisError:
            not_estimable += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the harness counts crashes instead of stopping
            crashes += 1
            print(f"{s.name}: crash {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        did = res.get("did")
        if did is None or did["ci"][0] is None:
            not_estimable += 1
            continue
        est.append(did["att_group"])
        lo.append(did["ci"][0])
        hi.append(did["ci"][1])
        se.append(did["se"])
        p.append(did["pvalue"] if did["pvalue"] is not None else 1.0)
        effect_worded.append(did["rung"] == 4 and did["verdict"] == "detected")
        rung4.append(did["rung"] == 4)
        key = did["rung_reason"].split(" (")[0].split(",")[0][:60] if did["rung"] < 4 else "rung 4"
        why[key] = why.get(key, 0) + 1
        truth_v.append(0.0 if s.null or s.trend else true_att(truth))
    m = len(est)
    if m == 0:
        return {"scenario": s.name, "panels": 0, "crashes": crashes, "not_estimable": not_estimable}
    a, t = np.array(est), np.array(truth_v)
    lo_a, hi_a = np.array(lo), np.array(hi)

    def rate(x: np.ndarray) -> dict[str, float]:
        r = float(np.mean(x))
        return {"rate": round(r, 4), "mc_se": round(math.sqrt(max(r * (1 - r), 1e-12) / m), 4)}

    out: dict[str, Any] = {
        "scenario": s.name, "teams": s.teams, "weeks": s.weeks, "panels": m, "crashes": crashes,
        "not_estimable": not_estimable,
        "coverage": rate((lo_a <= t) & (t <= hi_a)),
        "bias": round(float(np.mean(a - t)), 4), "bias_mc_se": round(float(np.std(a - t, ddof=1) / math.sqrt(m)), 4),
        "rmse": round(float(np.sqrt(np.mean((a - t) ** 2))), 4),
        "mean_se": round(float(np.mean(se)), 4), "sd_estimate": round(float(np.std(a - t, ddof=1)), 4),
        "mean_truth": round(float(np.mean(t)), 4),
        "excludes_zero": rate((lo_a > 0) | (hi_a < 0)),
        "worded_as_effect": rate(np.array(effect_worded)),
        "rung4_share": rate(np.array(rung4)),
        "reasons_below_rung4": dict(sorted(why.items(), key=lambda kv: -kv[1])),
    }
    if s.null:
        out["false_positive_rate"] = rate(np.array(p) < 0.05)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400, help="panels per scenario")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--boot-reps", type=int, default=199,
                    help="wild-bootstrap draws per panel in the few-teams scenario")
    ap.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    args = ap.parse_args(argv)
    t0 = time.time()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    results = []
    with threadpool_limits(limits=1, user_api="blas"):
        for i, s in enumerate(SCENARIOS):
            if args.only and s.name not in args.only:
                continue
            t1 = time.time()
            r = run(s, args.reps, args.seed + 1000 * i, args.boot_reps)
            r["seconds"] = round(time.time() - t1, 1)
            results.append(r)
            print(json.dumps(r), file=sys.stderr)
    print(json.dumps({
        "command": "nice -n 10 python bench/calibration.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "reps_per_scenario": args.reps, "boot_reps": args.boot_reps, "seed": args.seed,
        "wall_seconds": round(time.time() - t0, 1),
        "cpu_seconds": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "scenarios": results,
    }, indent=1))


if __name__ == "__main__":
    main()
