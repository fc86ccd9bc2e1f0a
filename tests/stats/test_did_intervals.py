"""Every interval the engine reports contains its own estimate: headline, simple, dynamic, ratio, robustness,
the intensity models, the business-unit headline and the report's rows.

The case that broke it: a change in a share whose outcome-regression estimate exceeds the adopting teams' own
share (their counterfactual share is negative), where cutting the interval to the adopters' feasible range left
the estimate outside its interval (+9.8 pp printed with 95% CI 1.3-8.3).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from synthetic import daily_panel, weekly_panel

from correlate.config import AnalysisConfig
from correlate.report.statistics import from_suite
from correlate.stats.did import callaway_santanna
from correlate.stats.grain import to_weekly
from correlate.stats.results import DidResult, Estimate
from correlate.stats.suite import SuiteResult, run_suite


def _did_estimates(d: DidResult) -> Iterator[Estimate]:
    yield from (d.att_group, d.att_simple, d.att_dynamic)
    if d.att_ratio is not None:
        yield d.att_ratio
    yield from d.robustness


def _assert_contains(e: Estimate, where: str) -> None:
    if math.isnan(e.ci.low) and math.isnan(e.ci.high):  # not estimable: no interval is printed at all
        return
    assert e.ci.low <= e.statistic <= e.ci.high, f"{where} {e.term}: {e.statistic} outside [{e.ci.low}, {e.ci.high}]"


def _share_panel_past_the_adopters_share(seed: int = 0) -> pd.DataFrame:
    """Adopting teams' failure share stays near 10%; the comparison teams' falls from 70% to 10% at the same time.

    The difference-in-differences is about +60 points while the adopters' share is 10%: their implied
    counterfactual share is about -50%, outside what a share can be.
    """
    rng = np.random.default_rng(seed)
    teams, weeks, adopt_at = 20, 12, 6
    rows = []
    for t in range(teams):
        adopter = t < 10
        for w in range(weeks):
            p = 0.1 if adopter else (0.7 if w < adopt_at else 0.1)
            rows.append({"team": t, "week_index": w, "cohort": adopt_at if adopter else 0,
                         "y": rng.binomial(20, p) / 20})
    return pd.DataFrame(rows)


def test_an_estimate_above_the_adopters_share_keeps_its_interval_around_it() -> None:
    panel = _share_panel_past_the_adopters_share()
    res = callaway_santanna(panel, "y", unit="team", time="week_index", cohort="cohort", scale="pp", boot_reps=0,
                            robust_reps=19)
    treated_share = panel.loc[(panel.cohort > 0) & (panel.week_index >= 6), "y"].mean()
    g = res.att_group
    assert g.statistic > treated_share + 0.3  # the case itself: the estimate exceeds the adopters' share
    assert g.ci.low <= g.statistic <= g.ci.high
    assert -1.0 <= g.ci.low and g.ci.high <= 1.0  # only what is always true of a change in a share
    for e in _did_estimates(res):
        _assert_contains(e, "constructed share panel")
    assert any("counterfactual share" in w and "outside 0-100%" in w for w in res.warnings), res.warnings


def test_an_interval_running_past_100_points_is_cut_there_and_still_holds_its_estimate() -> None:
    """Three teams a side and wild swings: the interval is wider than a share allows, so it is cut at +-100 points."""
    rng = np.random.default_rng(4)
    rows = [{"team": t, "week_index": w, "cohort": 4 if t < 3 else 0,
             "y": float(rng.choice([0.0, 1.0]) if t < 3 and w >= 4 else rng.uniform(0, 0.2))}
            for t in range(6) for w in range(8)]
    g = callaway_santanna(pd.DataFrame(rows), "y", unit="team", time="week_index", cohort="cohort", scale="pp",
                          boot_reps=0, robustness=False).att_group
    uncut_high = g.statistic + stats.t.ppf(0.975, g.df) * g.se
    assert uncut_high > 1.0 and g.ci.high == 1.0
    assert -1.0 <= g.ci.low <= g.statistic <= g.ci.high


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scale", ["level", "pp"])
def test_on_synthetic_weekly_panels_every_did_interval_contains_its_estimate(seed: int, scale: str) -> None:
    panel = weekly_panel(teams=24, weeks=16, seed=seed, effect=0.4)
    if scale == "pp":  # the same panel as a share, squeezed into 0..1
        panel = panel.assign(y=1 / (1 + np.exp(-panel["y"])))
    else:  # a positive quantity, so the ratio is estimated too
        panel = panel.assign(y=np.exp(panel["y"]))
    res = callaway_santanna(panel, "y", unit="team", time="week_index", cohort="cohort", scale=scale, boot_reps=49,
                            robust_reps=19, ratio=scale == "level")
    assert scale == "pp" or res.att_ratio is not None
    for e in _did_estimates(res):
        _assert_contains(e, f"weekly_panel seed {seed}")


def _suite_estimates(suite: SuiteResult) -> Iterator[tuple[str, Estimate]]:
    for o in suite.outcomes:
        if o.did is not None:
            yield from ((o.spec.name, e) for e in _did_estimates(o.did))
        if o.twfe is not None:
            yield o.spec.name, o.twfe
        if o.lags is not None:
            yield from ((o.spec.name, e) for e in (*o.lags.lags, *o.lags.leads, o.lags.cumulative))


@pytest.mark.parametrize(("seed", "teams"), [(1, 16), (2, 16), (3, 8)])  # 8 teams: the wild-bootstrap gate
def test_on_synthetic_daily_panels_every_interval_the_suite_and_report_print_contains_its_estimate(
        seed: int, teams: int) -> None:
    weekly = to_weekly(daily_panel(teams=teams, weeks=30, seed=seed))
    suite = run_suite(weekly, AnalysisConfig(bootstrap_reps=99), robustness_reps=19)
    assert suite.gates.level == ("exploratory" if teams < 15 else "confirmatory")
    checked = 0
    for name, e in _suite_estimates(suite):
        _assert_contains(e, name)
        checked += 1
    assert checked >= 3 * len(suite.outcomes)
    for o in suite.outcomes:
        for be in (o.headline, o.headline_hours):
            if be is not None and not math.isnan(be.ci.low):
                assert be.ci.low <= be.value <= be.ci.high, (o.spec.name, be)
    view = from_suite(suite)
    for row in (*view.summary, *view.att):
        if not math.isnan(row.low):
            assert row.low <= row.estimate <= row.high, row
