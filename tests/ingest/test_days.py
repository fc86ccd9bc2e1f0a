"""Which days a day-by-day sync covers (correlate.ingest.usage_days.plan_days)."""

from __future__ import annotations

from datetime import date

from correlate.ingest.usage_days import plan_days

END = date(2026, 3, 10)


def test_first_run_backfills_the_configured_number_of_days_ending_at_end() -> None:
    days = plan_days(since=None, cursor=None, end=END, backfill_days=90, lag_days=2)
    assert len(days) == 90 and days[-1] == END and days[0] == date(2025, 12, 11)


def test_with_a_cursor_the_last_lag_days_are_repulled_and_everything_newer_fetched() -> None:
    assert plan_days(since=None, cursor="2026-03-05", end=END, backfill_days=90, lag_days=2)[0] == date(2026, 3, 4)
    assert plan_days(since=None, cursor="2026-03-10", end=END, backfill_days=90, lag_days=3) == [
        date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]


def test_a_cursor_after_end_does_not_skip_the_lag_window() -> None:
    days = plan_days(since=None, cursor="2026-03-12", end=END, backfill_days=90, lag_days=2)
    assert days == [date(2026, 3, 9), date(2026, 3, 10)]


def test_since_wins_over_the_cursor_and_earliest_clamps_it() -> None:
    assert plan_days(since=date(2026, 3, 1), cursor="2026-03-09", end=END, backfill_days=90,
                     lag_days=2)[0] == date(2026, 3, 1)
    days = plan_days(since=date(2025, 12, 1), cursor=None, end=date(2026, 1, 2), backfill_days=90, lag_days=2,
                     earliest=date(2026, 1, 1))
    assert days == [date(2026, 1, 1), date(2026, 1, 2)]


def test_since_after_end_means_nothing_to_do() -> None:
    assert plan_days(since=date(2026, 4, 1), cursor=None, end=END, backfill_days=90, lag_days=2) == []


def test_the_lag_repull_never_reaches_before_the_first_stored_day() -> None:
    # a first run stopped (or killed) after storing one day: the re-run re-pulls that day, not the day before it,
    # so the store ends as an uninterrupted run's (found by tests/robustness/test_crash_safety.py)
    days = plan_days(since=None, cursor="2026-03-05", end=END, backfill_days=6, lag_days=3,
                     first_stored=date(2026, 3, 5))
    assert days[0] == date(2026, 3, 5) and days[-1] == END
    assert plan_days(since=None, cursor="2026-03-05", end=END, backfill_days=90, lag_days=3,
                     first_stored=date(2026, 1, 1))[0] == date(2026, 3, 3)  # a long history: the lag as before
