"""Benjamini–Hochberg false-discovery-rate adjustment across every p-value a report shows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["bh_adjust"]


def bh_adjust(pvalues: Sequence[float | None], *, method: str = "bh") -> list[float | None]:
    """BH-adjusted p-values (``method="by"`` for Benjamini–Yekutieli), in the input order.

    ``None``/NaN entries (suppressed or unavailable p-values) are passed through and do not count as
    tests. References: Benjamini & Hochberg (1995), JRSS-B 57(1); R10 in ``docs/statistics.md``.

    Examples:
        >>> [round(p, 4) for p in bh_adjust([0.01, 0.04, 0.03])]
        [0.03, 0.04, 0.04]
    """
    vals = np.array([np.nan if p is None else float(p) for p in pvalues], dtype=float)
    ok = ~np.isnan(vals)
    out: list[float | None] = [None] * len(vals)
    if ok.any():
        adj = stats.false_discovery_control(vals[ok], method=method)
        for i, a in zip(np.flatnonzero(ok), adj, strict=True):
            out[i] = float(a)
    return out
