"""``[calendar] holidays`` and ``workdays`` are the working-day denominators of the team × period table.

A planted US holiday (Thanksgiving, Thursday 26 November 2026) in a team that deploys and merges once per
person-working-day: without the holiday calendar the week looks like a 20% drop; with it, the rate holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from connectors.records import Deployment, PullRequest
from correlate.config import Config, from_mapping
from correlate.metrics.rows import row_values
from correlate.panel import build_panel
from correlate.store import Store

WEEK1, WEEK2 = date(2026, 11, 16), date(2026, 11, 23)  # Mondays; the second holds Thanksgiving
THANKSGIVING = date(2026, 11, 26)
PEOPLE = ("alice-gh", "bob-gh")


def cfg(**calendar: Any) -> Config:
    return from_mapping({"calendar": calendar,
                         "teams": [{"name": "payments", "members": list(PEOPLE), "repos": ["acme/pay"]}]}, path=None)


def at(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    """One deployment and one merged PR per person on every weekday the team worked (not Thanksgiving)."""
    s = Store.open(store_path)
    worked = [WEEK1 + timedelta(days=i) for i in range(12) if (WEEK1 + timedelta(days=i)).weekday() < 5
              and WEEK1 + timedelta(days=i) != THANKSGIVING]
    s.upsert(Deployment, [Deployment("gh", f"d{d}", repo="acme/pay", finished_at=at(d, 15), status="success")
                          for d in worked])
    s.upsert(PullRequest, [PullRequest("acme/pay", n, who, created_at=at(d, 9), merged_at=at(d, 11),
                                       closed_at=at(d, 11), cycle_s=7200, size_lines=10)
                           for n, (d, who) in enumerate(((d, w) for d in worked for w in PEOPLE), start=1)])
    yield s
    s.close()


def weekly(store: Store, config: Config) -> pd.DataFrame:
    return build_panel(store, config, WEEK1, WEEK2 + timedelta(days=6), "week").set_index("week")


def test_without_a_holiday_calendar_the_holiday_week_looks_like_a_drop(store: Store) -> None:
    week = weekly(store, cfg())
    assert list(week["working_days"]) == [5, 5]
    assert list(week["dev_days"]) == [10, 10]
    assert list(row_values(week, "deployments_per_week")) == [5.0, 4.0]
    assert list(row_values(week, "prs_merged_per_dev_week")) == [5.0, 4.0]


def test_a_public_holiday_is_not_a_working_day_so_the_rates_hold(store: Store) -> None:
    week = weekly(store, cfg(holidays="US"))
    assert list(week["working_days"]) == [5, 4]
    assert list(week["dev_days"]) == [10, 8]  # two members, one working day fewer each
    assert list(row_values(week, "deployments_per_week")) == [5.0, 5.0]
    assert list(row_values(week, "prs_merged_per_dev_week")) == [5.0, 5.0]
    assert list(week["deployments"]) == [5, 4]  # the counts themselves are what happened


def test_on_the_holiday_itself_the_day_row_has_no_working_developer_days(store: Store) -> None:
    def day(config: Config) -> pd.Series:
        return build_panel(store, config, THANKSGIVING, THANKSGIVING).set_index("day").loc[THANKSGIVING]

    assert (day(cfg())["working_days"], day(cfg())["dev_days"]) == (1, 2)
    assert (day(cfg(holidays="US"))["working_days"], day(cfg(holidays="US"))["dev_days"]) == (0, 0)
    assert day(cfg(holidays="US"))["headcount"] == 2  # still members, just not working


def test_workdays_choose_the_working_weekdays(store: Store) -> None:
    week = weekly(store, cfg(workdays=[0, 1, 2, 3]))  # a four-day week, Monday to Thursday
    assert list(week["working_days"]) == [4, 4]
    assert list(week["dev_days"]) == [8, 8]
    sunday_to_thursday = weekly(store, cfg(workdays=[6, 0, 1, 2, 3], holidays="US"))
    assert list(sunday_to_thursday["working_days"]) == [5, 4]


def test_a_membership_that_ends_midweek_counts_only_its_working_days(store_path: Path) -> None:
    config = from_mapping({"calendar": {"holidays": "US"}, "teams": [{"name": "payments", "members": [
        {"id": "alice-gh", "until": "2026-11-25"}, {"id": "bob-gh", "since": "2026-11-27"}]}]}, path=None)
    with Store.open(store_path) as store:
        week = build_panel(store, config, WEEK2, WEEK2 + timedelta(days=6), "week").set_index("week")
    # alice: Monday and Tuesday; bob: Friday (Thursday is Thanksgiving, the weekend is not working)
    assert week.loc[WEEK2, "dev_days"] == 3
