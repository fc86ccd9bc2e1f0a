"""Large organisations: charts stay readable (a bounded number of teams) and the data tables say what is drawn."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from correlate.demo import generate, load
from correlate.html.charts import draw
from correlate.report.monthly import MAX_CHART_TEAMS, build_monthly
from correlate.report.statistics import unavailable
from correlate.store import Store


def test_charts_draw_the_largest_teams_and_the_median_of_all(tmp_path: Path) -> None:
    org = generate(teams=14, devs=260, days=100, seed=4)
    with Store.open(tmp_path / "s.duckdb") as store:
        load(store, org)
        month = (org.end.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        report = build_monthly(store, org.config, month, stats=unavailable("not needed for this test"))
    share = report.adoption.share_chart
    drawn = share.columns[1:]
    hidden = {row.label for row in report.adoption.table.rows if any(c.suppressed for c in row.cells)}
    named = [row.label for row in report.adoption.table.rows if row.kind == "team" and row.label not in hidden]
    # the largest teams whose usage may be shown (teams with too few AI users are not drawn), then the median
    assert len(drawn) == min(MAX_CHART_TEAMS, len(named)) + 1 and not set(drawn) & hidden
    teams = sum(row.kind == "team" for row in report.adoption.table.rows)  # the teams large enough to show
    assert drawn[-1] == f"median of {teams} teams"
    assert f"the median of the {teams} teams large enough to show" in share.title
    assert draw(share).count("<title>") >= 1 and "largest teams" in share.title
    cost = report.cost.chart
    assert len(cost.rows) <= MAX_CHART_TEAMS + 1
    if len(named) > MAX_CHART_TEAMS:
        assert any(str(r[0]).startswith("all other ") for r in cost.rows)
