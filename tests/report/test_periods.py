"""Honest periods: a month that has not started is refused, a month outside the store's data says so, a
month in progress is labelled partial and compared like for like, and weekly points cover whole weeks.

The store is the shared synthetic organisation (data from 2026-06-04 to 2026-10-31); "today" is passed to
the builder, or pinned with CORRELATE_TODAY for the CLI, so nothing depends on the day the tests run.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from correlate.cli import app
from correlate.demo import dump_toml
from correlate.errors import UsageError
from correlate.html.render import render
from correlate.panel import build_panel
from correlate.report.monthly import build_monthly, month_period
from correlate.report.queries import data_span
from correlate.report.team_comparison import build_comparison
from correlate.report.teams import team_rows
from tests.htmlcheck import parse
from tests.reportdata import NO_STATS, hostile_monthly


@pytest.fixture(scope="module")
def org():  # type: ignore[no-untyped-def]
    r = hostile_monthly()
    return r.config, r.store


def _cli(config, tmp_path: Path, *args: str, today: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "correlate.toml"
    teams = [{"name": t.name, "members": list(t.members)} for t in config.root.teams]
    path.write_text(dump_toml({"store": {"path": str(config.store_path)}, "teams": teams}), encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(path), *args], env={"CORRELATE_TODAY": today})
    return result.exit_code, result.output


def test_a_future_month_is_refused_with_exit_2_and_the_latest_month_it_can_report(org, tmp_path: Path) -> None:
    config, _ = org
    code, out = _cli(config, tmp_path, "report", "monthly", "--month", "2027-03", "--out", str(tmp_path / "r.html"),
                     today="2026-12-07")
    assert code == 2, out
    assert "no complete day yet" in out and "today is 2026-12-07" in out and "2026-12" in out
    assert not (tmp_path / "r.html").exists()


def test_the_first_day_of_a_month_has_nothing_to_report_yet(org) -> None:
    _, store = org
    with pytest.raises(UsageError, match="no complete day yet"):
        month_period(store, "2026-10", date(2026, 10, 1))


def test_a_month_before_the_first_data_says_so_instead_of_tables_of_zeros(org) -> None:
    config, store = org
    first = data_span(store)[0]  # type: ignore[index]
    with pytest.raises(UsageError) as err:
        build_monthly(store, config, "2024-01", today=date(2026, 12, 7), stats=NO_STATS)
    assert f"before the store's first data ({first.isoformat()})" in str(err.value)
    assert f"The first month with data is {first:%Y-%m}" in str(err.value)


def test_a_month_after_the_last_data_points_to_sync(org) -> None:
    config, store = org
    with pytest.raises(UsageError, match="its data ends on 2026-10-31. Run `correlate sync`"):
        build_monthly(store, config, "2026-11", today=date(2026, 12, 7), stats=NO_STATS)


def test_a_month_in_progress_is_partial_and_compared_with_the_same_days_of_last_month(org) -> None:
    config, store = org
    report = build_monthly(store, config, "2026-10", today=date(2026, 10, 7), stats=NO_STATS)
    p = report.period
    assert (p.first, p.last, p.partial, p.month_days) == (date(2026, 10, 1), date(2026, 10, 6), True, 31)
    assert "1–6 Oct 2026 (6 of 31 days)" in p.label
    assert (p.previous_first, p.previous_last, p.previous_label) == (date(2026, 9, 1), date(2026, 9, 6), "1–6 Sep")
    spend = next(h for h in report.summary.headlines if h.label == "AI spend")
    # the same six days of each month, not the whole of September
    for (lo, hi), value in (((p.first, p.last), spend.value), ((p.previous_first, p.previous_last), spend.previous)):
        panel = build_panel(store, config, lo, hi, "month", keep_lists=True)
        assert value == pytest.approx(team_rows(panel, 5, period="month").org.value("ai_cost_usd"))
    whole_sept = build_panel(store, config, date(2026, 9, 1), date(2026, 9, 30), "month")["ai_cost_usd"].sum()
    assert spend.previous < 0.5 * whole_sept
    html = render("monthly.html.j2", r=report)
    doc = parse(html)
    assert [a for t, a in doc.tags if a.get("data-period") == "partial"]
    assert "October 2026 is in progress: this report covers 1–6 Oct, 6 of 31 days" in doc.all_text()
    assert "1–6 Sep: " in doc.all_text()  # each card names what it is compared with


def test_a_month_whose_data_starts_late_covers_only_the_days_with_data(org) -> None:
    config, store = org
    first = data_span(store)[0]  # type: ignore[index]
    month = f"{first:%Y-%m}"
    report = build_monthly(store, config, month, today=date(2026, 12, 7), stats=NO_STATS)
    assert report.period.first == first and report.period.partial
    assert report.period.previous_first is None  # nothing before the data: "no data", not a month of zeros
    spend = next(h for h in report.summary.headlines if h.label == "AI spend")
    assert math.isnan(spend.previous)
    html = render("monthly.html.j2", r=report)
    text = parse(html).all_text()
    assert f"{report.period.previous_label}: no data" in text and "May" in report.period.previous_label


def test_monthly_trend_points_are_whole_weeks_inside_the_month(org) -> None:
    config, store = org
    for today, month in ((date(2026, 12, 7), "2026-10"), (date(2026, 10, 7), "2026-10")):
        report = build_monthly(store, config, month, today=today, stats=NO_STATS)
        for chart in (report.adoption.share_chart, report.leading.cycle_chart):
            weeks = [r[0] for r in chart.rows]
            assert all(w.weekday() == 0 for w in weeks)
            # the last point ends on or before the period's last day: no days of the next month, no part week
            assert max(weeks) + timedelta(days=6) <= report.period.last
            assert max(weeks) + timedelta(days=13) > report.period.last


def test_the_comparison_uses_whole_weeks_and_says_what_it_left_out(org) -> None:
    config, store = org
    teams = [r.label for r in hostile_monthly().report.adoption.table.rows if r.kind == "team"][:2]
    # the requested window starts on a Sunday and ends on a Saturday: both edges are partial weeks
    report = build_comparison(store, config, teams, date(2026, 8, 2), date(2026, 10, 31))
    assert (report.period.first, report.period.last) == (date(2026, 8, 3), date(2026, 10, 25))
    weeks = [r[0] for r in report.charts[0].rows]
    assert weeks[0] == date(2026, 8, 3) and weeks[-1] == date(2026, 10, 19)
    assert "7 days of partial weeks" in report.period.note
    with pytest.raises(UsageError, match="no whole week"):
        build_comparison(store, config, teams, date(2026, 8, 5), date(2026, 8, 9))
