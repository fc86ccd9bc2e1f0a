"""The metric catalogue: every declaration is complete and reads columns the panel has; every table names
known metrics; the statistics' outcomes and the DORA tiers come from it."""

from __future__ import annotations

from datetime import date

import pytest

from correlate.config import from_mapping
from correlate.dora.tiers import THRESHOLDS
from correlate.metrics.catalogue import METRICS, REWORK, TABLES, metric, outcomes, table
from correlate.panel import EXTRA_COLUMNS, PANEL_COLUMNS, build_panel
from correlate.stats.outcomes import DEFAULT_OUTCOMES, from_metric
from correlate.store import Store

PEOPLE = {"headcount", "ai_active_users"}


def test_names_are_unique_and_every_table_names_known_metrics() -> None:
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for tab, members in TABLES.items():
        assert members and all(metric(n) for n in members), tab
    with pytest.raises(KeyError, match="no metric 'nope'"):
        metric("nope")


def test_every_metric_reads_columns_the_panel_builds(tmp_path: object) -> None:
    config = from_mapping({"teams": [{"name": "a", "members": ["x@acme.com"]}]}, path=None)
    with Store.open(tmp_path / "s.duckdb") as store:  # type: ignore[operator]
        week = build_panel(store, config, date(2026, 3, 2), date(2026, 3, 8), "week", keep_lists=True)
    columns = set(week.columns)
    assert set(PANEL_COLUMNS[2:]) | set(EXTRA_COLUMNS) <= columns
    for m in METRICS:
        if m.name == "deploy_days_per_week":  # judged from deployment days, not a panel column
            continue
        needed = (*m.numerator, *m.denominator, *([m.stats_column] if m.aggregate == "median" else []))
        missing = [c for c in needed if c not in columns and c not in PEOPLE]
        assert not missing, (m.name, missing)


def test_declarations_are_complete() -> None:
    for m in METRICS:
        assert m.label and m.header and m.unit and m.fmt and m.event, m.name
        assert (m.aggregate == "ratio") == bool(m.denominator), m.name
        assert m.model is None or m.model in ("count", "rate", "duration", "continuous"), m.name
        if m.model == "count":
            assert m.exposure == f"log_{m.denominator[0]}", m.name
        if m.model == "rate":
            assert m.trials == m.denominator[0], m.name
        if m.dora:
            assert m.dora in THRESHOLDS[2023] and m.dora in THRESHOLDS[2021], m.name


def test_the_statistics_outcomes_are_the_catalogues() -> None:
    assert [o.name for o in DEFAULT_OUTCOMES] == list(TABLES["outcomes"])
    cycle = from_metric(metric("pr_cycle_time_h"))
    assert (cycle.column, cycle.kind, cycle.min_events, cycle.lower_is_better) == (
        "pr_cycle_time_h_median", "duration", 5, True)
    per_week = from_metric(metric("prs_merged_per_dev_week"))
    assert (per_week.column, per_week.exposure, per_week.per) == ("prs_merged", "log_dev_days", 5.0)
    cfr = from_metric(metric("change_failure_rate"))
    assert (cfr.kind, cfr.trials, cfr.min_events) == ("rate", "deployments", 10)
    assert all(m.model is not None for m in outcomes())
    with pytest.raises(ValueError, match="no statistical model"):
        from_metric(metric("ai_cost_usd"))


def test_rework_has_one_meaning_named_after_dora_2024() -> None:
    rework = metric("deployment_rework_rate")
    assert rework.numerator == ("deployments_rework",) and rework.denominator == ("deployments",)
    assert "DORA 2024" in REWORK and "open" in REWORK and rework.definition.startswith("Deployment rework rate")
    assert rework in table("lagging") and rework in table("compare_indicators")
