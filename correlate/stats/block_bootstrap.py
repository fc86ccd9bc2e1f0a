"""The one moving-block bootstrap of two teams' weekly series: the difference of any statistic of their weeks
(a median of weekly values, a rate pooled over the weeks, a median of the events the weeks hold: see
:func:`block_difference`).

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
* A resample whose statistic does not exist (NaN: no events in the resampled weeks) is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BLOCK", "MIN_WEEKS", "Difference", "Statistic", "block_difference", "block_index", "median_difference",
           "pooled_rate_difference"]

BLOCK = 4
MIN_WEEKS = 4

# A statistic of a team's weeks: rows of week positions (one resample per row) → one value per row.
Statistic = Callable[[np.ndarray], np.ndarray]


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


def block_difference(stat_a: Statistic, weeks_a: int, stat_b: Statistic, weeks_b: int, *, observed: tuple[int, int],
                     reps: int = 999, seed: int = 1) -> Difference:
    """``stat_a(all weeks of a) - stat_b(all weeks of b)`` with its 95% moving-block bootstrap interval: each
    team's ``weeks_*`` weeks resampled in blocks and the statistic recomputed on every resample.

    ``observed``: the weeks of each team that hold the measure (the :data:`MIN_WEEKS` rule counts these).
    """
    sa = float(stat_a(np.arange(weeks_a)[None, :])[0]) if weeks_a else math.nan
    sb = float(stat_b(np.arange(weeks_b)[None, :])[0]) if weeks_b else math.nan
    na, nb = observed
    if na < MIN_WEEKS or nb < MIN_WEEKS:
        return Difference(sa, sb, sa - sb, math.nan, math.nan, None, na, nb)
    rng = np.random.default_rng(seed)
    ia = block_index(weeks_a, rng, reps)
    ib = block_index(weeks_b, rng, reps)
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = np.asarray(stat_a(ia), dtype=float) - np.asarray(stat_b(ib), dtype=float)
    diffs = diffs[np.isfinite(diffs)]
    if not len(diffs):
        return Difference(sa, sb, sa - sb, math.nan, math.nan, None, na, nb)
    lo, hi, p = _interval(diffs)
    return Difference(sa, sb, sa - sb, lo, hi, p, na, nb)


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

    def median_of(x: np.ndarray) -> Statistic:
        return lambda idx: np.median(x[idx], axis=1)

    return block_difference(median_of(a), len(a), median_of(b), len(b), observed=(len(a), len(b)), reps=reps,
                            seed=seed)


def pooled_rate_difference(events_a: np.ndarray, trials_a: np.ndarray, events_b: np.ndarray, trials_b: np.ndarray,
                           *, reps: int = 999, seed: int = 1, scale: float = 1.0) -> Difference:
    """``sum(events_a)/sum(trials_a) - sum(events_b)/sum(trials_b)`` over the weeks (times ``scale``), with a 95%
    moving-block bootstrap interval (weeks resampled in blocks, the rate re-pooled each time).

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

    def rate(e: np.ndarray, t: np.ndarray) -> Statistic:
        def stat(idx: np.ndarray) -> np.ndarray:
            trials = t[idx].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(trials > 0, e[idx].sum(axis=1) * scale / trials, np.nan)
        return stat

    return block_difference(rate(ea, ta), len(ta), rate(eb, tb), len(tb),
                            observed=(int((ta > 0).sum()), int((tb > 0).sum())), reps=reps, seed=seed)

