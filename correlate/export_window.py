"""The days an export or a comparison covers: ``--since``/``--until`` where given, else the store's data span.

One place for the window rules, so every export refuses the same mistakes with the same words.
"""

from __future__ import annotations

from datetime import date, timedelta

from correlate import clock
from correlate.errors import UsageError
from correlate.report.queries import data_span  # SQL only: no matplotlib or jinja2
from correlate.store import Store

__all__ = ["check_window", "data_span_or_recent", "data_window"]


def data_span_or_recent(store: Store) -> tuple[date, date]:
    """The store's data span: first to last day with any PR or AI usage (the last 90 days when empty)."""
    span = data_span(store)
    if span is None:
        today = clock.today()
        return today - timedelta(days=90), today
    return span


def data_window(store: Store, since: date | None, until: date | None) -> tuple[date, date]:
    """The days an export covers: ``--since``/``--until`` where given, else the store's data span.

    Raises:
        UsageError: ``until`` before ``since``.
    """
    check_window(since, until)
    lo, hi = data_span_or_recent(store)
    first, last = since or lo, until or hi
    if last < first:  # one bound given, beyond the other end of the data
        given = f"--since {since} is after" if since is not None else f"--until {until} is before"
        edge = f"the store's last day ({hi})" if since is not None else f"the store's first day ({lo})"
        raise UsageError(f"{given} {edge}: there is nothing to export in that window")
    return first, last


def check_window(since: date | None, until: date | None) -> None:
    """Refuse ``--until`` before ``--since`` (both given).

    Raises:
        UsageError: naming both days.
    """
    if since is not None and until is not None and until < since:
        raise UsageError(f"--until ({until}) is before --since ({since})")
