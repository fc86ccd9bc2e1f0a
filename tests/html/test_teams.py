"""Team rows: the vectorised ``team_rows`` equals combining each label's rows by hand (events pooled,
never medians of medians), for real teams, the merged small teams and labels without rows."""

from __future__ import annotations

import math
from dataclasses import astuple
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from correlate.demo import generate, load
from correlate.html.teams import OTHER, TeamRow, ratio, team_rows
from correlate.panel import build_panel
from correlate.store import Store


def by_hand(name: str, rows: pd.DataFrame, days: int) -> TeamRow:
    """The definition, written plainly: filter, sum, pool every event list, take medians of the pool."""
    def pool(col: str) -> list[float]:
        return [float(x) for v in rows[col] for x in (v if v is not None else [])]

    def med(col: str) -> float:
        values = pool(col)
        return float(np.median(values)) if values else math.nan

    def total(col: str) -> float:
        return float(rows[col].fillna(0).sum())

    persons = {p for v in rows["_ai_persons"] for p in (v if v is not None else [])}
    heads = int(rows.groupby("team")["headcount"].max().sum()) if len(rows) else 0
    cost, merged, closed = total("ai_cost_usd"), int(total("prs_merged")), int(total("prs_closed_unmerged"))
    deploys, failed, rework = int(total("deployments")), int(total("deployments_failed")), int(
        total("deployments_rework"))
    sessions, active, commits = total("ai_sessions"), int(total("ai_active_dev_days")), total("ai_commits")
    assisted, unreviewed = int(total("ai_assisted_prs_merged")), int(total("prs_merged_without_review"))
    incidents, bugs = int(total("incidents")), int(total("bugs"))
    cache = total("ai_tokens_cache_read")
    return TeamRow(name, heads, days, len(persons), ratio(len(persons), heads), sessions, ratio(sessions, active),
                   active, cost, ratio(cost, active), commits, ratio(cost, commits), ratio(cost, merged),
                   ratio(cost, deploys), ratio(cache, cache + total("ai_tokens_input")), merged, closed,
                   ratio(merged, merged + closed), assisted, ratio(assisted, merged), med("_cycle"), med("_coding"),
                   med("_pickup"), med("_review"), med("_size"), unreviewed, ratio(unreviewed, merged), deploys,
                   ratio(deploys * 7, days), failed, ratio(failed, deploys), rework, ratio(rework, deploys),
                   med("_lead"), len(pool("_lead")), incidents, ratio(100 * incidents, deploys), bugs,
                   ratio(100 * bugs, merged), med("_restore"), len(pool("_restore")))


def same(a: TeamRow, b: TeamRow) -> bool:
    pairs = zip(astuple(a), astuple(b), strict=True)
    return all((x == y) or (isinstance(x, float) and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9))
               or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in pairs)


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
    label = panel["team"].map({t: (OTHER if t in teams[:2] else t) for t in teams})  # two teams merged
    names = [*teams[2:], OTHER, "a label with no rows"]
    rows = team_rows(panel, label, 84, names)
    for name in names:
        expected = by_hand(name, panel[label == name], 84)
        assert same(rows[name], expected), (name, rows[name], expected)
    assert rows["a label with no rows"].headcount == 0 and math.isnan(rows["a label with no rows"].cycle_h)


def test_unlabelled_rows_count_nowhere(panel: pd.DataFrame) -> None:
    teams = sorted(panel["team"].unique())
    label = panel["team"].where(panel["team"] != teams[0])  # the first team suppressed
    rows = team_rows(panel, label, 84, teams[1:])
    for name in teams[1:]:
        assert same(rows[name], by_hand(name, panel[panel["team"] == name], 84))
