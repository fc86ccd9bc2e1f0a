"""The one moving-block bootstrap of two teams' weekly series: a difference in medians, or in pooled rates.

Weeks within a team are autocorrelated, so each team's weekly values are resampled in moving blocks of
:data:`BLOCK` weeks (not week by week, which would give intervals that are too narrow), each team
separately, and the 95% interval is the 2.5th–97.5th percentile of the resampled differences. It
describes two teams (evidence rung 1); it says nothing about why they differ.

Edge-case rules, the same for every caller:

* NaN weeks are dropped before anything else (a week without the measure is not a week of 0).
* A series shorter than a block is resampled as one block of its own length.
* Fewer than :data:`MIN_WEEKS` observed weeks on either side (for rates: weeks with trials) gives the
  point difference with no interval and no p-value (NaN / None).
* Rates pool events ÷ trials over the resampled weeks; a resample whose trials sum to 0 has no rate and
  is dropped (with at least 4 weeks of trials most resamples keep one).
* The two teams are drawn in argument order (first ``a``, then ``b``) from one generator seeded with
  ``seed``, so a result is reproducible from its inputs.
* The p-value is twice the smaller share of resampled differences on either side of 0, capped at 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BLOCK", "MIN_WEEKS", "Difference", "block_index", "median_difference", "pooled_rate_difference"]

BLOCK = 4
MIN_WEEKS = 4


@dataclass(frozen=True)
class Difference:
    """``stat(a) - stat(b)`` with its 95% block-bootstrap interval and p-value (NaN/None when too short).

    ``stat_a``/``stat_b`` are the medians (or pooled rates) of each side; ``n_a``/``n_b`` the weeks used.
    """

    stat_a: float
    stat_b: float
    difference: float
    low: float
    high: float
    pvalue: float | None
    n_a: int
    n_b: int


def block_index(n: int, rng: np.random.Generator, reps: int, block: int = BLOCK) -> np.ndarray:
    """``reps`` moving-block resamples of positions ``0..n-1``, one per row (blocks of ``block`` weeks)."""
    size = max(1, min(block, n))
    k = math.ceil(n / size)
    starts = rng.integers(0, n - size + 1, size=(reps, k))
    out: np.ndarray = (starts[:, :, None] + np.arange(size)[None, None, :]).reshape(reps, -1)[:, :n]
    return out


def _interval(diffs: np.ndarray) -> tuple[float, float, float]:
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return float(lo), float(hi), p


def median_difference(a: np.ndarray, b: np.ndarray, *, reps: int = 999, seed: int = 1) -> Difference:
    """``median(a) - median(b)`` of two weekly series, with a 95% moving-block bootstrap interval.

    Examples:
        >>> r = median_difference(np.arange(10.0) + 5, np.arange(10.0), reps=199)
        >>> r.difference
        5.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    ma = float(np.median(a)) if len(a) else math.nan
    mb = float(np.median(b)) if len(b) else math.nan
    if len(a) < MIN_WEEKS or len(b) < MIN_WEEKS:
        return Difference(ma, mb, ma - mb, math.nan, math.nan, None, len(a), len(b))
    rng = np.random.default_rng(seed)
    ra = np.median(a[block_index(len(a), rng, reps)], axis=1)
    rb = np.median(b[block_index(len(b), rng, reps)], axis=1)
    lo, hi, p = _interval(ra - rb)
    return Difference(ma, mb, ma - mb, lo, hi, p, len(a), len(b))


def pooled_rate_difference(events_a: np.ndarray, trials_a: np.ndarray, events_b: np.ndarray, trials_b: np.ndarray,
                           *, reps: int = 999, seed: int = 1) -> Difference:
    """``sum(events_a)/sum(trials_a) - sum(events_b)/sum(trials_b)`` over the weeks, with a 95% moving-block
    bootstrap interval (weeks resampled in blocks, the rate re-pooled each time).

    Why pooled: a rate such as change failure rate is 0 in most weeks (few deployments each), so weekly
    medians would be 0 for both teams and their difference would say nothing. Missing events or trials
    count as 0.

    Examples:
        >>> r = pooled_rate_difference(np.array([2, 2, 0, 0.0]), np.array([10, 10, 10, 10.0]),
        ...                            np.array([1, 0, 0, 1.0]), np.array([10, 10, 10, 10.0]), reps=199)
        >>> round(r.difference, 3)
        0.05
    """
    ea, ta, eb, tb = (np.nan_to_num(np.asarray(v, dtype=float)) for v in (events_a, trials_a, events_b, trials_b))
    ra = float(ea.sum() / ta.sum()) if ta.sum() > 0 else math.nan
    rb = float(eb.sum() / tb.sum()) if tb.sum() > 0 else math.nan
    na, nb = int((ta > 0).sum()), int((tb > 0).sum())
    if na < MIN_WEEKS or nb < MIN_WEEKS:
        return Difference(ra, rb, ra - rb, math.nan, math.nan, None, na, nb)
    rng = np.random.default_rng(seed)
    ia, ib = block_index(len(ta), rng, reps), block_index(len(tb), rng, reps)
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = ea[ia].sum(axis=1) / ta[ia].sum(axis=1) - eb[ib].sum(axis=1) / tb[ib].sum(axis=1)
    lo, hi, p = _interval(diffs[np.isfinite(diffs)])
    return Difference(ra, rb, ra - rb, lo, hi, p, na, nb)
