"""``correlate sync --source cursor``: per-user daily usage and billed usage events of a Cursor team.

Unit of work: one window of at most 30 days (the Admin API's limit). For each window the stored
Cursor rows (daily and per model) of its days are replaced by the window's rows, and the cursor (the last
day stored) moves in the same transaction. Days run from the day after the cursor, less
``LOOKBACK_DAYS`` (Cursor aggregates hourly and may still revise a recent day), up to yesterday (UTC):
today is incomplete.
"""

from __future__ import annotations

from datetime import date, timedelta

from connectors.cursor import CursorClient, windows
from connectors.records import AIUsageDay, AIUsageModelDay
from correlate.errors import ConfigError
from correlate.ingest._days import advance_cursor, first_day, utc_today
from correlate.sync import SyncContext, SyncSummary

__all__ = ["LOOKBACK_DAYS", "STREAM", "sync"]

STREAM = "daily-usage-data"
LOOKBACK_DAYS = 2
_WHERE = {"tool": "cursor", "source": "cursor_api"}


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Fetch every window of days not yet stored (or from ``since``) and store it window by window.

    Raises:
        ConfigError: no ``[sources.cursor]`` section, or the key variable unset.
        AuthError: the key was refused (exit 2).
        RateLimitError: Cursor kept answering 429; windows stored so far stay stored.
    """
    config = ctx.config
    section = config.root.sources.cursor
    if section is None:
        raise ConfigError("add a [sources.cursor] section to sync Cursor.",
                          path=str(config.path) if config.path else None)
    key = config.secret(section.api_key_env, what="a Cursor Admin API key (team admin)")

    last = utc_today() - timedelta(days=1)
    first = first_day(since=since, cursor=ctx.store.get_cursor("cursor", STREAM, ""), end=last,
                      backfill_days=section.backfill_days, lag_days=LOOKBACK_DAYS)
    summary = SyncSummary(source="cursor")
    spans = windows(first, last)
    if not spans:
        return summary

    total_days = (last - first).days + 1
    task = ctx.progress.add_task("cursor", total=total_days) if ctx.progress else None
    with CursorClient(section.base_url, key.reveal(), env_var=section.api_key_env) as client:
        for start, end in spans:
            window = client.fetch_window(start, end, seat_cost_usd_per_month=section.seat_cost_usd_per_month)
            with ctx.store.transaction() as tx:
                # The window restates its days: rows that vanished from Cursor vanish here too.
                for record_type in (AIUsageDay, AIUsageModelDay):
                    tx.con.execute(f"DELETE FROM {record_type.TABLE} WHERE tool = ? AND source = ? "
                                   "AND day BETWEEN ? AND ?", [*_WHERE.values(), start, end])
                tx.upsert(AIUsageDay, window.usage)
                tx.upsert(AIUsageModelDay, window.models)
                advance_cursor(tx, "cursor", STREAM, end)  # never backwards (--since)
            summary.rows["user-days"] = summary.rows.get("user-days", 0) + len(window.usage)
            summary.rows["user-day-models"] = summary.rows.get("user-day-models", 0) + len(window.models)
            summary.notes.extend(f"{start}…{end}: {note}" for note in window.notes)
            if task is not None:
                ctx.progress.advance(task, (end - start).days + 1)
    return summary
