"""Pure parts of the reports: the group-size rule and the DORA tier of each catalogue metric."""

from __future__ import annotations

import pytest

from correlate.dora.tiers import judge
from correlate.metrics.catalogue import metric
from correlate.report.teams import OTHER, SUPPRESSED, grouping


def test_small_teams_merge_into_other_when_together_big_enough() -> None:
    g = grouping({"a": 12, "b": 3, "c": 2, "d": 7}, 5)
    assert g.shown == {"a": "a", "d": "d", "b": OTHER, "c": OTHER}
    assert g.merged == ("b", "c") and not g.suppressed
    assert "shown together" in g.note and "b, c" in g.note


def test_small_teams_are_suppressed_when_even_together_too_few() -> None:
    g = grouping({"a": 12, "b": 3}, 5)
    assert g.label("b") is None and g.suppressed == ("b",)
    assert g.row_label("b") == SUPPRESSED and g.labels == ["a", SUPPRESSED]
    assert "suppressed" in g.note and "add up to the organisation" in g.note


def test_no_note_when_every_team_is_big_enough() -> None:
    assert grouping({"a": 5, "b": 6}, 5).note == ""


def _tiers(**kw: float) -> dict[str, str]:
    base = dict(year=2023, weeks=12, deploy_days_per_week=5.0, deploy_days_per_month=20.0, lead_time_h=20.0,
                lead_n=50, cfr=0.04, deployments=60, restore_h=0.5, restore_n=5)
    base.update(kw)
    year = int(base["year"])
    return {j.metric: j.tier for j in (
        judge(metric("deploy_days_per_week"), base["deploy_days_per_week"], int(base["weeks"]), year,
              per_month=base["deploy_days_per_month"]),
        judge(metric("lead_time_h"), base["lead_time_h"], int(base["lead_n"]), year),
        judge(metric("change_failure_rate"), base["cfr"], int(base["deployments"]), year),
        judge(metric("time_to_restore_h"), base["restore_h"], int(base["restore_n"]), year))}


ALL = ("deploy_days_per_week", "lead_time_h", "change_failure_rate", "time_to_restore_h")


def test_dora_2023_thresholds_per_metric() -> None:
    # definitions.md, "The yardstick" (DevLake 2023): elite >= 5 deploy days/week, lead < 1 day, CFR <= 5%, < 1 h
    assert _tiers() == dict.fromkeys(ALL, "elite")
    assert _tiers(deploy_days_per_week=1.0, lead_time_h=24.0, cfr=0.10, restore_h=1.0) == dict.fromkeys(ALL, "high")
    assert _tiers(deploy_days_per_week=0.5, deploy_days_per_month=2, lead_time_h=24 * 29, cfr=0.15,
                  restore_h=24 * 6)["change_failure_rate"] == "medium"
    assert _tiers(deploy_days_per_week=0.0, deploy_days_per_month=0, cfr=0.16)["deploy_days_per_week"] == "low"


def test_dora_2021_uses_its_own_table() -> None:
    assert _tiers(year=2021, cfr=0.15, lead_time_h=2.0, deploy_days_per_week=3.0) == {
        "deploy_days_per_week": "elite", "lead_time_h": "high", "change_failure_rate": "elite",
        "time_to_restore_h": "elite"}


def test_no_tier_below_the_minimum_n_and_the_reason_is_given() -> None:
    year = 2023
    cells = {j.metric: j for j in (
        judge(metric("deploy_days_per_week"), 5, 3, year, per_month=9), judge(metric("lead_time_h"), 1, 4, year),
        judge(metric("change_failure_rate"), 0.0, 9, year), judge(metric("time_to_restore_h"), 0.1, 2, year))}
    assert all(c.tier == "no tier" for c in cells.values())
    assert "4 changes" in cells["lead_time_h"].reason and "9 deployments" in cells["change_failure_rate"].reason
    assert "3 complete weeks" in cells["deploy_days_per_week"].reason


def test_a_metric_without_a_threshold_table_cannot_be_judged() -> None:
    with pytest.raises(ValueError, match="no DORA threshold table"):
        judge(metric("prs_merged"), 1.0, 100, 2023)
