"""Effects in business units (``docs/statistics.md`` §3.L): % change, hours, percentage points.

Interval ends are transformed one by one (never +-1.96 SE on the % scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from correlate.stats.results import ConfidenceInterval, Estimate

__all__ = ["BusinessEffect", "hours", "pct_change", "per_unit", "percentage_points"]


@dataclass(frozen=True, slots=True)
class BusinessEffect:
    """An estimate converted to a unit a reader uses. ``unit`` is ``"%"``, ``"h"``, ``"pp"`` or a rate label."""

    value: float
    ci: ConfidenceInterval
    unit: str
    baseline: float | None
    basis: str  # how it was converted, printed in method notes


def pct_change(est: Estimate) -> BusinessEffect:
    """Log-scale effect (log-OLS, PPML, CS on log y) to % change: ``100 * (exp(b) - 1)`` for point and ends."""
    def f(b: float) -> float:
        return 100.0 * math.expm1(b)

    return BusinessEffect(f(est.statistic), ConfidenceInterval(f(est.ci.low), f(est.ci.high), est.ci.level), "%", None,
                          "100 x (exp(beta) - 1), interval ends transformed")


def hours(est: Estimate, baseline_h: float, *,
          baseline_label: str = "adopting teams' pre-period median") -> BusinessEffect:
    """Log-scale effect on a duration to hours at ``baseline_h``: ``baseline * (exp(b) - 1)``.

    A log model estimates a ratio of geometric means (roughly medians), so this is a change in the
    *median* duration. It is elapsed time, not engineer effort saved.
    """
    def f(b: float) -> float:
        return baseline_h * math.expm1(b)

    return BusinessEffect(f(est.statistic), ConfidenceInterval(f(est.ci.low), f(est.ci.high), est.ci.level), "h",
                          baseline_h, f"baseline x (exp(beta) - 1), baseline = {baseline_label}")


def per_unit(est: Estimate, baseline_rate: float, unit: str) -> BusinessEffect:
    """Log-scale effect on a rate (IRR) to an absolute change at ``baseline_rate`` (e.g. PRs per dev-week)."""
    def f(b: float) -> float:
        return baseline_rate * math.expm1(b)

    return BusinessEffect(f(est.statistic), ConfidenceInterval(f(est.ci.low), f(est.ci.high), est.ci.level), unit,
                          baseline_rate, "baseline rate x (IRR - 1)")


def percentage_points(est: Estimate) -> BusinessEffect:
    """A proportion-scale effect (``scale == "pp"``, a share 0..1) to percentage points."""
    return BusinessEffect(100 * est.statistic, ConfidenceInterval(100 * est.ci.low, 100 * est.ci.high, est.ci.level),
                          "pp", None, "average marginal effect x 100")
