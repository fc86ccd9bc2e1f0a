"""DORA tiers per catalogue metric against the 2021 and 2023 tables (definitions.md, "The yardstick"):
one classification (``classify``), applied to window values with the minimum n (``judge``)."""

from __future__ import annotations

import pytest

from correlate.dora.tiers import MIN_N, classify, judge
from correlate.metrics.catalogue import metric, table

H = 3600.0
FREQ, LEAD, CFR, RESTORE = (metric(n) for n in ("deploy_days_per_week", "lead_time_h", "change_failure_rate",
                                                "time_to_restore_h"))


def tiers(year: int, *, week: float = 4.0, month: float = 16.0, lead_h: float = 12.0, cfr: float = 0.12,
          restore_h: float = 2.0, n: int = 20) -> tuple[str, ...]:
    return (judge(FREQ, week, 8, year, per_month=month).tier, judge(LEAD, lead_h, n, year).tier,
            judge(CFR, cfr, 100, year).tier, judge(RESTORE, restore_h, n, year).tier)


def test_the_same_team_is_judged_differently_by_each_year() -> None:
    # 2023: >= 1 day/week high; < 1 day elite; 10 % < 12 % <= 15 % medium; restore 2 h < 1 day high
    assert tiers(2023) == ("high", "elite", "medium", "high")
    # 2021: >= 3 days/week elite; 1 h <= 12 h < 1 week high; <= 15 % elite; restore 2 h < 1 day high
    assert tiers(2021) == ("elite", "high", "elite", "high")
    lead = judge(LEAD, 12.0, 20, 2023)
    assert "2023" in lead.thresholds and lead.value == 12.0 and lead.reason == ""


def test_the_report_judges_the_catalogues_dora_metrics() -> None:
    assert [m.name for m in table("dora_tiers")] == [FREQ.name, LEAD.name, CFR.name, RESTORE.name]
    assert {m.dora for m in table("dora_tiers")} == set(MIN_N)


@pytest.mark.parametrize(("year", "cfr", "tier"), [
    (2023, 0.05, "elite"), (2023, 0.06, "high"), (2023, 0.10, "high"), (2023, 0.15, "medium"),
    (2023, 0.16, "low"), (2021, 0.15, "elite"), (2021, 0.20, "high"), (2021, 0.30, "medium"),
    (2021, 0.31, "low"),
])
def test_change_failure_rate_boundaries(year: int, cfr: float, tier: str) -> None:
    assert judge(CFR, cfr, 100, year).tier == tier


@pytest.mark.parametrize(("year", "hours", "tier"), [
    (2023, 23.9, "elite"), (2023, 24, "high"), (2023, 167, "high"), (2023, 30 * 24 - 1, "medium"),
    (2023, 30 * 24, "low"), (2021, 0.9, "elite"), (2021, 1, "high"), (2021, 179 * 24, "medium"),
    (2021, 180 * 24, "low"),
])
def test_lead_time_boundaries(year: int, hours: float, tier: str) -> None:
    assert judge(LEAD, hours, 20, year).tier == tier
    assert classify("lead_time", hours * H, year) == tier  # the tables are in seconds


@pytest.mark.parametrize(("year", "week", "month", "tier"), [
    (2023, 5, 20, "elite"), (2023, 4, 16, "high"), (2023, 0, 2, "medium"), (2023, 0, 0, "low"),
    (2021, 3, 12, "elite"), (2021, 1, 4, "high"), (2021, 0, 1, "medium"), (2021, 0, 0, "low"),
])
def test_deployment_frequency_boundaries(year: int, week: float, month: float, tier: str) -> None:
    assert judge(FREQ, week, 8, year, per_month=month).tier == tier


@pytest.mark.parametrize(("year", "hours", "tier"), [
    (2023, 0.9, "elite"), (2023, 1, "high"), (2023, 30, "medium"), (2023, 24 * 7, "low"), (2021, 0.5, "elite"),
])
def test_time_to_restore_boundaries(year: int, hours: float, tier: str) -> None:
    assert judge(RESTORE, hours, 20, year).tier == tier


def test_no_tier_without_four_weeks_or_enough_cases_and_the_reason_is_given() -> None:
    short = judge(FREQ, 5.0, 3, 2023, per_month=20)
    assert short.tier == "no tier" and "3 complete weeks; a tier needs 4" in short.reason
    thin_cfr = judge(CFR, 0.1, 9, 2023)
    assert thin_cfr.tier == "no tier" and "9 deployments" in thin_cfr.reason
    thin_lead = judge(LEAD, 2.0, 4, 2023)
    assert thin_lead.tier == "no tier" and "4 changes" in thin_lead.reason
    nan = judge(RESTORE, float("nan"), 10, 2023)
    assert nan.tier == "no tier" and nan.reason == "no value"
