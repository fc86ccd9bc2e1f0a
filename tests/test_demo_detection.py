"""The demo organisation's planted cycle-time effect is found by the analysis on every seed tried, and the
estimate agrees with what was planted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from correlate.config import AnalysisConfig
from correlate.demo import DEMO_DEFAULTS, generate, load
from correlate.panel import build_panel
from correlate.stats.suite import run_suite
from correlate.store import Store

END = date(2026, 12, 6)
TOLERANCE_POINTS = 10.0  # |estimate - planted| in percentage points


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 11))
def test_the_planted_speed_up_is_detected_and_recovered(seed: int, tmp_path: Path) -> None:
    d = DEMO_DEFAULTS
    org = generate(teams=d.teams, devs=d.devs, days=d.days, seed=seed, effect=d.effect, end=END)
    with Store.open(tmp_path / "demo.duckdb") as store:
        load(store, org)
        weekly = build_panel(store, org.config, org.start, org.end, "week")
    # fewer resamples than a report: the verdict and interval need not be that precise here
    res = run_suite(weekly, AnalysisConfig(bootstrap_reps=99), robustness_reps=19)
    cycle = next(o for o in res.outcomes if o.spec.name == "pr_cycle_time_h")
    planted = 100 * d.effect
    found = cycle.headline
    assert found is not None and cycle.verdict == "detected", (found, cycle.sentence)
    assert found.value < 0 and found.ci.high < 0
    assert found.ci.low <= planted <= found.ci.high, found
    assert abs(found.value - planted) <= TOLERANCE_POINTS, found
