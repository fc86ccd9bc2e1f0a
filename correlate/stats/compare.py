"""Section E: team comparisons for ``correlate report compare`` (difference in medians, effect sizes).

Weeks within a team are autocorrelated, so the interval comes from a moving-block bootstrap over
weeks (blocks of 4 weeks, each team resampled separately) rather than an i.i.d. bootstrap or a
Mann-Whitney test, both of which would treat weeks as independent and be too narrow.
This is a description of two teams (rung 1), not an effect of anything.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from correlate.stats.descriptives import _level
from correlate.stats.outcomes import OutcomeSpec
from correlate.stats.results import NAN_CI, ComparisonResult, ConfidenceInterval

__all__ = ["cliffs_delta", "compare_outcomes", "compare_teams"]

BLOCK = 4


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


def _block_index(n: int, rng: np.random.Generator, reps: int) -> np.ndarray:
    """``reps`` moving-block resamples of positions 0..n-1 (blocks of BLOCK weeks), one per row."""
    k = max(1, math.ceil(n / BLOCK))
    starts = rng.integers(0, max(n - BLOCK, 0) + 1, size=(reps, k))
    idx: np.ndarray = (starts[:, :, None] + np.arange(min(BLOCK, n))[None, None, :]).reshape(reps, -1)[:, :n]
    return idx


def _block_resample(v: np.ndarray, rng: np.random.Generator, reps: int) -> np.ndarray:
    med: np.ndarray = np.median(v[_block_index(len(v), rng, reps)], axis=1)
    return med


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
    ma = float(np.median(a)) if len(a) else math.nan
    mb = float(np.median(b)) if len(b) else math.nan
    if len(a) < 4 or len(b) < 4:
        return ComparisonResult(spec.name, team_a, team_b, ma, mb, ma - mb, NAN_CI, None, cliffs_delta(a, b),
                                len(a), len(b))
    rng = np.random.default_rng(seed)
    diffs = _block_resample(a, rng, reps) - _block_resample(b, rng, reps)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return ComparisonResult(spec.name, team_a, team_b, ma, mb, ma - mb, ConfidenceInterval(float(lo), float(hi)),
                            p if pvalues_allowed else None, cliffs_delta(a, b), len(a), len(b))


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
    ra = float(ea.sum() / na.sum()) if na.sum() > 0 else math.nan
    rb = float(eb.sum() / nb.sum()) if nb.sum() > 0 else math.nan
    wa, wb = na > 0, nb > 0
    delta = cliffs_delta(ea[wa] / na[wa], eb[wb] / nb[wb])
    if wa.sum() < 4 or wb.sum() < 4:
        return ComparisonResult(spec.name, team_a, team_b, ra, rb, ra - rb, NAN_CI, None, delta, int(wa.sum()),
                                int(wb.sum()))
    rng = np.random.default_rng(seed)

    def pooled(e: np.ndarray, n: np.ndarray) -> np.ndarray:
        idx = _block_index(len(n), rng, reps)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = e[idx].sum(axis=1) / n[idx].sum(axis=1)
        return out

    diffs = pooled(ea, na) - pooled(eb, nb)
    diffs = diffs[np.isfinite(diffs)]
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return ComparisonResult(spec.name, team_a, team_b, ra, rb, ra - rb, ConfidenceInterval(float(lo), float(hi)),
                            p if pvalues_allowed else None, delta, int(wa.sum()), int(wb.sum()))
