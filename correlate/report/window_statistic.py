"""A catalogue metric's window value as a statistic of one team's weeks, so that the bootstrap can recompute
it on resampled weeks: the team comparison's interval is then an interval of the very value it prints.

The window value (:func:`correlate.metrics.rows.evaluate`) pools the weeks: ratios add numerators and
denominators over the weeks and divide once (people: the largest weekly headcount, distinct AI-active
people), medians take the median of every event the weeks hold. :func:`difference` gives the same numbers
for any set of week positions, repeats included, and hands them to the one moving-block bootstrap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlate.metrics.catalogue import Metric
from correlate.metrics.rows import row_sums
from correlate.stats.block_bootstrap import Difference, Statistic, block_difference

__all__ = ["difference", "statistic"]


def statistic(m: Metric, weeks: pd.DataFrame) -> tuple[Statistic, int]:
    """``m``'s window value over rows of week positions of ``weeks`` (one team's weekly panel rows, built
    with ``keep_lists``), and how many of its weeks hold the measure (events, or a denominator above 0)."""
    if m.aggregate == "median":
        lists = [_floats(v) for v in weeks[m.numerator[0]]]

        def median(idx: np.ndarray) -> np.ndarray:
            out = np.full(len(idx), np.nan)
            for r, row in enumerate(idx):
                pooled = np.concatenate([lists[i] for i in row])
                if len(pooled):
                    out[r] = np.median(pooled)
            return out

        return median, sum(1 for w in lists if len(w))
    num = _total(m.numerator, weeks)
    if m.aggregate != "ratio":
        return num, len(weeks)
    den = _total(m.denominator, weeks)
    per_week_den = den(np.arange(len(weeks))[:, None])

    def ratio(idx: np.ndarray) -> np.ndarray:
        d = den(idx)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, num(idx) * m.scale / d, np.nan)

    return ratio, int((per_week_den > 0).sum())


def difference(m: Metric, a: pd.DataFrame, b: pd.DataFrame, *, reps: int, seed: int) -> Difference:
    """``m``'s window value of ``a``'s weeks minus that of ``b``'s, with the block-bootstrap interval."""
    (sa, na), (sb, nb) = statistic(m, a), statistic(m, b)
    return block_difference(sa, len(a), sb, len(b), observed=(na, nb), reps=reps, seed=seed)


def _floats(v: object) -> np.ndarray:
    values = pd.to_numeric(pd.Series(v if isinstance(v, (list, tuple, np.ndarray)) else [], dtype=object),
                           errors="coerce").to_numpy(dtype=float)
    out: np.ndarray = values[~np.isnan(values)]
    return out


def _total(cols: tuple[str, ...], weeks: pd.DataFrame) -> Statistic:
    """The numerator or denominator over resampled weeks, made as the catalogue makes it for one team."""
    parts: list[Statistic] = []
    sums = tuple(c for c in cols if c not in ("headcount", "ai_active_users"))
    if sums:
        w = row_sums(weeks, sums).to_numpy(dtype=float)
        parts.append(lambda idx: w[idx].sum(axis=1))
    if "headcount" in cols:  # the team's people: its largest weekly headcount, not a sum over weeks
        h = pd.to_numeric(weeks["headcount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        parts.append(lambda idx: h[idx].max(axis=1))
    if "ai_active_users" in cols:  # distinct people active in any of the weeks, each counted once
        people = [set(p) if isinstance(p, (list, tuple, np.ndarray)) else set() for p in weeks["_ai_persons"]]
        everyone = sorted(set().union(*people))
        active = np.array([[p in week for p in everyone] for week in people], dtype=bool).reshape(len(people), -1)
        parts.append(lambda idx: active[idx].any(axis=1).sum(axis=1).astype(float))
    return lambda idx: np.sum([part(idx) for part in parts], axis=0)
