"""The demo shows what the tool is for: with no planted effect, the report honestly finds nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from correlate.demo import generate, load
from correlate.report.monthly import build_monthly
from correlate.report.statistics import unavailable
from correlate.store import Store
from tests.reportdata import store_truth


@pytest.mark.slow
def test_with_effect_0_the_report_finds_no_change_and_says_what_it_could_have_seen(tmp_path: Path) -> None:
    end = date(2026, 12, 6)
    org = generate(effect=0.0, incident_effect=0.0, end=end)
    with Store.open(tmp_path / "demo.duckdb") as store:
        load(store, org)
        store_truth(store, org, seed=7)
        report = build_monthly(store, org.config, "2026-11", today=end + timedelta(days=1))
    assert report.stats.available, report.stats.reason
    verdicts = {v.outcome: v for v in report.summary.verdicts}
    cycle = verdicts["median PR cycle time"]
    assert cycle.status in ("no_change", "too_little_data"), cycle.sentence
    assert not [v for v in verdicts.values() if v.status == "detected"], [v.sentence for v in verdicts.values()]
    if cycle.status == "no_change":
        assert "no detectable change" in cycle.sentence and "could only have seen changes larger than" in cycle.sentence
    demo = report.appendix.demo if report.appendix else None
    assert demo is not None and demo.rows[0][1] == "+0%"
    assert demo.rows[0][2].startswith("not estimated") or demo.rows[0][2].endswith(", no detectable change")


def test_the_demo_appendix_says_as_of_which_day_as_a_date(tmp_path: Path) -> None:
    end = date(2026, 12, 6)
    org = generate(teams=3, devs=30, days=45, end=end)
    with Store.open(tmp_path / "demo.duckdb") as store:
        load(store, org)
        store_truth(store, org, seed=7)
        report = build_monthly(store, org.config, "2026-11", today=end + timedelta(days=1),
                               stats=unavailable("not needed to state the planted values"))
    demo = report.appendix.demo if report.appendix else None
    assert demo is not None
    assert "(seed 7, as of 2026-12-07)" in demo.note, demo.note
