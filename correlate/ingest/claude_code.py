"""``correlate sync --source claude_code``: the Claude Code Analytics API into the store, a day at a time.

Each UTC day is one unit of work: its actor-day, per-model and edit-tool rows for the
``analytics_api`` path *replace* whatever that day held (the API restates a day as it fills in)
and the cursor moves to that day, in one transaction. A failure on day N leaves days before N
stored and the cursor on N-1; the next run resumes there. See :mod:`correlate.ingest._days` for
which days a run covers.
"""

from __future__ import annotations

from datetime import date

from connectors import claude_code as api
from correlate.errors import UsageError
from correlate.ingest._days import (
    advance_cursor,
    day_progress,
    first_stored_day,
    plan_days,
    replace_usage_day,
    utc_today,
)
from correlate.sync import SyncContext, SyncSummary

__all__ = ["LAG_DAYS", "STREAM", "sync"]

STREAM = "usage_report"
# Data appears within about an hour and today is partial: re-pull the last two stored days.
LAG_DAYS = 2


def sync(ctx: SyncContext, since: date | None) -> SyncSummary:
    """Fetch every planned day from the Analytics API and store it, one transaction per day.

    Args:
        ctx: config, open store and progress display.
        since: first day to (re)fetch; ``None`` resumes from the cursor, or backfills
            ``[sources.claude_code] backfill_days`` on the first run.

    Returns:
        Counts of actor-days, model rows and edit-tool rows stored, and the cost they carry.

    Raises:
        ConfigError: the key's environment variable is unset.
        AuthError: the key was refused (an Admin key is needed).
        TransientSourceError, RateLimitError, PayloadError: a day could not be fetched; days
            before it are stored and the cursor points at the last of them.
    """
    cfg = ctx.config.root.sources.claude_code
    if cfg is None:
        raise UsageError("source 'claude_code' is not configured: add a [sources.claude_code] section.")
    secret = ctx.config.secret(cfg.api_key_env, what="an Anthropic Admin API key (sk-ant-admin01-...)")
    days = plan_days(since=since, cursor=ctx.store.get_cursor(api.SOURCE, STREAM), end=utc_today(),
                     backfill_days=cfg.backfill_days, lag_days=LAG_DAYS,
                     first_stored=first_stored_day(ctx.store, api.TOOL, api.PATH_TAG))
    summary = SyncSummary(source=api.SOURCE)
    actor_days = model_rows = edit_rows = 0
    cost = 0.0
    with api.make_client(cfg.base_url, secret.reveal()) as client, \
            day_progress(ctx.progress, "claude_code", len(days)) as advance:
        for day in days:
            result = api.fetch_day(client, day, env_var=cfg.api_key_env)
            with ctx.store.transaction() as tx:
                replace_usage_day(tx, api.TOOL, api.PATH_TAG, day, result.usage, result.models, result.edits)
                advance_cursor(tx, api.SOURCE, STREAM, day)
            actor_days += len(result.usage)
            model_rows += len(result.models)
            edit_rows += len(result.edits)
            cost += sum(u.cost_usd or 0.0 for u in result.usage)
            advance(day)
    summary.rows = {"actor-days": actor_days, "model rows": model_rows, "edit-tool rows": edit_rows}
    if days:
        summary.notes.append(f"{len(days)} day(s) {days[0]}..{days[-1]}, estimated cost ${cost:,.2f}")
    return summary
