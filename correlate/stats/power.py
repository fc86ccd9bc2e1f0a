"""Minimum detectable effects (``docs/statistics.md`` §3.J): the design's MDE from an estimate's own SE.

This is not "observed power" (a transform of the p-value); it answers "how large a change could
this design reliably see?".
"""

from __future__ import annotations

import math

from scipy import stats
from statsmodels.stats.power import TTestIndPower, TTestPower

from correlate.stats.results import PowerResult

__all__ = ["design_effect", "mde", "teams_per_group"]


def mde(se: float, df: int | None, *, alpha: float = 0.05, power: float = 0.8) -> PowerResult:
    """``MDE = (t_{1-alpha/2, df} + t_{power, df}) * SE`` (normal quantiles when ``df`` is None).

    Examples:
        >>> round(mde(1.0, None).mde, 2)
        2.8
        >>> round(mde(1.0, 9).mde, 2)
        3.15
    """
    if df is None:
        q = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    elif df < 1:
        q = math.nan
    else:
        q = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    return PowerResult(se=se, df=df, alpha=alpha, power=power, mde=float(q * se))


def teams_per_group(effect_size: float, *, alpha: float = 0.05, power: float = 0.8, paired: bool = False) -> float:
    """Units per group a two-sample (or, with ``paired``, one-sample/paired) t-test needs for Cohen's d.

    References: R12 in ``docs/statistics.md`` (d = 0.5 -> 63.77 per group; paired 33.37).
    """
    solver = TTestPower() if paired else TTestIndPower()
    return float(solver.solve_power(effect_size=effect_size, alpha=alpha, power=power))


def design_effect(weeks_per_team: float, icc: float) -> float:
    """Variance inflation from repeated weeks per team: ``1 + (m - 1) * ICC``."""
    return 1.0 + (weeks_per_team - 1.0) * icc
