"""The one definition of "day", and working days.

A *day* is the calendar date of an instant in the configured ``[calendar] timezone`` (UTC by default).
Event timestamps (PRs, deployments, incidents, OTEL events, transcript lines) are bucketed with
:func:`day_sql` in SQL or :func:`day_of` in Python; nothing else converts instants to days.

Usage APIs that report whole days (Claude Code Analytics, Enterprise Analytics, Copilot, Cursor)
bucket by UTC day on the vendor's side and cannot be re-bucketed; their ``day`` is taken as given,
and the report's method notes say so when the configured zone is not UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

__all__ = ["day_of", "day_sql", "iso_week_start", "last_complete_month", "working_days"]


def day_sql(column: str, timezone: str) -> str:
    """SQL expression for the day of a TIMESTAMPTZ column in ``timezone`` (DuckDB, ICU)."""
    zone = timezone.replace("'", "''")
    return f"CAST(({column} AT TIME ZONE '{zone}') AS DATE)"


def day_of(instant: datetime, timezone: str) -> date:
    """The day of an aware ``instant`` in ``timezone``."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: correlate only buckets aware instants")
    return instant.astimezone(ZoneInfo(timezone)).date()


def iso_week_start(d: date) -> date:
    """Monday of ``d``'s ISO week."""
    return d - timedelta(days=d.weekday())


def last_complete_month(today: date) -> tuple[date, date]:
    """First and last day of the last month that ended before ``today``."""
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return last_prev.replace(day=1), last_prev


def working_days(start: date, end: date, *, country: str | None = None,
                 workdays: tuple[int, ...] = (0, 1, 2, 3, 4)) -> pd.DatetimeIndex:
    """Working days in ``[start, end]``: configured weekdays minus public holidays of ``country``."""
    days = pd.date_range(start, end, freq="D")
    mask = np.isin(days.day_of_week, list(workdays))
    if country:
        import holidays

        hol = holidays.country_holidays(country, years=range(start.year, end.year + 1))
        mask &= ~days.isin(pd.to_datetime(list(hol.keys())))
    return days[mask]
