"""Section E: team comparisons for ``correlate report compare`` (difference in medians, effect sizes).

Weeks within a team are autocorrelated, so the interval comes from the moving-block bootstrap over
weeks (:mod:`correlate.stats.block_bootstrap`: blocks of 4 weeks, each team resampled separately, one set
of edge-case rules) rather than an i.i.d. bootstrap or a Mann-Whitney test, both of which would treat
weeks as independent and be too narrow.
This is a description of two teams (rung 1), not an effect of anything.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from correlate.stats.block_bootstrap import Difference, median_difference, pooled_rate_difference
from correlate.stats.descriptives import _level
from correlate.stats.outcomes import OutcomeSpec
from correlate.stats.results import NAN_CI, ComparisonResult, ConfidenceInterval

__all__ = ["cliffs_delta", "compare_outcomes", "compare_teams"]

def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(A > B) - P(A < B) over all pairs: a rank effect size in [-1, 1] that ignores the tails' scale.

    Examples:
        >>> cliffs_delta(np.array([3, 4]), np.array([1, 2]))
        1.0
    """
    if len(a) == 0 or len(b) == 0:
        return math.nan
    diff = np.sign(a[:, None] - b[None, :])
    return float(diff.mean())


def compare_teams(weekly: pd.DataFrame, spec: OutcomeSpec, team_a: str, team_b: str, *, unit: str = "team",
                  time: str = "week_index", reps: int = 999, seed: int = 1,
                  pvalues_allowed: bool = True) -> ComparisonResult:
    """Difference in weekly medians (A - B) with a moving-block bootstrap CI, a bootstrap p-value and Cliff's delta.

    Rates (``kind="rate"``: events ÷ trials, e.g. change failure rate) are compared as rates pooled over
    the window instead (``median_a``/``median_b`` then hold the pooled rates): weekly rates are mostly 0,
    so their medians would be 0 for both teams.

    The p-value is twice the smaller share of bootstrap differences on either side of zero
    (``None`` when the gates forbid p-values or either team has fewer than 4 weeks).
    """
    if spec.kind == "rate" and spec.trials and spec.trials in weekly.columns:
        return _compare_pooled_rates(weekly, spec, team_a, team_b, unit=unit, time=time, reps=reps, seed=seed,
                                     pvalues_allowed=pvalues_allowed)
    v = _level(weekly, spec)
    d = weekly[[unit, time]].assign(v=v).dropna().sort_values(time)
    a = d.loc[d[unit] == team_a, "v"].to_numpy(float)
    b = d.loc[d[unit] == team_b, "v"].to_numpy(float)
    r = median_difference(a, b, reps=reps, seed=seed)
    return _result(spec, team_a, team_b, r, cliffs_delta(a, b), pvalues_allowed)


def _result(spec: OutcomeSpec, team_a: str, team_b: str, r: Difference, delta: float,
            pvalues_allowed: bool) -> ComparisonResult:
    ci = NAN_CI if r.low != r.low else ConfidenceInterval(r.low, r.high)
    return ComparisonResult(spec.name, team_a, team_b, r.stat_a, r.stat_b, r.difference, ci,
                            r.pvalue if pvalues_allowed else None, delta, r.n_a, r.n_b)


def compare_outcomes(weekly: pd.DataFrame, outcomes: tuple[OutcomeSpec, ...], team_a: str, team_b: str, *,
                     unit: str = "team", time: str = "week_index", reps: int = 999, seed: int = 1,
                     pvalues_allowed: bool = True) -> tuple[tuple[ComparisonResult, ...], list[float | None]]:
    """:func:`compare_teams` for every outcome present, plus BH-adjusted p-values across them (same order)."""
    from correlate.stats.multiple import bh_adjust

    res = tuple(compare_teams(weekly, o, team_a, team_b, unit=unit, time=time, reps=reps, seed=seed,
                              pvalues_allowed=pvalues_allowed)
                for o in outcomes if o.column in weekly.columns)
    return res, bh_adjust([r.pvalue for r in res])


def _compare_pooled_rates(weekly: pd.DataFrame, spec: OutcomeSpec, team_a: str, team_b: str, *, unit: str,
                          time: str, reps: int, seed: int, pvalues_allowed: bool) -> ComparisonResult:
    assert spec.trials is not None  # noqa: S101 - the caller checked
    d = weekly[[unit, time]].assign(e=pd.to_numeric(weekly[spec.column], errors="coerce").fillna(0.0),
                                    n=pd.to_numeric(weekly[spec.trials], errors="coerce").fillna(0.0))
    d = d.sort_values(time)

    def team(name: str) -> tuple[np.ndarray, np.ndarray]:
        part = d[d[unit] == name]
        return part["e"].to_numpy(float), part["n"].to_numpy(float)

    (ea, na), (eb, nb) = team(team_a), team(team_b)
    wa, wb = na > 0, nb > 0
    delta = cliffs_delta(ea[wa] / na[wa], eb[wb] / nb[wb])
    r = pooled_rate_difference(ea, na, eb, nb, reps=reps, seed=seed)
    return _result(spec, team_a, team_b, r, delta, pvalues_allowed)
