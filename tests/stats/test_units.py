"""Business-unit conversions transform interval ends, never +-1.96 SE on the % scale (§3.L)."""

from __future__ import annotations

import math

import pytest

from correlate.stats.results import ConfidenceInterval, Estimate
from correlate.stats.units import hours, pct_change, per_unit, percentage_points


def _est(b: float, lo: float, hi: float, scale: str = "log") -> Estimate:
    return Estimate("m", "t", b, 0.1, 0.01, ConfidenceInterval(lo, hi), 100, 20, 19, scale=scale)  # type: ignore[arg-type]


def test_log_effects_to_percent_and_hours() -> None:
    e = _est(math.log(0.8), math.log(0.7), math.log(0.9))
    pct = pct_change(e)
    assert (pct.value, pct.ci.low, pct.ci.high) == pytest.approx((-20.0, -30.0, -10.0))
    h = hours(e, 30.0)
    assert (h.value, h.ci.low, h.ci.high) == pytest.approx((-6.0, -9.0, -3.0)) and h.baseline == 30.0
    # asymmetric on the % scale, as it must be
    up = pct_change(_est(math.log(1.5), 0.0, math.log(2.25)))
    assert (up.ci.low, up.value, up.ci.high) == pytest.approx((0.0, 50.0, 125.0))


def test_irr_to_absolute_rate_and_proportions_to_points() -> None:
    r = per_unit(_est(math.log(1.12), math.log(1.02), math.log(1.23)), 3.3, "PRs per dev-week")
    assert r.value == pytest.approx(0.396) and r.unit == "PRs per dev-week"
    pp = percentage_points(_est(0.018, -0.002, 0.038, scale="pp"))
    assert (pp.value, pp.ci.low, pp.ci.high) == pytest.approx((1.8, -0.2, 3.8)) and pp.unit == "pp"
