"""Effects in business units (``docs/statistics.md`` §3.L): % change, hours, percentage points.

Interval ends are transformed one by one (never +-1.96 SE on the % scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from correlate.stats.results import ConfidenceInterval, DidResult, Estimate

__all__ = ["BusinessEffect", "EventStudyDisplay", "event_study_display", "hours", "pct_change", "per_unit",
           "percentage_points", "to_display"]


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


@dataclass(frozen=True, slots=True)
class EventStudyDisplay:
    """An event study ready to draw: display units, the plotted window, bounded axis, MDE lines, caption.

    Points are the universal-base event study inside ``DidResult.event_window`` plus the reference week
    (0 by construction). Log effects are % changes with each end transformed (never below -100%),
    proportions are percentage points cut to +-100; the axis is bounded so one wide far-out band cannot
    flatten the rest (``clipped`` says a band runs past it; the data table keeps the full numbers).
    """

    event_time: tuple[int, ...]
    estimate: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    unit: str
    axis: tuple[float, float]
    window: tuple[int, int]
    reference: int
    clipped: bool
    mde: tuple[float, float] | None
    band: str


def to_display(value: float, scale: str) -> float:
    """Model scale -> the unit a report prints: log ratios as % change, proportions as points (cut to +-100)."""
    if value is None or math.isnan(value):
        return math.nan
    if scale == "log":
        return 100.0 * math.expm1(min(value, 50.0))
    if scale == "pp":
        return max(-100.0, min(100.0, 100.0 * value))
    return float(value)


def event_study_display(did: DidResult, *, scale: str, unit: str, mde: float | None) -> EventStudyDisplay | None:
    """The chartable event study of ``did`` (None when the window holds no estimate)."""
    lo_e, hi_e = did.event_window
    ref = -1 - did.anticipation
    pts = [e for e in did.event_study_universal if lo_e <= e.event_time <= hi_e]
    if not pts:
        return None
    rows = sorted([(e.event_time, e.att, e.ci.low, e.ci.high) for e in pts] + [(ref, 0.0, 0.0, 0.0)])
    xs = tuple(r[0] for r in rows)
    est = tuple(to_display(r[1], scale) for r in rows)
    low = tuple(to_display(r[2], scale) for r in rows)
    high = tuple(to_display(r[3], scale) for r in rows)
    m = None
    if mde is not None and not math.isnan(mde):
        m = (to_display(-mde, scale), to_display(mde, scale))
    core = max([abs(v) for v in est if not math.isnan(v)] + ([abs(m[0]), abs(m[1])] if m else []) + [1e-9])
    limit = 2.5 * core
    finite_lo = [v for v in low if not math.isnan(v)] or [0.0]
    finite_hi = [v for v in high if not math.isnan(v)] or [0.0]
    a_lo, a_hi = max(min(finite_lo), -limit), min(max(finite_hi), limit)
    if scale == "log":
        a_lo = max(a_lo, -100.0)
    pad = 0.05 * (a_hi - a_lo or 1.0)
    clipped = min(finite_lo) < a_lo or max(finite_hi) > a_hi
    band = pts[0].band
    return EventStudyDisplay(xs, est, low, high, unit, (a_lo - pad, a_hi + pad), (lo_e, hi_e), ref, clipped, m, band)
