"""DORA tiers per metric against the 2021 and 2023 tables (definitions.md, "The yardstick")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from correlate.dora.metrics import DoraMetrics, Duration, Frequency, Rate
from correlate.dora.tiers import assign_tiers

H, D = 3600.0, 86400.0


def metrics(*, deploy_days_week: float = 4.0, deploy_days_month: float = 16.0, weeks: int = 8,
            lead_h: float = 12.0, cfr: tuple[int, int] = (12, 100), recovery_h: float = 0.5,
            restore_h: float = 2.0, n: int = 20) -> DoraMetrics:
    """Hand-set metric values (the tier logic is under test, not the metrics)."""
    def dur(name: str, hours: float) -> Duration:
        return Duration(name, hours * H, None, None, n, 0, "test")

    return DoraMetrics(
        team="payments", since=date(2026, 1, 5), until=date(2026, 3, 1),
        deployment_frequency=Frequency("deployment_frequency", 100, weeks * 7, 40, weeks, deploy_days_week, 2,
                                       deploy_days_month, "test"),
        lead_time=dur("lead_time", lead_h),
        change_failure_rate=Rate("change_failure_rate", cfr[0], cfr[1], 1.0, "share", "test"),
        failed_deployment_recovery=dur("failed_deployment_recovery", recovery_h),
        time_to_restore=dur("time_to_restore", restore_h),
        rework_rate=Rate("deployment_rework_rate", 0, 100, 1.0, "share", "test"),
        incident_rate=Rate("incident_rate", 0, 56, 7.0, "per week", "test"),
        bug_rate=Rate("bug_rate", 0, 10, 100.0, "per 100 PRs", "test"),
    )


def tiers_of(m: DoraMetrics, year: int) -> tuple[str | None, ...]:
    t = assign_tiers(m, year)
    return tuple(r.tier for r in t.results)


def test_the_same_team_is_judged_differently_by_each_year() -> None:
    m = metrics()  # 4 deploy days/week, lead 12 h, CFR 12 %, recovery 0.5 h, restore 2 h
    # 2023: >= 1 day/week high; < 1 day elite; 10 % < 12 % <= 15 % medium; recovery < 1 h elite
    assert tiers_of(m, 2023) == ("high", "elite", "medium", "elite")
    # 2021: >= 3 days/week elite; 1 h <= 12 h < 1 week high; <= 15 % elite; restore 2 h < 1 day high
    assert tiers_of(m, 2021) == ("elite", "high", "elite", "high")
    t = assign_tiers(m, 2023)
    assert t.overall is None and "different tiers" in t.overall_reason
    assert "2023" in t.lead_time.thresholds and t.lead_time.value == 12 * H


@pytest.mark.parametrize(("year", "cfr", "tier"), [
    (2023, (5, 100), "elite"), (2023, (6, 100), "high"), (2023, (10, 100), "high"), (2023, (15, 100), "medium"),
    (2023, (16, 100), "low"), (2021, (15, 100), "elite"), (2021, (20, 100), "high"), (2021, (30, 100), "medium"),
    (2021, (31, 100), "low"),
])
def test_change_failure_rate_boundaries(year: int, cfr: tuple[int, int], tier: str) -> None:
    assert assign_tiers(metrics(cfr=cfr), year).change_failure_rate.tier == tier


@pytest.mark.parametrize(("year", "hours", "tier"), [
    (2023, 23.9, "elite"), (2023, 24, "high"), (2023, 167, "high"), (2023, 30 * 24 - 1, "medium"),
    (2023, 30 * 24, "low"), (2021, 0.9, "elite"), (2021, 1, "high"), (2021, 179 * 24, "medium"),
    (2021, 180 * 24, "low"),
])
def test_lead_time_boundaries(year: int, hours: float, tier: str) -> None:
    assert assign_tiers(metrics(lead_h=hours), year).lead_time.tier == tier


@pytest.mark.parametrize(("year", "week", "month", "tier"), [
    (2023, 5, 20, "elite"), (2023, 4, 16, "high"), (2023, 0, 2, "medium"), (2023, 0, 0, "low"),
    (2021, 3, 12, "elite"), (2021, 1, 4, "high"), (2021, 0, 1, "medium"), (2021, 0, 0, "low"),
])
def test_deployment_frequency_boundaries(year: int, week: float, month: float, tier: str) -> None:
    m = metrics(deploy_days_week=week, deploy_days_month=month)
    assert assign_tiers(m, year).deployment_frequency.tier == tier


def test_recovery_uses_each_years_own_definition() -> None:
    m = metrics(recovery_h=30, restore_h=0.5)
    assert assign_tiers(m, 2023).recovery.tier == "medium"  # failed deployment recovery: 1 day <= 30 h < 1 week
    assert assign_tiers(m, 2021).recovery.tier == "elite"  # time to restore: < 1 h


def test_one_overall_label_only_when_all_four_agree() -> None:
    m = metrics(deploy_days_week=5, lead_h=2, cfr=(3, 100), recovery_h=0.2)
    t = assign_tiers(m, 2023)
    assert t.overall == "elite" and "all four" in t.overall_reason


def test_no_tier_without_four_weeks_or_enough_cases() -> None:
    short = assign_tiers(metrics(weeks=3), 2023)
    assert all(r.tier is None and "4" in (r.reason or "") for r in short.results)
    assert short.overall is None
    thin = metrics()
    thin = replace(thin, change_failure_rate=Rate("change_failure_rate", 1, 9, 1.0, "share", "test"),
                   lead_time=replace(thin.lead_time, n=4))
    t = assign_tiers(thin, 2023)
    assert t.change_failure_rate.tier is None and "9 deployments" in (t.change_failure_rate.reason or "")
    assert t.lead_time.tier is None and "n = 4" in (t.lead_time.reason or "")


def test_a_merge_time_proxy_gets_no_tier() -> None:
    m = metrics()
    m = replace(m, lead_time=replace(m.lead_time, rule="merge_proxy: no deploy data"))
    assert assign_tiers(m, 2023).lead_time.tier is None
