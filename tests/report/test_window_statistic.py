"""A window value as a statistic of a team's weeks: on the weeks as they are it is the catalogue's value
(so the comparison's interval is an interval of the number it prints), and on resampled weeks it is made
the same way (ratios re-pooled, people counted once, medians over the drawn weeks' events)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import pytest

from correlate.config import Config
from correlate.metrics.catalogue import metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.panel import build_panel
from correlate.report.team_comparison import default_window
from correlate.report.teams import team_rows
from correlate.report.window_statistic import difference, statistic
from correlate.store import Store
from tests.reportdata import build


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, Store]]:
    config, store_path = build(tmp_path_factory.mktemp("window"))
    with Store.open(store_path) as store:
        yield config, store


def test_on_the_weeks_as_they_are_it_is_the_catalogue_value_of_every_compared_indicator(
        org: tuple[Config, Store]) -> None:
    config, store = org
    since, until = default_window(date(2026, 10, 31))
    weekly = build_panel(store, config, since, until, "week", keep_lists=True)
    teams = list(config.team_names)
    rows = team_rows(weekly, 1, period="week", order=teams)
    for team in teams:
        weeks = weekly[weekly["team"] == team].sort_values("week")
        for m in catalogue_table("compare_indicators"):
            stat, _ = statistic(m, weeks)
            expected = rows.rows[team].value(m.name)
            assert stat(np.arange(len(weeks))[None, :])[0] == pytest.approx(expected, nan_ok=True), (team, m.name)


def _weeks() -> pd.DataFrame:
    return pd.DataFrame({
        "week": pd.date_range("2026-01-05", periods=4, freq="7D"),
        "headcount": [4, 5, 5, 4],
        "_ai_persons": [["ann", "bo"], ["ann"], ["cy"], []],
        "deployments_failed": [1, 0, 0, 3],
        "deployments": [10, 0, 5, 5],
        "_cycle": [[1.0, 2.0], [], [10.0], [3.0, 4.0, 5.0]],
    })


def test_people_are_counted_once_over_the_drawn_weeks_and_headcount_is_the_largest() -> None:
    stat, observed = statistic(metric("adoption_share"), _weeks())
    drawn = np.array([[0, 1, 2, 3], [0, 0, 1, 1], [3, 3, 3, 3]])
    assert stat(drawn).tolist() == [3 / 5, 2 / 5, 0 / 4]
    assert observed == 4


def test_rates_are_re_pooled_over_the_drawn_weeks() -> None:
    stat, observed = statistic(metric("change_failure_rate"), _weeks())
    drawn = np.array([[0, 1, 2, 3], [0, 0, 3, 3], [1, 1, 1, 1]])
    values = stat(drawn)
    assert values[:2].tolist() == [4 / 20, 8 / 30]
    assert np.isnan(values[2])  # no deployments drawn: no rate, not 0%
    assert observed == 3  # weeks with deployments


def test_durations_are_the_median_of_the_drawn_weeks_events() -> None:
    stat, observed = statistic(metric("pr_cycle_time_h"), _weeks())
    drawn = np.array([[0, 1, 2, 3], [2, 2, 1, 1], [1, 1, 1, 1]])
    values = stat(drawn)
    assert values[:2].tolist() == [3.5, 10.0]
    assert np.isnan(values[2])
    assert observed == 3


def test_the_difference_is_of_the_first_team_minus_the_second_and_needs_four_weeks_with_events() -> None:
    def team(events: list[float], weeks: int = 8) -> pd.DataFrame:
        return pd.DataFrame({"week": pd.date_range("2026-01-05", periods=weeks, freq="7D"),
                             "_cycle": [events] * weeks})

    d = difference(metric("pr_cycle_time_h"), team([5.0]), team([1.0, 3.0]), reps=99, seed=1)
    assert (d.stat_a, d.stat_b, d.difference) == (5.0, 2.0, 3.0)
    assert d.low == d.high == 3.0  # every week alike: every resample gives the same difference
    short = difference(metric("pr_cycle_time_h"), team([5.0], 3), team([1.0, 3.0]), reps=99, seed=1)
    assert short.difference == 3.0 and np.isnan(short.low) and short.pvalue is None
