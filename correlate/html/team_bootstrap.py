"""A small, stats-engine-free bootstrap for the team comparison report: difference in weekly medians,
or for rates (events ÷ trials) the difference in rates pooled over the window.

The comparison report uses the statistics engine's team comparison (``correlate.stats.compare``,
issue 6) for the outcomes the engine defines, and this helper for the report's other indicators
(adoption share, spend per active day, PR size, unreviewed merges, lead time) and when the engine is
not part of a build. The method is the one that module documents (same block length and draw order):
weeks within a team are autocorrelated, so each team's weekly
values are resampled in moving blocks of 4 weeks (not week by week, which would give intervals
that are too narrow), and the 95% interval is the 2.5th–97.5th percentile of the bootstrap
differences. It describes two teams (evidence rung 1); it says nothing about why they differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BLOCK", "MedianDifference", "median_difference", "pooled_rate_difference"]

BLOCK = 4
MIN_WEEKS = 4


@dataclass(frozen=True)
class MedianDifference:
    """``median(b) - median(a)`` over weekly values, with a moving-block bootstrap interval."""

    median_a: float
    median_b: float
    difference: float
    low: float
    high: float
    n_a: int
    n_b: int


def _block_index(n: int, rng: np.random.Generator, reps: int) -> np.ndarray:
    block = min(BLOCK, n)
    k = math.ceil(n / block)
    starts = rng.integers(0, n - block + 1, size=(reps, k))
    out: np.ndarray = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(reps, -1)[:, :n]
    return out


def _block_medians(v: np.ndarray, rng: np.random.Generator, reps: int) -> np.ndarray:
    medians: np.ndarray = np.median(v[_block_index(len(v), rng, reps)], axis=1)
    return medians


def median_difference(a: np.ndarray, b: np.ndarray, *, reps: int = 999, seed: int = 1) -> MedianDifference:
    """Difference in medians of two weekly series (NaN weeks dropped), with a 95% block-bootstrap interval.

    Fewer than 4 observed weeks on either side gives the point difference with no interval (NaN).

    Examples:
        >>> r = median_difference(np.arange(10.0), np.arange(10.0) + 5, reps=199)
        >>> r.difference
        5.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    ma = float(np.median(a)) if len(a) else math.nan
    mb = float(np.median(b)) if len(b) else math.nan
    if len(a) < MIN_WEEKS or len(b) < MIN_WEEKS:
        return MedianDifference(ma, mb, mb - ma, math.nan, math.nan, len(a), len(b))
    rng = np.random.default_rng(seed)
    diffs = _block_medians(b, rng, reps) - _block_medians(a, rng, reps)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return MedianDifference(ma, mb, mb - ma, float(lo), float(hi), len(a), len(b))


def pooled_rate_difference(events_a: np.ndarray, trials_a: np.ndarray, events_b: np.ndarray, trials_b: np.ndarray,
                           *, reps: int = 999, seed: int = 1) -> MedianDifference:
    """``sum(events_b)/sum(trials_b) - sum(events_a)/sum(trials_a)`` over the window's weeks, with a
    95% moving-block bootstrap interval (weeks resampled in blocks, the rate re-pooled each time).

    Why pooled: a rate such as change failure rate is 0 in most weeks (few deployments each), so
    weekly medians are 0 for both teams and their difference says nothing. Weeks with no trials
    count as observed but add nothing. Fewer than 4 weeks with trials gives no interval.

    Examples:
        >>> r = pooled_rate_difference(np.array([1, 0, 0, 1.0]), np.array([10, 10, 10, 10.0]),
        ...                            np.array([2, 2, 0, 0.0]), np.array([10, 10, 10, 10.0]), reps=199)
        >>> round(r.difference, 3)
        0.05
    """
    ea, ta, eb, tb = (np.nan_to_num(np.asarray(v, dtype=float)) for v in (events_a, trials_a, events_b, trials_b))
    ra = float(ea.sum() / ta.sum()) if ta.sum() > 0 else math.nan
    rb = float(eb.sum() / tb.sum()) if tb.sum() > 0 else math.nan
    na, nb = int((ta > 0).sum()), int((tb > 0).sum())
    if na < MIN_WEEKS or nb < MIN_WEEKS:
        return MedianDifference(ra, rb, rb - ra, math.nan, math.nan, na, nb)
    rng = np.random.default_rng(seed)
    ia, ib = _block_index(len(ta), rng, reps), _block_index(len(tb), rng, reps)
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = eb[ib].sum(axis=1) / tb[ib].sum(axis=1) - ea[ia].sum(axis=1) / ta[ia].sum(axis=1)
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) < reps // 2:
        return MedianDifference(ra, rb, rb - ra, math.nan, math.nan, na, nb)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return MedianDifference(ra, rb, rb - ra, float(lo), float(hi), na, nb)
