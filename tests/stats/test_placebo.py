"""Placebo-simulation power (§3.J) on a synthetic panel with no effect (tests/stats/synthetic.py, hand-built).

On this panel (30 teams, 20 weeks, seed 9) the placebo SD is 0.098 against an analytic SE of 0.089 for
the real run, and 11 of 100 placebo runs reject at 5%: the untreated-only panel is unbalanced (adopters'
series stop at their real adoption), which is exactly the kind of over-rejection the placebo exists to
reveal. The bounds below are sanity bounds, not calibration claims (tests/stats/test_coverage.py does that).
"""

from __future__ import annotations

import pytest
from synthetic import weekly_panel

from correlate.stats.did import callaway_santanna
from correlate.stats.placebo import placebo_power


def test_placebo_se_is_close_to_the_analytic_se_and_rejections_are_reported() -> None:
    d = weekly_panel(teams=30, weeks=20, seed=9, effect=0.0, cohorts=(12, 15, 17))
    res = placebo_power(d, "y", unit="team", time="week_index", cohort="cohort", reps=100, seed=1)
    assert res.reps >= 95 and res.n_units == 30
    assert 0.0 <= res.false_positive_rate <= 0.2
    real = callaway_santanna(d, "y", unit="team", time="week_index", cohort="cohort", boot_reps=0, robustness=False)
    assert res.se == pytest.approx(real.att_group.se, rel=0.5)
    assert res.mde == pytest.approx(2.90 * res.se, rel=0.02)  # (t_.975 + t_.80) with 29 df
