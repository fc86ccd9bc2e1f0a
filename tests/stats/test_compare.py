"""Team comparisons (section E): difference in medians with a block bootstrap, Cliff's delta."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from correlate.stats.compare import cliffs_delta, compare_outcomes, compare_teams
from correlate.stats.outcomes import OutcomeSpec

CYCLE = OutcomeSpec("pr_cycle_time_h", "pr_cycle_time_h_median", "duration", "median PR cycle time", "h")


def _two_teams(gap: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for team, mu in (("a", np.log(20) + gap), ("b", np.log(20))):
        for w in range(30):
            value = float(np.exp(mu + rng.normal(0, 0.3)))
            rows.append({"team": team, "week_index": w, "pr_cycle_time_h_median": value})
    return pd.DataFrame(rows)


def test_difference_in_medians_with_interval_and_effect_size() -> None:
    res = compare_teams(_two_teams(np.log(1.5)), CYCLE, "a", "b", reps=999, seed=1)
    assert res.median_a > res.median_b and res.statistic == pytest.approx(res.median_a - res.median_b)
    assert res.ci.low > 0 and res.pvalue < 0.05 and res.effect_size > 0.5
    assert res.n_a == res.n_b == 30 and res.rung == 1


def test_no_difference_is_not_significant_and_short_series_get_no_interval() -> None:
    res = compare_teams(_two_teams(0.0, seed=3), CYCLE, "a", "b", reps=999, seed=1)
    assert res.ci.contains(0.0) and res.pvalue > 0.05
    short = compare_teams(_two_teams(0.0).query("week_index < 3"), CYCLE, "a", "b")
    assert short.pvalue is None and np.isnan(short.ci.low)


def test_cliffs_delta_bounds() -> None:
    assert cliffs_delta(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert cliffs_delta(np.array([5.0]), np.array([1.0, 2.0])) == 1.0


def test_every_outcome_with_bh_adjustment() -> None:
    from correlate.stats.outcomes import DEFAULT_OUTCOMES

    res, adj = compare_outcomes(_two_teams(np.log(1.5)), DEFAULT_OUTCOMES, "a", "b", reps=499)
    assert [r.outcome for r in res] == ["pr_cycle_time_h"]  # the only outcome column present
    assert adj[0] == pytest.approx(res[0].pvalue)


def test_a_rate_is_compared_pooled_over_the_window_not_by_weekly_medians() -> None:
    """Change failure rate with a few deployments a week: weekly rates are mostly 0, so weekly medians
    are 0 for both teams; pooled over the window, team A fails 3 of 20 (15%) and team B 1 of 20 (5%)."""
    from correlate.stats.outcomes import outcome_by_name

    failed_a = [0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    failed_b = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    weekly = pd.DataFrame({
        "team": ["a"] * 10 + ["b"] * 10, "week_index": list(range(10)) * 2,
        "deployments_failed": failed_a + failed_b, "deployments": [2] * 20})
    spec = outcome_by_name("change_failure_rate")
    r = compare_teams(weekly, spec, "a", "b", reps=999, seed=1)
    assert r.median_a == pytest.approx(0.15) and r.median_b == pytest.approx(0.05)
    assert r.statistic == pytest.approx(0.10)
    assert r.ci.low < 0.10 < r.ci.high and r.n_a == 10
