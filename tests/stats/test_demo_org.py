"""End to end on the demo organisation: generate -> store -> build_panel(week) -> run_suite.

``correlate.demo.generate`` plants a -30% change in PR pickup and review time after each team's
adoption day (``org.truth``); tests/test_demo.py shows the raw post/pre median ratio of cycle time
sits between 0.55 and 0.85. The suite must find each team's adoption week exactly and report a
cycle-time decrease in that range at evidence rung 4.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from correlate.config import AnalysisConfig
from correlate.demo import generate, load
from correlate.panel import build_panel
from correlate.stats.suite import run_suite
from correlate.store import Store

# a fixed last day: the organisation (holidays, Monday alignment of cohorts) and so the rung depend on it
END = date(2026, 12, 6)


@pytest.mark.slow
def test_suite_on_the_demo_org_finds_adoption_and_the_planted_speed_up(tmp_path: Path) -> None:
    org = generate(teams=10, devs=250, days=280, seed=11, effect=-0.3, end=END)
    with Store.open(tmp_path / "demo.duckdb") as store:
        load(store, org)
        weekly = build_panel(store, org.config, org.start, org.end, "week")
    res = run_suite(weekly, AnalysisConfig(bootstrap_reps=199), robustness_reps=49)

    first_monday = min(weekly["week"])
    for team, day in org.truth["adoption_day"].items():
        found = res.cohorts[team]
        if day is None:
            assert math.isnan(found), team
        else:
            assert found == (day - first_monday).days // 7, team

    cyc = next(o for o in res.outcomes if o.spec.name == "pr_cycle_time_h")
    assert -45 < cyc.headline.value < -15 and cyc.headline.ci.high < 0
    # with 10 teams the weekly pre-adoption coefficients are noisy: the first 8 weeks' change does not survive a
    # post-adoption drift as large as the largest pre-adoption one, so it is worded as an association, with why
    d = cyc.did
    assert d.pretrend is not None and d.pretrend.passed and d.pretrend.adequate_power
    assert d.sensitivity is not None and not d.sensitivity.survives and 0 <= d.sensitivity.breakdown_mbar < 1
    assert cyc.rung == 2 and d.rung_reason in cyc.sentence and "not an estimate of what adoption did" in cyc.sentence
    assert res.gates.level == "exploratory"  # 10 teams: labelled exploratory, not confirmatory
