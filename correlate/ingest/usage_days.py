"""Day-by-day sync plumbing shared by the usage APIs that answer one UTC day per call.

The cursor of such a source is the last day whose rows are stored (ISO date). A run covers:

* with ``--since``: every day from ``since`` to ``end`` (an explicit backfill or re-pull);
* with a cursor: the last ``lag_days`` stored days again (the vendor revises recent days) and
  everything newer, but never a day before the first one stored: a run stopped (or killed) after its
  first day would otherwise reach back past the backfill on the re-run, so the store would hold more
  days than an uninterrupted run;
* otherwise: the configured ``backfill_days`` before ``end``.

The cursor only ever moves forward, so re-pulling old days with ``--since`` never rewinds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.records import AIEditActions, AIUsageDay, AIUsageModelDay
from correlate.console import progress
from correlate.store import Store

__all__ = ["advance_cursor", "day_progress", "first_day", "first_stored_day", "plan_days", "replace_usage_day",
           "utc_today"]


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
    first_stored: date | None = None,
) -> list[date]:
    """The days to fetch, oldest first (see the module docstring). ``earliest`` clamps the start."""
    start = first_day(since=since, cursor=cursor, end=end, backfill_days=backfill_days, lag_days=lag_days,
                      first_stored=first_stored)
    if earliest is not None:
        start = max(start, earliest)
    n = (end - start).days + 1
    return [start + timedelta(days=i) for i in range(max(n, 0))]


def first_day(*, since: date | None, cursor: str | None, end: date, backfill_days: int, lag_days: int,
              first_stored: date | None = None) -> date:
    """The first day a run covers, before any clamp: ``since``, the last ``lag_days`` stored days, or the backfill.

    For sources that fetch windows rather than single days; :func:`plan_days` lists the days from it.
    ``first_stored`` (see :func:`first_stored_day`) keeps the re-pull of stored days to stored days.
    """
    if since is not None:
        return since
    if cursor:
        start = min(date.fromisoformat(cursor), end) - timedelta(days=max(lag_days - 1, 0))
        return max(start, first_stored) if first_stored is not None else start
    return end - timedelta(days=max(backfill_days - 1, 0))


def first_stored_day(store: Store, tool: str, source: str) -> date | None:
    """The earliest day with actor-day rows of ``tool`` from ``source``, or None."""
    row = store.con.execute("SELECT min(day) FROM ai_usage_daily WHERE tool = ? AND source = ?",
                            [tool, source]).fetchone()
    return row[0] if row and row[0] is not None else None


def advance_cursor(store: Store, source: str, stream: str, day: date, partition: str = "") -> None:
    """Set the cursor to ``day`` unless it is already later. Call inside the day's transaction.

    A re-fetch of older days (``sync --since``) must not move a cursor backwards: the next plain run
    would fetch everything after it again.
    """
    current = store.get_cursor(source, stream, partition)
    if current is None or date.fromisoformat(current) < day:
        store.set_cursor(source, stream, partition, day.isoformat())


def replace_usage_day(store: Store, tool: str, source: str, day: date, usage: list[AIUsageDay],
                      models: list[AIUsageModelDay], edits: list[AIEditActions]) -> None:
    """Replace one tool-and-source day of actor-day, per-model and edit-tool rows (the API restated it).

    Call inside the day's transaction, next to :func:`advance_cursor`.
    """
    where = {"tool": tool, "source": source, "day": day}
    store.replace(AIUsageDay, where, usage)
    store.replace(AIUsageModelDay, where, models)
    store.replace(AIEditActions, where, edits)


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
