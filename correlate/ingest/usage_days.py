"""Which days a run of a day-by-day source covers, and the rows one usage day replaces.

The usage APIs answer one UTC day (or a window of days) per call; the cursor of such a source is the
last day whose rows are stored (ISO date). A run covers:

* with ``--since``: every day from ``since`` to ``end`` (an explicit backfill or re-pull);
* with a cursor: the last ``lag_days`` stored days again (the vendor revises recent days) and
  everything newer, but never a day before the first one stored: a run stopped (or killed) after its
  first day would otherwise reach back past the backfill on the re-run, so the store would hold more
  days than an uninterrupted run;
* otherwise: the configured ``backfill_days`` before ``end``.

The cursor only ever moves forward (:class:`correlate.sync.Cursor`), so re-pulling old days with
``--since`` never rewinds it.
"""

from __future__ import annotations

from datetime import date, timedelta

from connectors.records import AIEditActions, AIUsageDay, AIUsageModelDay
from correlate.store import Store
from correlate.sync import Rows

__all__ = ["first_day", "first_stored_day", "plan_days", "usage_day_rows"]


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
    row = store.one("SELECT min(day) FROM ai_usage_daily WHERE tool = ? AND source = ?", [tool, source])
    return row[0] if row and row[0] is not None else None


def usage_day_rows(tool: str, source: str, day: date, usage: list[AIUsageDay], models: list[AIUsageModelDay],
                   edits: list[AIEditActions]) -> list[Rows]:
    """The actor-day, per-model and edit-tool rows of one tool-and-source day, replacing what the day held
    (the API restated it)."""
    where = {"tool": tool, "source": source, "day": day}
    return [Rows(AIUsageDay, usage, where), Rows(AIUsageModelDay, models, where), Rows(AIEditActions, edits, where)]
