"""``correlate sync --source cursor``: per-user daily usage and billed usage events of a Cursor team.

Unit of work: one window of at most 30 days (the Admin API's limit). For each window the stored
Cursor rows (daily and per model) of its days are replaced by the window's rows, and the cursor (the last
day stored) moves in the same transaction. Days run from the day after the cursor, less
``LOOKBACK_DAYS`` (Cursor aggregates hourly and may still revise a recent day), up to yesterday (UTC):
today is incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

from connectors.cursor import CursorClient, windows
from connectors.records import AIUsageDay, AIUsageModelDay
from correlate import clock
from correlate.ingest.usage_days import first_day
from correlate.store import Between
from correlate.sync import Batch, Cursor, Rows, Run, Source

__all__ = ["LOOKBACK_DAYS", "SOURCE", "STREAM"]

STREAM = "daily-usage-data"
LOOKBACK_DAYS = 2

Window = tuple[date, date]


def _connect(run: Run) -> AbstractContextManager[Any]:
    key = run.config.secret(run.section.api_key_env, what="a Cursor Admin API key (team admin)")
    return CursorClient(run.section.base_url, key.reveal(), env_var=run.section.api_key_env)


def _plan(run: Run) -> list[Window]:
    last = clock.today() - timedelta(days=1)
    first = first_day(since=run.since, cursor=run.cursor(STREAM), end=last,
                      backfill_days=run.section.backfill_days, lag_days=LOOKBACK_DAYS)
    return windows(first, last)


def _fetch(run: Run, span: Window) -> Iterator[Batch]:
    start, end = span
    window = run.client.fetch_window(start, end, seat_cost_usd_per_month=run.section.seat_cost_usd_per_month)
    # The window restates its days: rows that vanished from Cursor vanish here too.
    where = {"tool": "cursor", "source": "cursor_api", "day": Between(start, end)}
    yield Batch(rows=[Rows(AIUsageDay, window.usage, where), Rows(AIUsageModelDay, window.models, where)],
                cursor=Cursor(STREAM, end),
                counts={"user-days": len(window.usage), "user-day-models": len(window.models)},
                notes=[f"{start}…{end}: {note}" for note in window.notes])


SOURCE = Source(name="cursor", section="cursor", connect=_connect, plan=_plan, fetch=_fetch,
                weight=lambda span: (span[1] - span[0]).days + 1, label=lambda span: f"{span[0]}…{span[1]}")
