"""Catalogue metrics over panel rows: the vectorised ``evaluate`` equals combining each label's rows by hand
(counts added, people counted once, events pooled, never medians of medians), for real teams, merged
small teams and labels without rows."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from correlate.demo import generate, load
from correlate.metrics.catalogue import METRICS
from correlate.metrics.rows import evaluate, row_values
from correlate.panel import build_panel
from correlate.store import Store

OTHER = "Other"


def by_hand(rows: pd.DataFrame) -> dict[str, float]:
    """The definitions, written plainly: filter, sum, pool every event list, take medians of the pool."""
    def pool(col: str) -> list[float]:
        return [float(x) for v in rows[col] for x in (v if v is not None else [])]

    def med(col: str) -> float:
        values = pool(col)
        return float(np.median(values)) if values else math.nan

    def total(*cols: str) -> float:
        return float(sum(rows[c].fillna(0).sum() for c in cols))

    def ratio(num: float, den: float) -> float:
        return num / den if den else math.nan

    people = len({p for v in rows["_ai_persons"] for p in (v if v is not None else [])})
    heads = float(rows.groupby("team")["headcount"].max().sum()) if len(rows) else 0.0
    working = float(rows.groupby("week")["working_days"].max().sum()) if len(rows) else 0.0
    merged, deploys = total("prs_merged"), total("deployments")
    return {
        "headcount": heads, "ai_active_users": people, "adoption_share": ratio(people, heads),
        "ai_cost_usd": total("ai_cost_usd"), "cost_per_merged_pr": ratio(total("ai_cost_usd"), merged),
        "cache_read_share": ratio(total("ai_tokens_cache_read"), total("ai_tokens_input", "ai_tokens_cache_read")),
        "merge_rate": ratio(merged, merged + total("prs_closed_unmerged")),
        "prs_merged_per_dev_week": ratio(5 * merged, total("dev_days")),
        "pr_cycle_time_h": med("_cycle"), "pr_review_time_h": med("_review"), "lead_time_h": med("_lead"),
        "time_to_restore_h": med("_restore"), "deployments_per_week": ratio(5 * deploys, working),
        "change_failure_rate": ratio(total("deployments_failed"), deploys),
        "deployment_rework_rate": ratio(total("deployments_rework"), deploys),
        "incidents_per_100_deploys": ratio(100 * total("incidents"), deploys),
        "prs_closed": total("prs_merged", "prs_closed_unmerged"),
    }


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    org = generate(teams=6, devs=70, days=120, seed=11)
    with Store.open(tmp_path_factory.mktemp("teams") / "s.duckdb") as store:
        load(store, org)
        last = org.end.replace(day=1) - timedelta(days=1)
        return build_panel(store, org.config, last - timedelta(weeks=12), last, "week", keep_lists=True)


def test_every_label_equals_its_rows_combined_by_hand(panel: pd.DataFrame) -> None:
    teams = sorted(panel["team"].unique())
    assert len(teams) >= 4 and panel["_cycle"].map(len).sum() > 100, "the demo should give events to pool"
    assert panel["deployments_rework"].sum() > 0 and panel["deployments"].sum() > 0
    label = panel["team"].map({t: (OTHER if t in teams[:2] else t) for t in teams})  # two teams merged
    names = [*teams[2:], OTHER, "a label with no rows"]
    rows = evaluate(panel, label, names, period="week")
    for name in names:
        expected = by_hand(panel[label == name])
        for key, value in expected.items():
            assert rows[name].value(key) == pytest.approx(value, nan_ok=True), (name, key)
    empty = rows["a label with no rows"]
    assert empty.value("headcount") == 0 and math.isnan(empty.value("pr_cycle_time_h"))
    assert set(rows[OTHER].values) == {m.name for m in METRICS}


def test_unlabelled_rows_count_nowhere(panel: pd.DataFrame) -> None:
    teams = sorted(panel["team"].unique())
    label = panel["team"].where(panel["team"] != teams[0])  # the first team suppressed
    rows = evaluate(panel, label, teams[1:], period="week")
    for name in teams[1:]:
        assert rows[name].value("ai_cost_usd") == pytest.approx(by_hand(panel[panel["team"] == name])["ai_cost_usd"])


def test_a_ratio_keeps_its_numerator_and_denominator(panel: pd.DataFrame) -> None:
    team = sorted(panel["team"].unique())[0]
    rows = panel[panel["team"] == team]
    v = evaluate(rows, rows["team"], [team], period="week")[team]["change_failure_rate"]
    assert (v.n, v.of) == (rows["deployments_failed"].sum(), rows["deployments"].sum())


def test_row_values_are_each_weeks_own_value_and_empty_when_the_source_has_none(panel: pd.DataFrame) -> None:
    team = sorted(panel["team"].unique())[0]
    rows = panel[panel["team"] == team]
    share = row_values(rows, "adoption_share")
    assert share.tolist() == pytest.approx((rows["ai_active_users"] / rows["headcount"]).tolist())
    cfr = row_values(rows, "change_failure_rate")
    assert cfr.isna().tolist() == (rows["deployments"] == 0).tolist()
    blank = rows.assign(ai_sessions=np.nan)
    assert row_values(blank, "ai_sessions").isna().all()  # a column the source does not report: empty, not 0
