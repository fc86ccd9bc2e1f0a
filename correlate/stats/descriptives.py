"""Section A: descriptives for every outcome (median, IQR, n, coverage) and before/after per team.

Shown always, including when the thin-data gates allow nothing else.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from correlate.stats.outcomes import OutcomeSpec, did_outcome
from correlate.stats.results import DescriptiveResult

__all__ = ["before_after", "describe"]


def _level(weekly: pd.DataFrame, spec: OutcomeSpec) -> pd.Series:
    """The outcome in display units: hours for durations, per-``per`` rates for counts, shares for rates."""
    v = did_outcome(weekly, spec)
    return np.exp(v) if spec.kind == "duration" else v


def describe(weekly: pd.DataFrame, spec: OutcomeSpec, *, unit: str = "team") -> DescriptiveResult:
    """Median and IQR of the outcome over team-weeks, with n (team-weeks observed) and coverage.

    Examples:
        >>> describe(weekly, DEFAULT_OUTCOMES[0]).median
    """
    v = _level(weekly, spec) if spec.column in weekly.columns else pd.Series(np.nan, index=weekly.index)
    ok = v.notna()
    n = int(ok.sum())
    q = v[ok].quantile([0.25, 0.5, 0.75]) if n else pd.Series([math.nan] * 3, index=[0.25, 0.5, 0.75])
    return DescriptiveResult(spec.name, n, int(weekly.loc[ok, unit].nunique()), float(q[0.5]), float(q[0.25]),
                             float(q[0.75]), n / len(weekly) if len(weekly) else math.nan)


def before_after(weekly: pd.DataFrame, spec: OutcomeSpec, cohorts: pd.Series, *, unit: str = "team",
                 time: str = "week_index") -> pd.DataFrame:
    """Per team: median of the outcome before and after its adoption week (never-adopters: all weeks 'before').

    Returns:
        ``team, adoption_week, median_before, median_after, n_before, n_after`` (no tests: descriptive).
    """
    v = _level(weekly, spec)
    d = weekly[[unit, time]].assign(v=v, c=weekly[unit].map(cohorts))
    d["after"] = d["c"].notna() & (d[time] >= d["c"])
    ok = d.dropna(subset=["v"])
    stats_ = ok.groupby([unit, "after"])["v"].agg(["median", "size"]).unstack("after")
    teams = pd.Index(sorted(d[unit].unique()), name=unit)
    out = pd.DataFrame({unit: teams, "adoption_week": [cohorts.get(t, math.nan) for t in teams]})
    for flag, name in ((False, "before"), (True, "after")):
        med = stats_["median"][flag] if ("median", flag) in stats_.columns else pd.Series(dtype=float)
        size = stats_["size"][flag] if ("size", flag) in stats_.columns else pd.Series(dtype=float)
        out[f"median_{name}"] = med.reindex(teams).to_numpy(dtype=float)
        out[f"n_{name}"] = size.reindex(teams).fillna(0).to_numpy(dtype=int)
    return out[[unit, "adoption_week", "median_before", "median_after", "n_before", "n_after"]]
