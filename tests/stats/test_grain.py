"""Team x day -> team x ISO week, business hours and the maturity window (hand-computed expectations)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from correlate.errors import InputError
from correlate.stats.grain import (
    apply_maturity,
    business_hours,
    maturity_days,
    to_weekly,
    weekly_durations_from_events,
)


def _days() -> pd.DataFrame:
    # Mon 2025-01-06 .. Sun 2025-01-19: two ISO weeks for one team; holiday on Wed 2025-01-08
    days = pd.date_range("2025-01-06", "2025-01-19", freq="D")
    return pd.DataFrame({
        "team": "a", "day": days.date.astype(str), "headcount": 4,
        "ai_active_users": [1, 2, 3, 2, 1, 0, 0, 3, 3, 3, 4, 2, 0, 0],
        "prs_merged": [1, 0, 0, 3, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0],
        "pr_cycle_time_h_median": [10.0, None, None, 20.0, 40.0, None, None, 5.0, 7.0, None, None, None, None, None],
        "deployments": [None] * 7 + [1] * 7,
    })


def test_weekly_sums_exposure_and_weighted_medians() -> None:
    w = to_weekly(_days(), holidays=[date(2025, 1, 8)])
    assert list(w["week"]) == [date(2025, 1, 6), date(2025, 1, 13)]
    assert list(w["week_index"]) == [0, 1]
    assert list(w["working_days"]) == [4, 5]  # holiday removed from week 1
    assert list(w["dev_days"]) == [16, 20]
    assert list(w["active_devs"]) == [4.0, 4.0]
    assert list(w["prs_merged"]) == [5, 4]
    assert list(w["ai_weekly_active_users"]) == [3, 4]  # largest daily count (lower bound of weekly actives)
    # week 1: values 10 (w1), 20 (w3), 40 (w1) -> weights 1,3,1 of 5 -> weighted median 20
    # week 2: values 5 (w2), 7 (w2) -> exactly half at 5 -> average 6
    assert list(w["pr_cycle_time_h_median"]) == [20.0, 6.0]
    # a week with no reported deployments stays missing, never 0
    assert np.isnan(w.loc[0, "deployments"]) and w.loc[1, "deployments"] == 7
    assert w.loc[0, "log_dev_days"] == pytest.approx(np.log(16))


def test_missing_columns_are_input_errors() -> None:
    with pytest.raises(InputError, match="headcount"):
        to_weekly(_days().drop(columns="headcount"))


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    start = pd.Series(pd.to_datetime(["2025-01-10 16:00", "2025-01-06 10:00", "2025-01-07 08:00", None]))
    end = pd.Series(pd.to_datetime(["2025-01-13 10:00", "2025-01-06 12:30", "2025-01-09 18:00", "2025-01-09 12:00"]))
    h = business_hours(start, end, holidays=[date(2025, 1, 8)])
    # Fri 16-17 (1h) + Mon 9-10 (1h); same-day 2.5h; Tue 9-17 (8h) + Wed holiday + Thu 9-17 (8h); missing start
    assert h.iloc[:3].tolist() == pytest.approx([2.0, 2.5, 16.0])
    assert np.isnan(h.iloc[3])


def test_maturity_window_blanks_young_weeks_only() -> None:
    w = to_weekly(_days())
    out = apply_maturity(w, cutoff=date(2025, 1, 20), days=3)
    assert out.loc[0, "pr_cycle_time_h_median"] == 20.0 and np.isnan(out.loc[1, "pr_cycle_time_h_median"])
    assert out.loc[1, "prs_merged"] == 4  # counts are untouched
    assert maturity_days(pd.Series([10, 20, 30, 200])) == int(np.ceil(np.quantile([10, 20, 30, 200], 0.9) / 24))


def test_event_level_durations_apply_the_maturity_rule() -> None:
    ev = pd.DataFrame({"team": "a",
                       "opened": ["2025-01-06 09:00", "2025-01-07 09:00", "2025-01-07 10:00", "2025-01-17 09:00"],
                       "merged": ["2025-01-06 19:00", "2025-01-08 09:00", None, "2025-01-17 10:00"]})
    out = weekly_durations_from_events(ev, start="opened", end="merged", cutoff=date(2025, 1, 20), days=7)
    # the PR opened on the 17th is younger than 7 days and left out; the open one is counted as censored
    assert out["n_events"].tolist() == [3] and out["n_open"].tolist() == [1]
    assert out["pr_cycle_time_h_median"].tolist() == [pytest.approx(17.0)]  # median of 10 h and 24 h
