"""Day-by-day sync plumbing shared by the usage APIs that answer one UTC day per call.

The cursor of such a source is the last day whose rows are stored (ISO date). A run covers:

* with ``--since``: every day from ``since`` to ``end`` (an explicit backfill or re-pull);
* with a cursor: the last ``lag_days`` stored days again (the vendor revises recent days) and
  everything newer;
* otherwise: the configured ``backfill_days`` before ``end``.

The cursor only ever moves forward, so re-pulling old days with ``--since`` never rewinds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from correlate.console import progress
from correlate.store import Store

__all__ = ["advance_cursor", "day_progress", "plan_days", "utc_today"]


def utc_today() -> date:
    """Today in UTC (the usage APIs bucket by UTC day)."""
    return datetime.now(UTC).date()


def plan_days(
    *,
    since: date | None,
    cursor: str | None,
    end: date,
    backfill_days: int,
    lag_days: int,
    earliest: date | None = None,
) -> list[date]:
    """The days to fetch, oldest first (see the module docstring). ``earliest`` clamps the start."""
    if since is not None:
        start = since
    elif cursor:
        start = min(date.fromisoformat(cursor), end) - timedelta(days=max(lag_days - 1, 0))
    else:
        start = end - timedelta(days=max(backfill_days - 1, 0))
    if earliest is not None:
        start = max(start, earliest)
    n = (end - start).days + 1
    return [start + timedelta(days=i) for i in range(max(n, 0))]


def advance_cursor(store: Store, source: str, stream: str, day: date) -> None:
    """Set the cursor to ``day`` unless it is already later. Call inside the day's transaction."""
    current = store.get_cursor(source, stream)
    if current is None or date.fromisoformat(current) < day:
        store.set_cursor(source, stream, "", day.isoformat())


@contextmanager
def day_progress(bar: Any, label: str, total: int) -> Iterator[Callable[[date], None]]:
    """A progress task of ``total`` days on ``bar`` (a rich Progress), or on a fresh one when ``None``.

    Yields ``advance(day)``, to call after each stored day.
    """
    if bar is None:
        with progress(transient=True) as own:
            with day_progress(own, label, total) as step:
                yield step
        return
    task = bar.add_task(label, total=total)

    def advance(day: date) -> None:
        bar.update(task, advance=1, description=f"{label} {day.isoformat()}")

    try:
        yield advance
    finally:
        bar.update(task, description=label)
